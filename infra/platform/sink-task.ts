import { CONNECT_REST_PORT, SECRETS_DIR, SECRET_FILES, SINK_CONNECTOR } from "../connect/names";

/**
 * Container definitions of one sink task on ECS Fargate, as data. Pure: the component serialises
 * the result; tests read it.
 *
 * Three containers share the task's network namespace and two task-local volumes:
 * 1. `secrets-init` (Connect image, runs once): ECS injects the two passwords into this container
 *    only, from Secrets Manager; it writes them as files into `secrets` and the rendered worker
 *    properties into `worker-config`, hands both to the Kafka user and exits. No other container
 *    has a secret in its environment.
 * 2. `connect`: the distributed Kafka Connect worker. It reads the secret files through Kafka's
 *    DirectoryConfigProvider (`${directory:…}`), mounted read-only, and puts the sink connector's
 *    config (placeholders only, no secret) with an idempotent `PUT /connectors/<name>/config` once
 *    its REST API answers — every worker does, the last write wins with the same content.
 * 3. `watchdog`: restarts failed connectors and tasks with back-off (DESIGN §4.6) through the REST
 *    API on localhost. Its image and command are arguments; when the script is given as text
 *    (`infra/watchdog`), `secrets-init` also writes it to the task-local `watchdog` volume, so a
 *    stock Node.js image pinned by digest runs it and no image has to be built for it.
 */

/** uid:gid of the `kafka` user in the Debezium images; the secret files belong to it. */
export const KAFKA_USER = "1001:1001";
/** Task-local volume holding the secret files. */
export const SECRETS_VOLUME = "secrets";
/** Task-local volume holding the rendered worker properties. */
export const WORKER_CONFIG_VOLUME = "worker-config";
/** Where the worker properties are mounted. */
export const WORKER_CONFIG_DIR = "/etc/clinicmaster";
/** File name of the worker properties. */
export const WORKER_PROPERTIES_FILE = "connect-distributed.properties";
/** Task-local volume holding the watchdog script. */
export const WATCHDOG_VOLUME = "watchdog";
/** Where the watchdog script lives in the watchdog container. */
export const WATCHDOG_DIR = "/opt/watchdog";
/** Default watchdog command. */
export const DEFAULT_WATCHDOG_COMMAND: readonly string[] = ["node", `${WATCHDOG_DIR}/watchdog.js`];

/** Everything a sink task needs, resolved. */
export interface SinkTaskInput {
  /** Debezium Connect image, pinned by digest. */
  connectImage: string;
  /** Watchdog image. */
  watchdogImage: string;
  /** Watchdog command. @default node /opt/watchdog/watchdog.js */
  watchdogCommand?: readonly string[];
  /** Watchdog script text, written to /opt/watchdog/watchdog.js. @default none: the image holds the script */
  watchdogScript?: string;
  /** Rendered `connect-distributed.properties` (no secret: passwords are `${directory:…}` references). */
  workerProperties: string;
  /** Connector config to register (no secret). */
  connectorConfig: Record<string, string>;
  /** ECS `valueFrom` of the Kafka SCRAM password (`<secret arn>:password::`). */
  kafkaPasswordFrom: string;
  /** ECS `valueFrom` of the warehouse password. */
  databasePasswordFrom: string;
  /** CloudWatch log group and region for the awslogs driver. */
  logGroup: string;
  region: string;
  /** JVM heap of the Connect worker, MiB. */
  heapMiB: number;
  /** Extra environment of the watchdog (the Connect URL is set here). */
  watchdogEnvironment: Record<string, string>;
}

/** A container definition (the subset of the ECS schema we use). */
export interface ContainerDefinition {
  name: string;
  image: string;
  essential: boolean;
  user?: string;
  entryPoint?: string[];
  command?: string[];
  environment?: { name: string; value: string }[];
  secrets?: { name: string; valueFrom: string }[];
  mountPoints?: { sourceVolume: string; containerPath: string; readOnly: boolean }[];
  dependsOn?: { containerName: string; condition: "START" | "COMPLETE" | "SUCCESS" | "HEALTHY" }[];
  portMappings?: { containerPort: number; protocol: "tcp" }[];
  healthCheck?: {
    command: string[];
    interval: number;
    timeout: number;
    retries: number;
    startPeriod: number;
  };
  memoryReservation?: number;
  readonlyRootFilesystem?: boolean;
  logConfiguration: { logDriver: "awslogs"; options: Record<string, string> };
}

const env = (vars: Record<string, string>) =>
  Object.keys(vars)
    .sort()
    .map((name) => ({ name, value: vars[name] }));

/** Shell script of `secrets-init`: files readable by the Kafka user only. */
export function secretsInitScript(withWatchdog: boolean, secretsDir = SECRETS_DIR): string {
  const dirs = [secretsDir, WORKER_CONFIG_DIR, ...(withWatchdog ? [WATCHDOG_DIR] : [])]
    .map((d) => `'${d}'`)
    .join(" ");
  return [
    "set -eu",
    "umask 0277",
    `printf '%s' "$KAFKA_PASSWORD" > '${secretsDir}/${SECRET_FILES.kafkaPassword}'`,
    `printf '%s' "$DATABASE_PASSWORD" > '${secretsDir}/${SECRET_FILES.databasePassword}'`,
    `printf '%s\\n' "$WORKER_PROPERTIES" > '${WORKER_CONFIG_DIR}/${WORKER_PROPERTIES_FILE}'`,
    ...(withWatchdog ? [`printf '%s\\n' "$WATCHDOG_SCRIPT" > '${WATCHDOG_DIR}/watchdog.js'`] : []),
    `chown -R ${KAFKA_USER} ${dirs}`,
    `chmod 0500 ${dirs}`,
  ].join("\n");
}

