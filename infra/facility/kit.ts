/**
 * The offline facility kit (pure): every file a technician needs to run the facility's Kafka Connect
 * worker with `cp .env.sample .env && docker compose up -d`, generated from the same stack config and
 * the same connect output as the Pulumi path. No file holds a secret: passwords and pre-shared keys
 * are typed into `setup-secrets.sh`, which writes them as files that the containers mount read-only.
 */
import { stringify as toYaml } from "yaml";
import type { FacilityConfig } from "../config/facility";
import {
  CONNECT_REST_PORT,
  FACILITY_CONTAINER,
  SECRETS_DIR,
  SECRET_FILES,
  facilityPrincipal,
  sourceConnectorName,
} from "../connect";
import { watchdogScript } from "../watchdog";
import {
  SWANCTL_SECRETS_FILE,
  type TunnelEndpoints,
  renderSwanctlConf,
  renderSwanctlSecrets,
  renderVpnUpScript,
} from "./ipsec";
import type { FacilityImages } from "./platform";
import {
  CONFIG_FILES,
  CONNECT_STANDALONE,
  CONNECT_UID,
  CONTAINER_CONFIG_DIR,
  CONTAINER_DATA_DIR,
  HEALTHCHECK,
  STATE_VOLUME,
  SWANCTL_CONF_PATH,
  SWANCTL_DIR,
  VPN_CAPABILITIES,
  VPN_CONTAINER,
  VPN_UP_SCRIPT_PATH,
  VPN_MEMORY_MIB,
  WATCHDOG_CONTAINER,
  WATCHDOG_MEMORY_MIB,
  WATCHDOG_SCRIPT_PATH,
  containerLabels,
  facilityConnectFiles,
  healthcheckShell,
  heapOpts,
  stateDir,
  statusUrl,
  watchdogEnv,
} from "./runtime";
import { PASSWORD_VARIABLE, prepareSqlServerSql } from "./sql";

/** What the kit is generated from: the facility's stack config and its stack's (non-secret) outputs. */
export interface KitInputs {
  facility: FacilityConfig;
  /** MSK SASL/SCRAM bootstrap brokers. */
  bootstrapServers: string;
  /** Images pinned by digest. */
  images: FacilityImages;
  /** The facility's VPN tunnels as created by its stack. */
  tunnel: TunnelEndpoints;
}

/** One file of the kit. */
export interface KitFile {
  content: string;
  /** Unix mode. */
  mode: number;
}

/** Relative paths of the kit's files. */
export const KIT_FILES = {
  compose: "docker-compose.yml",
  env: ".env.sample",
  worker: `config/${CONFIG_FILES.worker}`,
  connector: `config/${CONFIG_FILES.connector}`,
  startWorker: "config/start-worker.sh",
  watchdog: "watchdog/watchdog.js",
  swanctl: "vpn/swanctl.conf",
  vpnUp: "vpn/clinicmaster-vpn-up.sh",
  setupSecrets: "setup-secrets.sh",
  sql: "prepare-sqlserver.sql",
  readme: "README.md",
} as const;

/** Host folder (in the kit) of the Connect worker's secret files. */
export const KIT_SECRETS_DIR = "secrets";
/** Host folder (in the kit) of the VPN endpoint's pre-shared key file. */
export const KIT_VPN_SECRETS_DIR = "secrets-vpn";

/** Container paths of the kit's scripts. */
const START_WORKER_IN_CONTAINER = `${CONTAINER_CONFIG_DIR}/start-worker.sh`;

/** Shell single-quoting. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** `.env` quoting: single quotes keep the value literal for Compose (no interpolation). */
function envValue(s: string): string {
  if (/^[A-Za-z0-9_.,:@/=+-]*$/.test(s)) return s;
  if (!s.includes("'")) return `'${s}'`;
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\$/g, "$$$$")}"`;
}

/** One documented `.env` variable. */
interface EnvVariable {
  name: string;
  value: string;
  doc: string[];
}

