import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";
import { findSecretValues } from "../../infra/connect";
import { parseKitOutputs } from "../../infra/facility/kit-outputs";
import { renderSwanctlSecrets } from "../../infra/facility/ipsec";
import { KIT_FILES, type KitFile, generateKit } from "../../infra/facility/kit";
import { facilityConnectFiles } from "../../infra/facility/runtime";
import { findResource, unwrap } from "../helpers/mocks";
import {
  ADMIN_PASSWORD,
  BROKERS,
  IMAGES,
  SEEDS,
  SQL_PASSWORD,
  type Seed,
  reveal,
  runFacilityProgram,
  seedConfig,
} from "./facility-harness";

// Importing the program compiles the cloud SDKs once per file; under load that takes seconds.
jest.setTimeout(60_000);

/** Parses a Compose `.env` file the way Compose does for the quoting the kit uses. */
function parseEnv(text: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (line.trim() === "" || line.trimStart().startsWith("#")) continue;
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!m) throw new Error(`not a .env line: ${line}`);
    let v = m[2];
    if (v.startsWith("'") && v.endsWith("'")) v = v.slice(1, -1);
    else if (v.startsWith('"') && v.endsWith('"'))
      v = v.slice(1, -1).replace(/\\(.)/g, "$1").replace(/\$\$/g, "$");
    vars.set(m[1], v);
  }
  return vars;
}

/** `${VAR}` references in a Compose file; `$${…}` is an escaped literal. */
function composeVariables(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(/(\$+)\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-?+][^}]*)?\}/g)) {
    if (m[1].length % 2 === 1) names.add(m[2]);
  }
  return [...names].sort();
}

/** What `pulumi stack output --json` prints for the program: secrets as "[secret]". */
async function stackOutputJson(program: Record<string, unknown>): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(program)) {
    const secret = pulumi.Output.isInstance(v) && (await pulumi.isSecret(v));
    out[k] = secret ? "[secret]" : await unwrap(v as pulumi.Input<unknown>);
  }
  return JSON.parse(JSON.stringify(out));
}

function writeKit(files: Record<string, KitFile>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "clinicmaster-kit-"));
  for (const [rel, f] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), f.content, { mode: f.mode });
  }
  return dir;
}

function readTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = fs.readFileSync(p, "utf8");
    }
  };
  walk(dir);
  return out;
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe.each(SEEDS)("offline kit: %s", (slug: Seed) => {
  const facility = seedConfig(slug);
  let dir: string;
  let tree: Record<string, string>;
  let secrets: string[];
  let pulumiUploads: { file: string; content: string }[] | undefined;

  beforeAll(async () => {
    const program = await runFacilityProgram(slug);
    const outputs = await stackOutputJson(program);
    secrets = [
      SQL_PASSWORD,
      ADMIN_PASSWORD,
      await unwrap(program.kafkaPassword as pulumi.Output<string>),
      ...(await unwrap(program.tunnelPresharedKeys as pulumi.Output<string[]>)),
    ];
    pulumiUploads =
      facility.deployMode === "docker"
        ? reveal(findResource("docker:index/container:Container", `${slug}-connect-worker`).inputs.uploads)
        : undefined;
    dir = writeKit(generateKit({ facility, ...parseKitOutputs(outputs, slug) }));
    dirs.push(dir);
    tree = readTree(dir);
  });

  test("holds exactly the kit's files", () => {
    expect(Object.keys(tree).sort()).toEqual(
      [
        ".env.sample",
        "README.md",
        "config/connector.json",
        "config/start-worker.sh",
        "config/worker.properties",
        "docker-compose.yml",
        "prepare-sqlserver.sql",
        "setup-secrets.sh",
        "vpn/clinicmaster-vpn-up.sh",
        "vpn/swanctl.conf",
        "watchdog/watchdog.js",
      ].sort(),
    );
    for (const script of [KIT_FILES.startWorker, KIT_FILES.setupSecrets, KIT_FILES.vpnUp]) {
      expect(fs.statSync(path.join(dir, script)).mode & 0o777).toBe(0o755);
    }
  });

  test("no secret value anywhere in the folder", () => {
    expect(secrets).toHaveLength(5);
    for (const [file, content] of Object.entries(tree)) {
      expect([file, findSecretValues(content, secrets)]).toEqual([file, []]);
    }
  });

  test("docker-compose.yml parses and runs the worker as the original note names it", () => {
    const compose = parseYaml(tree["docker-compose.yml"]);
    expect(Object.keys(compose.services)).toEqual(["connect", "watchdog", "vpn"]);
    const c = compose.services.connect;
    expect(c.container_name).toBe("clinicmasterwarehouse");
    expect(c.image).toBe("${CONNECT_IMAGE}");
    expect(c.entrypoint).toEqual(["/bin/bash", "/etc/clinicmaster/start-worker.sh"]);
    expect(c.restart).toBe("unless-stopped");
    expect(c.mem_limit).toBe("${WORKER_MEMORY_LIMIT}");
    expect(c.privileged).toBe(false);
    expect(c.cap_drop).toEqual(["ALL"]);
    expect(c.cap_add).toBeUndefined();
    expect(c.ports).toEqual(["127.0.0.1:8083:8083"]);
    expect(c.volumes).toEqual([
      { type: "volume", source: "state", target: "/kafka/data" },
      { type: "bind", source: "./config", target: "/etc/clinicmaster", read_only: true },
      { type: "bind", source: "./secrets", target: "/run/secrets/clinicmaster", read_only: true },
    ]);
    expect(Object.keys(c.environment).filter((k) => /PASS|SECRET|KEY/.test(k))).toEqual([]);
    expect(c.healthcheck.test[1]).toContain(
      `$$(curl -fsS --max-time 5 http://localhost:8083/connectors/clinicmaster-source-${facility.dhis2Code}/status)`,
    );
    expect(compose.services.watchdog.network_mode).toBe("service:connect");
    expect(compose.services.watchdog.cap_drop).toEqual(["ALL"]);
    expect(compose.services.vpn.profiles).toEqual(["vpn"]);
    expect(compose.services.vpn.network_mode).toBe("host");
    expect(compose.services.vpn.cap_add).toEqual(["NET_ADMIN", "NET_RAW", "NET_BIND_SERVICE"]);
    expect(compose.volumes).toEqual({ state: { name: "clinicmaster-connect-state" } });
  });

  test("every variable Compose uses is documented in .env.sample, and the note's names are there", () => {
    const env = parseEnv(tree[".env.sample"]);
    const used = composeVariables(tree["docker-compose.yml"]);
    expect(used.filter((v) => !env.has(v))).toEqual([]);
    for (const v of used) {
      expect(tree[".env.sample"]).toMatch(new RegExp(`# .+\\n${v}=`));
    }
    for (const name of [
      "FACILITY_NAME",
      "FACILITY_DHIS2_CODE",
      "DB_HOST",
      "DB_PORT",
      "DB_USER",
      "DB_NAME",
      "KAFKA_BOOTSTRAP_SERVERS",
      "KAFKA_USER",
    ]) {
      expect(used).toContain(name);
    }
    expect(env.has("DB_PASS")).toBe(false);
    expect(env.has("KAFKA_PASS")).toBe(false);
    expect(tree[".env.sample"]).toContain("DB_PASS and KAFKA_PASS");
    expect(env.get("FACILITY_NAME")).toBe(facility.name);
    expect(env.get("FACILITY_DHIS2_CODE")).toBe(facility.dhis2Code);
    expect(env.get("KAFKA_BOOTSTRAP_SERVERS")).toBe(BROKERS);
    expect(env.get("KAFKA_USER")).toBe(`facility-${facility.dhis2Code}`);
    expect(env.get("CONNECT_IMAGE")).toBe(IMAGES.connect);
    expect(env.get("KAFKA_HEAP_OPTS")).toBe("-Xms256m -Xmx256m");
    expect(env.get("COMPOSE_PROFILES")).toBe(facility.vpnEndpoint ? "vpn" : undefined);
  });

  test("worker.properties and connector.json are the connect engine's output, byte for byte the Pulumi path's", () => {
    const engine = facilityConnectFiles(facility, BROKERS);
    expect(tree["config/worker.properties"]).toBe(engine.workerProperties);
    expect(tree["config/connector.json"]).toBe(engine.connectorJson);
    if (pulumiUploads) {
      const byFile = new Map(pulumiUploads.map((u) => [u.file, u.content]));
      expect(tree["config/worker.properties"]).toBe(byFile.get("/etc/clinicmaster/worker.properties"));
      expect(tree["config/connector.json"]).toBe(byFile.get("/etc/clinicmaster/connector.json"));
    }
  });

  test("the SQL prepares CDC for every dbo table, checks SQL Server Agent and keeps 7 days", () => {
    const sql = tree["prepare-sqlserver.sql"];
    expect(facility.tables).toEqual([]);
    expect(sql).toContain("DECLARE tables_cursor CURSOR LOCAL FAST_FORWARD FOR");
    expect(sql).toContain("WHERE s.name = N'dbo' AND t.is_ms_shipped = 0 AND t.is_tracked_by_cdc = 0");
    expect(sql).toContain("EXEC sys.sp_cdc_enable_db;");
    expect(sql).toContain("program_name LIKE N'SQLAgent%'");
    expect(sql).toContain("EXEC sys.sp_cdc_change_job @job_type = N'cleanup', @retention = 10080;");
    expect(sql).toContain("CREATE LOGIN [debezium] WITH PASSWORD = N'$(DEBEZIUM_PASSWORD)'");
    expect(sql).toContain(`USE [${facility.sqlServer.database}];`);
  });

  test("README tells the technician how to verify, with the note's commands", () => {
    const readme = tree["README.md"];
    expect(readme).toContain("cp .env.sample .env");
    expect(readme).toContain("docker compose up -d");
    expect(readme).toContain(
      `curl -s http://localhost:8083/connectors/clinicmaster-source-${facility.dhis2Code}/status`,
    );
    expect(readme).toContain(`"connector":{"state":"RUNNING"`);
    expect(readme).toContain("docker logs clinicmasterwarehouse");
    expect(readme).toContain("curl http://localhost:8083/connectors");
  });

  test("the tunnel config names both AWS tunnels of this facility's VPN connection", () => {
    const conf = tree["vpn/swanctl.conf"];
    expect(conf).toContain("remote_addrs = 13.244.10.1");
    expect(conf).toContain("remote_addrs = 13.244.10.2");
    expect(conf).toContain(`id = ${facility.tunnel.publicIp}`);
    expect(conf).not.toContain("secret =");
    expect(tree["vpn/clinicmaster-vpn-up.sh"]).toContain("ip route replace 10.40.0.0/16 dev xfrm-aws1");
  });
});

