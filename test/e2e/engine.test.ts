import { join } from "node:path";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { ConfigResourceTypes } from "kafkajs";
import { aclKey, aclMatrix } from "../../infra/connect/acl";
import { HEARTBEAT_TOPIC, WAREHOUSE_ROLES, dataTopic } from "../../infra/connect/names";
import { topicSpecs } from "../../infra/connect/topics";
import {
  REPO_ROOT,
  facilityStackFiles,
  loadFacilityStack,
  loadPlatformStack,
} from "../../infra/config/stackfiles";
import { run as runDeliveryCli } from "../../infra/delivery/cli";
import { classifyDrift, classifyPreview } from "../../infra/delivery/exit-codes";
import {
  type EngineStack,
  TOOLCHAIN_BUILD_TIMEOUT_MS,
  engineProvisioner,
  ensureToolchain,
} from "../../infra/local/engine";
import { assertNoProcessesLeft, listAcls, toKafkajsAcl, withAdmin } from "../../infra/local";
import { LOCAL_WAREHOUSE_DB, Pipeline } from "../../infra/local/pipeline";
import { Workspace } from "../../infra/local/workspace";

/**
 * The real Pulumi engine (scripts/pulumi-toolchain.sh: CLI, Node.js language host, this repository's
 * kafka/postgresql/random providers) runs the `local` platform stack against the loopback data
 * plane: `pulumi up` makes the topics, ACLs and warehouse roles, the data plane then runs on them,
 * a second preview shows no change, the policy pack runs inside the engine, hand changes are found
 * by `pulumi refresh --preview-only`, and `pulumi destroy` removes everything `up` made.
 *
 * The toolchain is built when absent (8–15 min cold on two cores); a build failure fails the suite.
 */
jest.setTimeout(20 * 60_000);

const log = (line: string) => process.stdout.write(`[engine] ${line}\n`);
const ws = new Workspace();
let bin: string;
let p: Pipeline | undefined;
let stack: EngineStack;
let engine: ReturnType<typeof engineProvisioner>;
let codes: string[];
const platform = loadPlatformStack(join(REPO_ROOT, "Pulumi.local.yaml")).config;
const facilities = facilityStackFiles()
  .slice(0, 2)
  .map((f) => loadFacilityStack(f).config);
const timings: [string, number][] = [];
/** Every password the run handles: none may appear in any engine output, log or config file. */
const secrets: string[] = [];

/** Resource count from the engine's summary, e.g. `+ 57 created`. */
function count(
  output: string,
  what: "created" | "deleted" | "unchanged" | "updated" | "to update" | "to create",
): number {
  const m = new RegExp(`(\\d+) ${what}`).exec(output);
  return m ? Number(m[1]) : 0;
}

async function timed<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await fn();
  } finally {
    timings.push([name, Date.now() - started]);
  }
}

beforeAll(() => {
  const started = Date.now();
  bin = ensureToolchain(log);
  engine = engineProvisioner(ws, bin, log);
  timings.push(["toolchain (scripts/pulumi-toolchain.sh)", Date.now() - started]);
}, TOOLCHAIN_BUILD_TIMEOUT_MS);

afterAll(async () => {
  for (const [name, ms] of timings) log(`${name}: ${(ms / 1000).toFixed(1)} s`);
  await p?.stop();
  ws.dispose();
  assertNoProcessesLeft();
});

test("pulumi up on the local stack makes every topic, ACL and role, and the data plane runs on them", async () => {
  p = await timed("data plane start incl. pulumi up", () =>
    Pipeline.start({
      facilities,
      platform,
      // Three KRaft nodes, so the topics get the production durability (RF 3, min.insync.replicas 2)
      // and the policy pack passes with the production policy config.
      brokers: 3,
      rowsPerTable: 10,
      provision: async (endpoints) => {
        codes = endpoints.facilities;
        secrets.push(endpoints.kafka.adminPassword, endpoints.warehouse.password);
        const objects = await timed("pulumi up", () => engine.provision(endpoints));
        secrets.push(objects.sinkPassword, ...(objects.reportingPassword ? [objects.reportingPassword] : []));
        stack = engine.stack();
        return objects;
      },
    }),
  );
  expect(codes.sort()).toEqual(facilities.map((f) => f.dhis2Code).sort());

  // Every topic of the plan, with its partitions and config, exists on the brokers.
  const plan = topicSpecs(platform, { replicationFactor: 3, minInsyncReplicas: 2 });
  const topics = await withAdmin(p.kafka, (a) => a.fetchTopicMetadata({ topics: plan.map((t) => t.name) }));
  for (const t of plan) {
    const md = topics.topics.find((x) => x.name === t.name);
    expect({ topic: t.name, partitions: md?.partitions.length }).toEqual({
      topic: t.name,
      partitions: t.partitions,
    });
  }
  // Every ACL of the matrix (admin, sink, each facility) exists, and nothing else.
  const want = aclMatrix(codes)
    .flatMap((g) => g.acls.map(aclKey))
    .sort();
  const have = (await listAcls(p.kafka)).map(aclKey).sort();
  expect(have).toEqual(want);
  // The warehouse database and its three roles exist; the reporting login inherits the read-only role.
  const wh = await p.warehousePg.connect("postgres");
  try {
    const roles = await wh.query<{ rolname: string; rolcanlogin: boolean }>(
      "SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname = ANY($1) ORDER BY rolname",
      [Object.values(WAREHOUSE_ROLES)],
    );
    expect(roles.rows).toEqual(
      Object.values(WAREHOUSE_ROLES)
        .sort()
        .map((r) => ({ rolname: r, rolcanlogin: r !== WAREHOUSE_ROLES.readonly })),
    );
    const db = await wh.query("SELECT 1 FROM pg_database WHERE datname = $1", [LOCAL_WAREHOUSE_DB]);
    expect(db.rowCount).toBe(1);
  } finally {
    await wh.end();
  }

  // Rows flow from both facilities through topics and ACLs made by Pulumi into the warehouse.
  const converged = await timed("convergence", () => p!.waitForConvergence(240_000));
  expect(converged.length).toBeGreaterThan(0);
  expect(converged.filter((c) => !c.match)).toEqual([]);
  // The read-only role reads the tables the sink created after `pulumi up` (default privileges).
  const reporting = await p.warehousePg.connect(LOCAL_WAREHOUSE_DB);
  try {
    const r = await reporting.query<{ n: string }>(
      `SELECT count(*) AS n FROM information_schema.role_table_grants WHERE grantee = $1 AND privilege_type = 'SELECT'`,
      [WAREHOUSE_ROLES.readonly],
    );
    expect(Number(r.rows[0].n)).toBeGreaterThan(0);
  } finally {
    await reporting.end();
  }
});

