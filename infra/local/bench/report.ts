/**
 * Pure part of the benchmark: options, statistics, targets and how results are rendered (console
 * table, `bench/results.json`, `docs/PERFORMANCE.md`). Nothing here starts a process.
 */

/** Options of `npm run bench`. */
export interface BenchOptions {
  /** Change events per sink-throughput set (half inserts, then updates of the same rows). */
  events: number;
  /** Sink `batch.size` values swept (the worker's `consumer.max.poll.records` follows it). */
  batchSizes: number[];
  /** Sink `tasks.max` values swept. */
  tasks: number[];
  /** Facility counts of the scaling runs (the largest is started live). */
  facilities: number[];
  /** Seconds of steady load per latency run. */
  latencySeconds: number;
  /** Seconds of idle sampling of the facility worker. */
  idleSeconds: number;
  /** Times each sink setting and each reference is measured; the best counts (a shared machine is noisy). */
  repeats: number;
  quick: boolean;
  /** Where the JSON results go. */
  out: string;
  /** Where the Markdown report goes (empty: none). */
  doc: string;
}

/** Defaults of a full run (≈ 10–13 minutes on two cores). */
export const FULL_DEFAULTS: BenchOptions = {
  events: 30_000,
  batchSizes: [500, 2000, 5000],
  tasks: [1, 2],
  facilities: [1, 3, 10],
  latencySeconds: 20,
  idleSeconds: 10,
  repeats: 2,
  quick: false,
  out: "bench/results.json",
  doc: "docs/PERFORMANCE.md",
};

/** Defaults of `--quick` (≈ 3–4 minutes): the platform's settings plus one other, no 10-facility run. */
export const QUICK_DEFAULTS: BenchOptions = {
  ...FULL_DEFAULTS,
  events: 6000,
  batchSizes: [2000],
  tasks: [1, 2],
  facilities: [1, 3],
  latencySeconds: 10,
  idleSeconds: 5,
  repeats: 1,
  quick: true,
};

const USAGE = `usage: npm run bench -- [--quick] [--events N] [--batch 500,2000,5000] [--tasks 1,2]
       [--facilities 1,3,10] [--latency-seconds S] [--idle-seconds S] [--repeats N] [--out FILE] [--doc FILE|""]`;

function positiveInts(flag: string, value: string | undefined): number[] {
  const list = (value ?? "").split(",").map((s) => Number(s.trim()));
  if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n <= 0)) {
    throw new Error(
      `${flag} ${JSON.stringify(value)}: expected positive integers separated by commas\n${USAGE}`,
    );
  }
  return list;
}

/** Parses the command line (`--quick` first sets the quick defaults, later flags override). */
export function parseBenchArgs(argv: string[]): BenchOptions {
  const opts: BenchOptions = { ...(argv.includes("--quick") ? QUICK_DEFAULTS : FULL_DEFAULTS) };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    const one = () => {
      i++;
      const [n] = positiveInts(flag, value);
      return n;
    };
    switch (flag) {
      case "--quick":
        break;
      case "--events":
        opts.events = one();
        if (opts.events < 8) throw new Error(`--events ${opts.events}: at least 8 (two per table)\n${USAGE}`);
        break;
      case "--batch":
        opts.batchSizes = positiveInts(flag, value);
        i++;
        break;
      case "--tasks":
        opts.tasks = positiveInts(flag, value);
        i++;
        break;
      case "--facilities":
        opts.facilities = [...new Set(positiveInts(flag, value))].sort((a, b) => a - b);
        if (opts.facilities[opts.facilities.length - 1] > 15)
          throw new Error(
            `--facilities ${value}: at most 15 (the stand-in server's replication slots)\n${USAGE}`,
          );
        i++;
        break;
      case "--latency-seconds":
        opts.latencySeconds = one();
        break;
      case "--idle-seconds":
        opts.idleSeconds = one();
        break;
      case "--repeats":
        opts.repeats = one();
        break;
      case "--out":
        opts.out = value ?? "";
        i++;
        break;
      case "--doc":
        opts.doc = value ?? "";
        i++;
        break;
      case "--help":
      case "-h":
        throw new Error(USAGE);
      default:
        throw new Error(`unknown flag ${flag}\n${USAGE}`);
    }
  }
  return opts;
}