describe("start-worker.sh", () => {
  const facility = seedConfig("luwero");
  let dir: string;
  let env: Map<string, string>;
  let files: Record<string, KitFile>;

  beforeAll(() => {
    const tunnel = {
      facilityPublicIp: facility.tunnel.publicIp,
      remoteCidrs: ["10.40.0.0/16"],
      tunnels: [
        { outsideAddress: "13.244.10.1", cgwInsideAddress: "169.254.10.2", awsInsideAddress: "169.254.10.1" },
        { outsideAddress: "13.244.10.2", cgwInsideAddress: "169.254.11.2", awsInsideAddress: "169.254.11.1" },
      ] as [
        { outsideAddress: string; cgwInsideAddress: string; awsInsideAddress: string },
        { outsideAddress: string; cgwInsideAddress: string; awsInsideAddress: string },
      ],
    };
    files = generateKit({ facility, bootstrapServers: BROKERS, images: IMAGES, tunnel });
    dir = writeKit(files);
    dirs.push(dir);
    fs.mkdirSync(path.join(dir, "secrets"));
    fs.writeFileSync(path.join(dir, "secrets", "kafka-password"), "x".repeat(12));
    fs.writeFileSync(path.join(dir, "secrets", "database-password"), "y".repeat(12));
    env = parseEnv(files[".env.sample"].content);
  });

  function run(overrides: Record<string, string | undefined> = {}) {
    const vars: Record<string, string> = { PATH: process.env.PATH ?? "/usr/bin:/bin" };
    for (const [k, v] of env) vars[k] = v;
    for (const [k, v] of Object.entries(overrides)) {
      if (v === undefined) delete vars[k];
      else vars[k] = v;
    }
    Object.assign(vars, {
      CLINICMASTER_CONFIG_DIR: path.join(dir, "config"),
      CLINICMASTER_RUN_DIR: path.join(dir, "run"),
      CLINICMASTER_SECRETS_DIR: path.join(dir, "secrets"),
      CLINICMASTER_STATE_DIR: path.join(dir, "state"),
    });
    const r = spawnSync("bash", [path.join(dir, KIT_FILES.startWorker), "--render-only"], {
      env: vars,
      encoding: "utf8",
      timeout: 20_000,
    });
    const read = (f: string) => fs.readFileSync(path.join(dir, "run", f), "utf8");
    return { status: r.status, stderr: r.stderr, read };
  }

  test("with .env.sample unchanged, the worker runs exactly the kit's configs", () => {
    const r = run();
    expect([r.status, r.stderr]).toEqual([0, ""]);
    expect(r.read("worker.properties")).toBe(files["config/worker.properties"].content);
    expect(r.read("connector.json")).toBe(files["config/connector.json"].content);
  });

  test("applies a changed DB_HOST, DB_PORT, DB_USER and broker list, and nothing else", () => {
    const r = run({
      DB_HOST: "10.0.1.77",
      DB_PORT: "14330",
      DB_USER: "cdc_reader",
      KAFKA_BOOTSTRAP_SERVERS: "b-9.example.com:9096",
    });
    expect(r.status).toBe(0);
    const connector = JSON.parse(r.read("connector.json"));
    const expected = JSON.parse(files["config/connector.json"].content);
    expected.config["database.hostname"] = "10.0.1.77";
    expected.config["database.port"] = "14330";
    expected.config["database.user"] = "cdc_reader";
    expect(connector).toEqual(expected);
    expect(r.read("worker.properties")).toBe(
      files["config/worker.properties"].content.replace(
        `bootstrap.servers=${BROKERS}`,
        "bootstrap.servers=b-9.example.com:9096",
      ),
    );
  });

  test.each([
    ["FACILITY_DHIS2_CODE", "99999", "FACILITY_DHIS2_CODE in .env is '99999' but this kit is for '67890'"],
    [
      "FACILITY_NAME",
      "Another Hospital",
      "FACILITY_NAME in .env is 'Another Hospital' but this kit is for 'Luwero General Hospital'",
    ],
    ["KAFKA_USER", "facility-1", "KAFKA_USER in .env is 'facility-1' but this kit is for 'facility-67890'"],
    ["DB_NAME", undefined, "DB_NAME in .env is '' but this kit is for 'ClinicMasterMOH'"],
    ["DB_PORT", "14x3", "DB_PORT in .env is '14x3', which is not a TCP port"],
    ["DB_HOST", "sql server", "DB_HOST in .env is 'sql server', which is not a host name or IPv4 address"],
  ])("refuses to start when %s is %s", (name, value, message) => {
    const r = run({ [name]: value });
    expect(r.status).toBe(78);
    expect(r.stderr).toContain(`clinicmaster: ${message}`);
  });

  test("refuses to start without the secret files", () => {
    fs.rmSync(path.join(dir, "secrets", "kafka-password"));
    try {
      const r = run();
      expect(r.status).toBe(78);
      expect(r.stderr).toContain(
        "secret file kafka-password is missing or empty: run sudo ./setup-secrets.sh",
      );
    } finally {
      fs.writeFileSync(path.join(dir, "secrets", "kafka-password"), "x".repeat(12));
    }
  });
});

