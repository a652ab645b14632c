import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Client, Submittable } from "pg";
import { heapOpts } from "../../facility/runtime";
import {
  FACILITY_FIELDS,
  SINK_CONNECTOR,
  WAREHOUSE_ROLES,
  dataTopic,
  facilityWorkerProperties,
  jdbcSinkConnector,
  sinkConsumerGroup,
  sinkWorkerProperties,
  sourceConnectorName,
} from "../../connect";
import { renderProperties } from "../../connect/properties";
import { type Row, type TableDef, insertRowObjects, makeRow } from "../clinicmaster";
import { runJavaTool, startJava } from "../java";
import { withAdmin } from "../kafka-admin";
import type { ScramUser } from "../kafka";
import { type LocalFacility, LOCAL_WAREHOUSE_DB, type Pipeline } from "../pipeline";
import { sleep, waitFor } from "../proc";
import type { ChangeEvent, KafkaLine } from "./events";
import type { FootprintSample, ReferenceRun, SinkRun } from "./report";

/** Process-level helpers of the benchmark: Kafka's Java clients, the sink's life cycle, PostgreSQL writers. */

const q = (id: string) => `"${id.replace(/"/g, '""')}"`;

/** The JVM flags Kafka's start scripts add (`KAFKA_JVM_PERFORMANCE_OPTS`), as in the Debezium image. */
export const KAFKA_JVM_PERFORMANCE_OPTS = [
  "-XX:+UseG1GC",
  "-XX:MaxGCPauseMillis=20",
  "-XX:InitiatingHeapOccupancyPercent=35",
  "-XX:+ExplicitGCInvokesConcurrent",
  "-XX:MaxInlineLevel=15",
];

/** Kafka's Java producer and consumer (`BenchKafka.java`), compiled once per run. */
export class JavaClients {
  private constructor(
    private readonly p: Pipeline,
    private readonly classpath: string,
    private readonly dir: string,
  ) {}

  static compile(p: Pipeline): JavaClients {
    const dir = p.ws.dir("bench-java");
    const src = join(__dirname, "BenchKafka.java");
    const r = spawnSync("javac", ["-cp", p.artifacts.kafkaClasspath, "-d", dir, src], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`javac ${src} failed (exit ${r.status}):\n${r.stderr}`);
    return new JavaClients(p, `${dir}:${p.artifacts.kafkaClasspath}`, dir);
  }

  private n = 0;

  /** Writes a client properties file (mode 0600, inside the run's workspace). */
  propertiesFile(props: Record<string, string>): string {
    const file = join(this.dir, `client-${++this.n}.properties`);
    writeFileSync(file, renderProperties(props), { mode: 0o600 });
    return file;
  }

  /**
   * Producer properties of a facility worker exactly as `facilityWorkerProperties` sets them (every
   * `producer.*` key), logged in as `user`, with `overrides` on top.
   */
  facilityProducer(f: LocalFacility, user: ScramUser, overrides: Record<string, string> = {}): string {
    const worker = facilityWorkerProperties(f.config, this.p.kafka.connection(), {
      dataDir: f.dataDir,
      secretsDir: f.secretsDir,
    });
    const producer: Record<string, string> = {};
    for (const [k, v] of Object.entries(worker))
      if (k.startsWith("producer.") && !/sasl|security|ssl/.test(k))
        producer[k.slice("producer.".length)] = v;
    return this.propertiesFile({ ...producer, ...this.p.kafka.javaClientProperties(user), ...overrides });
  }

  /** Every record (up to `max`) of the topics matching `regex`, as `topic TAB key TAB value` lines. */
  async dump(regex: string, max: number): Promise<string[]> {
    const props = this.propertiesFile(this.p.kafka.javaClientProperties(this.p.kafka.admin));
    const out = join(this.dir, `dump-${++this.n}.tsv`);
    await runJavaTool(
      this.p.ws,
      {
        name: "bench-dump",
        mainClass: "BenchKafka",
        args: ["dump", props, regex, String(max), out],
        classpath: this.classpath,
      },
      180_000,
    );
    return readFileSync(out, "utf8").split("\n").filter(Boolean);
  }

