import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { dirname, resolve } from "node:path";
import { format, resolveConfig } from "prettier";
import type { FacilityConfig } from "../../config/facility";
import { REPO_ROOT, facilityStackFiles, loadFacilityStack } from "../../config/stackfiles";
import { FACILITY_FIELDS, SINK_CONNECTOR, dataTopic } from "../../connect/names";
import { TABLES, type Row, type TableDef, insertRowObjects, makeRow } from "../clinicmaster";
import { createTopics } from "../kafka-admin";
import { type LocalFacility, Pipeline } from "../pipeline";
import { sleep, waitFor } from "../proc";
import { type ChangeEvent, type EventTemplate, changeEvents, parseTemplates } from "./events";
import {
  JavaClients,
  ProcSampler,
  bulkLoad,
  differencesFromReference,
  copyStaging,
  dataTopics,
  drainSink,
  endOffsets,
  latencyTriggers,
  progress,
  putSink,
  rawUpsert,
  restartSinkWorker,
  restartWithShippedHeap,
  type SinkVariant,
  setSinkPaused,
  topicBytes,
  totalOffsets,
  upsertStandIn,
} from "./harness";
import {
  type BenchOptions,
  type BenchResults,
  type LatencyResult,
  type ReferenceRun,
  type SinkRun,
  type ThroughputResult,
  type UplinkRow,
  bestRun,
  latencyStats,
  parseBenchArgs,
  renderConsole,
  renderPerformanceDoc,
} from "./report";

/**
 * `npm run bench`: the benchmark of the data plane (see docs/PERFORMANCE.md for what it measures
 * and how to read it). One pipeline serves every phase; Pipeline.stop() ends every process.
 */

const tables: TableDef[] = TABLES;
/** Key ranges: each set of events gets its own, far above the seeded rows. */
const RANGE = 1_000_000;
const LOAD_FIRST_ID = 1 * RANGE;
const LATENCY_FIRST_ID = 2 * RANGE;
const SET_FIRST_ID = 5 * RANGE;

/**
 * Candidate sink settings the Debezium JDBC sink 3.6 offers but `jdbcSinkConnector` does not set,
 * tried at the best swept batch size and task count. Multi-row statements need the reduction buffer:
 * two changes of one row in one statement would fail ("ON CONFLICT DO UPDATE command cannot affect
 * row a second time").
 */
const SINK_VARIANTS: SinkVariant[] = [
  {
    name: "reWriteBatchedInserts + reduction buffer",
    urlParams: "reWriteBatchedInserts=true",
    config: { "use.reduction.buffer": "true" },
  },
  {
    name: "unnest insert + reduction buffer",
    config: { "dialect.postgres.unnest.insert.enabled": "true", "use.reduction.buffer": "true" },
  },
  { name: "reduction buffer", config: { "use.reduction.buffer": "true" } },
];
// The unnest variant stays in the list although Debezium JDBC sink 3.6.0 fails it on our schema
// (it binds io.debezium.time.MicroTimestamp columns as raw microseconds): the run records that.

const log = (msg: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);

/** Extra facilities are copies of a seed facility with a new slug, code and name. */
function extraFacility(seed: FacilityConfig, i: number): FacilityConfig {
  return {
    ...seed,
    slug: `bench-facility-${i}`,
    dhis2Code: `BENCH${String(i).padStart(2, "0")}`,
    name: `Bench Health Centre ${i}`,
  };
}

class Bench {
  readonly notes: string[] = [];
  private java!: JavaClients;
  private sinkBatch: number;
  private setIndex = 0;

  constructor(
    readonly p: Pipeline,
    readonly o: BenchOptions,
  ) {
    this.sinkBatch = p.options.batchSize ?? p.platform.sink.batchSize;
  }

  get live(): LocalFacility[] {
    return [...this.p.facilities.values()];
  }

  private templateMap = new Map<string, EventTemplate>();

  /** Compiles the Java clients and reads one real record of every table: the shape every built event copies. */
  async templates(): Promise<void> {
    this.java = JavaClients.compile(this.p);
    const lines = await this.java.dump(`${dataTopic("").replace(/\./g, "\\.")}.*`, 500);
    const t = parseTemplates(lines);
    for (const table of tables)
      if (!t.has(table.name))
        throw new Error(`no record of ${table.name} in the data topics to copy the shape from`);
    this.templateMap = t;
  }

