import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { ConfigError } from "../../infra/config/problems";
import { parseFacility } from "../../infra/config/facility";
import {
  FACILITIES_DIR,
  REPO_ROOT,
  crossFacilityProblems,
  loadFacilityStack,
  readStackFile,
  namespaceValues,
  validateRepository,
} from "../../infra/config/stackfiles";
import { parsePlatform } from "../../infra/config/platform";
import { DESCRIPTIONS, configKeys, configReference } from "../../infra/config/reference";

const kayunga = () =>
  namespaceValues(readStackFile(path.join(FACILITIES_DIR, "Pulumi.kayunga.yaml")).values, "facility");

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
  throw new Error("expected a ConfigError, none was thrown");
}

describe("seed facilities", () => {
  test.each(["kayunga", "luwero", "yumbe"])("%s validates", (slug) => {
    const f = loadFacilityStack(path.join(FACILITIES_DIR, `Pulumi.${slug}.yaml`));
    expect(f.config.slug).toBe(slug);
    expect(f.config.sqlServer.port).toBe(1433);
    expect(f.config.sqlServer.database).toBe("ClinicMasterMOH");
  });

  test("carry the identities of the original design note", () => {
    const got = ["kayunga", "luwero", "yumbe"].map((s) => {
      const c = loadFacilityStack(path.join(FACILITIES_DIR, `Pulumi.${s}.yaml`)).config;
      return [c.name, c.dhis2Code, c.sqlServer.host, c.sqlServer.version];
    });
    expect(got).toEqual([
      ["Kayunga Regional Referral Hospital", "12345", "192.168.1.40", 2019],
      ["Luwero General Hospital", "67890", "10.0.1.50", 2022],
      ["Yumbe Regional Referral Hospital", "54321", "172.16.0.100", 2017],
    ]);
  });

  test("defaults: all dbo tables, when_needed snapshots, 30 s heartbeat", () => {
    const c = parseFacility(kayunga());
    expect(c.tables).toEqual([]);
    expect(c.snapshotMode).toBe("when_needed");
    expect(c.heartbeatIntervalMs).toBe(30000);
  });

  test("the whole repository validates, with no plaintext secret in any stack file", () => {
    const report = validateRepository();
    expect(report.errors).toEqual([]);
    expect(report.facilities.map((f) => f.stack)).toEqual(["kayunga", "luwero", "yumbe"]);
    for (const file of [
      ...fs.readdirSync(FACILITIES_DIR).map((f) => path.join(FACILITIES_DIR, f)),
      path.join(REPO_ROOT, "Pulumi.dev.yaml"),
    ]) {
      expect(fs.readFileSync(file, "utf8")).not.toMatch(/password\s*[:=]\s*[^\s{]/i);
    }
  });
});

describe("facility rejections", () => {
  const cases: [string, (c: Record<string, any>) => void, string][] = [
    [
      "rejects port 67897 from the original note",
      (c) => (c.sqlServer.port = 67897),
      "facility:sqlServer.port = 67897: is not a TCP port (1–65535); SQL Server listens on 1433 by default",
    ],
    [
      "rejects a DHIS2 code with characters unsafe in topic or user names",
      (c) => (c.dhis2Code = "KAY 01/x"),
      'facility:dhis2Code = "KAY 01/x": must be 1–50 letters, digits',
    ],
    [
      "rejects a DHIS2 code written as a YAML number",
      (c) => (c.dhis2Code = 12345),
      "facility:dhis2Code = 12345: must be a string (quote numeric codes in YAML)",
    ],
    [
      "rejects a misspelt key",
      (c) => (c.heartbeatIntervalMS = 1000),
      "facility:heartbeatIntervalMS = 1000: unknown key (misspelt?)",
    ],
    [
      "rejects a misspelt nested key",
      (c) => (c.sqlServer.hots = "x"),
      'facility:sqlServer.hots = "x": unknown key (misspelt?)',
    ],
    [
      "rejects a missing SQL Server host",
      (c) => delete c.sqlServer.host,
      "facility:sqlServer.host = (not set): required; set it with `pulumi config set facility:sqlServer.host 192.168.1.40`",
    ],
    [
      "rejects a private public IP",
      (c) => (c.tunnel.publicIp = "192.168.1.1"),
      'facility:tunnel.publicIp = "192.168.1.1": must be the facility router\'s public IPv4 address',
    ],
    [
      "rejects a LAN CIDR with host bits",
      (c) => (c.tunnel.lanCidrs = ["192.168.1.40/24"]),
      'facility:tunnel.lanCidrs[0] = "192.168.1.40/24": is not a CIDR block',
    ],
    [
      "rejects an unknown snapshot mode",
      (c) => (c.snapshotMode = "schema_only"),
      'facility:snapshotMode = "schema_only": must be one of when_needed, initial, no_data, always, initial_only',
    ],
    [
      "rejects docker mode without a Docker host",
      (c) => delete c.dockerHost,
      "facility:dockerHost = (not set): required when deployMode is docker",
    ],
    [
      "rejects a Docker host that is not an SSH URL",
      (c) => (c.dockerHost = "tcp://192.168.1.41:2375"),
      'facility:dockerHost = "tcp://192.168.1.41:2375": must be an SSH URL',
    ],
    [
      "rejects an image not pinned by digest",
      (c) => (c.connectImage = "quay.io/debezium/connect:3.6"),
      'facility:connectImage = "quay.io/debezium/connect:3.6": must be pinned by digest',
    ],
    [
      "rejects a heartbeat under one second",
      (c) => (c.heartbeatIntervalMs = 10),
      "facility:heartbeatIntervalMs = 10: must be at least 1000 ms",
    ],
    [
      "rejects a memory limit too small for the heap",
      (c) => (c.worker = { heapMiB: 512, memoryLimitMiB: 600 }),
      "facility:worker.memoryLimitMiB = 600: must be at least 1.5 × worker.heapMiB (512) = 768 MiB",
    ],
    [
      "rejects key columns for a table not captured",
      (c) => {
        c.tables = ["Visits"];
        c.keyColumns = { AuditTrail: ["AuditDate"] };
      },
      "facility:keyColumns.AuditTrail",
    ],
    [
      "rejects a table name with a schema prefix",
      (c) => (c.tables = ["dbo.Visits"]),
      'facility:tables[0] = "dbo.Visits": must be a plain identifier',
    ],
  ];

  test.each(cases)("%s", (_name, mutate, expected) => {
    const raw = structuredClone(kayunga()) as Record<string, any>;
    mutate(raw);
    const msg = messageOf(() => parseFacility(raw));
    expect(msg).toContain("facility `kayunga`");
    expect(msg).toContain(expected);
  });

  test("lists every problem at once, not only the first", () => {
    const raw = structuredClone(kayunga()) as Record<string, any>;
    raw.sqlServer.port = 67897;
    raw.dhis2Code = "a b";
    raw.extra = 1;
    const msg = messageOf(() => parseFacility(raw));
    expect(msg).toMatch(/^facility `kayunga`: 3 configuration problems\n/);
    expect(msg.split("\n")).toHaveLength(4);
  });
});

describe("stack files", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "cm-stacks-"));
    fs.mkdirSync(path.join(dir, "facilities"));
    fs.copyFileSync(path.join(REPO_ROOT, "Pulumi.dev.yaml"), path.join(dir, "Pulumi.dev.yaml"));
    for (const s of ["kayunga", "luwero", "yumbe"]) {
      fs.copyFileSync(
        path.join(FACILITIES_DIR, `Pulumi.${s}.yaml`),
        path.join(dir, "facilities", `Pulumi.${s}.yaml`),
      );
    }
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const writeFacility = (slug: string, edit: (config: Record<string, any>) => void) => {
    const file = path.join(dir, "facilities", `Pulumi.${slug}.yaml`);
    const src = fs.existsSync(file) ? file : path.join(FACILITIES_DIR, "Pulumi.kayunga.yaml");
    const doc = { config: readStackFile(src).values as Record<string, any> };
    edit(doc.config);
    fs.writeFileSync(file, stringify(doc));
  };
  const errors = () => validateRepository(dir, path.join(dir, "facilities")).errors.join("\n");

  test("rejects a plaintext SQL Server password", () => {
    writeFacility("kayunga", (c) => (c["facility:sqlServerPassword"] = "hunter2"));
    const out = errors();
    expect(out).toContain(
      "facility:sqlServerPassword = (plain text): is a secret stored in plain text; remove it and run `pulumi config set --secret facility:sqlServerPassword`",
    );
    expect(out).not.toContain("hunter2");
  });

  test("accepts an encrypted SQL Server password", () => {
    writeFacility("kayunga", (c) => (c["facility:sqlServerPassword"] = { secure: "v1:abc:def" }));
    expect(errors()).toBe("");
    const f = loadFacilityStack(path.join(dir, "facilities", "Pulumi.kayunga.yaml"));
    expect(f.missingSecrets).toEqual([]);
  });

  test("rejects a duplicate DHIS2 code", () => {
    writeFacility("wakiso", (c) => {
      c["facility:slug"] = "wakiso";
      c["facility:name"] = "Wakiso Health Centre IV";
      c["facility:tunnel"] = { publicIp: "41.210.140.99", lanCidrs: ["192.168.50.0/24"] };
      c["facility:sqlServer"] = { ...c["facility:sqlServer"], host: "192.168.50.4" };
    });
    expect(errors()).toContain('facility:dhis2Code = "12345": in wakiso is already used by facility kayunga');
  });

  test("rejects a duplicate facility name", () => {
    writeFacility("wakiso", (c) => {
      c["facility:slug"] = "wakiso";
      c["facility:dhis2Code"] = "99999";
      c["facility:tunnel"] = { publicIp: "41.210.140.99", lanCidrs: ["192.168.50.0/24"] };
      c["facility:sqlServer"] = { ...c["facility:sqlServer"], host: "192.168.50.4" };
    });
    expect(errors()).toContain(
      'facility:name = "Kayunga Regional Referral Hospital": in wakiso is already used by facility kayunga',
    );
  });

  test("rejects overlapping LAN CIDRs", () => {
    writeFacility("wakiso", (c) => {
      c["facility:slug"] = "wakiso";
      c["facility:dhis2Code"] = "99999";
      c["facility:name"] = "Wakiso Health Centre IV";
      c["facility:tunnel"] = { publicIp: "41.210.140.99", lanCidrs: ["192.168.0.0/16"] };
      c["facility:sqlServer"] = { ...c["facility:sqlServer"], host: "192.168.50.4" };
    });
    expect(errors()).toContain(
      'facility:tunnel.lanCidrs = "192.168.0.0/16": in wakiso overlaps 192.168.1.0/24 of kayunga',
    );
  });

  test("rejects a LAN overlapping the platform VPC", () => {
    writeFacility("luwero", (c) => {
      c["facility:tunnel"] = { publicIp: "102.134.18.90", lanCidrs: ["10.40.7.0/24"] };
      c["facility:sqlServer"] = { ...c["facility:sqlServer"], host: "10.40.7.5" };
    });
    expect(errors()).toContain(
      'facility:tunnel.lanCidrs = "10.40.7.0/24": in luwero overlaps the platform VPC 10.40.0.0/16',
    );
  });

  test("rejects a SQL Server outside the facility LAN", () => {
    writeFacility(
      "yumbe",
      (c) => (c["facility:sqlServer"] = { ...c["facility:sqlServer"], host: "172.16.9.1" }),
    );
    expect(errors()).toContain(
      'facility:sqlServer.host = "172.16.9.1": in yumbe is outside its tunnel.lanCidrs 172.16.0.0/24',
    );
  });

  test("rejects a slug that differs from the file's stack name", () => {
    writeFacility("yumbe", (c) => (c["facility:slug"] = "arua"));
    expect(errors()).toContain(
      'facility:slug = "arua": must equal the stack name `yumbe` of Pulumi.yumbe.yaml',
    );
  });

  test("rejects a reference to a platform stack that does not exist", () => {
    writeFacility("yumbe", (c) => (c["facility:platformStack"] = "organization/clinicmaster-platform/prod"));
    expect(errors()).toContain(
      "in yumbe names stack `prod`, but there is no Pulumi.prod.yaml at the repository root",
    );
  });

  test("rejects a file that is not YAML with one line, not a stack trace", () => {
    fs.writeFileSync(path.join(dir, "facilities", "Pulumi.broken.yaml"), "config: [unclosed");
    expect(errors()).toMatch(
      /stack file .*Pulumi\.broken\.yaml: 1 configuration problem\n {2}- \(file\) = \(unparseable\): is not valid YAML/,
    );
  });

  test("cross-facility check passes on distinct facilities", () => {
    const r = validateRepository(dir, path.join(dir, "facilities"));
    expect(crossFacilityProblems(r.facilities, r.platforms)).toEqual([]);
  });
});

