import type { FacilityConfig } from "../config/facility";
import {
  CONNECT_REST_PORT,
  FACILITY_DATA_DIR,
  SECRETS_DIR,
  SECRET_FILES,
  SINK_GROUP,
  SINK_INTERNAL_TOPICS,
  SINK_PRINCIPAL,
  facilityPrincipal,
  facilityStateFiles,
} from "./names";
import { configProviderProperties, secretRef } from "./secrets";

/** How a worker reaches Kafka. */
export interface KafkaConnection {
  /** `host:port,…`; on MSK the SASL/SCRAM brokers on port 9096. */
  bootstrapServers: string;
  /** `SASL_SSL` on MSK; the loopback test cluster may use `SASL_PLAINTEXT`. @default SASL_SSL */
  securityProtocol?: "SASL_SSL" | "SASL_PLAINTEXT";
  /** Truststore for a private CA (MSK's certificates chain to public roots, so none there). */
  truststore?: { path: string; type: "PKCS12" | "JKS" };
}

/** Where a worker keeps its files and serves REST. */
export interface WorkerLayout {
  /** Persistent volume of a facility worker (offsets, schema history). @default /kafka/data */
  dataDir?: string;
  /** Read-only secrets folder. @default /run/secrets/clinicmaster */
  secretsDir?: string;
  /** Kafka Connect `plugin.path`. @default /kafka/connect (the Debezium Connect image) */
  pluginPath?: string;
  /** REST listener host. @default 0.0.0.0 inside a container */
  restHost?: string;
  /** REST port. @default 8083 */
  restPort?: number;
}

/**
 * Client security for one Kafka client prefix ("" for the worker itself, "producer.", "consumer.",
 * "admin."). Kafka Connect does not inherit the worker's security settings into the clients it
 * creates, so each prefix needs its own copy.
 */
function clientSecurity(
  prefix: string,
  user: string,
  kafka: KafkaConnection,
  secretsDir: string,
): Record<string, string> {
  const props: Record<string, string> = {
    [`${prefix}security.protocol`]: kafka.securityProtocol ?? "SASL_SSL",
    [`${prefix}sasl.mechanism`]: "SCRAM-SHA-512",
    [`${prefix}sasl.jaas.config`]: `org.apache.kafka.common.security.scram.ScramLoginModule required username="${user}" password="${secretRef(SECRET_FILES.kafkaPassword, secretsDir)}";`,
  };
  if (kafka.truststore) {
    props[`${prefix}ssl.truststore.location`] = kafka.truststore.path;
    props[`${prefix}ssl.truststore.type`] = kafka.truststore.type;
  }
  return props;
}

const jsonConverters = {
  "key.converter": "org.apache.kafka.connect.json.JsonConverter",
  "key.converter.schemas.enable": "true",
  "value.converter": "org.apache.kafka.connect.json.JsonConverter",
  "value.converter.schemas.enable": "true",
};

/**
 * Standalone worker of one facility (DESIGN §4.2): offsets in a file on the persistent volume, no
 * group, no internal topics on the central cluster.
 *
 * Compression: zstd. The facility uplink is the scarce resource and JSON-with-schema events repeat
 * the same schema in every record; zstd compresses that repetition several times better than lz4
 * or snappy at a CPU cost a small server affords. `linger.ms` lets batches fill so there is more
 * repetition per compressed batch.
 */
export function facilityWorkerProperties(
  facility: FacilityConfig,
  kafka: KafkaConnection,
  layout: WorkerLayout = {},
): Record<string, string> {
  const secretsDir = layout.secretsDir ?? SECRETS_DIR;
  const user = facilityPrincipal(facility.dhis2Code);
  const files = facilityStateFiles(facility.dhis2Code, layout.dataDir ?? FACILITY_DATA_DIR);
  return {
    "bootstrap.servers": kafka.bootstrapServers,
    ...clientSecurity("", user, kafka, secretsDir),
    ...clientSecurity("producer.", user, kafka, secretsDir),
    ...clientSecurity("admin.", user, kafka, secretsDir),
    ...jsonConverters,
    "offset.storage.file.filename": files.offsets,
    // Flushed offsets bound what a crash replays; replays are harmless (the sink upserts).
    "offset.flush.interval.ms": "5000",
    "plugin.path": layout.pluginPath ?? "/kafka/connect",
    // KIP-898: find plugins by their service manifests instead of scanning every class (seconds, not tens of seconds).
    "plugin.discovery": "service_load",
    listeners: `http://${layout.restHost ?? "0.0.0.0"}:${layout.restPort ?? CONNECT_REST_PORT}`,
    // Tables created at a facility after start-up get their shared topic from this worker (the cluster
    // does not auto-create topics); the facility principal holds CREATE on the data-topic prefix only.
    "topic.creation.enable": "true",
    "producer.compression.type": "zstd",
    "producer.linger.ms": "200",
    "producer.batch.size": "262144",
    "producer.acks": "all",
    "producer.enable.idempotence": "true",
    "producer.max.in.flight.requests.per.connection": "5",
    "producer.delivery.timeout.ms": "2147483647",
    // Source connectors' records must not be reordered or dropped on a flaky uplink.
    "producer.retries": "2147483647",
    ...configProviderProperties(secretsDir),
    "connector.client.config.override.policy": "None",
  };
}