  /** Facility footprint idle, then under a bulk load with the sink paused; the real zstd bytes of that load. */
  async facilityLoad(f: LocalFacility) {
    const pid = f.worker.process!.pid;
    log(`facility worker ${f.config.slug} (pid ${pid}) idle for ${this.o.idleSeconds} s`);
    const idleSampler = new ProcSampler(pid);
    idleSampler.start();
    await sleep(this.o.idleSeconds * 1000);
    const idle = idleSampler.stop();

    await setSinkPaused(this.p, true);
    const topics = dataTopics(tables);
    const bytes0 = topicBytes(this.p, topics);
    const off0 = totalOffsets(await endOffsets(this.p, topics));
    const perTable = Math.max(1, Math.floor(this.o.events / 2 / tables.length));
    log(`bulk load at ${f.config.slug}: ${perTable} inserts + ${perTable} updates per table, sink paused`);
    const sampler = new ProcSampler(pid);
    sampler.start();
    const t0 = Date.now();
    const written = await bulkLoad(f, tables, LOAD_FIRST_ID, perTable);
    await waitFor(
      `facility ${f.config.slug} to capture ${written} events`,
      async () => totalOffsets(await endOffsets(this.p, topics)) - off0 >= written,
      { timeoutMs: 600_000, intervalMs: 200 },
    );
    const captureSeconds = (Date.now() - t0) / 1000;
    const load = sampler.stop();
    const events = totalOffsets(await endOffsets(this.p, topics)) - off0;
    const bytes = topicBytes(this.p, topics) - bytes0;
    await setSinkPaused(this.p, false);
    await waitFor(
      "the sink to apply the bulk load",
      async () =>
        (await progress(await this.p.warehouse(), tables, LOAD_FIRST_ID, LOAD_FIRST_ID + RANGE)) >= written,
      { timeoutMs: 600_000, intervalMs: 500 },
    );
    return {
      idle,
      load,
      captureRate: written / captureSeconds,
      real: {
        label: "facility worker, bulk load (as shipped)",
        compression: "zstd",
        events,
        bytes,
        bytesPerEvent: bytes / events,
      } satisfies UplinkRow,
    };
  }

  /** The bulk load's records re-produced with the facility's producer settings, compression none vs zstd. */
  async uplink(f: LocalFacility): Promise<UplinkRow[]> {
    const code = f.config.dhis2Code;
    const lines = (await this.java.dump(`${dataTopic("").replace(/\./g, "\\.")}.*`, this.o.events + 10_000))
      .map((l) => l.split("\t"))
      .filter(([, key]) => {
        const k = JSON.parse(key) as { payload: Record<string, unknown> };
        return (
          k.payload[FACILITY_FIELDS.code] === code && Number(Object.values(k.payload)[0]) >= LOAD_FIRST_ID
        );
      });
    const variants = [
      {
        label: "same records, facility producer settings",
        compression: "none",
        suffix: ".bench-none",
        o: {},
      },
      {
        label: "same records, facility producer settings",
        compression: "zstd",
        suffix: ".bench-zstd",
        o: {},
      },
      {
        label: "same records, one event per batch",
        compression: "none",
        suffix: ".bench-none1",
        o: { "batch.size": "1" },
      },
      {
        label: "same records, one event per batch",
        compression: "zstd",
        suffix: ".bench-zstd1",
        o: { "batch.size": "1" },
      },
    ] as const;
    const partitions = await endOffsets(this.p, dataTopics(tables));
    await createTopics(
      this.p.kafka,
      variants.flatMap((v) =>
        [...partitions].map(([t, parts]) => ({
          name: `${t}${v.suffix}`,
          partitions: parts.length,
          config: { "compression.type": "producer" },
        })),
      ),
    );
    const producers = variants.map((v) =>
      this.java.facilityProducer(f, this.p.kafka.admin, { ...v.o, "compression.type": v.compression }),
    );
    const batchAvg = await this.java.produce(
      variants.flatMap((v, i) =>
        lines.map(([topic, key, value]) => ({ producer: i, line: { topic: topic + v.suffix, key, value } })),
      ),
      producers,
    );
    return variants.map((v, i) => {
      const bytes = topicBytes(
        this.p,
        [...partitions.keys()].map((t) => t + v.suffix),
      );
      const bytesPerEvent = bytes / lines.length;
      return {
        label: v.label,
        compression: v.compression,
        events: lines.length,
        bytes,
        bytesPerEvent,
        eventsPerBatch: batchAvg[i] / bytesPerEvent,
      };
    });
  }

