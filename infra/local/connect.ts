import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "fs";
import { request } from "http";
import { dirname, join } from "path";
import { renderProperties } from "../connect/properties";
import type { ConnectorDefinition } from "../connect/source";
import type { Artifacts } from "./artifacts";
import { startJava } from "./java";
import { freePort, waitFor, type ManagedProcess } from "./proc";
import type { Workspace } from "./workspace";

/** Options of {@link startConnectWorker}. */
export interface ConnectWorkerOptions {
  ws: Workspace;
  artifacts: Artifacts;
  /** Process name, e.g. `connect-kayunga` or `connect-sink` (log `<name>.log`). */
  name: string;
  /** Standalone (a facility: offsets in a file) or distributed (the central sink). */
  mode: "standalone" | "distributed";
  /**
   * Worker properties as `infra/connect/worker.ts` builds them. The harness sets `listeners`,
   * `rest.advertised.*` (a free loopback port) and `plugin.path` (the fetched plugins).
   */
  properties: Record<string, string>;
  /** Standalone only: connectors started with the worker (written as JSON files). */
  connectors?: ConnectorDefinition[];
  /** @default 384m standalone, 512m distributed */
  heap?: string;
  /** Fixed REST port. @default a free one */
  restPort?: number;
  /** @default 120 s */
  startTimeoutMs?: number;
  /**
   * Return the worker, stopped, when it exits by itself during start-up instead of throwing (standalone
   * Connect stops when a connector file fails validation, e.g. a wrong database password). @default false
   */
  mayExitOnStart?: boolean;
}

/** State of a connector or task. */
export type ConnectState = "UNASSIGNED" | "RUNNING" | "PAUSED" | "FAILED" | "RESTARTING" | "STOPPED";

/** `GET /connectors/<name>/status`. */
export interface ConnectorStatus {
  name: string;
  connector: { state: ConnectState; worker_id: string; trace?: string };
  tasks: { id: number; state: ConnectState; worker_id: string; trace?: string }[];
  type?: "source" | "sink";
}

/** One entry of `PUT /connector-plugins/<class>/config/validate`. */
export interface ValidatedConfig {
  definition: { name: string };
  value: { name: string; value: string | null; errors: string[] };
}

/** `PUT /connector-plugins/<class>/config/validate`. */
export interface ValidationResult {
  name: string;
  error_count: number;
  configs: ValidatedConfig[];
}

/** Error from the REST API with its status and body. */
export class ConnectRestError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(message);
  }
}

/** A Kafka Connect worker process with its REST API on 127.0.0.1. */
export class ConnectWorker {
  readonly restUrl: string;
  readonly propertiesFile: string;
  process?: ManagedProcess;

  constructor(
    private readonly options: Required<
      Omit<ConnectWorkerOptions, "connectors" | "restPort" | "mayExitOnStart">
    >,
    readonly restPort: number,
    private readonly connectorFiles: string[],
  ) {
    this.restUrl = `http://127.0.0.1:${restPort}`;
    this.propertiesFile = join(options.ws.dir("connect", options.name), "worker.properties");
    writeFileSync(
      this.propertiesFile,
      renderProperties({
        ...options.properties,
        listeners: this.restUrl,
        "rest.advertised.host.name": "127.0.0.1",
        "rest.advertised.port": String(restPort),
        "rest.advertised.listener": "http",
        "plugin.path": options.artifacts.pluginPath,
        // Every fetched plugin ships ServiceLoader manifests; reflective scanning (the default,
        // hybrid_warn) costs ~25 s per start on two cores.
        "plugin.discovery": options.properties["plugin.discovery"] ?? "service_load",
      }),
      { mode: 0o600 },
    );
  }

  /** Worker name (also its log file's name). */
  get name(): string {
    return this.options.name;
  }

  /** Log file of the worker. */
  get logFile(): string {
    return this.options.ws.logFile(this.options.name);
  }