/** The `.env` variables of a kit, in file order, with the value the kit was generated for. */
export function kitEnvVariables(inputs: KitInputs): EnvVariable[] {
  const f = inputs.facility;
  return [
    {
      name: "FACILITY_NAME",
      value: f.name,
      doc: ["Facility name, stamped into every record as facility_name. Fixed by the stack file."],
    },
    {
      name: "FACILITY_DHIS2_CODE",
      value: f.dhis2Code,
      doc: [
        "DHIS2 org-unit code, stamped into every record and key. Fixed by the stack file: it names",
        "this facility's topic prefix, Kafka user and ACLs.",
      ],
    },
    {
      name: "DB_HOST",
      value: f.sqlServer.host,
      doc: ["LAN address of the ClinicMaster SQL Server. May be changed here if the server moves."],
    },
    {
      name: "DB_PORT",
      value: String(f.sqlServer.port),
      doc: ["TCP port of SQL Server (1433 unless the instance listens elsewhere)."],
    },
    {
      name: "DB_USER",
      value: f.sqlServer.user,
      doc: ["SQL Server login Debezium uses (created by prepare-sqlserver.sql)."],
    },
    { name: "DB_NAME", value: f.sqlServer.database, doc: ["Database captured. Fixed by the stack file."] },
    {
      name: "KAFKA_BOOTSTRAP_SERVERS",
      value: inputs.bootstrapServers,
      doc: ["Central Kafka (Amazon MSK) brokers, SASL/SCRAM port 9096, reached through the VPN tunnel."],
    },
    {
      name: "KAFKA_USER",
      value: facilityPrincipal(f.dhis2Code),
      doc: ["Kafka user of this facility. Fixed by the stack file."],
    },
    {
      name: "CONNECT_IMAGE",
      value: inputs.images.connect,
      doc: [
        "Kafka Connect + Debezium image, pinned by digest. Air-gapped sites: the same digest from a local registry.",
      ],
    },
    {
      name: "WATCHDOG_IMAGE",
      value: inputs.images.watchdog,
      doc: ["Node.js image of the watchdog that restarts failed connectors, pinned by digest."],
    },
    ...(inputs.images.vpnEndpoint !== undefined
      ? [
          {
            name: "VPN_IMAGE",
            value: inputs.images.vpnEndpoint,
            doc: ["strongSwan image of the optional VPN endpoint (profile vpn), from the platform registry."],
          },
        ]
      : []),
    { name: "KAFKA_HEAP_OPTS", value: heapOpts(f), doc: ["JVM heap of the worker (not a secret)."] },
    {
      name: "WORKER_MEMORY_LIMIT",
      value: `${f.worker.memoryLimitMiB}m`,
      doc: ["Memory limit of the worker container; keep it at least 1.5 x the heap."],
    },
  ];
}

/** `.env.sample`: every variable documented; no secret values. */
export function renderEnvSample(inputs: KitInputs): string {
  const f = inputs.facility;
  const lines = [
    `# Settings of the ClinicMaster CDC worker at ${f.name}.`,
    `# Use: cp .env.sample .env && docker compose up -d`,
    `# Values marked "Fixed by the stack file" are checked at start: the worker refuses to run if they differ`,
    `# from the configs in ./config (change them in facilities/Pulumi.${f.slug}.yaml and regenerate the kit).`,
    ``,
  ];
  for (const v of kitEnvVariables(inputs)) {
    lines.push(...v.doc.map((d) => `# ${d}`), `${v.name}=${envValue(v.value)}`, ``);
  }
  lines.push(
    `# DB_PASS and KAFKA_PASS of the original setup are NOT environment variables here: secrets in env vars`,
    `# leak through \`docker inspect\` and crash reports. Run \`sudo ./setup-secrets.sh\` once; it asks for both`,
    `# and writes them to ./${KIT_SECRETS_DIR}/${SECRET_FILES.databasePassword} and ./${KIT_SECRETS_DIR}/${SECRET_FILES.kafkaPassword}, mounted read-only.`,
    ``,
  );
  if (inputs.images.vpnEndpoint !== undefined) {
    lines.push(
      `# Docker Compose profiles: "vpn" also runs the strongSwan endpoint on this host (host network).`,
      f.vpnEndpoint ? `COMPOSE_PROFILES=vpn` : `# COMPOSE_PROFILES=vpn`,
      ``,
    );
  }
  return lines.join("\n");
}

/** Compose escapes `$` as `$$` in values that are not interpolated. */
const composeLiteral = (s: string) => s.replace(/\$/g, "$$$$");

/** Compose `logging` of a service: rotated json-file logs, so `docker logs` works and disks do not fill. */
function composeLogging(size: string, files: string) {
  return { driver: "json-file", options: { "max-size": size, "max-file": files } };
}

