import { DATA_TOPIC_REGEX, DLQ_TOPIC, SECRETS_DIR, SECRET_FILES, SINK_CONNECTOR } from "./names";
import { secretRef } from "./secrets";
import type { ConnectorDefinition } from "./source";

/** Where and how the sink writes. */
export interface SinkOptions {
  /** JDBC URL of the warehouse, e.g. `jdbc:postgresql://host:5432/clinicmaster_warehouse?sslmode=verify-full`. */
  jdbcUrl: string;
  /** Warehouse login of the sink (creates and evolves tables). */
  username: string;
  /** Sink tasks (parallel consumers). */
  tasks: number;
  /** Records per JDBC batch. */
  batchSize: number;
  /** Secrets folder. @default /run/secrets/clinicmaster */
  secretsDir?: string;
  /** Replication factor the DLQ gets if Connect has to create it (the platform creates it first). @default 3 */
  dlqReplicationFactor?: number;
}

/**
 * The one central sink: the Debezium JDBC sink (DESIGN §4.3) in its own vocabulary — the note's
 * `auto.create`, `auto.evolve` and `pk.mode` are the Confluent sink's names and would be ignored.
 *
 * Routing (DESIGN §4.4): a RegexRouter reduces `clinicmasterwarehouse-sqlserver.ClinicMasterMOH.dbo.<Table>`
 * to `<Table>`; `collection.name.format` puts it in `public`; quoted identifiers keep `Visits` as
 * `"Visits"` (PostgreSQL would fold it to `visits`).
 *
 * Errors (DESIGN §4.6): converter and SMT failures go to `sink-dlq` with context headers; database
 * errors fail the task in Debezium JDBC sink 3.6, and the watchdog restarts it.
 */
export function jdbcSinkConnector(opts: SinkOptions): ConnectorDefinition {
  return {
    name: SINK_CONNECTOR,
    config: {
      "connector.class": "io.debezium.connector.jdbc.JdbcSinkConnector",
      "tasks.max": String(opts.tasks),
      "topics.regex": DATA_TOPIC_REGEX.replace("(.*)", ".*"),
      "connection.url": opts.jdbcUrl,
      "connection.username": opts.username,
      "connection.password": secretRef(SECRET_FILES.databasePassword, opts.secretsDir ?? SECRETS_DIR),
      "insert.mode": "upsert",
      "primary.key.mode": "record_key",
      "delete.enabled": "true",
      "schema.evolution": "basic",
      "quote.identifiers": "true",
      "collection.name.format": "public.${topic}",
      "batch.size": String(opts.batchSize),
      "use.time.zone": "UTC",
      transforms: "tableFromTopic",
      "transforms.tableFromTopic.type": "org.apache.kafka.connect.transforms.RegexRouter",
      "transforms.tableFromTopic.regex": DATA_TOPIC_REGEX,
      "transforms.tableFromTopic.replacement": "$1",
      "errors.tolerance": "all",
      "errors.log.enable": "true",
      "errors.log.include.messages": "false",
      "errors.deadletterqueue.topic.name": DLQ_TOPIC,
      "errors.deadletterqueue.topic.replication.factor": String(opts.dlqReplicationFactor ?? 3),
      "errors.deadletterqueue.context.headers.enable": "true",
      "errors.retry.timeout": "60000",
      "errors.retry.delay.max.ms": "10000",
    },
  };
}