/** Nearest-rank percentile of an ascending array (NaN when empty). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** Latency distribution in milliseconds. */
export interface LatencyStats {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Summarises latency samples (ms). */
export function latencyStats(samples: readonly number[]): LatencyStats {
  const s = [...samples].sort((a, b) => a - b);
  const mean = s.length ? s.reduce((a, b) => a + b, 0) / s.length : Number.NaN;
  return {
    count: s.length,
    p50: percentile(s, 50),
    p95: percentile(s, 95),
    p99: percentile(s, 99),
    max: s.length ? s[s.length - 1] : Number.NaN,
    mean,
  };
}

/** PASS, FAIL, or not measured in this run. */
export type Verdict = "PASS" | "FAIL" | "N/A";

/** `value` against a lower (`atLeast`) or upper (`atMost`) bound; N/A when not a finite number. */
export function verdict(value: number | undefined, bound: { atLeast?: number; atMost?: number }): Verdict {
  if (value === undefined || !Number.isFinite(value)) return "N/A";
  if (bound.atLeast !== undefined && value < bound.atLeast) return "FAIL";
  if (bound.atMost !== undefined && value > bound.atMost) return "FAIL";
  return "PASS";
}

/** `a / b`, NaN unless both are positive finite numbers. */
export function ratio(a: number | undefined, b: number | undefined): number {
  if (a === undefined || b === undefined || !(a > 0) || !(b > 0) || !Number.isFinite(a + b))
    return Number.NaN;
  return a / b;
}

/** One sink drain: N events already in Kafka, time until the warehouse holds all of them. */
export interface SinkRun {
  batchSize: number;
  tasks: number;
  facilities: number;
  events: number;
  seconds: number;
  eventsPerSecond: number;
  /** Connector created → first row in the warehouse (start-up and group join, not in the rate). */
  startupSeconds: number;
  /** CPU of the sink worker JVM while draining, % of one core. */
  sinkCpuPercent?: number;
  /** CPU of the PostgreSQL server (every backend) while draining, % of one core. */
  postgresCpuPercent?: number;
  /** A candidate configuration change tried on top of the shipped one (not a shipped setting). */
  variant?: string;
  /** Warehouse rows that differ from our own upsert of the same events (0: exactly right). */
  differences?: number;
}

/** Our own code writing the same rows into the same PostgreSQL. */
export interface ReferenceRun {
  kind: "upsert" | "copy";
  /** Rows per statement (upsert) or per COPY (the whole table's events). */
  batchSize: number;
  connections: number;
  events: number;
  seconds: number;
  eventsPerSecond: number;
}

/** Sink throughput for one facility count, with its references measured in the same run. */
export interface ThroughputResult {
  facilities: number;
  events: number;
  runs: SinkRun[];
  references: ReferenceRun[];
  best: SinkRun;
  /** Best multi-row `INSERT … ON CONFLICT DO UPDATE` of the references. */
  upsertCeiling: number;
  /** Best `COPY` into a staging table. */
  copyCeiling: number;
}

/** End-to-end latency for one facility count. */
export interface LatencyResult {
  facilities: number;
  /** Events/s that reached the warehouse when offered more than the pipeline could take (the maximum). */
  maxRate: number;
  /** The pipeline kept up with everything offered: the maximum is at least `maxRate`. */
  maxIsLowerBound?: boolean;
  /** Events/s offered (all facilities together). */
  targetRate: number;
  /** Events/s actually committed at the facilities. */
  offeredRate: number;
  stats: LatencyStats;
  /** Events committed in the measured window that never reached the warehouse within the drain bound. */
  missing: number;
}

/** Bytes per change event on the facility uplink for one way of producing. */
export interface UplinkRow {
  label: string;
  compression: "none" | "zstd";
  events: number;
  bytes: number;
  bytesPerEvent: number;
  /** Mean records per produced batch. */
  eventsPerBatch?: number;
}

/** Resident memory and CPU of one facility worker over a window. */
export interface FootprintSample {
  seconds: number;
  rssMiBMax: number;
  rssMiBMean: number;
  /** Percent of one core. */
  cpuPercent: number;
}

/** Everything one run measured. */
export interface BenchResults {
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  options: BenchOptions;
  machine: {
    cpus: number;
    memoryMiB: number;
    loadBefore: number[];
    loadAfter: number[];
    node: string;
    java: string;
    versions: Record<string, string>;
  };
  platformDefaults: { batchSize: number; tasks: number };
  throughput: ThroughputResult[];
  latency: LatencyResult[];
  uplink: { rows: UplinkRow[]; method: string };
  footprint: {
    heap: string;
    idle: FootprintSample;
    load: FootprintSample;
    /** Events/s one facility worker captured (sink paused) while under load. */
    captureRate: number;
  };
  notes: string[];
}

/** One target line. */
export interface TargetLine {
  target: string;
  measured: string;
  verdict: Verdict;
}

const fmt = (n: number, digits = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : "—";

/** The throughput result of the "several facilities" sweep (the one with most runs). */
export function sweepResult(r: BenchResults): ThroughputResult | undefined {
  return [...r.throughput].sort((a, b) => b.runs.length - a.runs.length || b.facilities - a.facilities)[0];
}

/** The latency result the p99 target is judged on: the sweep's facility count, else the largest. */
export function headlineLatency(r: BenchResults): LatencyResult | undefined {
  const f = sweepResult(r)?.facilities;
  return r.latency.find((l) => l.facilities === f) ?? r.latency[r.latency.length - 1];
}

/** Uplink ratio the compression target is judged on: the facility worker's own zstd bytes under load. */
export function uplinkRatio(rows: readonly UplinkRow[]): {
  none?: UplinkRow;
  zstd?: UplinkRow;
  ratio: number;
} {
  const none = rows.find((u) => u.compression === "none" && u.label.startsWith("same records"));
  const zstd = rows.find((u) => u.compression === "zstd" && u.label.startsWith("facility worker"));
  return { none, zstd, ratio: ratio(none?.bytesPerEvent, zstd?.bytesPerEvent) };
}

/** The four targets of the benchmark issue, each with its verdict. Never loosened: a FAIL is a finding. */
export function evaluateTargets(r: BenchResults): TargetLine[] {
  const sweep = sweepResult(r);
  const sinkRatio = ratio(sweep?.best.eventsPerSecond, sweep?.upsertCeiling);
  const lat = headlineLatency(r);
  const up = uplinkRatio(r.uplink.rows);
  const rss = r.footprint.load.rssMiBMax;
  return [
    {
      target: "sink throughput ≥ 0.5 × raw batched upsert",
      measured: `${fmt(sinkRatio, 2)} × (${fmt(sweep?.best.eventsPerSecond ?? NaN)} vs ${fmt(sweep?.upsertCeiling ?? NaN)} ev/s)`,
      verdict: verdict(sinkRatio, { atLeast: 0.5 }),
    },
    {
      target: "stretch: sink throughput ≥ 0.8 × raw batched upsert",
      measured: `${fmt(sinkRatio, 2)} ×`,
      verdict: verdict(sinkRatio, { atLeast: 0.8 }),
    },
    {
      target: "p99 end-to-end latency ≤ 2 s at half max load",
      measured: lat
        ? `${fmt(lat.stats.p99)} ms (${lat.facilities} facilities, ${fmt(lat.offeredRate)} ev/s)`
        : "not measured",
      verdict: verdict(lat?.stats.p99, { atMost: 2000 }),
    },
    {
      target: "compression cuts uplink bytes/event ≥ 5×",
      measured: `${fmt(up.ratio, 1)} × (${fmt(up.none?.bytesPerEvent ?? NaN)} → ${fmt(up.zstd?.bytesPerEvent ?? NaN)} B/event)`,
      verdict: verdict(up.ratio, { atLeast: 5 }),
    },
    {
      target: "facility worker < 512 MiB RSS under load",
      measured: `${fmt(rss)} MiB max (heap ${r.footprint.heap})`,
      verdict: verdict(rss, { atMost: 511.999 }),
    },
  ];
}

/** The fastest sink settings of the sweep and whether they beat the platform defaults. */
export function recommendation(r: BenchResults): {
  batchSize: number;
  tasks: number;
  eventsPerSecond: number;
  defaultEventsPerSecond: number;
  gain: number;
} {
  const sweep = sweepResult(r);
  const best = sweep?.best;
  const def = sweep?.runs.find(
    (s) => !s.variant && s.batchSize === r.platformDefaults.batchSize && s.tasks === r.platformDefaults.tasks,
  );
  return {
    batchSize: best?.batchSize ?? r.platformDefaults.batchSize,
    tasks: best?.tasks ?? r.platformDefaults.tasks,
    eventsPerSecond: best?.eventsPerSecond ?? Number.NaN,
    defaultEventsPerSecond: def?.eventsPerSecond ?? Number.NaN,
    gain: ratio(best?.eventsPerSecond, def?.eventsPerSecond),
  };
}

/** Candidate sink settings (variants) against the best shipped settings of the sweep. */
export function variantFindings(r: BenchResults): { text: string; gain: number }[] {
  const sweep = sweepResult(r);
  if (!sweep) return [];
  return sweep.runs
    .filter((s) => s.variant)
    .map((s) => {
      const gain = ratio(s.eventsPerSecond, sweep.best.eventsPerSecond);
      return {
        gain,
        text: `${s.variant} (batch ${s.batchSize}, ${s.tasks} tasks): ${fmt(s.eventsPerSecond)} events/s, ${fmt(gain, 2)} × the best shipped settings, ${fmt(ratio(s.eventsPerSecond, sweep.upsertCeiling), 2)} × the raw upsert`,
      };
    });
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** What the numbers say, one bullet each, computed from the run (the PERFORMANCE.md "Findings"). */
export function findings(r: BenchResults): string[] {
  const out: string[] = [];
  const sweep = sweepResult(r);
  if (sweep) {
    const b = sweep.best;
    out.push(
      `Sink: the best shipped settings (batch ${b.batchSize}, ${plural(b.tasks, "task")}) drained ${fmt(b.eventsPerSecond)} events/s, ` +
        `${fmt(ratio(b.eventsPerSecond, sweep.upsertCeiling), 2)} × our own multi-row upsert of the same rows (${fmt(sweep.upsertCeiling)} events/s) ` +
        `and ${fmt(ratio(b.eventsPerSecond, sweep.copyCeiling), 2)} × COPY. While draining, the sink JVM used ${fmt(b.sinkCpuPercent ?? NaN)} % ` +
        `and PostgreSQL ${fmt(b.postgresCpuPercent ?? NaN)} % of one core (the machine has ${r.machine.cpus * 100} %). ` +
        "The Debezium JDBC sink writes each flush as a JDBC batch of one-row `INSERT … ON CONFLICT DO UPDATE` statements " +
        "(a thread dump of a draining task sits in `PgPreparedStatement.executeBatch` under `DefaultRecordWriter`): pgjdbc pipelines them, " +
        "but PostgreSQL executes every row as a statement of its own, and every record is first parsed from JSON with its schema. " +
        `The reference sends ${[...new Set(sweep.references.filter((x) => x.kind === "upsert").map((x) => x.batchSize))].join(", ")} rows per statement.`,
    );
  }
  const lat = headlineLatency(r);
  if (lat) {
    out.push(
      `Latency: at ${fmt(lat.offeredRate)} events/s from ${plural(lat.facilities, "facility", "facilities")} (half the measured end-to-end maximum of ${fmt(lat.maxRate)} events/s) the stand-in pipeline's p99 was ` +
        `${fmt(lat.stats.p99)} ms (p50 ${fmt(lat.stats.p50)} ms). Its floor is the facility producer's \`linger.ms\` (200 ms), ` +
        "Debezium's poll loop and the sink's flush. With SQL Server in production add up to 5.5 s (capture job `pollinginterval` 5 s + " +
        `\`poll.interval.ms\` 0.5 s): p99 ≈ ${fmt(lat.stats.p99 + 5500)} ms with the default capture job, ≈ ${fmt(lat.stats.p99 + 1500)} ms with \`pollinginterval\` = 1.`,
    );
  }
  const up = uplinkRatio(r.uplink.rows);
  const one = r.uplink.rows.filter((u) => u.label.includes("one event per batch"));
  const oneNone = one.find((u) => u.compression === "none");
  const oneZstd = one.find((u) => u.compression === "zstd");
  if (up.zstd && up.none) {
    out.push(
      `Uplink: under load the facility worker sends ${fmt(up.zstd.bytesPerEvent)} B per event with zstd against ${fmt(up.none.bytesPerEvent)} B ` +
        `uncompressed (${fmt(up.ratio, 1)} ×): JSON-with-schema repeats the schema in every record and zstd removes the repetition across a batch.` +
        (oneNone && oneZstd
          ? ` A quiet facility that sends one change per batch gets only ${fmt(ratio(oneNone.bytesPerEvent, oneZstd.bytesPerEvent), 1)} × ` +
            `(${fmt(oneZstd.bytesPerEvent)} B per event): compression needs several events per batch, which \`linger.ms\` collects when there are any.`
          : ""),
    );
  }
  const f = r.footprint;
  out.push(
    `Facility worker: ${fmt(f.idle.rssMiBMax)} MiB resident idle, ${fmt(f.load.rssMiBMax)} MiB at most while capturing ${fmt(f.captureRate)} events/s ` +
      `(${fmt(f.load.cpuPercent)} % of one core) with ${f.heap}; the heap is fixed, so resident memory above it is metaspace, code cache, thread stacks and buffers.`,
  );
  return out;
}

/** The best run: highest rate, ties to fewer tasks then smaller batches. */
export function bestRun<T extends { eventsPerSecond: number; tasks: number; batchSize: number }>(
  runs: T[],
): T {
  if (runs.length === 0) throw new Error("no runs to pick the best of");
  return [...runs].sort(
    (a, b) => b.eventsPerSecond - a.eventsPerSecond || a.tasks - b.tasks || a.batchSize - b.batchSize,
  )[0];
}

/** Column-aligned plain-text table. */
export function textTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])))
      .join("  ")
      .trimEnd();
  return [line(headers), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

/** GitHub-flavoured Markdown table (first column left, the rest right-aligned). */
export function markdownTable(headers: string[], rows: string[][]): string {
  const esc = (s: string) => s.replace(/\|/g, "\\|");
  return [
    `| ${headers.map(esc).join(" | ")} |`,
    `|${headers.map((_, i) => (i === 0 ? " --- " : " ---: ")).join("|")}|`,
    ...rows.map((r) => `| ${r.map(esc).join(" | ")} |`),
  ].join("\n");
}

type Table = { title: string; headers: string[]; rows: string[][] };

/** Every table of a run, shared by the console and the Markdown report. */
export function resultTables(r: BenchResults): Table[] {
  const tables: Table[] = [];
  const sweep = sweepResult(r);
  if (sweep) {
    tables.push({
      title: `Sink throughput: ${fmt(sweep.events)} events from ${plural(sweep.facilities, "facility", "facilities")} already in Kafka`,
      headers: [
        "settings",
        "events/s",
        "× upsert",
        "× COPY",
        "drain s",
        "start-up s",
        "sink CPU %",
        "PG CPU %",
        "rows ≠ ref",
      ],
      rows: [
        ...sweep.runs.map((s) => [
          `sink batch ${s.batchSize}, ${s.tasks} task${s.tasks > 1 ? "s" : ""}${s.variant ? ` + ${s.variant}` : ""}${s === sweep.best ? " (best)" : ""}`,
          fmt(s.eventsPerSecond),
          fmt(ratio(s.eventsPerSecond, sweep.upsertCeiling), 2),
          fmt(ratio(s.eventsPerSecond, sweep.copyCeiling), 2),
          fmt(s.seconds, 1),
          fmt(s.startupSeconds, 1),
          fmt(s.sinkCpuPercent ?? NaN),
          fmt(s.postgresCpuPercent ?? NaN),
          fmt(s.differences ?? NaN),
        ]),
        ...sweep.references.map((x) => [
          x.kind === "upsert"
            ? `raw upsert, ${x.batchSize} rows/statement, ${x.connections} conn`
            : `COPY to staging, ${x.connections} conn`,
          fmt(x.eventsPerSecond),
          fmt(ratio(x.eventsPerSecond, sweep.upsertCeiling), 2),
          fmt(ratio(x.eventsPerSecond, sweep.copyCeiling), 2),
          fmt(x.seconds, 1),
          "",
          "",
          "",
          "",
        ]),
      ],
    });
  }
  if (r.latency.length || r.throughput.length) {
    const counts = [
      ...new Set([...r.throughput.map((t) => t.facilities), ...r.latency.map((l) => l.facilities)]),
    ].sort((a, b) => a - b);
    tables.push({
      title: "Scaling (sink at its best settings; latency at half the measured maximum load)",
      headers: [
        "facilities",
        "sink ev/s",
        "× upsert",
        "e2e max ev/s",
        "load ev/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
        "samples",
      ],
      rows: counts.map((f) => {
        const t = r.throughput.find((x) => x.facilities === f);
        const l = r.latency.find((x) => x.facilities === f);
        return [
          String(f),
          fmt(t?.best.eventsPerSecond ?? NaN),
          fmt(ratio(t?.best.eventsPerSecond, t?.upsertCeiling), 2),
          `${l?.maxIsLowerBound ? "≥ " : ""}${fmt(l?.maxRate ?? NaN)}`,
          fmt(l?.offeredRate ?? NaN),
          fmt(l?.stats.p50 ?? NaN),
          fmt(l?.stats.p95 ?? NaN),
          fmt(l?.stats.p99 ?? NaN),
          fmt(l?.stats.max ?? NaN),
          l ? `${fmt(l.stats.count)}${l.missing ? ` (${l.missing} missing)` : ""}` : "—",
        ];
      }),
    });
  }
  if (r.uplink.rows.length) {
    const none = uplinkRatio(r.uplink.rows).none;
    tables.push({
      title: "Uplink bytes per change event (facility → Kafka)",
      headers: ["how produced", "compression", "events", "events/batch", "bytes/event", "× vs uncompressed"],
      rows: r.uplink.rows.map((u) => [
        u.label,
        u.compression,
        fmt(u.events),
        fmt(u.eventsPerBatch ?? NaN, 1),
        fmt(u.bytesPerEvent),
        fmt(ratio(none?.bytesPerEvent, u.bytesPerEvent), 1),
      ]),
    });
  }
  const f = r.footprint;
  tables.push({
    title: `Facility worker footprint (heap ${f.heap}, as shipped)`,
    headers: ["state", "seconds", "RSS max MiB", "RSS mean MiB", "CPU % of a core"],
    rows: [
      ["idle", fmt(f.idle.seconds), fmt(f.idle.rssMiBMax), fmt(f.idle.rssMiBMean), fmt(f.idle.cpuPercent, 1)],
      [
        `under load (${fmt(f.captureRate)} ev/s captured)`,
        fmt(f.load.seconds),
        fmt(f.load.rssMiBMax),
        fmt(f.load.rssMiBMean),
        fmt(f.load.cpuPercent, 1),
      ],
    ],
  });
  tables.push({
    title: "Targets",
    headers: ["target", "measured", "verdict"],
    rows: evaluateTargets(r).map((t) => [t.target, t.measured, t.verdict]),
  });
  return tables;
}

/** The console report. */
export function renderConsole(r: BenchResults): string {
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(" ");
  const head = `bench ${r.startedAt} — ${r.durationSeconds.toFixed(0)} s, ${r.machine.cpus} CPUs, load before ${load(r.machine.loadBefore)}, after ${load(r.machine.loadAfter)}`;
  const rec = recommendation(r);
  const tail = `recommended sink settings: batch.size ${rec.batchSize}, tasks ${rec.tasks} (${fmt(rec.eventsPerSecond)} ev/s; platform default ${r.platformDefaults.batchSize}/${r.platformDefaults.tasks}: ${fmt(rec.defaultEventsPerSecond)} ev/s)`;
  return [
    head,
    ...resultTables(r).map((t) => `\n${t.title}\n${textTable(t.headers, t.rows)}`),
    "",
    tail,
    ...variantFindings(r).map((v) => `candidate: ${v.text}`),
    ...r.notes.map((n) => `note: ${n}`),
  ].join("\n");
}

/** `docs/PERFORMANCE.md`: how the numbers are made and read, then the last run. */
export function renderPerformanceDoc(r: BenchResults): string {
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(", ");
  const rec = recommendation(r);
  const o = r.options;
  const sections = resultTables(r)
    .map((t) => `### ${t.title}\n\n${markdownTable(t.headers, t.rows)}`)
    .join("\n\n");
  return `# Performance

\`npm run bench\` runs the real loopback data plane (Kafka with SASL/SCRAM over TLS, the facility
Debezium workers, the central Debezium JDBC sink, PostgreSQL 15) with the exact configuration
\`infra/connect\` builds, measures it, prints the tables below and writes \`bench/results.json\` and
this file. \`npm run bench -- --quick\` is a ≈3-minute version (one batch size, 1 and 3 facilities);
see \`--help\` for the size flags. It is not part of \`npm test\`.

Absolute numbers depend on the machine and on whatever else runs on it, so every throughput is also
given as a **ratio to the physical limit measured in the same run on the same PostgreSQL**: our own
code writing the same rows, as a multi-row \`INSERT … ON CONFLICT DO UPDATE\` (the same statement
shape the sink uses, without Kafka, JSON or JDBC) and as \`COPY\` into an unindexed staging table
(the cheapest way PostgreSQL takes rows at all). Read the ratios first; compare absolute numbers
only between runs on the same machine at the same load.

## How each number is made

1. **Sink throughput.** N change events (half inserts, then an update of every inserted row) for
   several facilities are built from real records — the JsonConverter schema + payload a facility
   worker actually produced in this run, with rows from \`makeRow\` — and produced into the shared
   data topics **as each facility's own principal with the facility worker's producer settings**
   (zstd, \`linger.ms\`, \`batch.size\`, idempotence). The sink connector is then created with each
   swept \`batch.size\` × \`tasks.max\`, its consumer group is set back to the first of those events,
   and the warehouse is polled every 50 ms until every row exists and carries its update. The rate
   counts from the first row seen, so connector start-up and the group join (reported apart) are
   not in it. The sink worker's \`consumer.max.poll.records\` follows \`batch.size\`, as
   \`sinkWorkerProperties\` sets it. An unrecorded warm-up drain comes first and after every restart of the sink worker (JIT), every setting
   and every reference is measured ${o.repeats === 1 ? "once" : `${o.repeats} times and the best counts`}, and after every drain the
   warehouse rows are compared with our own upsert of the same events ("rows ≠ ref", 0 = identical).
   "Candidate" rows try Debezium JDBC sink options our config does not set, at the best settings.
2. **End-to-end latency.** Triggers on the warehouse tables log \`clock_timestamp()\` for every row
   the sink writes, next to the row's \`__source_ts_ms\` (the commit time the unwrap SMT copies from
   the source). A generator commits a transaction every 100 ms at every facility's stand-in
   database — half new rows, half updates of earlier ones — at half of the measured maximum load.
   The maximum ("e2e max") is measured first with the same facilities: the generator offers 2 ×
   the lower of the sink's best rate and the facilities' capture rate, and the rate at which rows
   land in the warehouse (after a 3 s ramp) is the most the whole pipeline takes on this machine;
   the backlog drains before the latency run. Latency = write time in the
   warehouse − commit time at the facility, for every event committed after a 2 s warm-up. Both
   clocks are the same host's.
   **Production adds the SQL Server capture delay**, which the PostgreSQL stand-in does not have:
   the CDC capture job scans the log every \`pollinginterval\` seconds (\`sys.sp_cdc_change_job\`,
   default 5 s), and the Debezium SQL Server connector polls the change tables every
   \`poll.interval.ms\` (default 500 ms, not overridden by our config). That is up to 5.5 s more
   (≈2.75 s on average) on top of the numbers here; \`EXEC sys.sp_cdc_change_job @job_type =
   N'capture', @pollinginterval = 1\` brings it to ≈1.5 s worst case.
3. **Uplink bytes per event.** Kafka stores a producer's record batches byte for byte when the
   topic's \`compression.type\` is \`producer\` (ours), so the growth of the topic's log segments on
   disk is what crossed the uplink, minus the produce request's own framing (tens of bytes per
   request) and TLS. "facility worker" rows are the data topics' growth while the facility worker
   captured a bulk load (its real zstd batches), and "facility workers, live" rows the growth during
   each latency run (smaller batches at a steady rate). "same records" rows re-produce exactly the records
   the facility wrote, read back from Kafka, with the facility worker's producer settings and only
   \`compression.type\` changed, into scratch topics with the same partitions; "one event per batch"
   forces \`batch.size=1\`, which is what a quiet facility sends (one change per 200 ms linger).
   The target is judged on the facility worker's own zstd bytes against the same records uncompressed.
4. **Facility worker footprint.** One facility worker is restarted with the heap the facility stack
   ships (\`KAFKA_HEAP_OPTS\` from \`heapOpts\`, i.e. \`-Xms\` = \`-Xmx\` = \`worker.heapMiB\`) and the
   JVM flags of Kafka's start scripts (G1). VmRSS from \`/proc/<pid>/status\` and utime+stime from
   \`/proc/<pid>/stat\` are sampled every 500 ms: idle (heartbeats only) and while it captures a
   bulk load of ${fmt(o.events)} events with the sink paused (CPU is % of one core).
5. **Scaling.** The same sink measurement with 1, 3 and 10 facilities' events, each with its own
   upsert ceiling, and the latency run with that many live facility workers. Extra facilities are
   copies of a seed facility with a new slug, DHIS2 code and name.

## Targets

A FAIL is a finding, not a reason to change the target: the notes below say what limits it.

| target | bound |
| --- | --- |
| sink throughput | ≥ 0.5 × raw batched upsert in the same run (stretch ≥ 0.8) |
| end-to-end p99 | ≤ 2 s at half of the measured maximum load (stand-in source) |
| uplink compression | ≥ 5× fewer bytes per event |
| facility worker | < 512 MiB resident under load |

## Last run

${r.startedAt}, ${r.durationSeconds.toFixed(0)} s, ${r.machine.cpus} CPUs, ${fmt(r.machine.memoryMiB)} MiB RAM, load average
before ${load(r.machine.loadBefore)} and after ${load(r.machine.loadAfter)}${o.quick ? " (`--quick`)" : ""}; events per set
${fmt(o.events)}; Node ${r.machine.node}, ${r.machine.java}, ${Object.entries(r.machine.versions)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ")}.

${sections}

**Recommended sink settings:** \`batch.size\` ${rec.batchSize}, \`tasks.max\` ${rec.tasks}
(${fmt(rec.eventsPerSecond)} events/s; the platform default ${r.platformDefaults.batchSize} / ${r.platformDefaults.tasks} made ${fmt(rec.defaultEventsPerSecond)} events/s${Number.isFinite(rec.gain) ? `, ${fmt(rec.gain, 2)} ×` : ""}).

### Findings

${findings(r)
  .map((f) => `- ${f}`)
  .join("\n")}

### Candidate sink settings (not shipped)

Tried at the best swept batch size and task count, on top of what \`jdbcSinkConnector\` builds:

${
  variantFindings(r)
    .map((v) => `- ${v.text}`)
    .join("\n") || "- none tried in this run"
}

### Notes

${r.notes.map((n) => `- ${n}`).join("\n")}
`;
}