describe("kit generation", () => {
  test("the SQL names each captured table when facility:tables lists them", () => {
    const facility = { ...seedConfig("luwero"), tables: ["Patients", "Visits", "AuditTrail"] };
    const files = generateKit({
      facility,
      bootstrapServers: BROKERS,
      images: IMAGES,
      tunnel: {
        facilityPublicIp: facility.tunnel.publicIp,
        remoteCidrs: ["10.40.0.0/16"],
        tunnels: [
          {
            outsideAddress: "13.244.10.1",
            cgwInsideAddress: "169.254.10.2",
            awsInsideAddress: "169.254.10.1",
          },
          {
            outsideAddress: "13.244.10.2",
            cgwInsideAddress: "169.254.11.2",
            awsInsideAddress: "169.254.11.1",
          },
        ],
      },
    });
    const sql = files["prepare-sqlserver.sql"].content;
    for (const t of facility.tables) {
      expect(sql).toContain(
        `EXEC sys.sp_cdc_enable_table @source_schema = N'dbo', @source_name = N'${t}', @role_name = N'clinicmaster_cdc_reader', @supports_net_changes = 0;`,
      );
      expect(sql).toContain(`IF OBJECT_ID(N'dbo.${t}', N'U') IS NULL`);
    }
    expect(sql).not.toContain("CURSOR");
  });

  test("rejects a VPN-endpoint facility when the platform registry has no strongSwan image", () => {
    const facility = seedConfig("kayunga");
    expect(() =>
      generateKit({
        facility,
        bootstrapServers: BROKERS,
        images: { connect: IMAGES.connect, watchdog: IMAGES.watchdog },
        tunnel: {
          facilityPublicIp: facility.tunnel.publicIp,
          remoteCidrs: ["10.40.0.0/16"],
          tunnels: [
            {
              outsideAddress: "13.244.10.1",
              cgwInsideAddress: "169.254.10.2",
              awsInsideAddress: "169.254.10.1",
            },
            {
              outsideAddress: "13.244.10.2",
              cgwInsideAddress: "169.254.11.2",
              awsInsideAddress: "169.254.11.1",
            },
          ],
        },
      }),
    ).toThrow(
      "facility `kayunga`: facility:vpnEndpoint is true but the platform registry has no strongSwan image; add it to the platform registry or set facility:vpnEndpoint false",
    );
  });

  test("fails if the stack outputs lack what a kit needs, naming each", () => {
    expect(() =>
      parseKitOutputs(
        { bootstrapServers: "[secret]", facilityImages: { connect: "debezium/connect:latest" } },
        "yumbe",
      ),
    ).toThrow(
      'outputs of facility stack `yumbe` cannot make a kit: bootstrapServers "[secret]" is not a list host:port,…; facilityImages.connect "debezium/connect:latest" is not an image pinned by digest; facilityImages.watchdog undefined is not an image pinned by digest; tunnelEndpoints undefined lacks the two tunnels\' addresses',
    );
  });
});