/** `docker-compose.yml` of the kit. */
export function renderCompose(inputs: KitInputs): string {
  const f = inputs.facility;
  const labels = containerLabels(f);
  const logging = composeLogging;
  const doc = {
    name: `clinicmaster-${f.slug}`,
    services: {
      connect: {
        image: "${CONNECT_IMAGE}",
        container_name: FACILITY_CONTAINER,
        entrypoint: ["/bin/bash", START_WORKER_IN_CONTAINER],
        restart: "unless-stopped",
        environment: {
          KAFKA_HEAP_OPTS: "${KAFKA_HEAP_OPTS}",
          FACILITY_NAME: "${FACILITY_NAME}",
          FACILITY_DHIS2_CODE: "${FACILITY_DHIS2_CODE}",
          DB_HOST: "${DB_HOST}",
          DB_PORT: "${DB_PORT}",
          DB_USER: "${DB_USER}",
          DB_NAME: "${DB_NAME}",
          KAFKA_BOOTSTRAP_SERVERS: "${KAFKA_BOOTSTRAP_SERVERS}",
          KAFKA_USER: "${KAFKA_USER}",
        },
        mem_limit: "${WORKER_MEMORY_LIMIT}",
        memswap_limit: "${WORKER_MEMORY_LIMIT}",
        privileged: false,
        cap_drop: ["ALL"],
        security_opt: ["no-new-privileges:true"],
        ports: [`127.0.0.1:${CONNECT_REST_PORT}:${CONNECT_REST_PORT}`],
        volumes: [
          { type: "volume", source: "state", target: CONTAINER_DATA_DIR },
          { type: "bind", source: "./config", target: CONTAINER_CONFIG_DIR, read_only: true },
          { type: "bind", source: `./${KIT_SECRETS_DIR}`, target: SECRETS_DIR, read_only: true },
        ],
        healthcheck: {
          test: ["CMD-SHELL", composeLiteral(healthcheckShell(f))],
          interval: HEALTHCHECK.interval,
          timeout: HEALTHCHECK.timeout,
          retries: HEALTHCHECK.retries,
          start_period: HEALTHCHECK.startPeriod,
        },
        labels,
        logging: logging("20m", "5"),
      },
      watchdog: {
        image: "${WATCHDOG_IMAGE}",
        container_name: WATCHDOG_CONTAINER,
        command: ["node", WATCHDOG_SCRIPT_PATH],
        network_mode: "service:connect",
        depends_on: ["connect"],
        environment: watchdogEnv(),
        user: "node",
        restart: "unless-stopped",
        mem_limit: `${WATCHDOG_MEMORY_MIB}m`,
        memswap_limit: `${WATCHDOG_MEMORY_MIB}m`,
        privileged: false,
        cap_drop: ["ALL"],
        security_opt: ["no-new-privileges:true"],
        volumes: [
          { type: "bind", source: `./${KIT_FILES.watchdog}`, target: WATCHDOG_SCRIPT_PATH, read_only: true },
        ],
        labels,
        logging: logging("10m", "3"),
      },
      ...(inputs.images.vpnEndpoint !== undefined ? { vpn: vpnService(labels) } : {}),
    },
    volumes: { state: { name: STATE_VOLUME } },
  };
  return `# ClinicMaster CDC at ${f.name} (${f.dhis2Code}). Generated by \`npm run kit -- ${f.slug}\`; settings live in .env.\n${toYaml(doc, { lineWidth: 0, aliasDuplicateObjects: false })}`;
}

/** The optional strongSwan endpoint service (Compose profile `vpn`). */
function vpnService(labels: Record<string, string>) {
  return {
    profiles: ["vpn"],
    image: "${VPN_IMAGE}",
    container_name: VPN_CONTAINER,
    entrypoint: ["/bin/sh", VPN_UP_SCRIPT_PATH],
    network_mode: "host",
    restart: "unless-stopped",
    mem_limit: `${VPN_MEMORY_MIB}m`,
    memswap_limit: `${VPN_MEMORY_MIB}m`,
    privileged: false,
    cap_drop: ["ALL"],
    cap_add: VPN_CAPABILITIES,
    security_opt: ["no-new-privileges:true"],
    volumes: [
      {
        type: "bind",
        source: `./${KIT_FILES.swanctl}`,
        target: SWANCTL_CONF_PATH,
        read_only: true,
      },
      { type: "bind", source: `./${KIT_FILES.vpnUp}`, target: VPN_UP_SCRIPT_PATH, read_only: true },
      {
        type: "bind",
        source: `./${KIT_VPN_SECRETS_DIR}/${SWANCTL_SECRETS_FILE.split("/").pop()}`,
        target: `${SWANCTL_DIR}/${SWANCTL_SECRETS_FILE}`,
        read_only: true,
      },
    ],
    labels,
    logging: composeLogging("10m", "3"),
  };
}