/** Settings of the central sink worker cluster that come from the platform config. */
export interface SinkWorkerSettings {
  /** Records the sink's consumer fetches per poll; it should match the sink's batch size. */
  batchSize: number;
  /** Replication factor of the worker's internal topics. @default 3 */
  internalReplicationFactor?: number;
}

/**
 * Distributed worker of the central sink (a Connect cluster of its own: `group.id` and internal
 * topics are the sink's, never a facility's).
 */
export function sinkWorkerProperties(
  settings: SinkWorkerSettings,
  kafka: KafkaConnection,
  layout: WorkerLayout = {},
): Record<string, string> {
  const secretsDir = layout.secretsDir ?? SECRETS_DIR;
  const rf = String(settings.internalReplicationFactor ?? 3);
  return {
    "bootstrap.servers": kafka.bootstrapServers,
    ...clientSecurity("", SINK_PRINCIPAL, kafka, secretsDir),
    ...clientSecurity("consumer.", SINK_PRINCIPAL, kafka, secretsDir),
    ...clientSecurity("producer.", SINK_PRINCIPAL, kafka, secretsDir),
    ...clientSecurity("admin.", SINK_PRINCIPAL, kafka, secretsDir),
    ...jsonConverters,
    "group.id": SINK_GROUP,
    "config.storage.topic": SINK_INTERNAL_TOPICS.config,
    "offset.storage.topic": SINK_INTERNAL_TOPICS.offset,
    "status.storage.topic": SINK_INTERNAL_TOPICS.status,
    "config.storage.replication.factor": rf,
    "offset.storage.replication.factor": rf,
    "status.storage.replication.factor": rf,
    "offset.flush.interval.ms": "5000",
    "plugin.path": layout.pluginPath ?? "/kafka/connect",
    // KIP-898: find plugins by their service manifests instead of scanning every class (seconds, not tens of seconds).
    "plugin.discovery": "service_load",
    listeners: `http://${layout.restHost ?? "0.0.0.0"}:${layout.restPort ?? CONNECT_REST_PORT}`,
    "consumer.max.poll.records": String(settings.batchSize),
    // The sink subscribes by topics.regex and sees a table's new topic only at a metadata refresh;
    // Kafka's default (5 min) delays a new facility table's rows by minutes.
    "consumer.metadata.max.age.ms": "30000",
    "consumer.auto.offset.reset": "earliest",
    "consumer.isolation.level": "read_committed",
    "producer.acks": "all",
    ...configProviderProperties(secretsDir),
    "connector.client.config.override.policy": "None",
  };
}

/** MSK's SASL/SCRAM listener port (9092 plaintext, 9094 TLS, 9096 SASL/SCRAM, 9098 IAM). */
export const MSK_SCRAM_PORT = 9096;

/**
 * Checks a bootstrap list meant for MSK SASL/SCRAM clients. Returns one message per bad entry
 * (empty when fine). The original note's `:9093` is not an MSK port at all.
 */
export function mskBootstrapProblems(bootstrapServers: string): string[] {
  const problems: string[] = [];
  for (const entry of bootstrapServers.split(",").map((s) => s.trim())) {
    const m = /^([A-Za-z0-9.-]+):(\d{1,5})$/.exec(entry);
    if (!m) {
      problems.push(`${JSON.stringify(entry)} is not host:port`);
    } else if (Number(m[2]) !== MSK_SCRAM_PORT) {
      problems.push(
        `${entry} uses port ${m[2]}; MSK serves SASL/SCRAM on ${MSK_SCRAM_PORT} (take the cluster's bootstrapBrokersSaslScram output)`,
      );
    }
  }
  return problems;
}
