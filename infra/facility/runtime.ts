/**
 * How the facility's Kafka Connect worker runs in a container (pure): file layout, start command,
 * health check, memory and heap. The Pulumi path (ConnectHost) and the offline kit both take their
 * worker and connector configuration from `facilityConnectFiles`, so they cannot drift apart.
 */
import type { FacilityConfig } from "../config/facility";
import {
  CONNECT_REST_PORT,
  SECRETS_DIR,
  SECRET_FILES,
  facilityStateFiles,
  renderProperties,
  sourceConnectorName,
  sqlServerSourceConnector,
  facilityWorkerProperties,
  type ConnectorDefinition,
  type WorkerLayout,
} from "../connect";

/**
 * Mount point of the persistent volume inside the Connect container. The Debezium Connect image owns
 * `/kafka/data` by its non-root `kafka` user, and Docker copies that ownership into a fresh named
 * volume; a path the image lacks would be root-owned and the worker could not write its offsets.
 */
export const CONTAINER_DATA_DIR = "/kafka/data";
/** Where the generated worker and connector configs are placed in the Connect container. */
export const CONTAINER_CONFIG_DIR = "/etc/clinicmaster";
/** File names of the generated configs inside CONTAINER_CONFIG_DIR. */
export const CONFIG_FILES = { worker: "worker.properties", connector: "connector.json" } as const;
/** Numeric uid of the `kafka` user of the Debezium Connect image: owner of the secret files. */
export const CONNECT_UID = "1001";
/** Kafka Connect's standalone launcher in the Debezium Connect image. */
export const CONNECT_STANDALONE = "/kafka/bin/connect-standalone.sh";

/** Docker volume holding offsets and schema history. */
export const STATE_VOLUME = "clinicmaster-connect-state";
export { VPN_CONTAINER, WATCHDOG_CONTAINER } from "../connect/names";
/** Where the watchdog script is placed in its container. */
export const WATCHDOG_SCRIPT_PATH = "/opt/clinicmaster/watchdog.js";
/** Port on which the watchdog serves its restart counts (inside the worker's network namespace). */
export const WATCHDOG_PORT = 8084;
/** Memory limit of the watchdog sidecar. */
export const WATCHDOG_MEMORY_MIB = 64;
/** strongSwan's configuration folder in the VPN endpoint container. */
export const SWANCTL_DIR = "/etc/swanctl";
/** The tunnels' configuration in the VPN endpoint container. */
export const SWANCTL_CONF_PATH = `${SWANCTL_DIR}/swanctl.conf`;
/** Start script of the VPN endpoint container. */
export const VPN_UP_SCRIPT_PATH = `${SWANCTL_DIR}/clinicmaster-vpn-up.sh`;
/**
 * Capabilities of the VPN endpoint container (all others dropped): XFRM interfaces, routes and SAs
 * need NET_ADMIN, raw sockets NET_RAW, and IKE binds UDP 500 and 4500, privileged ports in the host's
 * network namespace (NET_BIND_SERVICE).
 */
export const VPN_CAPABILITIES = ["NET_ADMIN", "NET_RAW", "NET_BIND_SERVICE"];
/** Memory limit of the VPN endpoint container. */
export const VPN_MEMORY_MIB = 128;

/** Worker layout of a facility container. */
export const FACILITY_LAYOUT: WorkerLayout = { dataDir: CONTAINER_DATA_DIR, secretsDir: SECRETS_DIR };

/** The worker and connector configuration of one facility, as objects and as the files the worker reads. */
export interface FacilityConnectFiles {
  worker: Record<string, string>;
  connector: ConnectorDefinition;
  /** `worker.properties` content. */
  workerProperties: string;
  /** `connector.json` content (the REST API's `{name, config}` body, which standalone mode also takes). */
  connectorJson: string;
}

