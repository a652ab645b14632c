import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { FacilityConfig } from "../config/facility";
import { CONNECT_REST_PORT, FACILITY_CONTAINER } from "../connect";
import { watchdogScript } from "../watchdog";
import { SWANCTL_SECRETS_FILE, renderVpnUpScript, type TunnelEndpoints } from "./ipsec";
import type { FacilityImages } from "./platform";
import {
  CONNECT_UID,
  CONTAINER_DATA_DIR,
  HEALTHCHECK,
  STATE_VOLUME,
  VPN_CAPABILITIES,
  SWANCTL_CONF_PATH,
  SWANCTL_DIR,
  VPN_CONTAINER,
  VPN_UP_SCRIPT_PATH,
  VPN_MEMORY_MIB,
  WATCHDOG_CONTAINER,
  WATCHDOG_MEMORY_MIB,
  WATCHDOG_SCRIPT_PATH,
  configPaths,
  containerLabels,
  facilityConnectFiles,
  healthcheckShell,
  heapOpts,
  secretPaths,
  statusUrl,
  watchdogEnv,
  workerCommand,
} from "./runtime";

/** Arguments of ConnectHost. */
export interface ConnectHostArgs {
  /** The facility (validated stack config). */
  facility: FacilityConfig;
  /** Images pinned by digest (Connect, watchdog, VPN endpoint). */
  images: pulumi.Input<FacilityImages>;
  /** MSK SASL/SCRAM bootstrap brokers. */
  bootstrapServers: pulumi.Input<string>;
  /** SCRAM password of the facility principal (secret). */
  kafkaPassword: pulumi.Input<string>;
  /** SQL Server password of the Debezium login (secret). */
  sqlServerPassword: pulumi.Input<string>;
  /** Tunnel endpoints and configs; required when facility.vpnEndpoint is set. */
  vpn?: {
    endpoints: pulumi.Input<TunnelEndpoints>;
    swanctlConf: pulumi.Input<string>;
    /** strongSwan secrets fragment (secret). */
    swanctlSecrets: pulumi.Input<string>;
  };
}

const dropAll = { drops: ["ALL"] };
const noNewPrivileges = ["no-new-privileges:true"];

/**
 * Kafka Connect on the facility's Docker host, reached over SSH: the Connect image pinned by digest, a
 * persistent volume for offsets and schema history, the standalone worker with the connect configs and
 * the source connector registered at start, the watchdog sidecar, and optionally the strongSwan
 * endpoint.
 *
 * Secret files travel as container uploads: the provider copies them through the SSH-tunnelled Docker
 * API straight into the container (mode 0400, owned by the worker's uid), so they never touch the
 * host's disk, an env var, a label or the connector JSON, and Pulumi keeps them as secrets. Docker
 * secrets would need swarm services; bind mounts would need the files on the host first.
 */
export class ConnectHost extends pulumi.ComponentResource {
  /** The Docker provider bound to the facility host. */
  public readonly provider: docker.Provider;
  /** The Kafka Connect container (`clinicmasterwarehouse`). */
  public readonly worker: docker.Container;
  /** The watchdog sidecar. */
  public readonly watchdog: docker.Container;
  /** The strongSwan endpoint, when facility.vpnEndpoint is set. */
  public readonly vpn?: docker.Container;
  /** The state volume. */
  public readonly volume: docker.Volume;
  /** Status URL of the connector on the facility host. */
  public readonly statusUrl: string;

  constructor(name: string, args: ConnectHostArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("clinicmaster:facility:ConnectHost", name, {}, opts);
    const f = args.facility;
    if (f.dockerHost === undefined) {
      throw new Error(`facility \`${f.slug}\`: ConnectHost needs facility:dockerHost (ssh://user@host)`);
    }
    if (f.vpnEndpoint && args.vpn === undefined) {
      throw new Error(
        `facility \`${f.slug}\`: facility:vpnEndpoint is true but no tunnel was given to ConnectHost`,
      );
    }

    this.provider = new docker.Provider(`${name}-docker`, { host: f.dockerHost }, { parent: this });
    const child = { parent: this, provider: this.provider };
    const labels = labelsOf(f);

    const images = pulumi.output(args.images);
    const connectImage = new docker.RemoteImage(
      `${name}-connect-image`,
      // keepLocally: a site with a slow uplink keeps the old image if a replacement fails half-way.
      { name: images.connect, keepLocally: true },
      child,
    );
    const watchdogImage = new docker.RemoteImage(
      `${name}-watchdog-image`,
      { name: images.watchdog, keepLocally: true },
      child,
    );
    this.volume = new docker.Volume(`${name}-state`, { name: STATE_VOLUME, labels }, child);

    const files = pulumi.output(args.bootstrapServers).apply((b) => facilityConnectFiles(f, b));
    this.worker = new docker.Container(
      `${name}-worker`,
      workerContainerArgs(f, {
        image: connectImage.imageId,
        volumeName: this.volume.name,
        workerProperties: files.workerProperties,
        connectorJson: files.connectorJson,
        kafkaPassword: args.kafkaPassword,
        sqlServerPassword: args.sqlServerPassword,
      }),
      child,
    );
    this.watchdog = new docker.Container(
      `${name}-watchdog`,
      watchdogContainerArgs(f, watchdogImage.imageId, this.worker.id),
      child,
    );

    if (f.vpnEndpoint && args.vpn) {
      const vpnImageName = images.apply((i) => {
        if (i.vpnEndpoint === undefined) {
          throw new Error(
            `facility \`${f.slug}\`: facility:vpnEndpoint is true but the platform registry has no strongSwan repository; add it to the platform registry or set facility:vpnEndpoint false`,
          );
        }
        return i.vpnEndpoint;
      });
      const vpnImage = new docker.RemoteImage(
        `${name}-vpn-image`,
        { name: vpnImageName, keepLocally: true },
        child,
      );
      this.vpn = new docker.Container(`${name}-vpn`, vpnContainerArgs(f, vpnImage.imageId, args.vpn), child);
    }

    this.statusUrl = statusUrl(f);
    this.registerOutputs({
      workerId: this.worker.id,
      watchdogId: this.watchdog.id,
      statusUrl: this.statusUrl,
    });
  }
}

