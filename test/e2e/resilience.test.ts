import { existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Client } from "pg";
import type { FacilityConfig } from "../../infra/config/facility";
import { facilityStackFiles, loadFacilityStack } from "../../infra/config/stackfiles";
import {
  DLQ_TOPIC,
  FACILITY_FIELDS,
  SINK_CONNECTOR,
  dataTopic,
  sourceConnectorName,
} from "../../infra/connect/names";
import { renderProperties } from "../../infra/connect/properties";
import { assertNoProcessesLeft, runJavaTool, sleep, waitFor, withAdmin } from "../../infra/local";
import {
  TABLES,
  type Comparison,
  type TableDef,
  insertRowObjects,
  makeRow,
  randomChanges,
} from "../../infra/local/clinicmaster";
import { Pipeline, type LocalFacility } from "../../infra/local/pipeline";
import { renderStatus } from "../../infra/local/status";

// Two Kafka clusters (1 and 3 brokers), up to five Connect JVMs and two PostgreSQL servers, one after
// the other, on two shared cores.
jest.setTimeout(10 * 60_000);

/** One line of the summary printed at the end of the suite. */
interface SummaryRow {
  scenario: string;
  /** Changes (inserts, updates, deletes) or records written at the source during the scenario. */
  written: number;
  /** Rows at the source of the compared facilities when the warehouse matched. */
  sourceRows: number;
  /** Rows in the warehouse for those facilities. */
  warehouseRows: number;
  /** Tables (per facility) whose count or content digest differ. */
  mismatches: number;
  /** From the end of the fault (restart, server back) to an exact match. */
  convergeMs: number;
  /** The whole scenario. */
  totalMs: number;
}

const summary: SummaryRow[] = [];
const suiteStarted = Date.now();

function facilityConfigs(): FacilityConfig[] {
  const configs = facilityStackFiles().map((f) => loadFacilityStack(f).config);
  if (configs.length < 2)
    throw new Error(
      `the resilience suite needs at least two facilities in facilities/Pulumi.*.yaml, found ${configs.length}`,
    );
  return configs;
}

/** A facility that exists in no stack file: a copy of `base` with a new identity. */
function extraFacility(base: FacilityConfig, slug: string, dhis2Code: string, name: string): FacilityConfig {
  return { ...base, slug, dhis2Code, name };
}

/** A stream of random inserts, updates and deletes against one stand-in database until stopped. */
class ChangeStream {
  written = 0;
  private stopped = false;
  private readonly done: Promise<void>;

  constructor(
    private readonly db: Client,
    private readonly salt: number,
    private readonly seed: number,
    private readonly chunk = 5,
    private readonly pauseMs = 100,
    private readonly tables: TableDef[] = TABLES,
  ) {
    this.done = this.loop();
    // Surfaced by stop(); this only keeps an early failure from being reported as unhandled.
    this.done.catch(() => undefined);
  }

  private async loop(): Promise<void> {
    for (let i = 0; !this.stopped; i++) {
      await randomChanges(this.db, this.salt, this.chunk, this.seed + i, this.tables);
      this.written += this.chunk;
      await sleep(this.pauseMs);
    }
  }

  /** Stops the stream; rethrows the error that ended it early, if any. Returns the changes made. */
  async stop(): Promise<number> {
    this.stopped = true;
    await this.done;
    return this.written;
  }
}

/** A text column per stand-in table that an update may overwrite. */
const UPDATABLE: Record<string, string> = {
  Patients: "Village",
  Visits: "Complaint",
  Appointments: "Status",
  Medications: "Dose",
};