  /** Produces a set of events for `facilities` (each as its own principal, facility producer settings). */
  async produceSet(facilities: LocalFacility[]) {
    const firstId = SET_FIRST_ID + this.setIndex++ * RANGE;
    const events = changeEvents({
      templates: this.templateMap,
      tables,
      facilities: facilities.map((f) => ({ code: f.config.dhis2Code, name: f.config.name })),
      events: this.o.events,
      firstId,
      tsMs: Date.now(),
    });
    const topics = dataTopics(tables);
    const start = await endOffsets(this.p, topics);
    const index = new Map(facilities.map((f, i) => [f.config.dhis2Code, i]));
    await this.java.produce(
      events.map((e) => ({ producer: index.get(e.code)!, line: e.kafka })),
      facilities.map((f) => this.java.facilityProducer(f, f.user)),
    );
    const end = totalOffsets(await endOffsets(this.p, topics));
    if (end - totalOffsets(start) !== events.length)
      throw new Error(
        `produced ${events.length} events but the data topics grew by ${end - totalOffsets(start)}`,
      );
    return { events, start, lo: firstId, hi: firstId + RANGE, facilities: facilities.length };
  }

  async drain(
    set: Awaited<ReturnType<Bench["produceSet"]>>,
    tasks: number,
    batchSize: number,
    variant?: SinkVariant,
  ): Promise<SinkRun> {
    const drain = {
      tables,
      lo: set.lo,
      hi: set.hi,
      events: set.events.length,
      facilities: set.facilities,
      start: set.start,
      tasks,
      batchSize,
    };
    if (batchSize !== this.sinkBatch) {
      log(`restarting the sink worker with consumer.max.poll.records for batch ${batchSize}`);
      await this.p.sink.worker.deleteConnector(SINK_CONNECTOR).catch(() => undefined);
      await restartSinkWorker(this.p, batchSize);
      this.sinkBatch = batchSize;
      // A restarted JVM runs its first drain partly interpreted: warm it up unrecorded.
      log("warm-up drain after the restart (not recorded)");
      await drainSink(this.p, this.java, drain);
    }
    const run = await drainSink(this.p, this.java, { ...drain, variant });
    run.differences = await differencesFromReference(await this.p.warehouse(), tables, set.lo, set.hi);
    if (run.differences > 0)
      this.notes.push(
        `Sink batch ${batchSize}, ${tasks} tasks${variant ? ` + ${variant.name}` : ""}: ${run.differences} warehouse rows differ from our own upsert of the same events.`,
      );
    log(
      `sink batch ${batchSize}, ${tasks} task(s)${variant ? ` + ${variant.name}` : ""}: ${run.differences} rows ≠ reference, ${run.eventsPerSecond.toFixed(0)} ev/s (${run.seconds.toFixed(1)} s, start-up ${run.startupSeconds.toFixed(1)} s)`,
    );
    return run;
  }

  async references(
    events: ChangeEvent[],
    upserts: { batchSize: number; connections: number }[],
  ): Promise<ReferenceRun[]> {
    const out: ReferenceRun[] = [];
    for (const u of upserts) {
      let r = await rawUpsert(this.p, tables, events, u.batchSize, u.connections);
      for (let i = 1; i < this.o.repeats; i++) {
        const again = await rawUpsert(this.p, tables, events, u.batchSize, u.connections);
        if (again.eventsPerSecond > r.eventsPerSecond) r = again;
      }
      log(
        `raw upsert ${u.batchSize} rows/statement, ${u.connections} conn: ${r.eventsPerSecond.toFixed(0)} ev/s`,
      );
      out.push(r);
    }
    let c = await copyStaging(this.p, tables, events);
    for (let i = 1; i < this.o.repeats; i++) {
      const again = await copyStaging(this.p, tables, events);
      if (again.eventsPerSecond > c.eventsPerSecond) c = again;
    }
    log(`COPY: ${c.eventsPerSecond.toFixed(0)} ev/s`);
    out.push(c);
    return out;
  }