/**
 * Start script of the worker container. Identity values of `.env` must equal the kit's (they name the
 * facility's topics, Kafka user and ACLs); connection values (DB_HOST, DB_PORT, DB_USER,
 * KAFKA_BOOTSTRAP_SERVERS) are applied to the configs, so a moved server is an `.env` edit. Then the
 * standalone worker starts with the connector config as argument (registered at start).
 * `--render-only` stops after writing the effective configs (used by tests and for support).
 */
export function renderStartWorker(inputs: KitInputs): string {
  const f = inputs.facility;
  const slug = f.slug;
  return [
    `#!/usr/bin/env bash`,
    `# Starts the Kafka Connect worker of ${f.name} from the kit's configs and .env. Generated; do not edit.`,
    `set -euo pipefail`,
    `conf_dir="\${CLINICMASTER_CONFIG_DIR:-${CONTAINER_CONFIG_DIR}}"`,
    `run_dir="\${CLINICMASTER_RUN_DIR:-/tmp/clinicmaster}"`,
    `secrets_dir="\${CLINICMASTER_SECRETS_DIR:-${SECRETS_DIR}}"`,
    `state_dir="\${CLINICMASTER_STATE_DIR:-${stateDir(f)}}"`,
    `fail() { echo "clinicmaster: $*" >&2; exit 78; }`,
    ``,
    `# Identity is fixed by the stack file: it names this facility's topics, Kafka user and ACLs.`,
    `expect() {`,
    `  local actual="\${!1-}"`,
    `  [ "$actual" = "$2" ] || fail "$1 in .env is '$actual' but this kit is for '$2': fix .env, or change facilities/Pulumi.${slug}.yaml and regenerate the kit (npm run kit -- ${slug})"`,
    `}`,
    `expect FACILITY_NAME ${shellQuote(f.name)}`,
    `expect FACILITY_DHIS2_CODE ${shellQuote(f.dhis2Code)}`,
    `expect DB_NAME ${shellQuote(f.sqlServer.database)}`,
    `expect KAFKA_USER ${shellQuote(facilityPrincipal(f.dhis2Code))}`,
    ``,
    `# Connection values may change on site; they are checked, then applied to the configs below.`,
    `valid() { [[ "\${!1-}" =~ $2 ]] || fail "$1 in .env is '\${!1-}', which is not $3"; }`,
    `valid DB_HOST '^[A-Za-z0-9][A-Za-z0-9.-]*$' 'a host name or IPv4 address'`,
    `valid DB_PORT '^[0-9]{1,5}$' 'a TCP port'`,
    `valid DB_USER '^[A-Za-z0-9_.@-]+$' 'a SQL Server login name'`,
    `valid KAFKA_BOOTSTRAP_SERVERS '^[A-Za-z0-9.-]+:[0-9]+(,[A-Za-z0-9.-]+:[0-9]+)*$' 'a list host:9096,host:9096,…'`,
    ``,
    `for file in ${SECRET_FILES.kafkaPassword} ${SECRET_FILES.databasePassword}; do`,
    `  [ -s "$secrets_dir/$file" ] || fail "secret file $file is missing or empty: run sudo ./setup-secrets.sh in the kit folder"`,
    `done`,
    ``,
    `mkdir -p "$run_dir" "$state_dir"`,
    `while IFS= read -r line || [ -n "$line" ]; do`,
    `  case "$line" in`,
    `    bootstrap.servers=*) printf '%s\\n' "bootstrap.servers=$KAFKA_BOOTSTRAP_SERVERS" ;;`,
    `    *) printf '%s\\n' "$line" ;;`,
    `  esac`,
    `done <"$conf_dir/${CONFIG_FILES.worker}" >"$run_dir/${CONFIG_FILES.worker}"`,
    ``,
    `json_value() {`,
    `  local indent="\${1%%\\"*}" comma=""`,
    `  [[ "$1" == *, ]] && comma=","`,
    `  printf '%s"%s": "%s"%s\\n' "$indent" "$2" "$3" "$comma"`,
    `}`,
    `while IFS= read -r line || [ -n "$line" ]; do`,
    `  case "$line" in`,
    `    *'"database.hostname": '*) json_value "$line" database.hostname "$DB_HOST" ;;`,
    `    *'"database.port": '*) json_value "$line" database.port "$DB_PORT" ;;`,
    `    *'"database.user": '*) json_value "$line" database.user "$DB_USER" ;;`,
    `    *) printf '%s\\n' "$line" ;;`,
    `  esac`,
    `done <"$conf_dir/${CONFIG_FILES.connector}" >"$run_dir/${CONFIG_FILES.connector}"`,
    ``,
    `if [ "\${1-}" = "--render-only" ]; then exit 0; fi`,
    `exec ${CONNECT_STANDALONE} "$run_dir/${CONFIG_FILES.worker}" "$run_dir/${CONFIG_FILES.connector}"`,
    ``,
  ].join("\n");
}

