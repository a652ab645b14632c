import type { FacilityConfig } from "../config/facility";
import {
  DATA_TOPIC_PREFIX,
  FACILITY_DATA_DIR,
  FACILITY_FIELDS,
  HEARTBEAT_TOPIC,
  SECRETS_DIR,
  SECRET_FILES,
  SOURCE_SCHEMA,
  facilityStateFiles,
  facilityTopicPrefix,
  sourceConnectorName,
} from "./names";
import { secretRef } from "./secrets";

/** A connector's name and config, as Kafka Connect's REST API and standalone mode take it. */
export interface ConnectorDefinition {
  name: string;
  config: Record<string, string>;
}

/** Heartbeat topic prefix Debezium uses by default; heartbeats go to `<prefix>.<topic.prefix>`. */
const DEBEZIUM_HEARTBEAT_PREFIX = "__debezium-heartbeat";

const regexQuote = (s: string) => s.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&");

/**
 * What differs between the real source (SQL Server) and the loopback stand-in (PostgreSQL laid out
 * like ClinicMasterMOH): the connector class and its connection, and how the connector spells a
 * table's topic and fully-qualified name. Everything else — prefix, routing, SMT chain, heartbeat,
 * topic creation — is shared, so the stand-in exercises the configuration we deploy.
 */
export interface SourceFlavor {
  /** Connector-specific properties (class, connection, history). */
  connection: Record<string, string>;
  /** Regex (Java) matching the connector's own data topic names; group 1 = table. */
  topicRegex: string;
  /** Fully-qualified table name as the connector's `table.include.list` and `message.key.columns` see it. */
  qualifiedTable: (table: string) => string;
}

/** Options for the facility source connector. */
export interface SourceOptions {
  /** Persistent volume path. @default /kafka/data */
  dataDir?: string;
  /** Secrets folder. @default /run/secrets/clinicmaster */
  secretsDir?: string;
  /** Partitions of topics this connector creates for tables that have none yet. @default 3 */
  defaultPartitions?: number;
  /** Replication factor of such topics; -1 takes the cluster default (3 on MSK). @default -1 */
  replicationFactor?: number;
  /** `min.insync.replicas` of such topics. @default 2 */
  minInsyncReplicas?: number;
}

/** The Debezium SQL Server flavour (production). */
export function sqlServerFlavor(facility: FacilityConfig, opts: SourceOptions = {}): SourceFlavor {
  const s = facility.sqlServer;
  const files = facilityStateFiles(facility.dhis2Code, opts.dataDir ?? FACILITY_DATA_DIR);
  const prefix = facilityTopicPrefix(facility.dhis2Code);
  return {
    connection: {
      "connector.class": "io.debezium.connector.sqlserver.SqlServerConnector",
      "database.hostname": s.host,
      "database.port": String(s.port),
      "database.user": s.user,
      "database.password": secretRef(SECRET_FILES.databasePassword, opts.secretsDir ?? SECRETS_DIR),
      "database.names": s.database,
      // Passed through to the Microsoft JDBC driver.
      "database.encrypt": String(s.encrypt),
      "database.trustServerCertificate": String(s.trustServerCertificate),
      "database.applicationName": `clinicmaster-cdc-${facility.slug}`,
      "schema.history.internal": "io.debezium.storage.file.history.FileSchemaHistory",
      "schema.history.internal.file.filename": files.schemaHistory,
      "schema.history.internal.store.only.captured.tables.ddl": "true",
    },
    // SQL Server topics: <topic.prefix>.<database>.<schema>.<table>
    topicRegex: `${regexQuote(prefix)}\\.${regexQuote(s.database)}\\.${SOURCE_SCHEMA}\\.(.*)`,
    // Filters and key mappings name tables `<schema>.<table>` on SQL Server too (the database is
    // chosen by database.names).
    qualifiedTable: (table) => `${SOURCE_SCHEMA}.${table}`,
  };
}

/** Connection of the loopback stand-in: a PostgreSQL database laid out like ClinicMasterMOH. */
export interface StandInDatabase {
  host: string;
  port: number;
  database: string;
  user: string;
  /** Replication slot name, unique per facility on that server. */
  slotName: string;
}

/** The Debezium PostgreSQL flavour used by the loopback data plane in place of SQL Server. */
export function postgresStandInFlavor(
  facility: FacilityConfig,
  db: StandInDatabase,
  opts: SourceOptions = {},
): SourceFlavor {
  const prefix = facilityTopicPrefix(facility.dhis2Code);
  return {
    connection: {
      "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
      "plugin.name": "pgoutput",
      "database.hostname": db.host,
      "database.port": String(db.port),
      "database.user": db.user,
      "database.password": secretRef(SECRET_FILES.databasePassword, opts.secretsDir ?? SECRETS_DIR),
      "database.dbname": db.database,
      "slot.name": db.slotName,
      "publication.name": `${db.slotName}_pub`,
      // A table created after start-up must be captured with no config change.
      "publication.autocreate.mode": "all_tables",
      "schema.include.list": SOURCE_SCHEMA,
    },
    // PostgreSQL topics: <topic.prefix>.<schema>.<table>
    topicRegex: `${regexQuote(prefix)}\\.${SOURCE_SCHEMA}\\.(.*)`,
    qualifiedTable: (table) => `${SOURCE_SCHEMA}.${table}`,
  };
}