const logging = (maxSize: string, maxFile: string) => ({
  logDriver: "json-file",
  logOpts: { "max-size": maxSize, "max-file": maxFile },
});
const labelsOf = (f: FacilityConfig) =>
  Object.entries(containerLabels(f)).map(([label, value]) => ({ label, value }));

/** What the worker container is built from besides the facility. */
interface WorkerInputs {
  image: pulumi.Input<string>;
  volumeName: pulumi.Input<string>;
  workerProperties: pulumi.Input<string>;
  connectorJson: pulumi.Input<string>;
  kafkaPassword: pulumi.Input<string>;
  sqlServerPassword: pulumi.Input<string>;
}

/** The Kafka Connect container: standalone worker, state volume, configs and secret files. */
function workerContainerArgs(f: FacilityConfig, w: WorkerInputs): docker.ContainerArgs {
  const cfg = configPaths();
  const sec = secretPaths();
  const secretUpload = (file: string, content: pulumi.Input<string>) => ({
    file,
    content: pulumi.secret(content),
    owner: CONNECT_UID,
    group: CONNECT_UID,
    permissions: "0400",
  });
  return {
    name: FACILITY_CONTAINER,
    image: w.image,
    entrypoints: workerCommand(f),
    restart: "unless-stopped",
    memory: f.worker.memoryLimitMiB,
    // No swap: a swapping JVM stalls the connector instead of failing visibly.
    memorySwap: f.worker.memoryLimitMiB,
    envs: [`KAFKA_HEAP_OPTS=${heapOpts(f)}`],
    labels: labelsOf(f),
    privileged: false,
    capabilities: dropAll,
    securityOpts: noNewPrivileges,
    // The REST API can create connectors: reachable from the host only, never from the LAN.
    ports: [{ internal: CONNECT_REST_PORT, external: CONNECT_REST_PORT, ip: "127.0.0.1" }],
    volumes: [{ volumeName: w.volumeName, containerPath: CONTAINER_DATA_DIR, readOnly: false }],
    uploads: [
      { file: cfg.worker, content: w.workerProperties, permissions: "0444" },
      { file: cfg.connector, content: w.connectorJson, permissions: "0444" },
      secretUpload(sec.kafkaPassword, w.kafkaPassword),
      secretUpload(sec.databasePassword, w.sqlServerPassword),
    ],
    healthcheck: {
      tests: ["CMD-SHELL", healthcheckShell(f)],
      interval: HEALTHCHECK.interval,
      timeout: HEALTHCHECK.timeout,
      retries: HEALTHCHECK.retries,
      startPeriod: HEALTHCHECK.startPeriod,
    },
    ...logging("20m", "5"),
  };
}

/** The watchdog sidecar: in the worker's network namespace, it reaches the REST API on localhost. */
function watchdogContainerArgs(
  f: FacilityConfig,
  image: pulumi.Input<string>,
  workerId: pulumi.Input<string>,
): docker.ContainerArgs {
  return {
    name: WATCHDOG_CONTAINER,
    image,
    command: ["node", WATCHDOG_SCRIPT_PATH],
    networkMode: pulumi.interpolate`container:${workerId}`,
    envs: Object.entries(watchdogEnv()).map(([k, v]) => `${k}=${v}`),
    labels: labelsOf(f),
    user: "node",
    restart: "unless-stopped",
    memory: WATCHDOG_MEMORY_MIB,
    memorySwap: WATCHDOG_MEMORY_MIB,
    privileged: false,
    capabilities: dropAll,
    securityOpts: noNewPrivileges,
    uploads: [{ file: WATCHDOG_SCRIPT_PATH, content: watchdogScript(), permissions: "0444" }],
    ...logging("10m", "3"),
  };
}

/** The strongSwan endpoint: host network (XFRM interfaces and routes live there), minimal capabilities. */
function vpnContainerArgs(
  f: FacilityConfig,
  image: pulumi.Input<string>,
  vpn: NonNullable<ConnectHostArgs["vpn"]>,
): docker.ContainerArgs {
  return {
    name: VPN_CONTAINER,
    image,
    entrypoints: ["/bin/sh", VPN_UP_SCRIPT_PATH],
    networkMode: "host",
    restart: "unless-stopped",
    memory: VPN_MEMORY_MIB,
    memorySwap: VPN_MEMORY_MIB,
    labels: labelsOf(f),
    privileged: false,
    capabilities: { adds: VPN_CAPABILITIES, drops: ["ALL"] },
    securityOpts: noNewPrivileges,
    uploads: [
      { file: SWANCTL_CONF_PATH, content: vpn.swanctlConf, permissions: "0444" },
      {
        file: VPN_UP_SCRIPT_PATH,
        content: pulumi.output(vpn.endpoints).apply((ep) => renderVpnUpScript(ep, f.sqlServer.host)),
        permissions: "0555",
      },
      {
        file: `${SWANCTL_DIR}/${SWANCTL_SECRETS_FILE}`,
        content: pulumi.secret(vpn.swanctlSecrets),
        permissions: "0400",
      },
    ],
    ...logging("10m", "3"),
  };
}