/** `perTable` new rows in every table and an update of every 7th row; returns the rows changed. */
async function insertsAndUpdates(db: Client, salt: number, perTable: number): Promise<number> {
  let n = 0;
  for (const t of TABLES) {
    const k = `"${t.key[0]}"`;
    const max = Number((await db.query(`SELECT coalesce(max(${k}), 0) AS m FROM dbo."${t.name}"`)).rows[0].m);
    const rows = Array.from({ length: perTable }, (_, i) => makeRow(t.name, max + 1 + i, salt));
    await insertRowObjects(db, t.name, rows);
    const col = UPDATABLE[t.name];
    if (!col) throw new Error(`no updatable column known for table ${t.name}`);
    const upd = await db.query(`UPDATE dbo."${t.name}" SET "${col}" = 'changed ' || ${k} WHERE ${k} % 7 = 0`);
    n += rows.length + (upd.rowCount ?? 0);
  }
  return n;
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** Rows of the warehouse that share a composite key (none can, with the primary key in place). */
async function duplicateKeys(p: Pipeline, codes: string[]): Promise<number> {
  const wh = await p.warehouse();
  let dup = 0;
  for (const t of TABLES) {
    const cols = [...t.key, FACILITY_FIELDS.code].map((c) => `"${c}"`).join(",");
    const res = await wh.query(
      `SELECT count(*) AS n FROM (SELECT ${cols} FROM public."${t.name}" WHERE "${FACILITY_FIELDS.code}" = ANY($1) GROUP BY ${cols} HAVING count(*) > 1) d`,
      [codes],
    );
    dup += Number(res.rows[0].n);
  }
  return dup;
}

/**
 * Waits for the warehouse to match the sources exactly, asserts it (count and digest per table per
 * facility, no duplicate keys) and records the scenario's line of the summary.
 */
async function convergeAndRecord(
  p: Pipeline,
  scenario: string,
  written: number,
  started: number,
  recovered: number,
  codes: string[],
): Promise<Comparison[]> {
  const comparisons = await p.waitForConvergence(300_000, codes);
  const done = Date.now();
  const row: SummaryRow = {
    scenario,
    written,
    sourceRows: sum(comparisons.map((c) => c.source.rows)),
    warehouseRows: sum(comparisons.map((c) => c.warehouse.rows)),
    mismatches: comparisons.filter((c) => !c.match).length,
    convergeMs: done - recovered,
    totalMs: done - started,
  };
  summary.push(row);
  expect(row.mismatches).toBe(0);
  for (const c of comparisons) expect(c.warehouse.rows).toBe(c.source.rows);
  expect(row.warehouseRows).toBe(row.sourceRows);
  expect(await duplicateKeys(p, codes)).toBe(0);
  return comparisons;
}

function logSince(file: string, offset: number): string {
  return existsSync(file) ? readFileSync(file, "utf8").slice(offset) : "";
}

function sizeOf(file: string): number {
  return existsSync(file) ? statSync(file).size : 0;
}

async function watchdogReport(port: number): Promise<{ restarts: number; pollErrors: number }> {
  const res = await fetch(`http://127.0.0.1:${port}/watchdog`, { signal: AbortSignal.timeout(5000) });
  return (await res.json()) as { restarts: number; pollErrors: number };
}

function watchdogOf(f: { watchdog?: { process: { logFile: string }; port: number } }, what: string) {
  if (!f.watchdog) throw new Error(`${what} runs without a watchdog; the resilience suite needs one`);
  return f.watchdog;
}

/** Sum of the end offsets of every data topic (records ever produced to them). */
async function dataTopicRecords(p: Pipeline): Promise<number> {
  return withAdmin(p.kafka, async (admin) => {
    let n = 0;
    for (const t of TABLES) {
      const offsets = await admin.fetchTopicOffsets(dataTopic(t.name));
      n += sum(offsets.map((o) => Number(o.high)));
    }
    return n;
  });
}

/** Reads `max` records of a topic from the beginning with Kafka's console consumer, as the admin. */
async function consoleConsume(p: Pipeline, topic: string, max: number, formatter: string[]): Promise<string> {
  const config = join(p.ws.dir("secrets"), "resilience-consumer.properties");
  writeFileSync(config, renderProperties(p.kafka.javaClientProperties(p.kafka.admin)), { mode: 0o600 });
  return runJavaTool(
    p.ws,
    {
      name: "console-consumer",
      mainClass: "org.apache.kafka.tools.consumer.ConsoleConsumer",
      classpath: p.artifacts.kafkaClasspath,
      args: [
        "--bootstrap-server",
        p.kafka.bootstrapServers,
        "--command-config",
        config,
        "--topic",
        topic,
        "--from-beginning",
        "--max-messages",
        String(max),
        "--timeout-ms",
        "60000",
        ...formatter.flatMap((f) => ["--formatter-property", f]),
      ],
    },
    120_000,
  );
}

function printSummary(): void {
  if (summary.length === 0) return;
  const head = [
    "scenario",
    "written",
    "source rows",
    "warehouse rows",
    "mismatches",
    "converge s",
    "total s",
  ];
  const rows = summary.map((r) => [
    r.scenario,
    String(r.written),
    String(r.sourceRows),
    String(r.warehouseRows),
    String(r.mismatches),
    (r.convergeMs / 1000).toFixed(1),
    (r.totalMs / 1000).toFixed(1),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  const out = [
    `resilience summary (suite ${((Date.now() - suiteStarted) / 1000).toFixed(0)} s)`,
    line(head),
    line(widths.map((w) => "-".repeat(w))),
    ...rows.map(line),
  ];
  process.stdout.write(`\n${out.join("\n")}\n\n`);
}

afterAll(() => {
  printSummary();
  assertNoProcessesLeft();
});

describe("resilience on one broker: crashes, outages, re-snapshots, bad input", () => {
  let p: Pipeline;
  let a: LocalFacility;
  let b: LocalFacility;
  let base: FacilityConfig[];
  let codes: string[];

  beforeAll(async () => {
    base = facilityConfigs().slice(0, 2);
    p = await Pipeline.start({
      facilities: base,
      brokers: 1,
      rowsPerTable: 50,
      separateWarehouse: true,
      watchdogIntervalMs: 1000,
      heartbeatIntervalMs: 2000,
    });
    a = p.facility(base[0].dhis2Code);
    b = p.facility(base[1].dhis2Code);
    codes = base.map((f) => f.dhis2Code);
    await p.waitForRunning();
    await p.waitForConvergence(240_000);
  });

  afterAll(async () => {
    await p?.stop();
  });

  test("kill -9 of a facility worker in the middle of a stream of changes loses nothing", async () => {
    const started = Date.now();
    const stream = new ChangeStream(a.db, 101, 1_000);
    await sleep(3000);
    await a.worker.kill9();
    expect(a.worker.process?.running).toBe(false);
    await sleep(5000);
    await a.worker.start();
    const recovered = Date.now();
    await sleep(3000);
    const written = await stream.stop();
    expect(written).toBeGreaterThan(0);
    await a.worker.waitForRunning(sourceConnectorName(a.config.dhis2Code), { timeoutMs: 120_000 });
    await convergeAndRecord(p, "1 facility worker kill -9", written, started, recovered, codes);
  });

  test("kill -9 of the sink worker, then restart: the warehouse converges", async () => {
    const started = Date.now();
    const stream = new ChangeStream(b.db, 202, 2_000);
    await sleep(2000);
    await p.sink.worker.kill9();
    expect(p.sink.worker.process?.running).toBe(false);
    await sleep(5000);
    await p.sink.worker.start();
    const recovered = Date.now();
    await sleep(2000);
    const written = await stream.stop();
    await p.sink.worker.waitForRunning(SINK_CONNECTOR, { timeoutMs: 180_000 });
    await convergeAndRecord(p, "2 sink worker kill -9", written, started, recovered, codes);
  });

  test("warehouse down: the sink task fails, the watchdog restores it with no manual step", async () => {
    const started = Date.now();
    const wd = watchdogOf(p.sink, "the sink worker");
    const logOffset = sizeOf(wd.process.logFile);
    const restartsBefore = (await watchdogReport(wd.port)).restarts;
    const stream = new ChangeStream(a.db, 303, 3_000);
    await sleep(2000);
    await p.warehousePg.stop();
    // The watchdog may restart the task within a second of its failure, so FAILED is proven by the
    // REST status or by the watchdog's restart line, whichever is seen first.
    const restartLine = new RegExp(`restart ${SINK_CONNECTOR} .*`);
    let sawFailedStatus = false;
    await waitFor(
      "the sink task to FAIL while the warehouse is down (REST status or watchdog log)",
      async () => {
        const s = await p.sink.worker.status(SINK_CONNECTOR).catch(() => undefined);
        if (s && [s.connector, ...s.tasks].some((x) => x.state === "FAILED")) sawFailedStatus = true;
        return sawFailedStatus || restartLine.test(logSince(wd.process.logFile, logOffset));
      },
      { timeoutMs: 180_000, intervalMs: 250 },
    );
    // Keep the warehouse down a while longer: the watchdog's restarts fail too and back off.
    await sleep(10_000);
    await p.warehousePg.start();
    const recovered = Date.now();
    await sleep(2000);
    const written = await stream.stop();
    await convergeAndRecord(p, "3 warehouse down", written, started, recovered, codes);
    const log = logSince(wd.process.logFile, logOffset);
    expect(log).toMatch(restartLine);
    expect((await watchdogReport(wd.port)).restarts).toBeGreaterThan(restartsBefore);
    const status = await p.sink.worker.status(SINK_CONNECTOR);
    expect([status.connector.state, ...status.tasks.map((t) => t.state)]).toEqual(
      Array(1 + status.tasks.length).fill("RUNNING"),
    );
    process.stdout.write(
      `warehouse down: FAILED seen in REST status: ${sawFailedStatus}; watchdog log:\n${log
        .split("\n")
        .filter((l) => l.includes(SINK_CONNECTOR))
        .slice(0, 5)
        .join("\n")}\n`,
    );
  });

  test("a facility offline while its database keeps changing: the backlog drains when it returns", async () => {
    const started = Date.now();
    await b.worker.stop();
    const before = await p.compareAll([b.config.dhis2Code]);
    const stream = new ChangeStream(b.db, 404, 4_000, 10, 20);
    await sleep(15_000);
    const written = await stream.stop();
    expect(written).toBeGreaterThan(0);
    // Nothing reached the warehouse while the facility was offline.
    expect((await p.compareAll([b.config.dhis2Code])).map((c) => c.warehouse)).toEqual(
      before.map((c) => c.warehouse),
    );
    await b.worker.start();
    const recovered = Date.now();
    await convergeAndRecord(p, "4 facility offline, backlog", written, started, recovered, codes);
  });

  test("a facility whose offsets/history volume is wiped re-snapshots and still matches exactly", async () => {
    const started = Date.now();
    await a.worker.stop();
    const wiped = readdirSync(a.dataDir);
    expect(wiped.length).toBeGreaterThan(0);
    for (const entry of wiped) rmSync(join(a.dataDir, entry), { recursive: true, force: true });
    // The facility keeps working while its volume is gone: new rows and updates. (Deletes made in this
    // window would not be in the re-snapshot: see docs/OPERATIONS.md.)
    const written = await insertsAndUpdates(a.db, 606, 40);
    const recordsBefore = await dataTopicRecords(p);
    const logOffset = sizeOf(a.worker.logFile);
    await a.worker.start();
    const recovered = Date.now();
    await a.worker.waitForRunning(sourceConnectorName(a.config.dhis2Code), { timeoutMs: 120_000 });
    const comparisons = await convergeAndRecord(
      p,
      "6 volume wiped, re-snapshot",
      written,
      started,
      recovered,
      codes,
    );
    // The re-snapshot re-sent every row of the facility (upserted over identical rows).
    const sourceRowsA = sum(
      comparisons.filter((c) => c.facility === a.config.dhis2Code).map((c) => c.source.rows),
    );
    await waitFor(
      "the re-snapshot's records to be on the data topics",
      async () => (await dataTopicRecords(p)) - recordsBefore >= sourceRowsA,
      { timeoutMs: 60_000, intervalMs: 1000 },
    );
    expect(logSince(a.worker.logFile, logOffset)).toMatch(/[Ss]napshot (ended|completed)/);
  });

  test("deletes made while the volume is lost are not in the re-snapshot; clearing the facility's rows first restores an exact match", async () => {
    const started = Date.now();
    const code = a.config.dhis2Code;
    const wipe = async () => {
      await a.worker.stop();
      for (const entry of readdirSync(a.dataDir))
        rmSync(join(a.dataDir, entry), { recursive: true, force: true });
    };
    await wipe();
    const gone = (
      await a.db.query(
        `DELETE FROM dbo."Patients" WHERE "PatientID" IN (SELECT "PatientID" FROM dbo."Patients" ORDER BY "PatientID" LIMIT 5) RETURNING "PatientID"`,
      )
    ).rows.map((r: { PatientID: number }) => r.PatientID);
    expect(gone).toHaveLength(5);
    const logOffset = sizeOf(a.worker.logFile);
    await a.worker.start();
    await waitFor(
      "the re-snapshot to finish",
      () => /[Ss]napshot (ended|completed)/.test(logSince(a.worker.logFile, logOffset)),
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    await waitFor("the sink to catch up (consumer lag 0)", async () => (await p.consumerLag()) === 0, {
      timeoutMs: 120_000,
      intervalMs: 1000,
    });
    const wh = await p.warehouse();
    const stale = Number(
      (
        await wh.query(
          `SELECT count(*) AS n FROM public."Patients" WHERE "${FACILITY_FIELDS.code}" = $1 AND "PatientID" = ANY($2)`,
          [code, gone],
        )
      ).rows[0].n,
    );
    process.stdout.write(
      `deletes across a lost volume: ${stale} of ${gone.length} deleted rows still in the warehouse\n`,
    );
    // The documented gap (docs/OPERATIONS.md): a snapshot cannot say which rows no longer exist.
    expect(stale).toBe(gone.length);
    // The documented procedure: remove the facility's rows, then let the re-snapshot repopulate them.
    await wipe();
    for (const t of TABLES)
      await wh.query(`DELETE FROM public."${t.name}" WHERE "${FACILITY_FIELDS.code}" = $1`, [code]);
    await a.worker.start();
    const recovered = Date.now();
    await convergeAndRecord(p, "6b wipe + deletes, cleared", gone.length, started, recovered, codes);
  });

  test("a new facility joining with existing data: its initial snapshot lands", async () => {
    const started = Date.now();
    const joining = extraFacility(base[0], "kiboga", "24680", "Kiboga Hospital");
    const f = await p.addFacility(joining, { rowsPerTable: 200 });
    const recovered = Date.now();
    await f.worker.waitForRunning(sourceConnectorName(joining.dhis2Code), { timeoutMs: 180_000 });
    codes.push(joining.dhis2Code);
    await convergeAndRecord(
      p,
      "7 new facility, 200 rows/table",
      200 * TABLES.length,
      started,
      recovered,
      codes,
    );
  });

  test("a DLQ-bound record in the middle of a batch does not drop its neighbours", async () => {
    const started = Date.now();
    const topic = dataTopic("Visits");
    // The exact key and value shape a facility produces (JsonConverter with schemas), copied from a
    // real record. Facility workers compress with zstd, which kafkajs cannot read: Kafka's own console
    // consumer reads it.
    const out = await consoleConsume(p, topic, 1, ["print.key=true", "key.separator=\t"]);
    const recordLine = out.split("\n").find((l) => /^\{"schema".*\t\{"schema"/.test(l));
    if (!recordLine)
      throw new Error(`no record read from ${topic}; console consumer said:\n${out.slice(-2000)}`);
    const [sampleKey, sampleValue] = recordLine.split("\t");
    const sample = { key: sampleKey, value: sampleValue };
    const code = "99901";
    const key = JSON.parse(sample.key) as { schema: unknown; payload: Record<string, unknown> };
    const value = JSON.parse(sample.value) as { schema: unknown; payload: Record<string, unknown> };
    expect(Object.keys(key)).toEqual(["schema", "payload"]);
    expect(value.payload).toHaveProperty(FACILITY_FIELDS.code);
    const good = (id: number) => ({
      key: JSON.stringify({ ...key, payload: { ...key.payload, VisitID: id, [FACILITY_FIELDS.code]: code } }),
      value: JSON.stringify({
        ...value,
        payload: {
          ...value.payload,
          VisitID: id,
          Diagnosis: `neighbour ${id}`,
          [FACILITY_FIELDS.code]: code,
          [FACILITY_FIELDS.name]: "DLQ probe",
        },
      }),
    });
    const ids = [910001, 910002, 910003, 910004, 910005, 910006, 910007, 910008, 910009, 910010];
    const badRecord = {
      key: JSON.stringify({
        ...key,
        payload: { ...key.payload, VisitID: 910999, [FACILITY_FIELDS.code]: code },
      }),
      value: '{"schema": {"type": "struct", "fields": [', // cut off mid-document: the converter fails
    };
    const dlqBefore = await p.dlqCount();
    const producer = p.kafka.kafkajs(p.kafka.admin, "resilience-dlq").producer();
    await producer.connect();
    try {
      await producer.send({
        topic,
        acks: -1,
        messages: [...ids.slice(0, 5).map(good), badRecord, ...ids.slice(5).map(good)].map((m) => ({
          ...m,
          partition: 0,
        })),
      });
    } finally {
      await producer.disconnect();
    }
    const recovered = Date.now();
    const landed = await waitFor(
      "the ten good neighbours of the bad record in the warehouse",
      async () => {
        const wh = await p.warehouse();
        const res = await wh.query(
          `SELECT "VisitID", "Diagnosis" FROM public."Visits" WHERE "${FACILITY_FIELDS.code}" = $1 ORDER BY "VisitID"`,
          [code],
        );
        return res.rows.length >= ids.length ? res.rows : false;
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    expect(landed).toEqual(ids.map((id) => ({ VisitID: id, Diagnosis: `neighbour ${id}` })));
    await waitFor("the bad record on sink-dlq", async () => (await p.dlqCount()) === dlqBefore + 1, {
      timeoutMs: 60_000,
      intervalMs: 500,
    });
    const dlq = await consoleConsume(p, DLQ_TOPIC, dlqBefore + 1, [
      "print.headers=true",
      "print.value=false",
    ]);
    expect(dlq).toContain(`__connect.errors.topic:${topic}`);
    expect(dlq).toContain("__connect.errors.stage:VALUE_CONVERTER");
    const doneAt = Date.now();
    summary.push({
      scenario: "8a DLQ record mid-batch",
      written: ids.length + 1,
      sourceRows: ids.length,
      warehouseRows: landed.length,
      mismatches: Math.abs(ids.length - landed.length),
      convergeMs: doneAt - recovered,
      totalMs: doneAt - started,
    });
    // The facilities' data is untouched by the probe.
    await p.waitForConvergence(120_000, codes);
  });

  test("a facility with a wrong database password fails visibly without affecting the others", async () => {
    const started = Date.now();
    const broken = extraFacility(base[1], "wrongpw", "13579", "Wrong Password Health Centre");
    const f = await p.addFacility(broken, { databasePassword: "wrong", rowsPerTable: 10 });
    const wd = watchdogOf(f, "the wrong-password facility");
    const stream = new ChangeStream(a.db, 808, 8_000);
    // The failure is visible as a FAILED connector/task with the database's error, or (Connect
    // standalone refuses to start a connector whose validation fails) as a worker that exits.
    const failure = await waitFor(
      "the wrong-password facility to fail visibly",
      async () => {
        if (!f.worker.process?.running) return `worker exited (${f.worker.process?.exitStatus})`;
        const s = await f.worker.status(sourceConnectorName(broken.dhis2Code)).catch(() => undefined);
        const failed = s && [s.connector, ...s.tasks].find((x) => x.state === "FAILED");
        return failed ? `FAILED: ${(failed.trace ?? "").split("\n")[0]}` : false;
      },
      { timeoutMs: 180_000, intervalMs: 500 },
    );
    expect(readFileSync(f.worker.logFile, "utf8")).toMatch(/password authentication failed/);
    await waitFor(
      "the wrong-password facility's watchdog to log the failure",
      () =>
        /restart .*password authentication failed|cannot read worker status/.test(
          logSince(wd.process.logFile, 0),
        ),
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    const snapshot = await p.snapshot();
    const line = snapshot.facilities.find((x) => x.code === broken.dhis2Code);
    process.stdout.write(`wrong password: ${failure}\n${renderStatus(snapshot)}\n`);
    if (failure.startsWith("FAILED")) {
      expect(line?.connector === "FAILED" || line?.tasks.includes("FAILED")).toBe(true);
      expect(line?.lastError).toMatch(/password authentication failed/);
    } else {
      // Connect standalone validates a connector file before creating it, Debezium's validation logs
      // in to the database, and a failed validation stops the worker: the status shows it DOWN.
      expect(line?.connector).toBe("DOWN");
      expect(line?.lastError).toMatch(/watchdog cannot reach the worker/);
      expect(readFileSync(f.worker.logFile, "utf8")).toMatch(/Stopping after connector error/);
    }
    // The other facilities are unaffected.
    const written = await stream.stop();
    for (const c of codes) {
      const other = snapshot.facilities.find((x) => x.code === c);
      expect(other?.connector).toBe("RUNNING");
      expect(other?.tasks).toEqual(["RUNNING"]);
    }
    await convergeAndRecord(p, "8b wrong DB password, others", written, started, started, codes);
    expect(sum((await p.compareAll([broken.dhis2Code])).map((c) => c.warehouse.rows))).toBe(0);
  });
});

describe("resilience on three brokers: one broker lost while a facility produces", () => {
  let p: Pipeline;
  let a: LocalFacility;
  let codes: string[];

  beforeAll(async () => {
    const base = facilityConfigs().slice(0, 1);
    p = await Pipeline.start({
      facilities: base,
      brokers: 3,
      rowsPerTable: 50,
      watchdogIntervalMs: 1000,
      heartbeatIntervalMs: 2000,
    });
    a = p.facility(base[0].dhis2Code);
    codes = [a.config.dhis2Code];
    await p.waitForRunning();
    await p.waitForConvergence(240_000);
  });

  afterAll(async () => {
    await p?.stop();
  });

  test("production continues with min.insync.replicas=2 and nothing is lost after the broker returns", async () => {
    const started = Date.now();
    expect(p.kafka.minInsyncReplicas).toBe(2);
    // The stream leaves Appointments alone, so the markers below are neither deleted nor joined by
    // other new rows.
    const stream = new ChangeStream(
      a.db,
      505,
      5_000,
      5,
      100,
      TABLES.filter((t) => t.name !== "Appointments"),
    );
    await sleep(3000);
    await p.kafka.killNode(2);
    // Rows written after the kill reach the warehouse while the broker is still down.
    const markers = Array.from({ length: 20 }, (_, i) => makeRow("Appointments", 700_001 + i, 5));
    // Own connection: the stream is using the facility's.
    const markerDb = await p.pg.connect(a.database);
    try {
      await insertRowObjects(markerDb, "Appointments", markers);
    } finally {
      await markerDb.end();
    }
    const wh = await p.warehouse();
    const markersAt = Date.now();
    await waitFor(
      "rows written after the broker kill to reach the warehouse while it is down",
      async () => {
        const res = await wh.query(
          `SELECT count(*) AS n FROM public."Appointments" WHERE "${FACILITY_FIELDS.code}" = $1 AND "AppointmentID" BETWEEN 700001 AND 700020`,
          [a.config.dhis2Code],
        );
        return Number(res.rows[0].n) === markers.length;
      },
      { timeoutMs: 180_000, intervalMs: 1000 },
    );
    expect(p.kafka.nodes[2].process?.running).toBe(false);
    process.stdout.write(
      `broker 3 down: rows written after the kill reached the warehouse in ${((Date.now() - markersAt) / 1000).toFixed(1)} s\n`,
    );
    const written = (await stream.stop()) + markers.length;
    await p.kafka.startNode(2);
    const recovered = Date.now();
    await p.kafka.waitForBrokers(3, 120_000);
    await convergeAndRecord(p, "5 broker killed (3 brokers)", written, started, recovered, codes);
  });
});