test("a second preview shows no changes (no perpetual diff)", async () => {
  const r = await timed("pulumi preview --expect-no-changes", () =>
    stack.run(["preview", "--expect-no-changes"]),
  );
  expect({ code: r.code, tail: r.code === 0 ? "" : r.output.slice(-3000) }).toEqual({ code: 0, tail: "" });
  expect(count(r.output, "unchanged")).toBeGreaterThan(50);
});

test("the policy pack runs inside the engine: the stack passes the production config; a single-replica variant is refused by rule name", async () => {
  const pack = join(REPO_ROOT, "policy");
  const config = join(pack, "policy-config.json");
  const ok = await timed("preview --policy-pack", () =>
    stack.run(["preview", "--policy-pack", pack, "--policy-pack-config", config]),
  );
  expect({ code: ok.code, tail: ok.code === 0 ? "" : ok.output.slice(-3000) }).toEqual({ code: 0, tail: "" });
  expect(ok.output).toMatch(/Policies:[\s\S]*clinicmaster/);
  // The same stack on one broker (replication factor 1): the pack refuses the planned topics.
  const variant = stack.configVariant("rf1", (doc) =>
    doc.setIn(["config", "platform:local", "kafka", "replicationFactor"], 1),
  );
  const bad = await timed("preview --policy-pack (RF 1 variant)", () =>
    stack.run(["preview", "--policy-pack", pack, "--policy-pack-config", config, "--config-file", variant]),
  );
  log(`policy-refused preview exit code: ${bad.code}`);
  expect(bad.code).not.toBe(0);
  expect(bad.output).toContain("kafka-topic-durability");
  // The delivery workflow's classifier reads it as a policy violation (the CLI exits 1, not 5).
  expect(classifyPreview(bad.code, false, bad.output)).toEqual({ kind: "policy-violation" });
  expect(bad.output).toMatch(/\[mandatory\]/);
  // Nothing was changed by the refused preview.
  const again = await stack.run(["preview", "--expect-no-changes"]);
  expect(again.code).toBe(0);
});