  /** Sets a memberless consumer group's committed offsets (Admin.alterConsumerGroupOffsets, as the admin). */
  async setOffsets(
    group: string,
    offsets: Map<string, { partition: number; offset: string }[]>,
  ): Promise<void> {
    const props = this.propertiesFile(this.p.kafka.javaClientProperties(this.p.kafka.admin));
    const file = join(this.dir, `offsets-${++this.n}.tsv`);
    const lines: string[] = [];
    for (const [topic, parts] of offsets)
      for (const o of parts) lines.push(`${topic}\t${o.partition}\t${o.offset}\n`);
    writeFileSync(file, lines.join(""));
    await runJavaTool(
      this.p.ws,
      {
        name: "bench-offsets",
        mainClass: "BenchKafka",
        args: ["offsets", props, group, file],
        classpath: this.classpath,
      },
      120_000,
    );
  }

  /**
   * Produces `lines`, line i with producer `lines[i].producer` (an index into `producers`, property
   * files). Returns the producers' mean batch sizes in bytes.
   */
  async produce(lines: { producer: number; line: KafkaLine }[], producers: string[]): Promise<number[]> {
    const file = join(this.dir, `produce-${++this.n}.tsv`);
    writeFileSync(
      file,
      lines.map((l) => `${l.producer}\t${l.line.topic}\t${l.line.key}\t${l.line.value}\n`).join(""),
    );
    const out = await runJavaTool(
      this.p.ws,
      {
        name: "bench-produce",
        mainClass: "BenchKafka",
        args: ["produce", file, "", ...producers],
        classpath: this.classpath,
      },
      300_000,
    );
    if (!/produced \d+/.test(out)) throw new Error(`producer did not report: ${out.slice(-2000)}`);
    return producers.map((_, i) =>
      Number(new RegExp(`producer ${i} batch-size-avg (\\S+)`).exec(out)?.[1] ?? NaN),
    );
  }
}

/** End offsets of every partition of `topics`. */
export async function endOffsets(
  p: Pipeline,
  topics: string[],
): Promise<Map<string, { partition: number; offset: string }[]>> {
  return withAdmin(p.kafka, async (admin) => {
    const out = new Map<string, { partition: number; offset: string }[]>();
    for (const t of topics)
      out.set(
        t,
        (await admin.fetchTopicOffsets(t)).map((o) => ({ partition: o.partition, offset: o.high })),
      );
    return out;
  });
}

/** Total records up to the end offsets. */
export function totalOffsets(offsets: Map<string, { offset: string }[]>): number {
  let n = 0;
  for (const parts of offsets.values()) for (const o of parts) n += Number(o.offset);
  return n;
}

/** Bytes of the topics' log segments on disk, per replica (Kafka stores producer batches as sent). */
export function topicBytes(p: Pipeline, topics: string[]): number {
  let bytes = 0;
  for (const node of p.kafka.nodes) {
    for (const dir of readdirSync(node.dataDir)) {
      const m = /^(.*)-\d+$/.exec(dir);
      if (!m || !topics.includes(m[1])) continue;
      for (const f of readdirSync(join(node.dataDir, dir)))
        if (f.endsWith(".log")) bytes += statSync(join(node.dataDir, dir, f)).size;
    }
  }
  return bytes / p.kafka.replicationFactor;
}

/** Samples VmRSS and utime+stime of one process every `intervalMs`. */
export class ProcSampler {
  private readonly tick =
    Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;
  private rss: number[] = [];
  private timer?: NodeJS.Timeout;
  private t0 = 0;
  private cpu0 = 0;

  /** `children`: count the CPU of the pid's children too (PostgreSQL's backends). */
  constructor(
    private readonly pid: number,
    private readonly children = false,
  ) {}