/** The one place both deployment paths get their Connect configuration from. */
export function facilityConnectFiles(
  facility: FacilityConfig,
  bootstrapServers: string,
): FacilityConnectFiles {
  const worker = facilityWorkerProperties(facility, { bootstrapServers }, FACILITY_LAYOUT);
  const connector = sqlServerSourceConnector(facility, {
    dataDir: CONTAINER_DATA_DIR,
    secretsDir: SECRETS_DIR,
  });
  return {
    worker,
    connector,
    workerProperties: renderProperties(
      worker,
      `Kafka Connect standalone worker of ${facility.slug} (${facility.dhis2Code}); generated, do not edit.`,
    ),
    connectorJson: `${JSON.stringify(connector, null, 2)}\n`,
  };
}

/** Directory on the volume that holds this facility's offsets and schema history. */
export function stateDir(facility: FacilityConfig): string {
  const offsets = facilityStateFiles(facility.dhis2Code, CONTAINER_DATA_DIR).offsets;
  return offsets.slice(0, offsets.lastIndexOf("/"));
}

/** Container paths of the generated configs. */
export function configPaths(): { worker: string; connector: string } {
  return {
    worker: `${CONTAINER_CONFIG_DIR}/${CONFIG_FILES.worker}`,
    connector: `${CONTAINER_CONFIG_DIR}/${CONFIG_FILES.connector}`,
  };
}

/** Container paths of the secret files (mode 0400, owned by the worker's uid). */
export function secretPaths(): { kafkaPassword: string; databasePassword: string } {
  return {
    kafkaPassword: `${SECRETS_DIR}/${SECRET_FILES.kafkaPassword}`,
    databasePassword: `${SECRETS_DIR}/${SECRET_FILES.databasePassword}`,
  };
}

/**
 * Start command of the worker: create the state directory (standalone mode does not create the
 * offsets file's parent), then run the standalone worker with the connector config as argument —
 * the connector is registered at start, the original note's auto-creation.
 */
export function workerCommand(facility: FacilityConfig): string[] {
  const p = configPaths();
  return [
    "/bin/bash",
    "-c",
    `mkdir -p ${stateDir(facility)} && exec ${CONNECT_STANDALONE} ${p.worker} ${p.connector}`,
  ];
}

/** JVM heap settings (not a secret). */
export function heapOpts(facility: FacilityConfig): string {
  return `-Xms${facility.worker.heapMiB}m -Xmx${facility.worker.heapMiB}m`;
}

/** REST status URL of the facility's connector, as seen from inside the worker's network namespace. */
export function statusUrl(facility: FacilityConfig, host = "localhost"): string {
  return `http://${host}:${CONNECT_REST_PORT}/connectors/${sourceConnectorName(facility.dhis2Code)}/status`;
}

/**
 * Health check shell command: healthy when the connector is RUNNING and no task FAILED. Kafka Connect
 * prints compact JSON, so a plain substring match is exact.
 */
export function healthcheckShell(facility: FacilityConfig): string {
  return `s=$(curl -fsS --max-time 5 ${statusUrl(facility)}) && echo "$s" | grep -q '"connector":{"state":"RUNNING"' && ! echo "$s" | grep -q '"state":"FAILED"'`;
}

/** Health check timings (Docker duration strings). */
export const HEALTHCHECK = { interval: "30s", timeout: "10s", retries: 5, startPeriod: "120s" } as const;

/** Environment of the watchdog sidecar (none secret). */
export function watchdogEnv(): Record<string, string> {
  return {
    CONNECT_URL: `http://localhost:${CONNECT_REST_PORT}`,
    WATCHDOG_INTERVAL_MS: "10000",
    WATCHDOG_PORT: String(WATCHDOG_PORT),
    WATCHDOG_HOST: "127.0.0.1",
  };
}

/** Labels of facility containers: identity only, never a secret. */
export function containerLabels(facility: FacilityConfig): Record<string, string> {
  return {
    "org.clinicmaster.facility": facility.dhis2Code,
    "org.clinicmaster.facility-slug": facility.slug,
    "org.clinicmaster.connector": sourceConnectorName(facility.dhis2Code),
  };
}