test("an ACL removed and a topic config changed by hand are drift; pulumi up repairs both", async () => {
  const sinkAcl = aclMatrix(codes).find((g) => g.role === "sink")!.acls[0];
  await withAdmin(p!.kafka, async (a) => {
    const k = toKafkajsAcl(sinkAcl);
    await a.deleteAcls({ filters: [k] });
    await a.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: HEARTBEAT_TOPIC,
          configEntries: [{ name: "retention.ms", value: "3600000" }],
        },
      ],
    });
  });
  expect((await listAcls(p!.kafka)).map(aclKey)).not.toContain(aclKey(sinkAcl));

  const drift = await timed("refresh --preview-only --expect-no-changes", () =>
    stack.run(["refresh", "--preview-only", "--expect-no-changes"]),
  );
  log(`drift refresh exit code: ${drift.code}`);
  expect(drift.code).toBe(7);
  expect(classifyDrift(drift.code, drift.output)).toEqual({ kind: "drift" });
  expect(drift.output).toMatch(/kafka:index(\/acl)?:Acl/);
  expect(drift.output).toMatch(/kafka:index(\/topic)?:Topic/);
  // The delivery drift script reads the same exit code and log.
  const logFile = join(ws.dir("engine"), "drift.log");
  writeFileSync(logFile, drift.output);
  const out: string[] = [];
  const status = runDeliveryCli(
    [
      "drift-report",
      "--project",
      "platform",
      "--stack",
      "local",
      "--exit-code",
      String(drift.code),
      "--log",
      logFile,
    ],
    {
      root: REPO_ROOT,
      env: {},
      out: (l) => out.push(l),
      err: (l) => out.push(l),
      read: (f) => readFileSync(f, "utf8"),
      gh: () => {
        throw new Error("no GitHub here");
      },
      now: () => new Date(),
    },
  );
  expect({ status, out: out.join("\n") }).toEqual({
    status: 0,
    out: expect.stringContaining("Drift in platform/local"),
  });

  // `pulumi up --refresh` puts both back, and then nothing differs any more.
  const repair = await timed("pulumi up --refresh (repair)", () =>
    stack.expectOk(["up", "--yes", "--skip-preview", "--refresh"]),
  );
  expect(repair.output).toMatch(/created|updated/);
  expect((await listAcls(p!.kafka)).map(aclKey)).toContain(aclKey(sinkAcl));
  const retention = await withAdmin(p!.kafka, (a) =>
    a.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: HEARTBEAT_TOPIC, configNames: ["retention.ms"] }],
    }),
  );
  expect(retention.resources[0].configEntries[0].configValue).toBe(String(platform.retention.heartbeatMs));
  const clean = await stack.run(["refresh", "--preview-only", "--expect-no-changes"]);
  expect({ code: clean.code, kind: classifyDrift(clean.code, clean.output).kind }).toEqual({
    code: 0,
    kind: "clean",
  });
});

test("more partitions for a table is an in-place update of its topic, never a replacement", async () => {
  const table = platform.tables.find((t) => t.name === "Staff")!;
  const more = table.partitions + 2;
  const variant = stack.configVariant("more-partitions", (doc) => {
    const tables = platform.tables.map((t) => ({
      ...t,
      partitions: t.name === table.name ? more : t.partitions,
    }));
    doc.setIn(["config", "platform:tables"], tables);
  });
  const preview = await stack.run(["preview", "--diff", "--config-file", variant]);
  expect(preview.code).toBe(0);
  expect(count(preview.output, "to update")).toBe(1);
  expect(preview.output).not.toMatch(/to replace/);
  await timed("pulumi up (more partitions)", () =>
    stack.expectOk(["up", "--yes", "--skip-preview", "--config-file", variant]),
  );
  const md = await withAdmin(p!.kafka, (a) => a.fetchTopicMetadata({ topics: [dataTopic(table.name)] }));
  expect(md.topics[0].partitions.length).toBe(more);
  const again = await stack.run(["preview", "--expect-no-changes", "--config-file", variant]);
  expect(again.code).toBe(0);
});

test("pulumi destroy removes every topic, ACL, role and the warehouse database", async () => {
  // The workers hold the topics and the warehouse open; stop them first (Kafka and PostgreSQL stay).
  for (const f of p!.facilities.values()) {
    await f.watchdog?.process.stop();
    await f.worker.stop();
  }
  await p!.sink.watchdog?.process.stop();
  await p!.sink.worker.stop();
  await p!.wh.end();
  const d = await timed("pulumi destroy", () => stack.expectOk(["destroy", "--yes", "--skip-preview"]));
  log(`pulumi destroy: ${count(d.output, "deleted")} deleted in ${(d.ms / 1000).toFixed(1)} s`);
  const plan = topicSpecs(platform, { replicationFactor: 3, minInsyncReplicas: 2 }).map((t) => t.name);
  const left = (await withAdmin(p!.kafka, (a) => a.listTopics())).filter((t) => plan.includes(t));
  expect(left).toEqual([]);
  expect(await listAcls(p!.kafka)).toEqual([]);
  const wh = await p!.warehousePg.connect("postgres");
  try {
    const roles = await wh.query("SELECT rolname FROM pg_roles WHERE rolname = ANY($1)", [
      Object.values(WAREHOUSE_ROLES),
    ]);
    expect(roles.rows).toEqual([]);
    const db = await wh.query("SELECT 1 FROM pg_database WHERE datname = $1", [LOCAL_WAREHOUSE_DB]);
    expect(db.rowCount).toBe(0);
  } finally {
    await wh.end();
  }
  const after = await stack.run(["stack", "export"]);
  expect(after.code).toBe(0);
  expect(after.stdout).not.toContain("kafka:index/topic:Topic");
});

test("no password appears in any engine output, log or stack config file", () => {
  expect(secrets.length).toBeGreaterThanOrEqual(3);
  const texts: [string, string][] = stack.history.map((r) => [r.command, r.output]);
  for (const f of readdirSync(ws.logs)) texts.push([f, readFileSync(join(ws.logs, f), "utf8")]);
  for (const f of readdirSync(stack.dir).filter((x) => x.endsWith(".yaml")))
    texts.push([f, readFileSync(join(stack.dir, f), "utf8")]);
  expect(texts.length).toBeGreaterThan(5);
  const leaks = texts.filter(([, text]) => secrets.some((pw) => text.includes(pw))).map(([name]) => name);
  expect(leaks).toEqual([]);
});
