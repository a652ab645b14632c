import { decimalBase64, encodeField } from "../../infra/local/bench/events";
import {
  type BenchResults,
  FULL_DEFAULTS,
  QUICK_DEFAULTS,
  bestRun,
  evaluateTargets,
  findings,
  latencyStats,
  markdownTable,
  parseBenchArgs,
  percentile,
  ratio,
  recommendation,
  renderPerformanceDoc,
  resultTables,
  textTable,
  verdict,
} from "../../infra/local/bench/report";

describe("percentile (nearest rank)", () => {
  const xs = Array.from({ length: 100 }, (_, i) => i + 1);
  test.each([
    [50, 50],
    [95, 95],
    [99, 99],
    [100, 100],
    [0, 1],
    [1, 1],
  ])("p%d of 1..100 is %d", (p, want) => expect(percentile(xs, p)).toBe(want));

  test("of one sample is that sample", () => expect(percentile([7], 99)).toBe(7));
  test("of nothing is NaN", () => expect(percentile([], 50)).toBeNaN());

  test("latencyStats sorts its input", () => {
    expect(latencyStats([30, 10, 20, 40])).toEqual({
      count: 4,
      p50: 20,
      p95: 40,
      p99: 40,
      max: 40,
      mean: 25,
    });
  });
});

describe("verdicts and ratios", () => {
  test.each([
    [0.5, { atLeast: 0.5 }, "PASS"],
    [0.49, { atLeast: 0.5 }, "FAIL"],
    [2000, { atMost: 2000 }, "PASS"],
    [2001, { atMost: 2000 }, "FAIL"],
    [Number.NaN, { atLeast: 1 }, "N/A"],
    [undefined, { atLeast: 1 }, "N/A"],
  ] as const)("%p against %j is %s", (v, bound, want) => expect(verdict(v, bound)).toBe(want));

  test.each([
    [10, 4, 2.5],
    [0, 4, Number.NaN],
    [4, 0, Number.NaN],
    [undefined, 4, Number.NaN],
  ])("ratio(%p, %p) = %p", (a, b, want) => expect(ratio(a, b)).toEqual(want));

  test("bestRun takes the highest rate, ties to fewer tasks then smaller batches", () => {
    const runs = [
      { eventsPerSecond: 100, tasks: 2, batchSize: 500 },
      { eventsPerSecond: 100, tasks: 1, batchSize: 2000 },
      { eventsPerSecond: 100, tasks: 1, batchSize: 500 },
      { eventsPerSecond: 90, tasks: 1, batchSize: 100 },
    ];
    expect(bestRun(runs)).toBe(runs[2]);
  });

  test("bestRun fails if there are no runs", () => expect(() => bestRun([])).toThrow(/no runs/));
});

describe("parseBenchArgs", () => {
  test("defaults to the full run", () => expect(parseBenchArgs([])).toEqual(FULL_DEFAULTS));
  test("--quick, then explicit flags override", () =>
    expect(parseBenchArgs(["--events", "1000", "--quick", "--batch", "500,5000"])).toEqual({
      ...QUICK_DEFAULTS,
      events: 1000,
      batchSizes: [500, 5000],
    }));
  test("facility counts are sorted and unique", () =>
    expect(parseBenchArgs(["--facilities", "10,1,3,3"]).facilities).toEqual([1, 3, 10]));
  test.each([
    [["--events", "x"], /--events "x": expected positive integers/],
    [["--tasks", "0"], /--tasks "0"/],
    [["--facilities", "20"], /at most 15/],
    [["--frobnicate"], /unknown flag --frobnicate/],
  ])("rejects %j", (argv, msg) => expect(() => parseBenchArgs(argv)).toThrow(msg));
});

describe("tables", () => {
  test("textTable aligns columns, numbers to the right", () => {
    expect(
      textTable(
        ["name", "ev/s"],
        [
          ["a", "5"],
          ["longer", "1,234"],
        ],
      ),
    ).toBe(["name     ev/s", "------  -----", "a           5", "longer  1,234"].join("\n"));
  });
  test("markdownTable escapes pipes", () => {
    expect(markdownTable(["a", "b"], [["x|y", "1"]])).toBe("| a | b |\n| --- | ---: |\n| x\\|y | 1 |");
  });
});

describe("change event encoding", () => {
  test.each([
    [70.98, 2, "G7o="],
    [0, 2, "AA=="],
    [1.28, 2, "AIA="],
    [-1, 0, "/w=="],
    [37.5, 1, "AXc="],
  ])("Decimal %p (scale %p) is %s", (v, scale, want) => expect(decimalBase64(v, scale)).toBe(want));

  test("MicroTimestamp and Date follow Debezium's encoding", () => {
    expect(
      encodeField(
        { type: "int64", optional: false, field: "t", name: "io.debezium.time.MicroTimestamp" },
        "2026-09-15 03:19:23",
      ),
    ).toBe(1789442363000000);
    expect(
      encodeField({ type: "int32", optional: true, field: "d", name: "io.debezium.time.Date" }, "1970-01-02"),
    ).toBe(1);
    expect(encodeField({ type: "string", optional: true, field: "s" }, null)).toBeNull();
  });
});

