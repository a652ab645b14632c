/**
 * Every physical name of the system (DESIGN §3). Nothing else in the codebase spells a topic,
 * principal, connector, file path or secret name by hand: import it from here.
 */

/** Every topic and group of the system except `sink-dlq` starts with this. */
export const NAME_ROOT = "clinicmaster";

/** Database name of ClinicMaster at every facility. */
export const SOURCE_DATABASE = "ClinicMasterMOH";
/** Source schema captured at every facility. */
export const SOURCE_SCHEMA = "dbo";

/** Prefix of the shared data topics: one topic per source table, all facilities. */
export const DATA_TOPIC_PREFIX = `clinicmasterwarehouse-sqlserver.${SOURCE_DATABASE}.${SOURCE_SCHEMA}.`;

/** Shared data topic of a source table. */
export function dataTopic(table: string): string {
  return `${DATA_TOPIC_PREFIX}${table}`;
}

/** Regex (Java syntax) matching every shared data topic; group 1 is the table. */
export const DATA_TOPIC_REGEX = `clinicmasterwarehouse-sqlserver\\.${SOURCE_DATABASE}\\.${SOURCE_SCHEMA}\\.(.*)`;

/** Shared heartbeat topic (key = facility), one for all facilities. */
export const HEARTBEAT_TOPIC = "clinicmaster-heartbeats";

/** Sink dead letter queue (the original note's name). */
export const DLQ_TOPIC = "sink-dlq";

/** Debezium `topic.prefix` of a facility: unique per connector, it keys offsets and heartbeats. */
export function facilityTopicPrefix(code: string): string {
  return `clinicmaster.${code}`;
}

/** Kafka principal (SCRAM user name) of a facility. */
export function facilityPrincipal(code: string): string {
  return `facility-${code}`;
}

/** Kafka principal of the central JDBC sink. */
export const SINK_PRINCIPAL = "warehouse-sink";
/** Kafka principal of the platform administrator (Pulumi's Kafka provider, operators). */
export const ADMIN_PRINCIPAL = "platform-admin";

/** Consumer group (and Connect cluster `group.id`) of the central sink. */
export const SINK_GROUP = "clinicmaster-warehouse-sink";
/** Internal topics of the central (distributed) sink Connect cluster. */
export const SINK_INTERNAL_TOPICS = {
  config: "clinicmaster-sink-connect-configs",
  offset: "clinicmaster-sink-connect-offsets",
  status: "clinicmaster-sink-connect-status",
} as const;
/** Prefix shared by every sink-internal topic, for prefixed ACLs. */
export const SINK_INTERNAL_PREFIX = "clinicmaster-sink-connect-";

/** Consumer group of the sink connector's tasks (`connect-<connector name>`, Kafka Connect's rule). */
export function sinkConsumerGroup(): string {
  return `connect-${SINK_CONNECTOR}`;
}

/** Name of the sink connector. */
export const SINK_CONNECTOR = "clinicmaster-warehouse-sink";

/** Name of a facility's source connector. */
export function sourceConnectorName(code: string): string {
  return `clinicmaster-source-${code}`;
}

/** Container name on a facility host (the original note's troubleshooting commands use it). */
export const FACILITY_CONTAINER = "clinicmasterwarehouse";
/** The optional strongSwan VPN endpoint container on a facility host. */
export const VPN_CONTAINER = `${FACILITY_CONTAINER}-vpn`;
/** The watchdog sidecar container on a facility host. */
export const WATCHDOG_CONTAINER = `${FACILITY_CONTAINER}-watchdog`;

/** Kafka Connect REST port on a facility host and on sink workers. */
export const CONNECT_REST_PORT = 8083;

/**
 * Mount point of the persistent volume on a facility worker. The Debezium Connect image's non-root
 * `kafka` user owns `/kafka/data`, and Docker copies that ownership into a fresh named volume.
 */
export const FACILITY_DATA_DIR = "/kafka/data";
/** Mount point of the read-only secret files on every worker. */
export const SECRETS_DIR = "/run/secrets/clinicmaster";

/**
 * Files on the facility's persistent volume (standalone offsets, Debezium schema history). Flat in the
 * volume's root: Kafka Connect does not create a missing parent folder of its offsets file.
 */
export function facilityStateFiles(code: string, dataDir = FACILITY_DATA_DIR) {
  return {
    offsets: `${dataDir}/connect-offsets-${code}.dat`,
    schemaHistory: `${dataDir}/schema-history-${code}.dat`,
  };
}

/** Secret file names inside SECRETS_DIR (contents are the bare secret values). */
export const SECRET_FILES = {
  kafkaPassword: "kafka-password",
  databasePassword: "database-password",
} as const;

/** Secrets Manager name of a facility's SCRAM secret: MSK only accepts names starting `AmazonMSK_`. */
export function facilityScramSecretName(environment: string, code: string): string {
  return `AmazonMSK_${environment}_${facilityPrincipal(code)}`;
}

/** Secrets Manager name of a central principal's SCRAM secret. */
export function platformScramSecretName(environment: string, principal: string): string {
  return `AmazonMSK_${environment}_${principal}`;
}

/** Warehouse table of a source table: same name, quoted, in `public`. */
export function warehouseTable(table: string): string {
  return `public."${table}"`;
}

/** Warehouse roles. */
export const WAREHOUSE_ROLES = {
  /** The JDBC sink's login: creates and evolves tables. */
  sink: "clinicmaster_sink",
  /** Read-only group role for analysts and reports; reads every table the sink ever creates. */
  readonly: "clinicmaster_readonly",
  /** Reporting login that inherits the read-only role. */
  reporting: "clinicmaster_reporting",
} as const;

/** Column names the facility SMTs add to every record. */
export const FACILITY_FIELDS = { code: "facility_dhis2_code", name: "facility_name" } as const;