  async throughput(
    facilities: LocalFacility[],
    settings: { tasks: number; batchSize: number }[],
    upserts: { batchSize: number; connections: number }[],
    variants: SinkVariant[] = [],
  ): Promise<ThroughputResult> {
    log(`sink throughput with ${facilities.length} facilities: producing ${this.o.events} events`);
    const set = await this.produceSet(facilities);
    const references = await this.references(set.events, upserts);
    const runs: SinkRun[] = [];
    // Batch sizes in the order that needs the fewest worker restarts.
    const ordered = [...settings].sort(
      (a, b) =>
        Number(b.batchSize === this.sinkBatch) - Number(a.batchSize === this.sinkBatch) ||
        a.batchSize - b.batchSize ||
        a.tasks - b.tasks,
    );
    if (ordered.length > 1) {
      // One unrecorded drain first: the first drain after start-up runs partly interpreted (JIT).
      log("warm-up drain (not recorded)");
      await this.drain(set, ordered[0].tasks, ordered[0].batchSize);
    }
    for (const s of ordered) {
      let run = await this.drain(set, s.tasks, s.batchSize);
      for (let i = 1; i < this.o.repeats; i++) {
        const again = await this.drain(set, s.tasks, s.batchSize);
        if (again.eventsPerSecond > run.eventsPerSecond) run = again;
      }
      runs.push(run);
    }
    const best = bestRun(runs);
    for (const v of variants) {
      try {
        let run = await this.drain(set, best.tasks, best.batchSize, v);
        for (let i = 1; i < this.o.repeats; i++) {
          const again = await this.drain(set, best.tasks, best.batchSize, v);
          if (again.eventsPerSecond > run.eventsPerSecond) run = again;
        }
        runs.push(run);
      } catch (e) {
        this.notes.push(`Sink variant "${v.name}" did not drain: ${(e as Error).message.split("\n")[0]}`);
        log(`variant ${v.name} failed: ${(e as Error).message}`);
      }
    }
    const ups = references.filter((r) => r.kind === "upsert");
    return {
      facilities: facilities.length,
      events: set.events.length,
      runs,
      references,
      best,
      upsertCeiling: Math.max(...ups.map((r) => r.eventsPerSecond)),
      copyCeiling: Math.max(...references.filter((r) => r.kind === "copy").map((r) => r.eventsPerSecond)),
    };
  }

  private latencyId = LATENCY_FIRST_ID;

  /** Steady load at `rate` events/s over `facilities` for the configured seconds; latency of every event. */
  /**
   * Commits a transaction every 100 ms at each facility's stand-in (half new rows, half updates of
   * earlier ones) at `rate` events/s in total for `seconds`. Returns the events written and when.
   */
  private async generate(
    facilities: LocalFacility[],
    rate: number,
    seconds: number,
  ): Promise<{ written: number; t0: number; end: number }> {
    const perTick = rate / facilities.length / 10;
    const state = facilities.map((f) => ({
      f,
      salt: Number.parseInt(f.config.dhis2Code, 36) % 100_000,
      acc: 0,
      ids:
        this.generatorIds.get(f.config.dhis2Code) ??
        new Map<string, number[]>(tables.map((t) => [t.name, []])),
      cursor: 0,
    }));
    for (const st of state) this.generatorIds.set(st.f.config.dhis2Code, st.ids);
    let written = 0;
    const t0 = Date.now();
    const end = t0 + seconds * 1000;
    for (let tick = 0; ; tick++) {
      const due = t0 + tick * 100;
      if (due >= end) break;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
      const t = tables[tick % tables.length];
      await Promise.all(
        state.map(async (st) => {
          st.acc += perTick;
          const n = Math.floor(st.acc);
          if (n < 1) return;
          st.acc -= n;
          const ids = st.ids.get(t.name)!;
          const nUpd = Math.min(Math.floor(n / 2), ids.length);
          const ins: Row[] = [];
          for (let i = 0; i < n - nUpd; i++) {
            const id = this.latencyId++;
            ids.push(id);
            ins.push(makeRow(t.name, id, st.salt));
          }
          const upd: Row[] = [];
          for (let i = 0; i < nUpd; i++)
            upd.push(makeRow(t.name, ids[st.cursor++ % ids.length], st.salt + tick));
          await st.f.db.query("BEGIN");
          if (ins.length) await insertRowObjects(st.f.db, t.name, ins);
          if (upd.length) await upsertStandIn(st.f.db, t, upd);
          await st.f.db.query("COMMIT");
          written += n;
        }),
      );
    }
    return { written, t0, end: Math.max(end, Date.now()) };
  }