  /** Starts the worker (again, after a stop or kill) and waits until its REST API answers. */
  async start(timeoutMs = this.options.startTimeoutMs): Promise<void> {
    if (this.process?.running) return;
    const distributed = this.options.mode === "distributed";
    const offset = existsSync(this.logFile) ? statSync(this.logFile).size : 0;
    this.process = startJava(this.options.ws, {
      name: this.options.name,
      mainClass: distributed
        ? "org.apache.kafka.connect.cli.ConnectDistributed"
        : "org.apache.kafka.connect.cli.ConnectStandalone",
      args: [this.propertiesFile, ...this.connectorFiles],
      classpath: this.options.artifacts.kafkaClasspath,
      heap: this.options.heap,
      // Stop before Kafka, so the final offset commit reaches it.
      stopTier: 0,
    });
    const proc = this.process;
    await waitFor(
      `Kafka Connect worker ${this.name} to serve REST on ${this.restUrl} (log ${this.logFile})`,
      async () => {
        // The REST server answers before the herder is ready; the log line marks the real start.
        if (!/Kafka Connect started/.test(readFileSync(this.logFile, "utf8").slice(offset))) return false;
        await this.rest("GET", "/");
        return true;
      },
      { timeoutMs, process: proc, intervalMs: 300 },
    );
  }

  /** Graceful stop. */
  async stop(): Promise<void> {
    await this.process?.stop(30_000);
  }

  /** `kill -9`, as a crash. */
  async kill9(): Promise<void> {
    await this.process?.kill9();
  }

  /** Calls the REST API (bounded by `timeoutMs`); returns parsed JSON, or undefined for an empty body. */
  async rest<T = unknown>(method: string, path: string, body?: unknown, timeoutMs = 30_000): Promise<T> {
    const { status, text } = await httpRequest(this.restPort, method, path, body, timeoutMs);
    if (status < 200 || status >= 300) {
      throw new ConnectRestError(`${method} ${path} on ${this.name}: HTTP ${status} ${text}`, status, text);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** Connector plugin classes the worker loaded. */
  async plugins(): Promise<{ class: string; type: string; version: string }[]> {
    return this.rest("GET", "/connector-plugins?connectorsOnly=false");
  }

  /** Connector names. */
  async connectors(): Promise<string[]> {
    return this.rest("GET", "/connectors");
  }

  /** Status of a connector and its tasks. */
  async status(name: string): Promise<ConnectorStatus> {
    return this.rest("GET", `/connectors/${encodeURIComponent(name)}/status`);
  }

  /** Creates or updates a connector. */
  async putConnector(name: string, config: Record<string, string>): Promise<void> {
    assertLoopback(`connector ${name}`, config);
    await this.rest("PUT", `/connectors/${encodeURIComponent(name)}/config`, config);
  }

  /** Deletes a connector. */
  async deleteConnector(name: string): Promise<void> {
    await this.rest("DELETE", `/connectors/${encodeURIComponent(name)}`);
  }

  /** Restarts a connector and, by default, its failed tasks (KIP-745). */
  async restart(name: string, opts: { includeTasks?: boolean; onlyFailed?: boolean } = {}): Promise<void> {
    const q = `includeTasks=${opts.includeTasks ?? true}&onlyFailed=${opts.onlyFailed ?? true}`;
    await this.rest("POST", `/connectors/${encodeURIComponent(name)}/restart?${q}`);
  }

  /**
   * Validates a config against a plugin (`connector.class` and, if missing, `name` are added).
   * Debezium's validation also
   * tries to connect to the database, and the SQL Server driver keeps retrying a refused connection
   * until its login timeout, so the default bound here is generous.
   */
  async validate(
    pluginClass: string,
    config: Record<string, string>,
    timeoutMs = 120_000,
  ): Promise<ValidationResult> {
    assertLoopback(`validating ${pluginClass}`, config);
    const shortName = pluginClass.split(".").pop() ?? pluginClass;
    return this.rest(
      "PUT",
      `/connector-plugins/${encodeURIComponent(shortName)}/config/validate`,
      { name: `validate-${shortName}`, ...config, "connector.class": pluginClass },
      timeoutMs,
    );
  }

  /**
   * Waits until the connector and at least `tasks` tasks are RUNNING. Fails at once with the trace
   * if the connector or a task is FAILED, unless `allowFailed`.
   */
  async waitForRunning(
    name: string,
    opts: { tasks?: number; timeoutMs?: number; allowFailed?: boolean } = {},
  ): Promise<ConnectorStatus> {
    const tasks = opts.tasks ?? 1;
    let last: ConnectorStatus | undefined;
    return waitFor(
      `connector ${name} and ${tasks} task(s) RUNNING on ${this.name}`,
      async () => {
        last = await this.status(name);
        const failed = [last.connector, ...last.tasks].find((s) => s.state === "FAILED");
        if (failed && !opts.allowFailed) {
          throw new FailedConnectorError(
            `connector ${name} on ${this.name} FAILED: ${(failed.trace ?? "").split("\n").slice(0, 5).join("\n")}`,
          );
        }
        const running = last.tasks.filter((t) => t.state === "RUNNING").length;
        return last.connector.state === "RUNNING" && running >= tasks ? last : false;
      },
      { timeoutMs: opts.timeoutMs ?? 120_000, process: this.process, intervalMs: 500 },
    ).catch((err: unknown) => {
      if (err instanceof FailedConnectorError) throw err;
      const state = last ? ` (last status: ${JSON.stringify(summarize(last))})` : "";
      throw new Error(`${(err as Error).message}${state}`);
    });
  }
}

/**
 * One HTTP request to 127.0.0.1 without keep-alive (a pooled socket would keep a test process alive
 * after the worker is gone).
 */
function httpRequest(
  port: number,
  method: string,
  path: string,
  body: unknown,
  timeoutMs: number,
): Promise<{ status: number; text: string }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        method,
        path,
        agent: false,
        timeout: timeoutMs,
        headers: {
          Accept: "application/json",
          Connection: "close",
          ...(payload === undefined
            ? {}
            : { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(payload) }),
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () =>
      req.destroy(new Error(`timed out after ${timeoutMs / 1000}s waiting for ${method} ${path}`)),
    );
    req.on("error", reject);
    req.end(payload);
  });
}

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|::1|\[::1\])$/i;

