/**
 * Watchdog shipped with every Kafka Connect worker (facility and central sink).
 *
 * Plain Kafka Connect never restarts a failed connector or task, and the Debezium JDBC sink 3.6 fails
 * its task on any database error. The watchdog polls the worker's REST API, restarts what failed with
 * a growing, capped back-off (as Strimzi's auto-restart does), resets the count once a connector has
 * been healthy for a while, logs each restart with the first line of the failure trace, and serves
 * its counts as JSON on `/watchdog` for the status view and monitoring.
 *
 * This file is self-contained (Node.js built-ins only): the facility kit and the sink runtime ship it
 * transpiled as one script, and the loopback data plane runs it as a process.
 */
import * as http from "node:http";

/** Back-off policy. */
export interface WatchdogPolicy {
  /** Delay before the first restart of a failure streak, ms. */
  initialDelayMs: number;
  /** Factor by which the delay grows per restart in a streak. */
  multiplier: number;
  /** Longest delay between restarts, ms. */
  maxDelayMs: number;
  /** Healthy time after which a streak is forgotten, ms. */
  resetAfterMs: number;
}

/** Default policy: 5 s, 10 s, 20 s … capped at 5 minutes; streak forgotten after 10 healthy minutes. */
export const DEFAULT_POLICY: WatchdogPolicy = {
  initialDelayMs: 5_000,
  multiplier: 2,
  maxDelayMs: 300_000,
  resetAfterMs: 600_000,
};

/** The parts of Kafka Connect's `GET /connectors?expand=status` the watchdog reads. */
export interface ConnectorStatus {
  name: string;
  connector: { state: string; trace?: string };
  tasks: { id: number; state: string; trace?: string }[];
}

/** Per-connector memory of the watchdog. */
export interface ConnectorMemory {
  /** Restarts in the current failure streak. */
  streak: number;
  /** Restarts since the watchdog started. */
  total: number;
  /** Earliest time the next restart may happen, ms since epoch. */
  notBefore: number;
  /** Since when the connector has been healthy (no FAILED part), ms since epoch; undefined while failing. */
  healthySince?: number;
  /** First line (and root cause) of the last failure trace seen. */
  lastError?: string;
  /** When the last restart was requested. */
  lastRestartAt?: number;
}

/** One restart the watchdog decided on. */
export interface RestartAction {
  connector: string;
  /** Failed task ids (empty when only the connector itself failed). */
  tasks: number[];
  /** First line of the failure trace, with its root cause when it has one ({@link failureSummary}). */
  reason: string;
  /** Restart number within the current streak (1-based). */
  attempt: number;
}

/** First line of a Java stack trace, trimmed to something a log line can hold. */
export function firstLine(trace: string | undefined): string {
  const line = (trace ?? "").split("\n")[0].trim();
  return line.length > 300 ? `${line.slice(0, 297)}...` : line || "(no trace)";
}

/**
 * What a person needs from a failure trace: its first line and, when the trace has a cause chain,
 * the innermost `Caused by:` line. Kafka Connect wraps most failures (e.g. the JDBC sink's "Exiting
 * WorkerSinkTask due to unrecoverable exception"), so the first line alone rarely names the database
 * or network error behind it.
 */
export function failureSummary(trace: string | undefined): string {
  const head = firstLine(trace);
  const causes = (trace ?? "")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.startsWith("Caused by:"));
  if (causes.length === 0) return head;
  const root = firstLine(causes[causes.length - 1].replace(/^Caused by:\s*/, ""));
  return root === head ? head : `${head} | root cause: ${root}`;
}

/**
 * Decides which connectors to restart now. Pure: takes the status, the memory and the time, returns
 * the actions and the new memory.
 */
export function plan(
  statuses: ConnectorStatus[],
  memory: Record<string, ConnectorMemory>,
  now: number,
  policy: WatchdogPolicy = DEFAULT_POLICY,
): { actions: RestartAction[]; memory: Record<string, ConnectorMemory> } {
  const next: Record<string, ConnectorMemory> = {};
  const actions: RestartAction[] = [];
  for (const s of statuses) {
    const m: ConnectorMemory = { ...(memory[s.name] ?? { streak: 0, total: 0, notBefore: 0 }) };
    const failedTasks = s.tasks.filter((t) => t.state === "FAILED");
    const connectorFailed = s.connector.state === "FAILED";
    if (!connectorFailed && failedTasks.length === 0) {
      if (s.connector.state === "RUNNING" && s.tasks.every((t) => t.state === "RUNNING")) {
        m.healthySince ??= now;
        if (m.streak > 0 && now - m.healthySince >= policy.resetAfterMs) m.streak = 0;
      }
      next[s.name] = m;
      continue;
    }
    m.healthySince = undefined;
    m.lastError = failureSummary(connectorFailed ? s.connector.trace : failedTasks[0].trace);
    if (now >= m.notBefore) {
      m.streak += 1;
      m.total += 1;
      m.lastRestartAt = now;
      const delay = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.multiplier ** (m.streak - 1));
      m.notBefore = now + delay;
      actions.push({
        connector: s.name,
        tasks: failedTasks.map((t) => t.id),
        reason: m.lastError,
        attempt: m.streak,
      });
    }
    next[s.name] = m;
  }
  return { actions, memory: next };
}