/**
 * The facility SMT chain (DESIGN §4.1, §4.5): unwrap the change event, stamp facility code and name
 * into the value and the code into the key — all as required fields (`!`) — then route data topics to
 * the shared per-table topics and heartbeats to the one shared heartbeat topic.
 */
export function facilityTransforms(facility: FacilityConfig, topicRegex: string): Record<string, string> {
  const code = facility.dhis2Code;
  const prefix = facilityTopicPrefix(code);
  return {
    transforms:
      "unwrap,addFacilityCodeValue,addFacilityNameValue,addFacilityCodeKey,routeData,routeHeartbeat",
    "transforms.unwrap.type": "io.debezium.transforms.ExtractNewRecordState",
    // A delete becomes a null-value record (tombstone) keyed by the row; the sink deletes by key.
    "transforms.unwrap.delete.tombstone.handling.mode": "tombstone",
    "transforms.unwrap.add.fields": "op,source.ts_ms",
    "transforms.addFacilityCodeValue.type": "org.apache.kafka.connect.transforms.InsertField$Value",
    "transforms.addFacilityCodeValue.static.field": `${FACILITY_FIELDS.code}!`,
    "transforms.addFacilityCodeValue.static.value": code,
    "transforms.addFacilityNameValue.type": "org.apache.kafka.connect.transforms.InsertField$Value",
    "transforms.addFacilityNameValue.static.field": `${FACILITY_FIELDS.name}!`,
    "transforms.addFacilityNameValue.static.value": facility.name,
    "transforms.addFacilityCodeKey.type": "org.apache.kafka.connect.transforms.InsertField$Key",
    "transforms.addFacilityCodeKey.static.field": `${FACILITY_FIELDS.code}!`,
    "transforms.addFacilityCodeKey.static.value": code,
    "transforms.routeData.type": "org.apache.kafka.connect.transforms.RegexRouter",
    "transforms.routeData.regex": topicRegex,
    "transforms.routeData.replacement": `${DATA_TOPIC_PREFIX}$1`,
    "transforms.routeHeartbeat.type": "org.apache.kafka.connect.transforms.RegexRouter",
    "transforms.routeHeartbeat.regex": `${regexQuote(DEBEZIUM_HEARTBEAT_PREFIX)}\\.${regexQuote(prefix)}`,
    "transforms.routeHeartbeat.replacement": HEARTBEAT_TOPIC,
  };
}

/** The facility source connector for a given flavour (SQL Server in production). */
export function sourceConnector(
  facility: FacilityConfig,
  flavor: SourceFlavor,
  opts: SourceOptions = {},
): ConnectorDefinition {
  const tables =
    facility.tables.length > 0 ? facility.tables.map((t) => regexQuote(flavor.qualifiedTable(t))) : null;
  const allTables = regexQuote(flavor.qualifiedTable("")) + ".*";
  const keyColumns = Object.entries(facility.keyColumns)
    .map(([table, cols]) => `${regexQuote(flavor.qualifiedTable(table))}:${cols.join(",")}`)
    .join(";");
  const config: Record<string, string> = {
    ...flavor.connection,
    "tasks.max": "1",
    "topic.prefix": facilityTopicPrefix(facility.dhis2Code),
    "table.include.list": tables ? tables.join(",") : allTables,
    "snapshot.mode": facility.snapshotMode,
    "heartbeat.interval.ms": String(facility.heartbeatIntervalMs),
    "topic.heartbeat.prefix": DEBEZIUM_HEARTBEAT_PREFIX,
    "include.schema.changes": "false",
    "tombstones.on.delete": "true",
    ...(keyColumns ? { "message.key.columns": keyColumns } : {}),
    ...facilityTransforms(facility, flavor.topicRegex),
    "topic.creation.default.replication.factor": String(opts.replicationFactor ?? -1),
    "topic.creation.default.partitions": String(opts.defaultPartitions ?? 3),
    "topic.creation.default.cleanup.policy": "compact",
    "topic.creation.default.min.insync.replicas": String(opts.minInsyncReplicas ?? 2),
    "topic.creation.default.compression.type": "producer",
    // Connector-level errors (bad SMT input) stop the task visibly; the watchdog restarts it.
    "errors.tolerance": "none",
    "errors.log.enable": "true",
    "errors.retry.timeout": "300000",
  };
  return { name: sourceConnectorName(facility.dhis2Code), config };
}

/** The production source connector of a facility: Debezium SQL Server. */
export function sqlServerSourceConnector(
  facility: FacilityConfig,
  opts: SourceOptions = {},
): ConnectorDefinition {
  return sourceConnector(facility, sqlServerFlavor(facility, opts), opts);
}