/**
 * Shell script of `connect`: advertise the task's own address (distributed workers forward REST
 * calls to the leader by it), register the connector in the background, run the worker.
 */
export function connectStartScript(restPort = CONNECT_REST_PORT): string {
  const url = `http://localhost:${restPort}`;
  return [
    "set -eu",
    `cp '${WORKER_CONFIG_DIR}/${WORKER_PROPERTIES_FILE}' /tmp/worker.properties`,
    `echo "rest.advertised.host.name=$(hostname -i | cut -d' ' -f1)" >> /tmp/worker.properties`,
    `( until curl -fsS -o /dev/null -X PUT -H 'Content-Type: application/json' --data "$SINK_CONNECTOR_CONFIG" "${url}/connectors/$SINK_CONNECTOR_NAME/config"; do sleep 10; done ) &`,
    "exec /kafka/bin/connect-distributed.sh /tmp/worker.properties",
  ].join("\n");
}

/** The three container definitions of a sink task. */
export function sinkContainerDefinitions(i: SinkTaskInput): ContainerDefinition[] {
  const logs = (prefix: string): ContainerDefinition["logConfiguration"] => ({
    logDriver: "awslogs",
    options: { "awslogs-group": i.logGroup, "awslogs-region": i.region, "awslogs-stream-prefix": prefix },
  });
  const secretsMount = (readOnly: boolean) => ({
    sourceVolume: SECRETS_VOLUME,
    containerPath: SECRETS_DIR,
    readOnly,
  });
  const withWatchdog = i.watchdogScript !== undefined;
  const watchdogMount = (readOnly: boolean) => ({
    sourceVolume: WATCHDOG_VOLUME,
    containerPath: WATCHDOG_DIR,
    readOnly,
  });
  return [
    {
      name: "secrets-init",
      image: i.connectImage,
      essential: false,
      // Root only to hand the files to the Kafka user; the container exits within a second.
      user: "0:0",
      entryPoint: ["/bin/sh", "-c"],
      command: [secretsInitScript(withWatchdog)],
      environment: env({
        WORKER_PROPERTIES: i.workerProperties,
        ...(withWatchdog ? { WATCHDOG_SCRIPT: i.watchdogScript as string } : {}),
      }),
      secrets: [
        { name: "DATABASE_PASSWORD", valueFrom: i.databasePasswordFrom },
        { name: "KAFKA_PASSWORD", valueFrom: i.kafkaPasswordFrom },
      ],
      mountPoints: [
        secretsMount(false),
        { sourceVolume: WORKER_CONFIG_VOLUME, containerPath: WORKER_CONFIG_DIR, readOnly: false },
        ...(withWatchdog ? [watchdogMount(false)] : []),
      ],
      logConfiguration: logs("secrets-init"),
    },
    {
      name: "connect",
      image: i.connectImage,
      essential: true,
      user: KAFKA_USER,
      entryPoint: ["/bin/sh", "-c"],
      command: [connectStartScript()],
      environment: env({
        KAFKA_HEAP_OPTS: `-Xms${i.heapMiB}m -Xmx${i.heapMiB}m`,
        SINK_CONNECTOR_CONFIG: JSON.stringify(i.connectorConfig),
        SINK_CONNECTOR_NAME: SINK_CONNECTOR,
      }),
      mountPoints: [
        secretsMount(true),
        { sourceVolume: WORKER_CONFIG_VOLUME, containerPath: WORKER_CONFIG_DIR, readOnly: true },
      ],
      dependsOn: [{ containerName: "secrets-init", condition: "SUCCESS" }],
      portMappings: [{ containerPort: CONNECT_REST_PORT, protocol: "tcp" }],
      healthCheck: {
        command: ["CMD-SHELL", `curl -fsS -o /dev/null http://localhost:${CONNECT_REST_PORT}/ || exit 1`],
        interval: 30,
        timeout: 5,
        retries: 3,
        startPeriod: 120,
      },
      logConfiguration: logs("connect"),
    },
    {
      name: "watchdog",
      image: i.watchdogImage,
      // A crashing watchdog must not take the worker down with it; its silence alarm reports it.
      essential: false,
      user: KAFKA_USER,
      command: [...(i.watchdogCommand ?? DEFAULT_WATCHDOG_COMMAND)],
      environment: env({ ...i.watchdogEnvironment, CONNECT_URL: `http://localhost:${CONNECT_REST_PORT}` }),
      // The watchdog needs no secret: it only talks to the worker's REST API on localhost.
      mountPoints: withWatchdog ? [watchdogMount(true)] : [],
      dependsOn: [
        { containerName: "connect", condition: "START" },
        ...(withWatchdog ? [{ containerName: "secrets-init", condition: "SUCCESS" as const }] : []),
      ],
      memoryReservation: 128,
      readonlyRootFilesystem: true,
      logConfiguration: logs("watchdog"),
    },
  ];
}