  private static ticks(pid: string, parent?: number): number {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // fields[0] is field 3 (state), fields[1] the parent; utime and stime are fields 14 and 15.
      if (parent !== undefined && Number(fields[1]) !== parent && Number(pid) !== parent) return 0;
      return Number(fields[11]) + Number(fields[12]);
    } catch {
      return 0;
    }
  }

  private cpuTicks(): number {
    if (!this.children) return ProcSampler.ticks(String(this.pid));
    let n = 0;
    for (const d of readdirSync("/proc")) if (/^\d+$/.test(d)) n += ProcSampler.ticks(d, this.pid);
    return n;
  }

  private rssMiB(): number {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  }

  start(intervalMs = 500): void {
    this.rss = [this.rssMiB()];
    this.t0 = Date.now();
    this.cpu0 = this.cpuTicks();
    this.timer = setInterval(() => {
      try {
        this.rss.push(this.rssMiB());
      } catch {
        // the process ended; stop() reports what was sampled
      }
    }, intervalMs);
  }

  stop(): FootprintSample {
    clearInterval(this.timer);
    const seconds = (Date.now() - this.t0) / 1000;
    const cpu = (this.cpuTicks() - this.cpu0) / this.tick;
    this.rss.push(this.rssMiB());
    const rss = this.rss.filter(Number.isFinite);
    return {
      seconds,
      rssMiBMax: Math.max(...rss),
      rssMiBMean: rss.reduce((a, b) => a + b, 0) / rss.length,
      cpuPercent: (cpu / seconds) * 100,
    };
  }
}

/**
 * Restarts a facility worker the way the facility stack runs it: `KAFKA_HEAP_OPTS` from `heapOpts`
 * (-Xms = -Xmx = worker.heapMiB) and the JVM flags of Kafka's scripts. The harness's own default
 * (a 384 MiB ceiling, 64 MiB initial) is not what facilities get.
 */
export async function restartWithShippedHeap(p: Pipeline, f: LocalFacility): Promise<string> {
  const heap = heapOpts(f.config);
  await f.worker.stop();
  const log = f.worker.logFile;
  const offset = statSync(log).size;
  const connectorFile = join(p.ws.dir("connect", f.worker.name), `${f.connector.name}.json`);
  const proc = startJava(p.ws, {
    name: f.worker.name,
    mainClass: "org.apache.kafka.connect.cli.ConnectStandalone",
    args: [f.worker.propertiesFile, connectorFile],
    classpath: p.artifacts.kafkaClasspath,
    heap: `${f.config.worker.heapMiB}m`,
    jvmOptions: [...heap.split(" "), ...KAFKA_JVM_PERFORMANCE_OPTS],
    stopTier: 0,
  });
  f.worker.process = proc;
  await waitFor(
    `facility worker ${f.worker.name} to start with ${heap} (log ${log})`,
    () => /Kafka Connect started/.test(readFileSync(log, "utf8").slice(offset)),
    { timeoutMs: 180_000, process: proc, intervalMs: 500 },
  );
  await f.worker.waitForRunning(sourceConnectorName(f.config.dhis2Code), { timeoutMs: 180_000 });
  return heap;
}

/** A candidate change to the sink's configuration, tried on top of what `jdbcSinkConnector` builds. */
export interface SinkVariant {
  name: string;
  /** Appended to the JDBC URL. */
  urlParams?: string;
  /** Connector properties added or overridden. */
  config?: Record<string, string>;
}

/** Creates (or replaces) the sink connector with these settings, via `jdbcSinkConnector`, and waits for its tasks. */
export async function putSink(
  p: Pipeline,
  tasks: number,
  batchSize: number,
  variant?: SinkVariant,
): Promise<void> {
  const c = jdbcSinkConnector({
    jdbcUrl: p.warehousePg.jdbcUrl(LOCAL_WAREHOUSE_DB) + (variant?.urlParams ? `?${variant.urlParams}` : ""),
    username: WAREHOUSE_ROLES.sink,
    tasks,
    batchSize,
    secretsDir: p.sink.secretsDir,
    dlqReplicationFactor: p.kafka.replicationFactor,
  });
  await p.sink.worker.putConnector(c.name, { ...c.config, ...variant?.config });
  await p.sink.worker.waitForRunning(SINK_CONNECTOR, { tasks, timeoutMs: 180_000 });
}