describe("platform config", () => {
  const dev = () =>
    namespaceValues(readStackFile(path.join(REPO_ROOT, "Pulumi.dev.yaml")).values, "platform");

  test("Pulumi.dev.yaml validates with three brokers and a /16 VPC", () => {
    const p = parsePlatform(dev(), "dev");
    expect(p.kafka.brokerCount).toBe(3);
    expect(p.target).toBe("aws");
    expect(p.target === "aws" && p.network.vpcCidr).toBe("10.40.0.0/16");
    expect(p.tables.map((t) => t.name)).toContain("Visits");
  });

  const cases: [string, (c: Record<string, any>) => void, string][] = [
    [
      "rejects two brokers",
      (c) => (c.kafka.brokerCount = 2),
      "platform:kafka.brokerCount = 2: must be at least 3",
    ],
    [
      "rejects admin access from anywhere",
      (c) => (c.network.adminCidrs = ["0.0.0.0/0"]),
      'platform:network.adminCidrs[0] = "0.0.0.0/0": must not be 0.0.0.0/0',
    ],
    [
      "rejects backups kept under 7 days",
      (c) => (c.warehouse.backupRetentionDays = 1),
      "platform:warehouse.backupRetentionDays = 1: must be at least 7 days",
    ],
    [
      "rejects a duplicated table",
      (c) => c.tables.push({ name: "visits", partitions: 1 }),
      "duplicates tables[1]",
    ],
    ["rejects a missing region", (c) => delete c.region, "platform:region = (not set): required"],
    [
      "rejects autoscaling below the initial volume",
      (c) => (c.kafka.maxVolumeGiB = 50),
      "platform:kafka.maxVolumeGiB = 50: must be at least kafka.volumeGiB (100)",
    ],
  ];
  test.each(cases)("%s", (_n, mutate, expected) => {
    const raw = structuredClone(dev()) as Record<string, any>;
    mutate(raw);
    expect(messageOf(() => parsePlatform(raw, "dev"))).toContain(expected);
  });
});

describe("README configuration reference", () => {
  test("equals the table generated from the schemas (run `npm run docs:config` and paste it)", () => {
    const readme = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
    const m = /<!-- config-reference:start -->\n([\s\S]*?)\n<!-- config-reference:end -->/.exec(readme);
    expect(m).not.toBeNull();
    expect(m![1]).toBe(configReference());
  });

  test("every schema key has a description and no description is stale", () => {
    const keys = configKeys().map((r) => r.key);
    expect(Object.keys(DESCRIPTIONS).sort()).toEqual([...keys].sort());
  });
});