describe("setup-secrets.sh", () => {
  const facility = seedConfig("kayunga");
  const tunnel = {
    facilityPublicIp: facility.tunnel.publicIp,
    remoteCidrs: ["10.40.0.0/16"],
    tunnels: [
      { outsideAddress: "13.244.10.1", cgwInsideAddress: "169.254.10.2", awsInsideAddress: "169.254.10.1" },
      { outsideAddress: "13.244.10.2", cgwInsideAddress: "169.254.11.2", awsInsideAddress: "169.254.11.1" },
    ] as [
      { outsideAddress: string; cgwInsideAddress: string; awsInsideAddress: string },
      { outsideAddress: string; cgwInsideAddress: string; awsInsideAddress: string },
    ],
  };
  const root = process.getuid?.() === 0;

  function runSetup(input: string, args: string[] = [], env: NodeJS.ProcessEnv = process.env) {
    const dir = writeKit(generateKit({ facility, bootstrapServers: BROKERS, images: IMAGES, tunnel }));
    dirs.push(dir);
    const r = spawnSync("bash", [path.join(dir, KIT_FILES.setupSecrets), ...args], {
      input,
      encoding: "utf8",
      timeout: 20_000,
      env,
    });
    return { dir, status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  (root ? test : test.skip)(
    "writes each secret as one read-only file without a newline, owned by the container user",
    () => {
      const r = runSetup("Db-Pass-123\nKafka-Pass-456\nPskOne.12345\nPskTwo_67890\n", ["--vpn"]);
      expect([r.status, r.stderr.includes("empty value")]).toEqual([0, false]);
      expect(r.stdout).not.toMatch(/Db-Pass-123|Kafka-Pass-456|PskOne|PskTwo/);
      const file = (rel: string) => path.join(r.dir, rel);
      expect(fs.readFileSync(file("secrets/database-password"), "utf8")).toBe("Db-Pass-123");
      expect(fs.readFileSync(file("secrets/kafka-password"), "utf8")).toBe("Kafka-Pass-456");
      for (const f of ["secrets/database-password", "secrets/kafka-password"]) {
        const st = fs.statSync(file(f));
        expect([f, st.mode & 0o777, st.uid]).toEqual([f, 0o400, 1001]);
      }
      expect(fs.statSync(file("secrets")).mode & 0o777).toBe(0o500);
      expect(fs.readFileSync(file("secrets-vpn/clinicmaster-psk.conf"), "utf8")).toBe(
        renderSwanctlSecrets(tunnel, ["PskOne.12345", "PskTwo_67890"]),
      );
      expect(fs.statSync(file("secrets-vpn/clinicmaster-psk.conf")).mode & 0o777).toBe(0o400);
    },
  );

  (root ? test : test.skip)("rejects a pre-shared key AWS would not accept, and an empty password", () => {
    expect(runSetup("a\nb\n0badkey123\nPskTwo_67890\n", ["--vpn"]).stderr).toContain(
      "not an AWS pre-shared key",
    );
    const empty = runSetup("\nKafka-Pass-456\n");
    expect(empty.status).not.toBe(0);
    expect(empty.stderr).toContain("empty value: nothing written");
    expect(fs.existsSync(path.join(empty.dir, "secrets"))).toBe(false);
  });

  test("refuses to run without root", () => {
    // An `id` that reports an unprivileged user, so the refusal is tested whoever runs the suite.
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), "fake-id-"));
    dirs.push(bin);
    fs.writeFileSync(
      path.join(bin, "id"),
      '#!/bin/sh\n[ "$1" = "-u" ] && echo 1000 && exit 0\nexec /usr/bin/id "$@"\n',
      { mode: 0o755 },
    );
    const r = runSetup("x\ny\n", [], { ...process.env, PATH: `${bin}:${process.env.PATH}` });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("run with sudo");
  });
});