/** Deletes the sink connector and waits until its consumer group has no members. */
export async function deleteSink(p: Pipeline): Promise<void> {
  try {
    await p.sink.worker.deleteConnector(SINK_CONNECTOR);
  } catch (e) {
    if (!/HTTP 404/.test((e as Error).message)) throw e;
  }
  await waitFor(
    `sink consumer group ${sinkConsumerGroup()} to have no members`,
    () =>
      withAdmin(p.kafka, async (admin) => {
        const { groups } = await admin.describeGroups([sinkConsumerGroup()]);
        return groups.every((g) => g.members.length === 0);
      }),
    { timeoutMs: 120_000, intervalMs: 300 },
  );
}

/** Pauses or resumes the sink connector. */
export async function setSinkPaused(p: Pipeline, paused: boolean): Promise<void> {
  await p.sink.worker.rest(
    "PUT",
    `/connectors/${encodeURIComponent(SINK_CONNECTOR)}/${paused ? "pause" : "resume"}`,
  );
  await waitFor(
    `sink connector ${paused ? "PAUSED" : "RUNNING"}`,
    async () => {
      const s = await p.sink.worker.status(SINK_CONNECTOR);
      const want = paused ? "PAUSED" : "RUNNING";
      return s.connector.state === want && s.tasks.every((t) => t.state === want);
    },
    { timeoutMs: 60_000, intervalMs: 300 },
  );
}

/**
 * Restarts the sink worker with `consumer.max.poll.records` for `batchSize`, taken from
 * `sinkWorkerProperties` (a worker property: connectors may not override client configs).
 */
export async function restartSinkWorker(p: Pipeline, batchSize: number): Promise<void> {
  const key = "consumer.max.poll.records";
  const value = sinkWorkerProperties({ batchSize }, p.kafka.connection(), { secretsDir: p.sink.secretsDir })[
    key
  ];
  const file = p.sink.worker.propertiesFile;
  const text = readFileSync(file, "utf8");
  const re = new RegExp(`^${key.replace(/\./g, "\\.")}=.*$`, "m");
  if (!re.test(text)) throw new Error(`${file} has no ${key}`);
  writeFileSync(file, text.replace(re, `${key}=${value}`), { mode: 0o600 });
  await p.sink.worker.stop();
  await p.sink.worker.start(180_000);
}

/** Inserted rows plus rows carrying their update, for primary keys in [lo, hi) of every table. */
export async function progress(wh: Client, tables: TableDef[], lo: number, hi: number): Promise<number> {
  const parts = tables.map(
    (t) =>
      `SELECT count(*) + count(*) FILTER (WHERE "__op" = 'u') AS n FROM public.${q(t.name)} WHERE ${q(t.key[0])} >= ${lo} AND ${q(t.key[0])} < ${hi}`,
  );
  const r = await wh.query(`SELECT coalesce(sum(n), 0)::bigint AS n FROM (${parts.join(" UNION ALL ")}) x`);
  return Number(r.rows[0].n);
}

/**
 * Rows of the warehouse (keys in [lo, hi)) that differ from our own upsert of the same events in
 * `bench_raw` (missing, extra or different), over every table: 0 means the sink wrote exactly what it should.
 */
export async function differencesFromReference(
  wh: Client,
  tables: TableDef[],
  lo: number,
  hi: number,
): Promise<number> {
  let n = 0;
  for (const t of tables) {
    const range = `${q(t.key[0])} >= ${lo} AND ${q(t.key[0])} < ${hi}`;
    const r = await wh.query(
      `SELECT (SELECT count(*) FROM (SELECT * FROM public.${q(t.name)} WHERE ${range} EXCEPT ALL SELECT * FROM bench_raw.${q(t.name)}) a)
            + (SELECT count(*) FROM (SELECT * FROM bench_raw.${q(t.name)} EXCEPT ALL SELECT * FROM public.${q(t.name)} WHERE ${range}) b) AS n`,
    );
    n += Number(r.rows[0].n);
  }
  return n;
}

/** Deletes the rows with keys in [lo, hi) from the warehouse and vacuums, so every drain starts alike. */
export async function clearRange(wh: Client, tables: TableDef[], lo: number, hi: number): Promise<void> {
  for (const t of tables)
    await wh.query(
      `DELETE FROM public.${q(t.name)} WHERE ${q(t.key[0])} >= ${lo} AND ${q(t.key[0])} < ${hi}`,
    );
  for (const t of tables) await wh.query(`VACUUM ANALYZE public.${q(t.name)}`);
}