/** `setup-secrets.sh`: asks for the secrets and writes them as files the containers can read, nothing else can. */
export function renderSetupSecrets(inputs: KitInputs): string {
  const f = inputs.facility;
  const principal = facilityPrincipal(f.dhis2Code);
  const pskText = renderSwanctlSecrets(inputs.tunnel, ["$psk1", "$psk2"]);
  return [
    `#!/usr/bin/env bash`,
    `# Writes the secrets of ${f.name}'s CDC worker into ./${KIT_SECRETS_DIR}/ (and the VPN keys into ./${KIT_VPN_SECRETS_DIR}/).`,
    `# Run once, and again after a password change: sudo ./setup-secrets.sh`,
    `# Nothing is echoed, logged or put in an environment variable; each value is one file, no newline.`,
    `set -euo pipefail`,
    `cd "$(dirname "$0")"`,
    `[ "$(id -u)" = 0 ] || { echo "run with sudo: the files are handed to the container users" >&2; exit 1; }`,
    `umask 077`,
    `# Prints the value typed (not echoed) on stdout; the prompt goes to stderr.`,
    `ask() {`,
    `  local value`,
    `  IFS= read -r -s -p "$1: " value`,
    `  echo >&2`,
    `  [ -n "$value" ] || { echo "empty value: nothing written" >&2; return 1; }`,
    `  printf '%s' "$value"`,
    `}`,
    `db_pass=$(ask "DB_PASS - password of SQL Server login ${f.sqlServer.user}")`,
    `kafka_pass=$(ask "KAFKA_PASS - Kafka password of ${principal} (operator: pulumi stack output --show-secrets kafkaPassword -s ${f.slug})")`,
    `mkdir -p ${KIT_SECRETS_DIR}`,
    `printf '%s' "$db_pass" >${KIT_SECRETS_DIR}/${SECRET_FILES.databasePassword}`,
    `printf '%s' "$kafka_pass" >${KIT_SECRETS_DIR}/${SECRET_FILES.kafkaPassword}`,
    `# The worker runs as uid ${CONNECT_UID} (user kafka of the Connect image) and must list and read this folder.`,
    `chown -R ${CONNECT_UID}:${CONNECT_UID} ${KIT_SECRETS_DIR}`,
    `chmod 0500 ${KIT_SECRETS_DIR}`,
    `chmod 0400 ${KIT_SECRETS_DIR}/*`,
    `echo "wrote ./${KIT_SECRETS_DIR}/${SECRET_FILES.databasePassword} and ./${KIT_SECRETS_DIR}/${SECRET_FILES.kafkaPassword}"`,
    ``,
    `env_file=.env`,
    `[ -f "$env_file" ] || env_file=.env.sample`,
    `if [ "\${1-}" = "--vpn" ] || grep -q '^COMPOSE_PROFILES=.*vpn' "$env_file"; then`,
    `  psk1=$(ask "Pre-shared key of tunnel 1 (operator: pulumi stack output --show-secrets tunnelPresharedKeys -s ${f.slug})")`,
    `  psk2=$(ask "Pre-shared key of tunnel 2")`,
    `  for k in "$psk1" "$psk2"; do`,
    `    [[ "$k" =~ ^[A-Za-z0-9._]{8,64}$ && "$k" != 0* ]] || { echo "not an AWS pre-shared key (8-64 of A-Z a-z 0-9 . _)" >&2; exit 1; }`,
    `  done`,
    `  mkdir -p ${KIT_VPN_SECRETS_DIR}`,
    `  cat >${KIT_VPN_SECRETS_DIR}/${SWANCTL_SECRETS_FILE.split("/").pop()} <<EOF`,
    pskText.trimEnd(),
    `EOF`,
    `  chown -R 0:0 ${KIT_VPN_SECRETS_DIR}`,
    `  chmod 0700 ${KIT_VPN_SECRETS_DIR}`,
    `  chmod 0400 ${KIT_VPN_SECRETS_DIR}/*`,
    `  echo "wrote ./${KIT_VPN_SECRETS_DIR}/${SWANCTL_SECRETS_FILE.split("/").pop()}"`,
    `fi`,
    ``,
  ].join("\n");
}