  private generatorIds = new Map<string, Map<string, number[]>>();

  /** Events the warehouse has logged (latency triggers) with a commit time from `since` on. */
  private async appliedSince(since: number): Promise<number> {
    const wh = await this.p.warehouse();
    return Number(
      (await wh.query("SELECT count(*) AS n FROM bench.applied WHERE src_ts_ms >= $1", [since])).rows[0].n,
    );
  }

  /**
   * The pipeline's maximum end-to-end rate with these facilities on this machine: the generator
   * offers `offer` events/s for `seconds` and the rate at which rows land in the warehouse after a
   * 3 s ramp is the maximum (or at least `offer`, if it kept up). Waits for the backlog to drain.
   */
  async saturate(
    facilities: LocalFacility[],
    offer: number,
    seconds: number,
  ): Promise<{ rate: number; keptUp: boolean }> {
    const wh = await this.p.warehouse();
    await wh.query("TRUNCATE bench.applied");
    log(`maximum load: ${facilities.length} facilities offered ${offer.toFixed(0)} ev/s for ${seconds} s`);
    const g = await this.generate(facilities, offer, seconds);
    const from = g.t0 + 3000;
    const r = await wh.query(
      "SELECT count(*) AS n FROM bench.applied WHERE applied_at >= to_timestamp($1 / 1000.0) AND applied_at < to_timestamp($2 / 1000.0)",
      [from, g.end],
    );
    const rate = Number(r.rows[0].n) / ((g.end - from) / 1000);
    await waitFor(
      `the warehouse to catch up with ${g.written} events of the maximum-load run`,
      async () => (await this.appliedSince(g.t0)) >= g.written,
      { timeoutMs: 300_000, intervalMs: 500 },
    ).catch(() => undefined);
    log(`maximum load with ${facilities.length} facilities: ${rate.toFixed(0)} ev/s reached the warehouse`);
    return { rate, keptUp: rate >= 0.95 * offer };
  }

  /** Steady load at `rate` events/s over `facilities` for the configured seconds; latency of every event. */
  async latency(
    facilities: LocalFacility[],
    targetRate: number,
    maxRate: number,
  ): Promise<{ result: LatencyResult; uplink: UplinkRow }> {
    const wh = await this.p.warehouse();
    await wh.query("TRUNCATE bench.applied");
    const topics = dataTopics(tables);
    const bytes0 = topicBytes(this.p, topics);
    const off0 = totalOffsets(await endOffsets(this.p, topics));
    log(
      `latency: ${facilities.length} facilities at ${targetRate.toFixed(0)} ev/s for ${this.o.latencySeconds} s`,
    );
    const { written, t0, end } = await this.generate(facilities, targetRate, this.o.latencySeconds);
    const warm = t0 + 2000;
    const elapsed = (Date.now() - t0) / 1000;
    const since = () => this.appliedSince(t0);
    await waitFor(
      `the warehouse to receive ${written} latency events`,
      async () => (await since()) >= written,
      {
        timeoutMs: 60_000,
        intervalMs: 250,
      },
    ).catch(() => undefined);
    const applied = await since();
    const rows = await wh.query(
      "SELECT (extract(epoch FROM applied_at) * 1000 - src_ts_ms)::float8 AS ms FROM bench.applied WHERE src_ts_ms >= $1 AND src_ts_ms <= $2",
      [warm, end],
    );
    const stats = latencyStats(rows.rows.map((r: { ms: number }) => r.ms));
    const events = totalOffsets(await endOffsets(this.p, topics)) - off0;
    const bytes = topicBytes(this.p, topics) - bytes0;
    log(
      `latency ${facilities.length} facilities: p50 ${stats.p50.toFixed(0)} p95 ${stats.p95.toFixed(0)} p99 ${stats.p99.toFixed(0)} ms over ${stats.count} events`,
    );
    return {
      result: {
        facilities: facilities.length,
        maxRate,
        targetRate,
        offeredRate: written / elapsed,
        stats,
        missing: Math.max(0, written - applied),
      },
      uplink: {
        label: `facility workers, live at ${(written / elapsed).toFixed(0)} ev/s (${facilities.length} facilities)`,
        compression: "zstd",
        events,
        bytes,
        bytesPerEvent: bytes / events,
      },
    };
  }
}

