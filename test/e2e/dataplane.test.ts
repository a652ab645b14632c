import { ConfigResourceTypes, type Kafka } from "kafkajs";
import { facilityAcls } from "../../infra/connect/acl";
import {
  DLQ_TOPIC,
  FACILITY_FIELDS,
  HEARTBEAT_TOPIC,
  SINK_CONNECTOR,
  SINK_GROUP,
  dataTopic,
  sinkConsumerGroup,
} from "../../infra/connect/names";
import { sqlServerSourceConnector } from "../../infra/connect/source";
import { sinkWorkerProperties } from "../../infra/connect/worker";
import {
  freePort,
  listAcls,
  assertNoProcessesLeft,
  toKafkajsAcl,
  waitFor,
  withAdmin,
  type ValidationResult,
} from "../../infra/local";
import {
  TABLES,
  compareFacility,
  insertRowObjects,
  makeRow,
  randomChanges,
  type TableDef,
} from "../../infra/local/clinicmaster";
import { Pipeline, type LocalFacility } from "../../infra/local/pipeline";

// Three facility workers, the sink worker, Kafka and PostgreSQL on two cores; the first run may
// also fetch the jars from Maven Central.
jest.setTimeout(15 * 60_000);

const ROWS = 20;
const suiteStarted = Date.now();
const durations: [string, number][] = [];

let p: Pipeline;
let codes: string[];
let a: LocalFacility;
const newTable = { topicsBefore: [] as string[], createdAt: 0 };

/**
 * How long the sink may take to notice a topic created after it subscribed: its consumer refreshes
 * the `topics.regex` match every `metadata.max.age.ms` (Kafka's default 5 min unless the sink worker
 * sets it).
 */
const SINK_METADATA_MAX_AGE_MS = Number(
  sinkWorkerProperties({ batchSize: 1 }, { bootstrapServers: "127.0.0.1:9", securityProtocol: "SASL_SSL" })[
    "consumer.metadata.max.age.ms"
  ] ?? 300_000,
);

/** A table created at a facility after start-up; not in the platform's table list, so no topic yet. */
const NEW_TABLE: TableDef = {
  name: "Immunizations",
  key: ["ImmunizationID"],
  ddl: `CREATE TABLE dbo."Immunizations" ("ImmunizationID" integer PRIMARY KEY, "PatientID" integer NOT NULL,
    "Vaccine" varchar(60) NOT NULL, "Dose" varchar(20), "GivenAt" timestamp NOT NULL)`,
};

/** `test` that records its duration for the summary printed at the end of the file. */
function timedTest(name: string, fn: () => Promise<void>): void {
  test(name, async () => {
    const started = Date.now();
    try {
      await fn();
    } finally {
      durations.push([name, Date.now() - started]);
    }
  });
}

async function wh<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
  return (await p.wh.query(sql, params)).rows as T[];
}

/** Primary key columns of a warehouse table, in key order. */
async function primaryKey(table: string): Promise<string[]> {
  const rows = await wh<{ attname: string }>(
    `SELECT a.attname FROM pg_index i
       CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
      WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY k.ord`,
    [`public."${table}"`],
  );
  return rows.map((r) => r.attname);
}

/** One warehouse row of a facility as JSON text (null when absent). */
async function warehouseRow(table: string, keyCol: string, id: number, code: string): Promise<string | null> {
  const rows = await wh<{ j: string }>(
    `SELECT row_to_json(t)::text AS j FROM public."${table}" t WHERE "${keyCol}" = $1 AND "${FACILITY_FIELDS.code}" = $2`,
    [id, code],
  );
  return rows.length === 0 ? null : rows[0].j;
}

async function topicConfig(topic: string, names: string[]): Promise<Record<string, string>> {
  return withAdmin(p.kafka, async (admin) => {
    const res = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: names }],
    });
    return Object.fromEntries(res.resources[0].configEntries.map((e) => [e.configName, e.configValue]));
  });
}

type KafkaError = Error & { type?: string; errors?: unknown[]; originalError?: unknown; cause?: unknown };