/** README for the technician. */
export function renderKitReadme(inputs: KitInputs): string {
  const f = inputs.facility;
  const connector = sourceConnectorName(f.dhis2Code);
  const tables =
    f.tables.length > 0 ? f.tables.map((t) => `\`dbo.${t}\``).join(", ") : "every table in `dbo`";
  return [
    `# ClinicMaster CDC kit — ${f.name} (${f.dhis2Code})`,
    ``,
    `This folder runs the facility's change data capture: Kafka Connect with the Debezium SQL Server`,
    `connector reads every committed change of ${tables} in \`${f.sqlServer.database}\` and sends it`,
    `through the VPN tunnel to the central Kafka cluster. It holds no password: you type them into`,
    `\`setup-secrets.sh\`.`,
    ``,
    `## What you need`,
    ``,
    `- A Linux host on the facility LAN with Docker Engine and Docker Compose v2 (\`docker compose version\`),`,
    `  1 GB of free memory, and a route to SQL Server at ${f.sqlServer.host}:${f.sqlServer.port}.`,
    `- From the operator: the Kafka password of \`${facilityPrincipal(f.dhis2Code)}\` and, if this host runs the`,
    `  VPN endpoint, the two tunnel pre-shared keys.`,
    `- A SQL Server sysadmin login for step 1.`,
    ``,
    `## 1. Prepare SQL Server (once)`,
    ``,
    `\`prepare-sqlserver.sql\` checks that SQL Server Agent runs, creates the \`${f.sqlServer.user}\` login, enables`,
    `CDC on the database and on each captured table, and sets CDC retention to 7 days. Retention must`,
    `outlast the longest outage you expect (power, uplink, this host): changes older than that are`,
    `deleted before they are sent, and the warehouse then needs a re-snapshot. Raise it in the script if`,
    `outages can be longer.`,
    ``,
    "```sh",
    `sqlcmd -S ${f.sqlServer.host},${f.sqlServer.port} -U sa -b -i prepare-sqlserver.sql -v ${PASSWORD_VARIABLE}="<password for ${f.sqlServer.user}>"`,
    "```",
    ``,
    `## 2. Secrets (once, and after a password change)`,
    ``,
    "```sh",
    `sudo ./setup-secrets.sh   # also asks for the tunnel keys when .env (or .env.sample) enables the vpn profile`,
    "```",
    ``,
    `## 3. Start`,
    ``,
    "```sh",
    `cp .env.sample .env`,
    `# Edit .env only if something changed on site (e.g. DB_HOST); every variable is documented there.`,
    `docker compose up -d`,
    "```",
    ``,
    f.vpnEndpoint
      ? `\`.env.sample\` enables the \`vpn\` profile: the strongSwan endpoint (\`${VPN_CONTAINER}\`) runs on this host and keeps both tunnels up.`
      : inputs.images.vpnEndpoint !== undefined
        ? `The tunnel is terminated by the facility router (configure it from \`vpn/swanctl.conf\`), or set \`COMPOSE_PROFILES=vpn\` in .env to run the strongSwan endpoint on this host.`
        : `The tunnel is terminated by the facility router: configure both tunnels from \`vpn/swanctl.conf\` (IKEv2, AES-256, SHA-2, DH 14 or higher).`,
    ``,
    `## 4. Verify`,
    ``,
    "```sh",
    `curl -s ${statusUrl(f)}`,
    "```",
    ``,
    `Healthy looks like this — the connector and its task are \`RUNNING\`:`,
    ``,
    "```json",
    `{"name":"${connector}","connector":{"state":"RUNNING","worker_id":"172.18.0.2:${CONNECT_REST_PORT}"},"tasks":[{"id":0,"state":"RUNNING","worker_id":"172.18.0.2:${CONNECT_REST_PORT}"}],"type":"source"}`,
    "```",
    ``,
    `(\`worker_id\` is the container's address and differs.) Not healthy: \`FAILED\` anywhere, or \`curl\``,
    `failing (the worker is down or still starting).`,
    ``,
    `\`docker ps\` shows \`${FACILITY_CONTAINER}\` as \`(healthy)\` a few minutes after start (the first snapshot of a`,
    `large database takes longer; the task is \`RUNNING\` meanwhile).`,
    ``,
    `## Troubleshooting`,
    ``,
    `- Connector logs: \`docker logs ${FACILITY_CONTAINER}\` (add \`--since 10m\` for recent lines).`,
    `- Connectors on this worker: \`curl http://localhost:${CONNECT_REST_PORT}/connectors\` — exactly \`["${connector}"]\`.`,
    `- A task in \`FAILED\` state: the watchdog restarts it with back-off; see \`docker logs ${WATCHDOG_CONTAINER}\`. The`,
    `  \`trace\` field of the status shows the cause.`,
    `- \`clinicmaster: … in .env is …\` at start: .env disagrees with this kit; the message says which value.`,
    `- \`secret file … is missing\`: run \`sudo ./setup-secrets.sh\`.`,
    `- Login failed for \`${f.sqlServer.user}\`: the password in \`./${KIT_SECRETS_DIR}/${SECRET_FILES.databasePassword}\` differs from SQL Server's; run setup again.`,
    `- No route to the brokers: check the tunnel (\`docker logs ${VPN_CONTAINER}\` or the router) and firewall rules.`,
    `- Dead letter queue: failed records of the central sink are kept in the \`sink-dlq\` topic (operators).`,
    ``,
    `## Files`,
    ``,
    `| file | what |`,
    `|---|---|`,
    `| \`docker-compose.yml\` | the worker \`${FACILITY_CONTAINER}\`, the watchdog, the optional VPN endpoint |`,
    `| \`.env.sample\` | settings, documented |`,
    `| \`config/worker.properties\`, \`config/connector.json\` | Kafka Connect worker and Debezium connector (generated) |`,
    `| \`config/start-worker.sh\` | checks .env, applies connection values, starts the worker |`,
    `| \`watchdog/watchdog.js\` | restarts failed connectors and tasks |`,
    `| \`vpn/swanctl.conf\`, \`vpn/clinicmaster-vpn-up.sh\` | strongSwan configuration of both tunnels (route-based, IKEv2) |`,
    `| \`prepare-sqlserver.sql\` | SQL Server preparation |`,
    `| \`setup-secrets.sh\` | writes the secrets as read-only files |`,
    ``,
  ].join("\n");
}