/** Options of {@link drainSink}. */
export interface DrainOptions {
  tables: TableDef[];
  /** Key range of the set. */
  lo: number;
  hi: number;
  events: number;
  facilities: number;
  /** Where the set starts in every data topic. */
  start: Map<string, { partition: number; offset: string }[]>;
  tasks: number;
  batchSize: number;
  variant?: SinkVariant;
}

/**
 * Drains a set of events already in Kafka: the sink connector is deleted, the warehouse cleared of
 * the set, the group set back to the set's first offsets, then the connector created with the
 * given settings and the warehouse polled every 50 ms until it holds every event. The rate counts
 * from the first poll that saw a row, so start-up and the group join are reported apart.
 */
export async function drainSink(p: Pipeline, java: JavaClients, o: DrainOptions): Promise<SinkRun> {
  const wh = await p.warehouse();
  await deleteSink(p);
  await clearRange(wh, o.tables, o.lo, o.hi);
  await java.setOffsets(sinkConsumerGroup(), o.start);
  const created = Date.now();
  const put = putSink(p, o.tasks, o.batchSize, o.variant);
  put.catch(() => undefined);
  let first: { at: number; done: number } | undefined;
  const sinkCpu = new ProcSampler(p.sink.worker.process!.pid);
  const pgCpu = new ProcSampler(p.warehousePg.process!.pid, true);
  const bound = Math.max(180_000, o.events * 10);
  let done = 0;
  let polls = 0;
  for (;;) {
    done = await progress(wh, o.tables, o.lo, o.hi);
    const now = Date.now();
    if (done > 0 && !first) {
      first = { at: now, done };
      sinkCpu.start(1000);
      pgCpu.start(1000);
    }
    if (done >= o.events) break;
    if (++polls % 10 === 0) {
      const st = await p.sink.worker.status(SINK_CONNECTOR).catch(() => undefined);
      const failed = st?.tasks.find((t) => t.state === "FAILED");
      if (failed) {
        const cause =
          (failed.trace ?? "")
            .split("\n")
            .filter((l) => /^Caused by/.test(l))
            .pop() ?? failed.trace?.split("\n")[0];
        throw new Error(`sink task ${failed.id} FAILED after ${done} of ${o.events} events: ${cause}`);
      }
    }
    if (now - created > bound)
      throw new Error(
        `sink drained ${done} of ${o.events} events in ${bound / 1000}s (batch ${o.batchSize}, ${o.tasks} tasks); see ${p.sink.worker.logFile}`,
      );
    await sleep(50);
  }
  const end = Date.now();
  const cpu = first
    ? { sink: sinkCpu.stop().cpuPercent, pg: pgCpu.stop().cpuPercent }
    : { sink: NaN, pg: NaN };
  await put;
  // A set small enough to land before the first poll is timed from the connector's creation.
  const f = first && first.done < o.events / 2 ? first : { at: created, done: 0 };
  const seconds = Math.max(0.1, (end - f.at) / 1000);
  return {
    batchSize: o.batchSize,
    tasks: o.tasks,
    facilities: o.facilities,
    events: o.events,
    seconds,
    eventsPerSecond: (o.events - f.done) / seconds,
    startupSeconds: (f.at - created) / 1000,
    sinkCpuPercent: cpu.sink,
    postgresCpuPercent: cpu.pg,
    ...(o.variant ? { variant: o.variant.name } : {}),
  };
}

/** Key columns of a warehouse table (source key + facility code). */
const pkColumns = (t: TableDef) => [...t.key, FACILITY_FIELDS.code];

/** Makes `schema` hold empty copies of the warehouse tables (`withIndexes`: with primary keys). */
async function referenceTables(
  wh: Client,
  schema: string,
  tables: TableDef[],
  withIndexes: boolean,
): Promise<void> {
  await wh.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  for (const t of tables) {
    await wh.query(
      `CREATE TABLE IF NOT EXISTS ${schema}.${q(t.name)} (LIKE public.${q(t.name)}${withIndexes ? " INCLUDING ALL" : ""})`,
    );
    await wh.query(`TRUNCATE ${schema}.${q(t.name)}`);
    await wh.query(`VACUUM ANALYZE ${schema}.${q(t.name)}`);
  }
}