/** Every error type and message in a kafkajs error (aggregates and retry wrappers included). */
function describeError(err: unknown): string[] {
  if (!(err instanceof Error)) return [String(err)];
  const e = err as KafkaError;
  return [
    `${e.type ?? e.name}: ${e.message}`,
    ...(e.errors ?? []).flatMap(describeError),
    ...(e.originalError ? describeError(e.originalError) : []),
    ...(e.cause ? describeError(e.cause) : []),
  ];
}

/** Resolves to the errors a refused admin call raised, or "ok". */
async function outcome(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
    return "ok";
  } catch (err) {
    return describeError(err).join(" | ");
  }
}

/** Tries to consume `topic` in `groupId`; resolves with the final crash reason, "consumed" or "nothing". */
async function tryConsume(client: Kafka, topic: string, groupId: string): Promise<string> {
  const consumer = client.consumer({ groupId, retry: { retries: 0 } });
  try {
    return await new Promise<string>((resolve) => {
      consumer.on(consumer.events.CRASH, (e) => {
        if (!e.payload.restart) resolve(`crash: ${e.payload.error.message}`);
      });
      setTimeout(() => resolve("nothing"), 20_000).unref();
      void consumer
        .connect()
        .then(() => consumer.subscribe({ topic, fromBeginning: true }))
        .then(() => consumer.run({ eachMessage: async () => resolve("consumed") }))
        .catch((err: Error) => resolve(`error: ${err.message}`));
    });
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
}

beforeAll(async () => {
  const started = Date.now();
  p = await Pipeline.start({ rowsPerTable: ROWS, heartbeatIntervalMs: 2000 });
  try {
    codes = [...p.facilities.keys()];
    if (codes.length !== 3)
      throw new Error(
        `the data-plane suite needs the three seed facilities in facilities/, found ${codes.length}`,
      );
    a = p.facility(codes[0]);
    await p.waitForRunning();
    // Created as early as possible: the sink finds a new topic only at its consumer's next metadata
    // refresh (metadata.max.age.ms), so the warehouse check runs last and the wait overlaps the rest.
    newTable.topicsBefore = await withAdmin(p.kafka, (admin) => admin.listTopics());
    newTable.createdAt = Date.now();
    await a.db.query(NEW_TABLE.ddl);
    await insertRowObjects(
      a.db,
      NEW_TABLE.name,
      [1, 2, 3, 4, 5].map((id) => ({
        ImmunizationID: id,
        PatientID: id * 10,
        Vaccine: id % 2 ? "Measles-Rubella" : "Pentavalent",
        Dose: `dose ${1 + (id % 3)}`,
        GivenAt: `2026-11-0${id} 08:30:00`,
      })),
    );
    await p.waitForConvergence(240_000);
  } catch (err) {
    await p.stop(true);
    throw err;
  } finally {
    durations.push([
      "start-up: Kafka, PostgreSQL, sink, 3 facilities, initial snapshot converged",
      Date.now() - started,
    ]);
  }
});

afterAll(async () => {
  await p?.stop();
  const total = Date.now() - suiteStarted;
  process.stderr.write(
    `dataplane suite durations (s):\n${durations.map(([n, ms]) => `  ${(ms / 1000).toFixed(1).padStart(6)}  ${n}`).join("\n")}\n  ${(total / 1000).toFixed(1).padStart(6)}  total\n`,
  );
  assertNoProcessesLeft();
});

describe("data plane: three facilities through the real pipeline into one warehouse", () => {
  timedTest("identical IDs at three facilities become one warehouse row per (ID, facility)", async () => {
    for (const t of TABLES) expect(await primaryKey(t.name)).toEqual([...t.key, FACILITY_FIELDS.code]);
    const counts = await wh<{ code: string; n: number; ids: number }>(
      `SELECT "${FACILITY_FIELDS.code}" AS code, count(*)::int AS n, count(DISTINCT "PatientID")::int AS ids
         FROM public."Patients" GROUP BY 1 ORDER BY 1`,
    );
    expect(counts).toEqual([...codes].sort().map((code) => ({ code, n: ROWS, ids: ROWS })));

    for (const [i, code] of codes.entries())
      await insertRowObjects(p.facility(code).db, "Patients", [
        { ...makeRow("Patients", 9001, i), FirstName: `Same-ID-${code}` },
      ]);
    const rows = await waitFor(
      "patient 9001 of all three facilities in the warehouse",
      async () => {
        const r = await wh<{ code: string; name: string; first: string }>(
          `SELECT "${FACILITY_FIELDS.code}" AS code, "${FACILITY_FIELDS.name}" AS name, "FirstName" AS first
             FROM public."Patients" WHERE "PatientID" = 9001 ORDER BY 1`,
        );
        return r.length === 3 ? r : false;
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    expect(rows).toEqual(
      [...codes].sort().map((code) => ({
        code,
        name: p.facility(code).config.name,
        first: `Same-ID-${code}`,
      })),
    );
    const names = await wh<{ code: string; name: string }>(
      `SELECT DISTINCT "${FACILITY_FIELDS.code}" AS code, "${FACILITY_FIELDS.name}" AS name FROM public."Visits" ORDER BY 1`,
    );
    expect(names).toEqual([...codes].sort().map((code) => ({ code, name: p.facility(code).config.name })));
  });

  timedTest("an update and a delete at one facility change only that facility's rows", async () => {
    const others = codes.slice(1);
    const before = async () => {
      const rows: (string | null)[] = [];
      for (const code of others)
        for (const id of [3, 4]) rows.push(await warehouseRow("Patients", "PatientID", id, code));
      return rows;
    };
    const othersBefore = await before();
    expect(othersBefore.every((r) => r !== null)).toBe(true);

    await a.db.query(`UPDATE dbo."Patients" SET "Village" = 'Moved-away' WHERE "PatientID" = 3`);
    await a.db.query(`DELETE FROM dbo."Patients" WHERE "PatientID" = 4`);
    await waitFor(
      `facility ${a.config.dhis2Code}'s update of patient 3 and delete of patient 4 in the warehouse`,
      async () => {
        const updated = await wh<{ v: string }>(
          `SELECT "Village" AS v FROM public."Patients" WHERE "PatientID" = 3 AND "${FACILITY_FIELDS.code}" = $1`,
          [a.config.dhis2Code],
        );
        const deleted = await warehouseRow("Patients", "PatientID", 4, a.config.dhis2Code);
        return updated[0]?.v === "Moved-away" && deleted === null;
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    expect(await before()).toEqual(othersBefore);
    const village = await wh<{ code: string; v: string }>(
      `SELECT "${FACILITY_FIELDS.code}" AS code, "Village" AS v FROM public."Patients" WHERE "PatientID" = 3 ORDER BY 1`,
    );
    expect(village.filter((r) => r.v === "Moved-away").map((r) => r.code)).toEqual([a.config.dhis2Code]);
    expect(village).toHaveLength(3);
    const patient4 = await wh<{ code: string }>(
      `SELECT "${FACILITY_FIELDS.code}" AS code FROM public."Patients" WHERE "PatientID" = 4 ORDER BY 1`,
    );
    expect(patient4.map((r) => r.code)).toEqual([...others].sort());
  });

  timedTest(
    "a column added at one facility appears in the warehouse; older and other rows read NULL",
    async () => {
      const code = a.config.dhis2Code;
      await a.db.query(`ALTER TABLE dbo."Visits" ADD COLUMN "Ward" varchar(40)`);
      await insertRowObjects(a.db, "Visits", [{ ...makeRow("Visits", 9001, 0), Ward: "Maternity" }]);
      await a.db.query(`UPDATE dbo."Visits" SET "Ward" = 'Paediatrics' WHERE "VisitID" = 2`);
      const wards = await waitFor(
        "column Ward and facility A's two ward values in the warehouse",
        async () => {
          const col = await wh(
            `SELECT 1 FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'Visits' AND column_name = 'Ward'`,
          );
          if (col.length === 0) return false;
          const r = await wh<{ id: number; ward: string }>(
            `SELECT "VisitID" AS id, "Ward" AS ward FROM public."Visits"
            WHERE "Ward" IS NOT NULL ORDER BY 1`,
          );
          return r.length === 2 ? r : false;
        },
        { timeoutMs: 120_000, intervalMs: 500 },
      );
      expect(wards).toEqual([
        { id: 2, ward: "Paediatrics" },
        { id: 9001, ward: "Maternity" },
      ]);
      const nonNull = await wh<{ code: string; n: number; total: number }>(
        `SELECT "${FACILITY_FIELDS.code}" AS code, count("Ward")::int AS n, count(*)::int AS total
         FROM public."Visits" GROUP BY 1 ORDER BY 1`,
      );
      expect(nonNull).toEqual(
        [...codes]
          .sort()
          .map((c) => ({ code: c, n: c === code ? 2 : 0, total: c === code ? ROWS + 1 : ROWS })),
      );
      const older = await wh<{ ward: string | null }>(
        `SELECT "Ward" AS ward FROM public."Visits" WHERE "VisitID" = 1 AND "${FACILITY_FIELDS.code}" = $1`,
        [code],
      );
      expect(older).toEqual([{ ward: null }]);
    },
  );

  timedTest(
    "a table created at a facility after start-up gets its shared topic from the facility worker",
    async () => {
      const topic = dataTopic(NEW_TABLE.name);
      expect(p.platform.tables.map((t) => t.name)).not.toContain(NEW_TABLE.name);
      expect(newTable.topicsBefore).toContain(dataTopic("Patients"));
      expect(newTable.topicsBefore).not.toContain(topic);
      await waitFor(
        `topic ${topic} created by facility ${a.config.dhis2Code}'s worker (topic.creation)`,
        async () => (await withAdmin(p.kafka, (admin) => admin.listTopics())).includes(topic),
        { timeoutMs: 120_000, intervalMs: 1000 },
      );
      const meta = await withAdmin(p.kafka, (admin) => admin.fetchTopicMetadata({ topics: [topic] }));
      expect(meta.topics[0].partitions).toHaveLength(p.platform.defaultPartitions);
      expect(meta.topics[0].partitions.map((x) => x.replicas.length)).toEqual(
        Array(p.platform.defaultPartitions).fill(p.kafka.replicationFactor),
      );
      expect(await topicConfig(topic, ["cleanup.policy", "compression.type", "min.insync.replicas"])).toEqual(
        {
          "cleanup.policy": "compact",
          "compression.type": "producer",
          "min.insync.replicas": String(p.kafka.minInsyncReplicas),
        },
      );
      const records = await waitFor(
        `the 5 Immunizations rows on ${topic}`,
        async () => {
          const offsets = await withAdmin(p.kafka, (admin) => admin.fetchTopicOffsets(topic));
          const n = offsets.reduce((sum, o) => sum + Number(o.high) - Number(o.low), 0);
          return n >= 5 ? n : false;
        },
        { timeoutMs: 60_000, intervalMs: 500 },
      );
      expect(records).toBe(5);
    },
  );

  timedTest(
    "records the sink cannot convert land in sink-dlq with error context; later rows still arrive",
    async () => {
      const topic = dataTopic("Patients");
      const dlqBefore = await p.dlqCount();
      const envelopeKey = JSON.stringify({
        schema: {
          type: "struct",
          optional: false,
          fields: [
            { field: "PatientID", type: "int32", optional: false },
            { field: FACILITY_FIELDS.code, type: "string", optional: false },
          ],
        },
        payload: { PatientID: 1, [FACILITY_FIELDS.code]: a.config.dhis2Code },
      });
      const facilityProducer = p.kafka.kafkajs(a.user).producer({ retry: { retries: 2 } });
      await facilityProducer.connect();
      try {
        await facilityProducer.send({
          topic,
          acks: -1,
          messages: [
            { key: "not json {", value: "not json either {" },
            // Valid JSON, but not the schema/payload envelope the converter expects.
            { key: envelopeKey, value: JSON.stringify({ PatientID: 1, FirstName: "No schema" }) },
          ],
        });
      } finally {
        await facilityProducer.disconnect();
      }
      await insertRowObjects(a.db, "Patients", [
        { ...makeRow("Patients", 9002, 0), FirstName: "After-poison" },
      ]);
      await waitFor(
        "patient 9002 (inserted after the bad records) in the warehouse",
        async () => (await warehouseRow("Patients", "PatientID", 9002, a.config.dhis2Code)) !== null,
        { timeoutMs: 120_000, intervalMs: 500 },
      );
      await waitFor("two more records on sink-dlq", async () => (await p.dlqCount()) === dlqBefore + 2, {
        timeoutMs: 60_000,
        intervalMs: 500,
      });

      const consumer = p.kafka
        .kafkajs(p.kafka.admin, "dlq-reader")
        .consumer({ groupId: `clinicmaster-dlq-check-${Date.now()}` });
      const seen: { key: string; headers: Record<string, string> }[] = [];
      try {
        await consumer.connect();
        await consumer.subscribe({ topic: DLQ_TOPIC, fromBeginning: true });
        const done = waitFor("the DLQ records to be read back", async () => seen.length >= dlqBefore + 2, {
          timeoutMs: 60_000,
          intervalMs: 250,
        });
        await consumer.run({
          eachMessage: async ({ message }) => {
            seen.push({
              key: message.key?.toString() ?? "",
              headers: Object.fromEntries(
                Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]),
              ),
            });
          },
        });
        await done;
      } finally {
        await consumer.disconnect();
      }
      // Two partitions may carry them: order by stage, not by arrival.
      const ours = seen
        .filter((m) => m.key === "not json {" || m.key === envelopeKey)
        .sort((x, y) =>
          x.headers["__connect.errors.stage"].localeCompare(y.headers["__connect.errors.stage"]),
        );
      expect(ours.map((m) => m.key)).toEqual(["not json {", envelopeKey]);
      for (const m of ours) {
        expect(m.headers["__connect.errors.topic"]).toBe(topic);
        expect(m.headers["__connect.errors.connector.name"]).toBe(SINK_CONNECTOR);
        expect(m.headers["__connect.errors.exception.class.name"]).toBe(
          "org.apache.kafka.connect.errors.DataException",
        );
        expect(m.headers["__connect.errors.exception.message"]).toBeTruthy();
        expect(m.headers).toHaveProperty(["__connect.errors.partition"]);
        expect(m.headers).toHaveProperty(["__connect.errors.offset"]);
      }
      expect(ours.map((m) => m.headers["__connect.errors.stage"])).toEqual([
        "KEY_CONVERTER",
        "VALUE_CONVERTER",
      ]);
      const status = await p.sink.worker.status(SINK_CONNECTOR);
      expect(
        [status.connector.state, ...status.tasks.map((t) => t.state)].every((s) => s === "RUNNING"),
      ).toBe(true);
    },
  );

  timedTest(
    "a facility principal cannot read data or the DLQ, nor manage topics, configs or ACLs",
    async () => {
      const client = p.kafka.kafkajs(a.user, "facility-probe");
      const principal = a.user.name;
      // The DLQ is refused at the topic (no DESCRIBE); data and heartbeat topics at the group, even
      // the sink's own groups (a facility has no group at all, so it can never commit a read).
      expect(await tryConsume(client, DLQ_TOPIC, `${DLQ_TOPIC}-probe`)).toBe(
        "error: Not authorized to access topics: [Topic authorization failed]",
      );
      expect(await tryConsume(client, dataTopic("Visits"), sinkConsumerGroup())).toMatch(/^crash: /);
      expect(await tryConsume(client, HEARTBEAT_TOPIC, SINK_GROUP)).toMatch(/^crash: /);
      const denials = p.kafka.denials(principal).join("\n");
      expect(denials).toContain(`Topic:LITERAL:${DLQ_TOPIC}`);
      expect(denials).toContain(`Group:LITERAL:${sinkConsumerGroup()}`);
      expect(denials).toContain(`Group:LITERAL:${SINK_GROUP}`);

      const admin = client.admin({ retry: { retries: 0 } });
      await admin.connect();
      try {
        expect(
          await outcome(() => admin.createTopics({ topics: [{ topic: "clinicmaster-not-a-data-topic" }] })),
        ).toMatch(/TOPIC_AUTHORIZATION_FAILED/);
        expect(await outcome(() => admin.createTopics({ topics: [{ topic: "sink-dlq-2" }] }))).toMatch(
          /TOPIC_AUTHORIZATION_FAILED/,
        );
        expect(
          await outcome(() =>
            admin.alterConfigs({
              validateOnly: false,
              resources: [
                {
                  type: ConfigResourceTypes.TOPIC,
                  name: dataTopic("Patients"),
                  configEntries: [{ name: "retention.ms", value: "1000" }],
                },
              ],
            }),
          ),
        ).toMatch(/TOPIC_AUTHORIZATION_FAILED/);
        expect(
          await outcome(() => admin.deleteTopics({ topics: [dataTopic("Patients")], timeout: 5000 })),
        ).toMatch(/TOPIC_AUTHORIZATION_FAILED/);
        expect(
          await outcome(() =>
            admin.createAcls({
              acl: [toKafkajsAcl({ ...facilityAcls(a.config.dhis2Code)[0], operation: "Read" })],
            }),
          ),
        ).toMatch(/CLUSTER_AUTHORIZATION_FAILED/);
      } finally {
        await admin.disconnect();
      }
      const topics = await withAdmin(p.kafka, (x) => x.listTopics());
      expect(topics).toContain(dataTopic("Patients"));
      expect(topics).not.toContain("clinicmaster-not-a-data-topic");
      expect(topics).not.toContain("sink-dlq-2");
      expect((await topicConfig(dataTopic("Patients"), ["retention.ms"]))["retention.ms"]).not.toBe("1000");
      const key = (x: {
        principal: string;
        resourceType: string;
        resourceName: string;
        patternType: string;
        operation: string;
      }) => `${x.resourceType}:${x.patternType}:${x.resourceName} ${x.operation}`;
      const mine = (await listAcls(p.kafka)).filter((x) => x.principal === `User:${principal}`);
      expect(mine.map(key).sort()).toEqual(facilityAcls(a.config.dhis2Code).map(key).sort());
    },
  );

  timedTest(
    "the SQL Server connector plugin validates all three seed facilities' configs (only connectivity errors)",
    async () => {
      // Keys the plugin's config definition does not list, and why they are still right:
      const allowed: [RegExp, string][] = [
        // Extra `database.*` properties are passed through to the Microsoft JDBC driver.
        [/^database\.(encrypt|trustServerCertificate|applicationName)$/, "JDBC driver pass-through"],
        // `driver.*` likewise (set here only to shorten the driver's login timeout).
        [/^driver\.loginTimeout$/, "JDBC driver pass-through"],
        // Options of the schema history implementation chosen by `schema.history.internal`.
        [/^schema\.history\.internal\.file\.filename$/, "FileSchemaHistory option"],
        // Read by Debezium's topic naming strategy, which has its own config definition.
        [/^topic\.heartbeat\.prefix$/, "topic naming strategy option"],
        // Read by the Kafka Connect runtime (KIP-158 topic creation), not by the plugin.
        [/^topic\.creation\.default\./, "Connect runtime topic creation"],
      ];
      const connectionKeys = new Set([
        "database.hostname",
        "database.port",
        "database.user",
        "database.password",
      ]);
      const results = await Promise.all(
        [...p.facilities.values()].map(async (f) => {
          const c = sqlServerSourceConnector(f.config, { dataDir: f.dataDir, secretsDir: f.secretsDir });
          c.config["database.hostname"] = "127.0.0.1";
          c.config["database.port"] = String(await freePort());
          c.config["driver.loginTimeout"] = "3";
          const started = Date.now();
          const r: ValidationResult = await a.worker.validate(c.config["connector.class"], c.config, 180_000);
          return { slug: f.config.slug, config: c.config, r, ms: Date.now() - started };
        }),
      );
      for (const { slug, config, r, ms } of results) {
        process.stderr.write(`validate ${slug}: ${r.error_count} error(s) in ${ms} ms\n`);
        const known = new Set(r.configs.map((x) => x.definition.name));
        const unknown = Object.keys(config).filter((k) => !known.has(k));
        expect({ slug, unexplained: unknown.filter((k) => !allowed.some(([re]) => re.test(k))) }).toEqual({
          slug,
          unexplained: [],
        });
        // The allow-list holds nothing stale: every entry explains a key of the generated config.
        expect(allowed.filter(([re]) => !unknown.some((k) => re.test(k))).map(([, why]) => why)).toEqual([]);
        const errors = r.configs.filter((x) => (x.value?.errors ?? []).length > 0);
        expect(errors.length).toBeGreaterThan(0);
        expect(r.error_count).toBe(errors.length);
        for (const e of errors) {
          expect({ slug, key: e.definition.name, connection: connectionKeys.has(e.definition.name) }).toEqual(
            {
              slug,
              key: e.definition.name,
              connection: true,
            },
          );
          expect(e.value.errors.join(" ")).toMatch(/connect|connection|TCP\/IP/i);
        }
      }
    },
  );

  timedTest(
    "after a stream of changes at every facility, source and warehouse match per table (count, checksum)",
    async () => {
      const started = Date.now();
      for (let round = 0; round < 4; round++) {
        await Promise.all(
          codes.map((code, i) => randomChanges(p.facility(code).db, 100 + i, 25, 1000 * (round + 1) + i)),
        );
      }
      const comparisons = await p.waitForConvergence(240_000);
      process.stderr.write(
        `converged ${comparisons.length} table/facility pairs in ${Date.now() - started} ms\n`,
      );
      expect(comparisons).toHaveLength(codes.length * TABLES.length);
      expect(comparisons.filter((c) => !c.match)).toEqual([]);
      for (const c of comparisons) expect(c.warehouse).toEqual(c.source);
      // The comparison can fail: a row changed only in the warehouse is detected.
      const tamper = await p.wh.query(
        `UPDATE public."Medications" SET "Dose" = 'tampered'
        WHERE "${FACILITY_FIELDS.code}" = $1
          AND "MedicationID" = (SELECT min("MedicationID") FROM public."Medications" WHERE "${FACILITY_FIELDS.code}" = $1)`,
        [a.config.dhis2Code],
      );
      expect(tamper.rowCount).toBe(1);
      const tampered = await p.compareAll([a.config.dhis2Code]);
      expect(tampered.filter((c) => !c.match).map((c) => c.table)).toEqual(["Medications"]);
    },
  );

  timedTest("the table created after start-up reaches the warehouse with no config change", async () => {
    const code = a.config.dhis2Code;
    const deadline = newTable.createdAt + SINK_METADATA_MAX_AGE_MS + 90_000;
    const [cmp] = await waitFor(
      `facility ${code}'s ${NEW_TABLE.name} in the warehouse (the sink discovers new topics within metadata.max.age.ms = ${SINK_METADATA_MAX_AGE_MS} ms)`,
      async () => {
        const c = await compareFacility(a.db, p.wh, code, [NEW_TABLE]);
        return c[0].match ? c : false;
      },
      { timeoutMs: Math.max(10_000, deadline - Date.now()), intervalMs: 1000 },
    );
    process.stderr.write(
      `${NEW_TABLE.name} reached the warehouse ${((Date.now() - newTable.createdAt) / 1000).toFixed(1)} s after CREATE TABLE\n`,
    );
    expect(cmp.warehouse).toEqual({ rows: 5, digest: cmp.source.digest });
    expect(await primaryKey(NEW_TABLE.name)).toEqual(["ImmunizationID", FACILITY_FIELDS.code]);
    const others = await wh(
      `SELECT 1 FROM public."${NEW_TABLE.name}" WHERE "${FACILITY_FIELDS.code}" <> $1`,
      [code],
    );
    expect(others).toEqual([]);
  });
});