/** The whole kit: relative path → file. */
export function generateKit(inputs: KitInputs): Record<string, KitFile> {
  const f = inputs.facility;
  if (f.vpnEndpoint && inputs.images.vpnEndpoint === undefined) {
    throw new Error(
      `facility \`${f.slug}\`: facility:vpnEndpoint is true but the platform registry has no strongSwan image; add it to the platform registry or set facility:vpnEndpoint false`,
    );
  }
  const connect = facilityConnectFiles(f, inputs.bootstrapServers);
  const text = (content: string): KitFile => ({ content, mode: 0o644 });
  const script = (content: string): KitFile => ({ content, mode: 0o755 });
  return {
    [KIT_FILES.compose]: text(renderCompose(inputs)),
    [KIT_FILES.env]: text(renderEnvSample(inputs)),
    [KIT_FILES.worker]: text(connect.workerProperties),
    [KIT_FILES.connector]: text(connect.connectorJson),
    [KIT_FILES.startWorker]: script(renderStartWorker(inputs)),
    [KIT_FILES.watchdog]: text(watchdogScript()),
    [KIT_FILES.swanctl]: text(renderSwanctlConf(inputs.tunnel)),
    [KIT_FILES.vpnUp]: script(renderVpnUpScript(inputs.tunnel, f.sqlServer.host)),
    [KIT_FILES.setupSecrets]: script(renderSetupSecrets(inputs)),
    [KIT_FILES.sql]: text(prepareSqlServerSql(f)),
    [KIT_FILES.readme]: text(renderKitReadme(inputs)),
  };
}