function javaVersion(): string {
  const r = spawnSync("java", ["-version"], { encoding: "utf8" });
  return (r.stderr.split("\n")[0] ?? "java").replace(/"/g, "");
}

async function main(): Promise<void> {
  const o = parseBenchArgs(process.argv.slice(2));
  const startedAt = new Date();
  const loadBefore = loadavg();
  const seeds = facilityStackFiles().map((f) => loadFacilityStack(f).config);
  const maxF = Math.max(...o.facilities);
  const sweepF = o.facilities.includes(3) ? 3 : maxF;
  const initialF = Math.min(maxF, Math.max(sweepF, ...o.facilities.filter((f) => f <= seeds.length)));
  const configs = Array.from({ length: maxF }, (_, i) =>
    i < seeds.length ? seeds[i] : extraFacility(seeds[0], i + 1),
  );
  log(`starting the pipeline with ${initialF} facilities (options ${JSON.stringify(o)})`);
  const p = await Pipeline.start({
    facilities: configs.slice(0, initialF),
    rowsPerTable: 20,
    watchdog: false,
  });
  const b = new Bench(p, o);
  let failed = false;
  try {
    await p.waitForRunning();
    await p.waitForConvergence(300_000);
    const platformDefaults = { batchSize: p.platform.sink.batchSize, tasks: p.platform.sink.tasks };
    const first = b.live[0];
    log(`restarting ${first.config.slug}'s worker with the shipped heap`);
    const heap = await restartWithShippedHeap(p, first);
    await b.templates();

    const fl = await b.facilityLoad(first);
    log(
      `facility capture ${fl.captureRate.toFixed(0)} ev/s, RSS max ${fl.load.rssMiBMax.toFixed(0)} MiB, CPU ${fl.load.cpuPercent.toFixed(0)} %`,
    );
    const uplink = [...(await b.uplink(first)), fl.real];
    log(
      `uplink: ${uplink.map((u) => `${u.label} ${u.compression} ${u.bytesPerEvent.toFixed(0)} B`).join("; ")}`,
    );

    const upserts = o.batchSizes.flatMap((batchSize) =>
      [1, 2].map((connections) => ({ batchSize, connections })),
    );
    const settings = o.batchSizes.flatMap((batchSize) => o.tasks.map((tasks) => ({ batchSize, tasks })));
    const throughput: ThroughputResult[] = [];
    const sweep = await b.throughput(
      b.live.slice(0, sweepF),
      settings,
      upserts,
      SINK_VARIANTS.slice(0, o.quick ? 1 : undefined),
    );
    throughput.push(sweep);
    const best = { batchSize: sweep.best.batchSize, tasks: sweep.best.tasks };
    const bestRef = sweep.references
      .filter((r) => r.kind === "upsert")
      .sort((a, b2) => b2.eventsPerSecond - a.eventsPerSecond)[0];
    const refOf = [{ batchSize: bestRef.batchSize, connections: bestRef.connections }];
    const latency: LatencyResult[] = [];
    // The offer of the maximum-load run: more than the sink or the facilities can take alone.
    const offerFor = (f: number) => {
      const sink =
        throughput.find((t) => t.facilities === f)?.best.eventsPerSecond ?? sweep.best.eventsPerSecond;
      return 2 * Math.min(sink, fl.captureRate * f);
    };
    const runLatency = async (f: number) => {
      await putSink(p, best.tasks, best.batchSize);
      await latencyTriggers(await p.warehouse(), tables, true);
      const max = await b.saturate(b.live.slice(0, f), offerFor(f), o.quick ? 8 : 12);
      const l = await b.latency(b.live.slice(0, f), 0.5 * max.rate, max.rate);
      if (max.keptUp) l.result.maxIsLowerBound = true;
      await latencyTriggers(await p.warehouse(), tables, false);
      latency.push(l.result);
      uplink.push(l.uplink);
    };
    for (const f of o.facilities.filter((f) => f !== sweepF && f <= initialF))
      throughput.push(await b.throughput(b.live.slice(0, f), [best], refOf));
    for (const f of o.facilities.filter((f) => f <= initialF)) await runLatency(f);
    for (const f of o.facilities.filter((f) => f > initialF)) {
      log(`adding facilities ${b.live.length + 1}..${f}`);
      const before = b.live.length;
      await putSink(p, best.tasks, best.batchSize);
      for (let i = b.live.length; i < f; i += 2) {
        await Promise.all(
          configs.slice(i, Math.min(f, i + 2)).map((c) => p.addFacility(c, { rowsPerTable: 5 })),
        );
      }
      await p.waitForRunning();
      // Only the new facilities: the earlier ones' warehouse rows include the benchmark's own sets.
      await p.waitForConvergence(
        300_000,
        b.live.slice(before).map((x) => x.config.dhis2Code),
      );
      throughput.push(await b.throughput(b.live.slice(0, f), [best], refOf));
      await runLatency(f);
    }
    throughput.sort((a, b2) => a.facilities - b2.facilities);
    latency.sort((a, b2) => a.facilities - b2.facilities);

    const dlq = await p.dlqCount();
    if (dlq > 0) b.notes.push(`${dlq} records reached the sink DLQ during the run`);
    b.notes.push(
      `Machine load average before ${loadBefore.map((x) => x.toFixed(2)).join(", ")}: other processes shared the ${cpus().length} cores, so absolute rates are lower bounds; the ratios compare runs made minutes apart under the same load.`,
      "Kafka, PostgreSQL, the sink worker, every facility worker and the load generator share this machine's cores: on two cores the sink's rate is bounded by CPU, not by PostgreSQL's disk (fsync is off in the loopback server), and the references run without Kafka or the sink competing.",
      `Production latency adds SQL Server's CDC capture job: it scans the log every pollinginterval (sys.sp_cdc_change_job, default 5 s) and the Debezium SQL Server connector polls the change tables every poll.interval.ms (default 500 ms): up to +5.5 s (≈2.75 s mean) on top of the stand-in figures.`,
      `Facility worker run with ${heap} and G1 as in the image; the harness default is a 384 MiB ceiling.`,
      "The end-to-end maximum is measured with every facility worker, the sink, Kafka, PostgreSQL and the load generator sharing this machine's two cores; in production each facility has a host of its own, so with 3 and 10 facilities the maximum here is the machine's, not the pipeline's.",
    );
    const results: BenchResults = {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      durationSeconds: (Date.now() - startedAt.getTime()) / 1000,
      options: o,
      machine: {
        cpus: cpus().length,
        memoryMiB: Math.round(totalmem() / 2 ** 20),
        loadBefore,
        loadAfter: loadavg(),
        node: process.versions.node,
        java: javaVersion(),
        versions: { ...p.artifacts.versions, postgresql: "15" },
      },
      platformDefaults,
      throughput,
      latency,
      uplink: {
        rows: uplink,
        method:
          "log-segment bytes on disk of topics with compression.type=producer (batches stored as sent); same records re-produced with the facility worker's producer.* settings",
      },
      footprint: { heap, idle: fl.idle, load: fl.load, captureRate: fl.captureRate },
      notes: b.notes,
    };
    console.log(`\n${renderConsole(results)}`);
    if (o.out) {
      const out = resolve(REPO_ROOT, o.out);
      mkdirSync(dirname(out), { recursive: true });
      // Formatted as the repository's Prettier config would, so `prettier --check .` stays clean.
      const config = (await resolveConfig(out)) ?? {};
      writeFileSync(out, await format(JSON.stringify(results), { ...config, filepath: out }));
      log(`wrote ${o.out}`);
    }
    if (o.doc) {
      writeFileSync(resolve(REPO_ROOT, o.doc), renderPerformanceDoc(results));
      log(`wrote ${o.doc}`);
    }
  } catch (e) {
    failed = true;
    console.error(`bench failed: ${(e as Error).stack ?? e}`);
    console.error(`logs kept in ${p.ws.root}`);
  } finally {
    await p.stop(failed);
  }
  if (failed) process.exitCode = 1;
}

main().catch((e: unknown) => {
  console.error((e as Error).message);
  process.exitCode = 1;
});