/**
 * Hosts named by a config (`*hostname`, `*.url`, `*bootstrap.servers`) that are not loopback. The
 * loopback data plane must never make a connector dial out: the seed facilities' SQL Server hosts
 * are LAN addresses, so a config taken as-is would try to reach them.
 */
export function nonLoopbackHosts(config: Record<string, string>): string[] {
  const bad: string[] = [];
  for (const [key, value] of Object.entries(config)) {
    let hosts: string[] = [];
    if (/hostname$/.test(key)) hosts = [value];
    else if (/bootstrap\.servers$/.test(key))
      hosts = value.split(",").map((h) => h.trim().replace(/:\d+$/, ""));
    else if (/(^|\.)url$/.test(key)) {
      const m = /^jdbc:[a-z]+:\/\/(\[[^\]]+\]|[^:/;?]+)/i.exec(value);
      if (m) hosts = [m[1]];
    }
    for (const h of hosts) if (h && !h.includes("${") && !LOOPBACK.test(h)) bad.push(`${key}=${h}`);
  }
  return bad;
}

function assertLoopback(what: string, config: Record<string, string>): void {
  const bad = nonLoopbackHosts(config);
  if (bad.length > 0) {
    throw new Error(
      `refusing ${what}: ${bad.join(", ")} is not a loopback address; the loopback data plane talks to 127.0.0.1 only — override the host (e.g. the stand-in database's) before handing the config over`,
    );
  }
}

/** A connector or task reached FAILED while we waited for RUNNING. */
export class FailedConnectorError extends Error {}

function summarize(s: ConnectorStatus): object {
  return { connector: s.connector.state, tasks: s.tasks.map((t) => `${t.id}:${t.state}`) };
}

/** Writes the worker config (and standalone connector files), starts the worker and waits for REST. */
export async function startConnectWorker(options: ConnectWorkerOptions): Promise<ConnectWorker> {
  const opts = {
    heap: options.mode === "distributed" ? "512m" : "384m",
    startTimeoutMs: 120_000,
    ...options,
  };
  if (opts.mode === "distributed" && opts.connectors?.length) {
    throw new Error(
      `${opts.name}: a distributed worker takes connectors over REST (putConnector), not as files`,
    );
  }
  assertLoopback(`worker ${opts.name}`, opts.properties);
  for (const c of opts.connectors ?? []) assertLoopback(`connector ${c.name}`, c.config);
  const offsets = opts.properties["offset.storage.file.filename"];
  // Kafka Connect's FileOffsetBackingStore does not create parent directories: without this every
  // offset flush fails (NoSuchFileException) and a restart re-reads from the start.
  if (opts.mode === "standalone" && offsets) mkdirSync(dirname(offsets), { recursive: true, mode: 0o700 });
  const dir = opts.ws.dir("connect", opts.name);
  const files = (opts.connectors ?? []).map((c) => {
    const file = join(dir, `${c.name}.json`);
    writeFileSync(file, `${JSON.stringify({ name: c.name, config: c.config }, null, 2)}\n`, { mode: 0o600 });
    return file;
  });
  const worker = new ConnectWorker(opts, opts.restPort ?? (await freePort()), files);
  try {
    await worker.start();
  } catch (err) {
    if (!(opts.mayExitOnStart && worker.process && !worker.process.running)) throw err;
  }
  return worker;
}
