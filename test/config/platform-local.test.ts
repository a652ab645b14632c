import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { isLoopbackHost, parsePlatform } from "../../infra/config/platform";
import {
  REPO_ROOT,
  facilityStackFiles,
  loadFacilityStack,
  loadPlatformStack,
  namespaceValues,
  readStackFile,
  validateRepository,
} from "../../infra/config/stackfiles";
import { discoverStacks, ruleFor } from "../../infra/delivery/stacks";
import { setupMocks } from "../helpers/mocks";

const LOCAL_FILE = path.join(REPO_ROOT, "Pulumi.local.yaml");
const local = () => namespaceValues(readStackFile(LOCAL_FILE).values, "platform") as Record<string, any>;
const dev = () =>
  namespaceValues(readStackFile(path.join(REPO_ROOT, "Pulumi.dev.yaml")).values, "platform") as Record<
    string,
    any
  >;

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error("expected an error, got none");
}

describe("Pulumi.local.yaml", () => {
  test("validates as target local with RF 1 and the loopback defaults", () => {
    const { stack, config } = loadPlatformStack(LOCAL_FILE);
    expect(stack).toBe("local");
    expect(config.target).toBe("local");
    if (config.target !== "local") return;
    expect(config.environment).toBe("local");
    expect(config.local.kafka.replicationFactor).toBe(1);
    expect(config.local.kafka.bootstrapServers.every((s) => s.startsWith("127.0.0.1:"))).toBe(true);
    expect(config.local.warehouse).toMatchObject({
      host: "127.0.0.1",
      username: "postgres",
      database: "postgres",
    });
  });

  test("lists the DHIS2 codes of every facility stack", () => {
    const codes = facilityStackFiles().map((f) => loadFacilityStack(f).config.dhis2Code);
    const config = loadPlatformStack(LOCAL_FILE).config;
    expect(config.target === "local" && [...config.local.facilities].sort()).toEqual([...codes].sort());
  });

  test("has the dev stack's tables, partitions, retention and sink batch/tasks", () => {
    const d = dev();
    const l = local();
    expect(l.tables).toEqual(d.tables);
    expect(l.defaultPartitions).toEqual(d.defaultPartitions);
    expect(l.retention).toEqual(d.retention);
    expect([l.sink.tasks, l.sink.batchSize]).toEqual([d.sink.tasks, d.sink.batchSize]);
  });

  test("stores no secret and no AWS section", () => {
    const text = fs.readFileSync(LOCAL_FILE, "utf8");
    expect(text).not.toMatch(/password\s*:\s*[^\s{]/i);
    expect(Object.keys(local()).sort()).toEqual(
      [
        "defaultPartitions",
        "environment",
        "local",
        "retention",
        "sink",
        "tables",
        "target",
        "warehouse",
      ].sort(),
    );
  });

  test("the repository validator checks it: it is one of the platform stacks and every stack passes", () => {
    const report = validateRepository();
    expect(report.errors).toEqual([]);
    expect([...report.platforms.keys()].sort()).toEqual(["dev", "local"]);
    expect(report.platforms.get("local")?.target).toBe("local");
  });

  test("CI does not run it: delivery neither lists the stack nor maps its file to a stack", () => {
    expect(discoverStacks().map((s) => s.stack)).not.toContain("local");
    expect(ruleFor("Pulumi.local.yaml")?.scope).toBe("none");
    expect(ruleFor("Pulumi.dev.yaml")?.scope).toBe("stack");
  });
});

describe("target local schema", () => {
  test("does not require the AWS-only keys, and ignores them when present", () => {
    const raw = local();
    expect(raw.region).toBeUndefined();
    expect(raw.network).toBeUndefined();
    const withAws = { ...raw, region: "af-south-1", network: { vpcCidr: "10.40.0.0/16" } };
    const p = parsePlatform(withAws, "local");
    expect(p.target).toBe("local");
    expect("network" in p).toBe(false);
  });

  const cases: [string, (c: Record<string, any>) => void, string][] = [
    [
      "rejects target local without the local block",
      (c) => delete c.local,
      "platform:local = (not set): required for target local; set it with `pulumi config set --path platform:local.kafka.bootstrapServers[0] 127.0.0.1:19092` and local.kafka.caCertFile",
    ],
    [
      "rejects a bootstrap server that is not on loopback",
      (c) =>
        (c.local.kafka.bootstrapServers = [
          "127.0.0.1:19092",
          "b-1.mock.kafka.af-south-1.amazonaws.com:9096",
        ]),
      'platform:local.kafka.bootstrapServers[1] = "b-1.mock.kafka.af-south-1.amazonaws.com:9096": host b-1.mock.kafka.af-south-1.amazonaws.com is not a loopback host: the local target only manages the loopback data plane of infra/local; use 127.0.0.1, localhost or ::1',
    ],
    [
      "rejects a bootstrap server without a port",
      (c) => (c.local.kafka.bootstrapServers = ["127.0.0.1"]),
      'platform:local.kafka.bootstrapServers[0] = "127.0.0.1": must be `host:port` with a TCP port (1–65535), e.g. 127.0.0.1:19092',
    ],
    [
      "rejects an empty bootstrap list",
      (c) => (c.local.kafka.bootstrapServers = []),
      'platform:local.kafka.bootstrapServers = []: must list at least one broker, e.g. ["127.0.0.1:19092"]',
    ],
    [
      "rejects replication factor 2",
      (c) => (c.local.kafka.replicationFactor = 2),
      "platform:local.kafka.replicationFactor = 2: must be 1 or 3: the loopback harness runs one or three KRaft nodes (min.insync.replicas 1 or 2)",
    ],
    [
      "rejects a missing CA file key",
      (c) => delete c.local.kafka.caCertFile,
      "platform:local.kafka.caCertFile = (not set): required; set it with `pulumi config set --path platform:local.kafka.caCertFile /path/to/ca.pem`",
    ],
    [
      "rejects a warehouse host that is not on loopback",
      (c) => (c.local.warehouse.host = "10.40.1.20"),
      'platform:local.warehouse.host = "10.40.1.20": is not a loopback host',
    ],
    [
      "rejects a warehouse port out of range",
      (c) => (c.local.warehouse.port = 70000),
      "platform:local.warehouse.port = 70000: must be a TCP port number (1–65535)",
    ],
    [
      "rejects a facility code unsafe in principal names",
      (c) => (c.local.facilities = ["12 345"]),
      'platform:local.facilities[0] = "12 345": must be 1–50 letters, digits',
    ],
    ["rejects an unknown target", (c) => (c.target = "gcp"), 'platform:target = "gcp": must be aws or local'],
  ];
  test.each(cases)("%s", (_n, mutate, expected) => {
    const raw = structuredClone(local());
    mutate(raw);
    expect(messageOf(() => parsePlatform(raw, "local"))).toContain(expected);
  });

  test("an aws stack (the default target) with a local block is refused: the target was forgotten", () => {
    const raw = { ...dev(), local: local().local };
    const msg = messageOf(() => parsePlatform(raw, "dev"));
    expect(msg).toContain("platform stack `dev`: 1 configuration problem");
    expect(msg).toMatch(
      /platform:local = \{.*: is only read by target local; set `pulumi config set platform:target local` or remove platform:local/,
    );
  });

  test("an aws stack still requires region and network", () => {
    const raw = dev();
    delete raw.region;
    delete raw.network;
    const msg = messageOf(() => parsePlatform(raw, "dev"));
    expect(msg).toContain("platform stack `dev`: 2 configuration problems");
    expect(msg).toContain(
      "platform:region = (not set): required for target aws (the default); set it with `pulumi config set --path platform:region af-south-1`",
    );
    expect(msg).toContain("platform:network = (not set): required for target aws (the default)");
  });

  test.each([
    ["127.0.0.1", true],
    ["127.5.6.7", true],
    ["localhost", true],
    ["LOCALHOST", true],
    ["::1", true],
    ["[::1]", true],
    ["128.0.0.1", false],
    ["10.0.0.1", false],
    ["0.0.0.0", false],
    ["localhost.example.org", false],
    ["127.0.0.1.nip.io", false],
  ])("isLoopbackHost(%s) = %s", (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });
});

describe("stack files of target local (validateRepository)", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "platform-local-"));
    fs.mkdirSync(path.join(dir, "facilities"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const errors = () => validateRepository(dir, path.join(dir, "facilities")).errors.join("\n");

  test("refuses a local secret stored in plain text, naming the command that stores it encrypted", () => {
    const text = fs.readFileSync(LOCAL_FILE, "utf8") + "  platform:localWarehousePassword: hunter2\n";
    fs.writeFileSync(path.join(dir, "Pulumi.local.yaml"), text);
    const e = errors();
    expect(e).toContain(
      "platform:localWarehousePassword = (plain text): is a secret stored in plain text; remove it and run `pulumi config set --secret platform:localWarehousePassword`",
    );
    expect(e).not.toContain("hunter2");
  });

  test("accepts the secrets stored encrypted", () => {
    const text =
      fs.readFileSync(LOCAL_FILE, "utf8") +
      "  platform:localKafkaAdminPassword:\n    secure: v1:abc\n  platform:localWarehousePassword:\n    secure: v1:def\n";
    fs.writeFileSync(path.join(dir, "Pulumi.local.yaml"), text);
    expect(errors()).toBe("");
  });

  test("refuses target local in any other platform stack file (CI would preview and deploy it)", () => {
    fs.copyFileSync(LOCAL_FILE, path.join(dir, "Pulumi.staging.yaml"));
    expect(errors()).toContain(
      'platform:target = "local": is only allowed in Pulumi.local.yaml (CI previews and deploys every other platform stack); rename the file or set target aws',
    );
  });

  test("refuses Pulumi.local.yaml with target aws (CI skips that stack)", () => {
    fs.copyFileSync(path.join(REPO_ROOT, "Pulumi.dev.yaml"), path.join(dir, "Pulumi.local.yaml"));
    expect(errors()).toContain('platform:target = "aws": must be local in Pulumi.local.yaml');
  });
});

describe("loadPlatform for target local (the program's config reader)", () => {
  let dir: string;
  let caFile: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "platform-local-load-"));
    caFile = path.join(dir, "ca.pem");
    fs.writeFileSync(caFile, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  function load(values: Record<string, unknown>, secretKeys: string[] = []) {
    setupMocks("clinicmaster-platform", "local");
    const config: Record<string, string> = {};
    for (const [k, v] of Object.entries(values))
      config[`platform:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
    pulumi.runtime.setAllConfig(
      config,
      secretKeys.map((k) => `platform:${k}`),
    );
    let mod: typeof import("../../infra/config/pulumi") | undefined;
    jest.isolateModules(() => {
      mod = require("../../infra/config/pulumi");
    });
    return mod!;
  }
  const withCa = () => {
    const raw = local();
    raw.local.kafka.caCertFile = caFile;
    return raw;
  };

  test("reads the CA file's content and both secrets as secret outputs", async () => {
    const mod = load({ ...withCa(), localKafkaAdminPassword: "k-pw", localWarehousePassword: "pg-pw" }, [
      "localKafkaAdminPassword",
      "localWarehousePassword",
    ]);
    const loaded = mod.loadPlatform();
    expect(loaded.target).toBe("local");
    if (loaded.target !== "local") return;
    expect(loaded.caCert).toContain("-----BEGIN CERTIFICATE-----");
    expect(await pulumi.isSecret(loaded.kafkaAdminPassword)).toBe(true);
    expect(await pulumi.isSecret(loaded.warehousePassword)).toBe(true);
    expect(loaded.config.local.facilities).toEqual(["12345", "67890", "54321"]);
  });

  test("fails if both secrets are missing: one message, each with the command that sets it", () => {
    const mod = load(withCa());
    const msg = messageOf(() => mod.loadPlatform());
    expect(msg).toContain("platform stack `local`: 2 configuration problems");
    expect(msg).toContain(
      "platform:localKafkaAdminPassword = (not set): required secret for target local; set it with `pulumi config set --secret platform:localKafkaAdminPassword` (stack local)",
    );
    expect(msg).toContain(
      "platform:localWarehousePassword = (not set): required secret for target local; set it with `pulumi config set --secret platform:localWarehousePassword` (stack local)",
    );
  });

  test("lists schema problems and missing secrets together", () => {
    const raw = withCa();
    raw.local.kafka.replicationFactor = 2;
    const mod = load({ ...raw, localWarehousePassword: "pg-pw" }, ["localWarehousePassword"]);
    const msg = messageOf(() => mod.loadPlatform());
    expect(msg).toContain("2 configuration problems");
    expect(msg).toContain("platform:local.kafka.replicationFactor = 2: must be 1 or 3");
    expect(msg).toContain("platform:localKafkaAdminPassword = (not set)");
  });

  test("does not ask an aws stack for the local secrets", () => {
    const mod = load(dev());
    const loaded = mod.loadPlatform();
    expect(loaded.target).toBe("aws");
    expect(mod.loadPlatformConfig().target).toBe("aws");
  });
});