/**
 * Our own code writing the same events: multi-row `INSERT … ON CONFLICT DO UPDATE` of `batchSize`
 * rows per statement (autocommit, like one sink flush), on `connections` connections split by key so
 * every row's insert precedes its update.
 */
export async function rawUpsert(
  p: Pipeline,
  tables: TableDef[],
  events: ChangeEvent[],
  batchSize: number,
  connections: number,
): Promise<ReferenceRun> {
  const wh = await p.warehouse();
  await referenceTables(wh, "bench_raw", tables, true);
  const clients = await Promise.all(
    Array.from({ length: connections }, () => p.warehousePg.connect(LOCAL_WAREHOUSE_DB)),
  );
  try {
    const byTable = new Map(tables.map((t) => [t.name, t]));
    const lanes: ChangeEvent[][] = clients.map(() => []);
    for (const e of events) {
      const t = byTable.get(e.table)!;
      const id = Number(e.row[t.key[0]]);
      lanes[(id + e.code.length * 31 + e.code.charCodeAt(e.code.length - 1)) % connections].push(e);
    }
    const statements = lanes.map((lane) => {
      const out: { sql: string; params: (string | number | null)[] }[] = [];
      for (const op of ["c", "u"] as const) {
        for (const t of tables) {
          const rows = lane.filter((e) => e.op === op && e.table === t.name).map((e) => e.row);
          if (rows.length === 0) continue;
          const cols = Object.keys(rows[0]);
          const per = Math.max(1, Math.min(batchSize, Math.floor(65_535 / cols.length)));
          const pk = pkColumns(t);
          const set = cols.filter((c) => !pk.includes(c)).map((c) => `${q(c)} = EXCLUDED.${q(c)}`);
          for (let i = 0; i < rows.length; i += per) {
            const params: (string | number | null)[] = [];
            const tuples = rows
              .slice(i, i + per)
              .map((r) => `(${cols.map((c) => (params.push(r[c]), `$${params.length}`)).join(",")})`);
            out.push({
              sql: `INSERT INTO bench_raw.${q(t.name)} (${cols.map(q).join(",")}) VALUES ${tuples.join(",")} ON CONFLICT (${pk.map(q).join(",")}) DO UPDATE SET ${set.join(", ")}`,
              params,
            });
          }
        }
      }
      return out;
    });
    const t0 = Date.now();
    await Promise.all(
      clients.map(async (c, i) => {
        for (const s of statements[i]) await c.query(s.sql, s.params);
      }),
    );
    const seconds = (Date.now() - t0) / 1000;
    return {
      kind: "upsert",
      batchSize,
      connections,
      events: events.length,
      seconds,
      eventsPerSecond: events.length / seconds,
    };
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
}

const csvCell = (v: string | number | null) =>
  v === null || v === undefined ? "" : typeof v === "number" ? String(v) : `"${v.replace(/"/g, '""')}"`;

/** The part of node-postgres' connection a COPY FROM STDIN needs. */
interface CopyConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
}

/** `COPY … FROM STDIN` of one buffer as a node-postgres submittable (what pg-copy-streams does). */
class CopyIn {
  private error?: Error;
  constructor(
    private readonly text: string,
    private readonly data: Buffer,
    private readonly done: (err?: Error) => void,
  ) {}
  submit(connection: CopyConnection): void {
    connection.query(this.text);
  }
  handleCopyInResponse(connection: CopyConnection): void {
    for (let i = 0; i < this.data.length; i += 1 << 20)
      connection.sendCopyFromChunk(this.data.subarray(i, i + (1 << 20)));
    connection.endCopyFrom();
  }
  handleCommandComplete(): void {}
  handleError(err: Error): void {
    this.error = err;
  }
  handleReadyForQuery(): void {
    this.done(this.error);
  }
}