/** Counts the watchdog reports. */
export interface WatchdogReport {
  worker: string;
  checkedAt: string;
  polls: number;
  pollErrors: number;
  /** Whether the last poll reached the worker's REST API (unset before the first poll). */
  workerReachable?: boolean;
  /** Why the last poll failed, while the worker is unreachable. */
  lastPollError?: string;
  restarts: number;
  connectors: Record<string, ConnectorMemory & { state: string; failedTasks: number }>;
}

async function fetchJson(url: string, method = "GET"): Promise<unknown> {
  const res = await fetch(url, { method, signal: AbortSignal.timeout(10_000) });
  if (!res.ok && res.status !== 202 && res.status !== 204) {
    throw new Error(`${method} ${url} -> HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`);
  }
  const text = await res.text();
  return text ? JSON.parse(text) : undefined;
}

/** Runs the watchdog loop until the process is stopped. */
export async function run(opts: {
  connectUrl: string;
  intervalMs: number;
  listenPort?: number;
  listenHost?: string;
  policy?: WatchdogPolicy;
  log?: (line: string) => void;
}): Promise<void> {
  const log = opts.log ?? ((l: string) => console.log(`${new Date().toISOString()} watchdog ${l}`));
  let memory: Record<string, ConnectorMemory> = {};
  const report: WatchdogReport = {
    worker: opts.connectUrl,
    checkedAt: "",
    polls: 0,
    pollErrors: 0,
    restarts: 0,
    connectors: {},
  };
  if (opts.listenPort !== undefined) {
    http
      .createServer((req, res) => {
        res.writeHead(req.url === "/watchdog" ? 200 : 404, { "content-type": "application/json" });
        res.end(req.url === "/watchdog" ? JSON.stringify(report) : "{}");
      })
      .listen(opts.listenPort, opts.listenHost ?? "127.0.0.1");
  }
  for (;;) {
    try {
      const body = (await fetchJson(`${opts.connectUrl}/connectors?expand=status`)) as Record<
        string,
        { status: ConnectorStatus }
      >;
      const statuses = Object.values(body ?? {}).map((v) => v.status);
      const now = Date.now();
      const planned = plan(statuses, memory, now, opts.policy);
      memory = planned.memory;
      for (const a of planned.actions) {
        const target = a.tasks.length > 0 ? `tasks ${a.tasks.join(",")}` : "connector";
        log(`restart ${a.connector} ${target} (attempt ${a.attempt}): ${a.reason}`);
        try {
          await fetchJson(
            `${opts.connectUrl}/connectors/${encodeURIComponent(a.connector)}/restart?includeTasks=true&onlyFailed=true`,
            "POST",
          );
          report.restarts += 1;
        } catch (e) {
          log(`restart of ${a.connector} failed: ${(e as Error).message}`);
        }
      }
      report.polls += 1;
      report.workerReachable = true;
      report.lastPollError = undefined;
      report.checkedAt = new Date(now).toISOString();
      report.connectors = Object.fromEntries(
        statuses.map((s) => [
          s.name,
          {
            ...memory[s.name],
            state: s.connector.state,
            failedTasks: s.tasks.filter((t) => t.state === "FAILED").length,
          },
        ]),
      );
    } catch (e) {
      report.pollErrors += 1;
      report.workerReachable = false;
      report.lastPollError = (e as Error).message;
      if (report.pollErrors === 1 || report.pollErrors % 10 === 0) {
        log(`cannot read worker status (${report.pollErrors} failed polls): ${(e as Error).message}`);
      }
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs));
  }
}

/** Entry point: `node watchdog.js` with CONNECT_URL, WATCHDOG_INTERVAL_MS, WATCHDOG_PORT (none secret). */
export function main(env: NodeJS.ProcessEnv = process.env): void {
  const connectUrl = env.CONNECT_URL ?? "http://127.0.0.1:8083";
  const intervalMs = Number(env.WATCHDOG_INTERVAL_MS ?? 10_000);
  const listenPort = env.WATCHDOG_PORT ? Number(env.WATCHDOG_PORT) : undefined;
  const policy: WatchdogPolicy = {
    ...DEFAULT_POLICY,
    ...(env.WATCHDOG_INITIAL_DELAY_MS ? { initialDelayMs: Number(env.WATCHDOG_INITIAL_DELAY_MS) } : {}),
    ...(env.WATCHDOG_MAX_DELAY_MS ? { maxDelayMs: Number(env.WATCHDOG_MAX_DELAY_MS) } : {}),
    ...(env.WATCHDOG_RESET_AFTER_MS ? { resetAfterMs: Number(env.WATCHDOG_RESET_AFTER_MS) } : {}),
  };
  if (!/^https?:\/\/[^/]+$/.test(connectUrl) || !(intervalMs >= 500)) {
    console.error(
      `watchdog: CONNECT_URL must be http(s)://host:port (got ${JSON.stringify(connectUrl)}) and WATCHDOG_INTERVAL_MS >= 500 (got ${intervalMs})`,
    );
    process.exit(2);
  }
  void run({ connectUrl, intervalMs, listenPort, listenHost: env.WATCHDOG_HOST ?? "0.0.0.0", policy });
}

if (require.main === module) main();