function results(over: Partial<BenchResults> = {}): BenchResults {
  const run = (eventsPerSecond: number, batchSize: number, tasks: number) => ({
    batchSize,
    tasks,
    facilities: 3,
    events: 1000,
    seconds: 1,
    eventsPerSecond,
    startupSeconds: 2,
  });
  const best = run(3000, 5000, 2);
  return {
    startedAt: "2026-12-04T22:20:00.000Z",
    finishedAt: "2026-12-04T22:30:00.000Z",
    durationSeconds: 600,
    options: FULL_DEFAULTS,
    machine: {
      cpus: 2,
      memoryMiB: 24000,
      loadBefore: [1, 1, 1],
      loadAfter: [2, 2, 2],
      node: "20",
      java: "17",
      versions: {},
    },
    platformDefaults: { batchSize: 2000, tasks: 2 },
    throughput: [
      {
        facilities: 3,
        events: 1000,
        runs: [run(2000, 2000, 2), best],
        references: [
          {
            kind: "upsert",
            batchSize: 2000,
            connections: 1,
            events: 1000,
            seconds: 0.2,
            eventsPerSecond: 5000,
          },
          {
            kind: "copy",
            batchSize: 1000,
            connections: 1,
            events: 1000,
            seconds: 0.1,
            eventsPerSecond: 10000,
          },
        ],
        best,
        upsertCeiling: 5000,
        copyCeiling: 10000,
      },
    ],
    latency: [
      {
        facilities: 3,
        maxRate: 3000,
        targetRate: 1500,
        offeredRate: 1490,
        stats: { count: 100, p50: 300, p95: 900, p99: 2500, max: 3000, mean: 400 },
        missing: 0,
      },
    ],
    uplink: {
      method: "disk",
      rows: [
        {
          label: "same records, facility producer settings",
          compression: "none",
          events: 10,
          bytes: 12000,
          bytesPerEvent: 1200,
        },
        {
          label: "facility worker, bulk load (as shipped)",
          compression: "zstd",
          events: 10,
          bytes: 1000,
          bytesPerEvent: 100,
        },
      ],
    },
    footprint: {
      heap: "-Xms256m -Xmx256m",
      idle: { seconds: 10, rssMiBMax: 300, rssMiBMean: 290, cpuPercent: 1 },
      load: { seconds: 10, rssMiBMax: 420, rssMiBMean: 400, cpuPercent: 90 },
      captureRate: 4000,
    },
    notes: ["a note"],
    ...over,
  };
}

describe("targets", () => {
  test("each target gets its verdict from the run's own numbers", () => {
    expect(evaluateTargets(results()).map((t) => [t.target, t.verdict])).toEqual([
      ["sink throughput ≥ 0.5 × raw batched upsert", "PASS"],
      ["stretch: sink throughput ≥ 0.8 × raw batched upsert", "FAIL"],
      ["p99 end-to-end latency ≤ 2 s at half max load", "FAIL"],
      ["compression cuts uplink bytes/event ≥ 5×", "PASS"],
      ["facility worker < 512 MiB RSS under load", "PASS"],
    ]);
  });

  test("fails if the worker reaches 512 MiB", () => {
    const r = results();
    r.footprint.load.rssMiBMax = 512;
    expect(evaluateTargets(r)[4].verdict).toBe("FAIL");
  });

  test("a target not measured is N/A, never PASS", () => {
    expect(evaluateTargets(results({ latency: [] }))[2].verdict).toBe("N/A");
  });

  test("recommendation compares the best settings with the platform default", () => {
    expect(recommendation(results())).toEqual({
      batchSize: 5000,
      tasks: 2,
      eventsPerSecond: 3000,
      defaultEventsPerSecond: 2000,
      gain: 1.5,
    });
  });

  test("findings add SQL Server's capture delay to the stand-in p99", () => {
    const f = findings(results());
    expect(f.find((x) => x.startsWith("Latency:"))).toContain("p99 ≈ 8,000 ms");
    expect(f.find((x) => x.startsWith("Uplink:"))).toContain("(12.0 ×)");
  });

  test("every table row has one cell per header", () => {
    for (const t of resultTables(results()))
      for (const row of t.rows) expect(row).toHaveLength(t.headers.length);
  });

  test("the performance doc carries every table and the verdicts", () => {
    const doc = renderPerformanceDoc(results());
    expect(doc).toContain("### Targets");
    expect(doc).toContain(
      "| p99 end-to-end latency ≤ 2 s at half max load | 2,500 ms (3 facilities, 1,490 ev/s) | FAIL |",
    );
    expect(doc).toContain("`batch.size` 5000, `tasks.max` 2");
  });
});