/** `COPY … FROM STDIN (csv)` of every event as a row of an unindexed staging table, one COPY per table. */
export async function copyStaging(
  p: Pipeline,
  tables: TableDef[],
  events: ChangeEvent[],
): Promise<ReferenceRun> {
  const wh = await p.warehouse();
  await referenceTables(wh, "bench_stage", tables, false);
  const jobs = tables
    .map((t) => {
      const rows = events.filter((e) => e.table === t.name).map((e) => e.row);
      if (rows.length === 0) return undefined;
      const cols = Object.keys(rows[0]);
      return {
        sql: `COPY bench_stage.${q(t.name)} (${cols.map(q).join(",")}) FROM STDIN WITH (FORMAT csv)`,
        csv: Buffer.from(rows.map((r) => cols.map((c) => csvCell(r[c])).join(",")).join("\n") + "\n"),
      };
    })
    .filter((j) => j !== undefined);
  const client = await p.warehousePg.connect(LOCAL_WAREHOUSE_DB);
  try {
    const t0 = Date.now();
    for (const j of jobs)
      await new Promise<void>((resolve, reject) => {
        client.query(
          new CopyIn(j.sql, j.csv, (err) => (err ? reject(err) : resolve())) as unknown as Submittable,
        );
      });
    const seconds = (Date.now() - t0) / 1000;
    return {
      kind: "copy",
      batchSize: events.length,
      connections: 1,
      events: events.length,
      seconds,
      eventsPerSecond: events.length / seconds,
    };
  } finally {
    await client.end();
  }
}

/** Upserts rows into a facility's stand-in table (an update event for rows that exist). */
export async function upsertStandIn(db: Client, t: TableDef, rows: Row[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 500) {
    const batch = rows.slice(i, i + 500);
    const cols = Object.keys(batch[0]);
    const params: (string | number | null)[] = [];
    const tuples = batch.map(
      (r) => `(${cols.map((c) => (params.push(r[c]), `$${params.length}`)).join(",")})`,
    );
    const set = cols.filter((c) => !t.key.includes(c)).map((c) => `${q(c)} = EXCLUDED.${q(c)}`);
    await db.query(
      `INSERT INTO dbo.${q(t.name)} (${cols.map(q).join(",")}) VALUES ${tuples.join(",")} ON CONFLICT (${t.key.map(q).join(",")}) DO UPDATE SET ${set.join(", ")}`,
      params,
    );
  }
}

/** Bulk load at one facility: `perTable` inserts into every table, then an update of each of them. */
export async function bulkLoad(
  f: LocalFacility,
  tables: TableDef[],
  firstId: number,
  perTable: number,
): Promise<number> {
  const salt = Number.parseInt(f.config.dhis2Code, 36) % 100_000;
  for (const t of tables) {
    const rows: Row[] = [];
    for (let id = firstId; id < firstId + perTable; id++) rows.push(makeRow(t.name, id, salt));
    await insertRowObjects(f.db, t.name, rows);
  }
  for (const t of tables) {
    const rows: Row[] = [];
    for (let id = firstId; id < firstId + perTable; id++) rows.push(makeRow(t.name, id, salt + 1));
    await upsertStandIn(f.db, t, rows);
  }
  return 2 * perTable * tables.length;
}

/** Data topics of the stand-in tables. */
export const dataTopics = (tables: TableDef[]) => tables.map((t) => dataTopic(t.name));

/** Installs (or removes) the latency log: a trigger on every warehouse table records each write's time. */
export async function latencyTriggers(wh: Client, tables: TableDef[], on: boolean): Promise<void> {
  if (on) {
    await wh.query("CREATE SCHEMA IF NOT EXISTS bench");
    await wh.query(
      "CREATE TABLE IF NOT EXISTS bench.applied (tbl text, src_ts_ms bigint, applied_at timestamptz)",
    );
    await wh.query(`CREATE OR REPLACE FUNCTION bench.stamp() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
      BEGIN
        INSERT INTO bench.applied VALUES (TG_TABLE_NAME, NEW."__source_ts_ms", clock_timestamp());
        RETURN NULL;
      END $$`);
  }
  for (const t of tables) {
    await wh.query(`DROP TRIGGER IF EXISTS bench_stamp ON public.${q(t.name)}`);
    if (on)
      await wh.query(
        `CREATE TRIGGER bench_stamp AFTER INSERT OR UPDATE ON public.${q(t.name)} FOR EACH ROW EXECUTE FUNCTION bench.stamp()`,
      );
  }
}
