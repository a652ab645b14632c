import {
  awsPresharedKey,
  isValidPresharedKey,
  renderSwanctlConf,
  renderSwanctlSecrets,
  renderVpnUpScript,
  type TunnelEndpoints,
} from "../../infra/facility/ipsec";
import {
  WATCHDOG_NODE_IMAGE,
  brokerList,
  checkVpnHubType,
  facilityImages,
  isPinnedImage,
} from "../../infra/facility/platform";
import { heapOpts, healthcheckShell, stateDir, workerCommand } from "../../infra/facility/runtime";
import { scramSecretPolicy, scramSecretString, SCRAM_PASSWORD_SPECIAL } from "../../infra/facility/scram";
import { prepareSqlServerSql } from "../../infra/facility/sql";
import { DEBEZIUM_CONNECT_IMAGE } from "../../infra/platform/images";
import { seedConfig } from "./facility-harness";

const EP: TunnelEndpoints = {
  facilityPublicIp: "41.210.140.17",
  remoteCidrs: ["10.40.0.0/16"],
  tunnels: [
    { outsideAddress: "13.244.10.1", cgwInsideAddress: "169.254.10.2", awsInsideAddress: "169.254.10.1" },
    { outsideAddress: "13.244.10.2", cgwInsideAddress: "169.254.11.2", awsInsideAddress: "169.254.11.1" },
  ],
};

describe("pre-shared keys", () => {
  test.each([
    ["abcdefgh", true],
    ["A.b_c9.Zq", true],
    ["x".repeat(64), true],
    ["x".repeat(65), false],
    ["abcdefg", false],
    ["0abcdefgh", false],
    ["abc-defgh", false],
    ["abc defgh", false],
  ])("isValidPresharedKey(%j) is %s", (key, valid) => {
    expect(isValidPresharedKey(key)).toBe(valid);
  });

  test.each([
    ["0abcdefgh123", "Zabcdefgh123"],
    ["abcdefgh123", "abcdefgh123"],
    ["mock-kayunga-psk1-Passw0rd", "mockkayungapsk1Passw0rd"],
    [`${"a".repeat(70)}`, "a".repeat(64)],
  ])("awsPresharedKey(%j) is %j", (raw, key) => {
    expect(awsPresharedKey(raw)).toBe(key);
  });

  test("rejects a generator output with fewer than 8 usable characters", () => {
    expect(() => awsPresharedKey("-!-abc-!-")).toThrow(
      "generated pre-shared key does not fit AWS's rules (8–64 of A-Z a-z 0-9 . _, not starting with 0): 3 usable characters; check the RandomPassword settings",
    );
  });
});

describe("strongSwan", () => {
  test("swanctl.conf: both tunnels, IKEv2, AES-256 and SHA-2 only, route-based with one XFRM id each", () => {
    const conf = renderSwanctlConf(EP);
    expect(conf.match(/^ {2}aws-tunnel-\d \{$/gm)).toEqual(["  aws-tunnel-1 {", "  aws-tunnel-2 {"]);
    expect(conf.match(/remote_addrs = .*/g)).toEqual([
      "remote_addrs = 13.244.10.1",
      "remote_addrs = 13.244.10.2",
    ]);
    expect(conf.match(/version = .*/g)).toEqual(["version = 2", "version = 2"]);
    expect(conf.match(/if_id_(in|out) = \d/g)).toEqual([
      "if_id_in = 1",
      "if_id_out = 1",
      "if_id_in = 2",
      "if_id_out = 2",
    ]);
    expect(conf.match(/local_ts = .*/g)).toEqual(["local_ts = 0.0.0.0/0", "local_ts = 0.0.0.0/0"]);
    for (const line of conf.match(/(esp_)?proposals = .*/g) ?? []) {
      for (const p of line.split(" = ")[1].split(","))
        expect(p).toMatch(/^aes256(gcm16)?-(prfsha256-|sha256-|sha384-)?(modp2048|ecp256|ecp384)$/);
    }
    expect(conf).not.toMatch(/secret|aes128|sha1|modp1024/);
    expect(conf.endsWith("include conf.d/*.conf\n")).toBe(true);
  });

  test("the secrets fragment pairs each key with its tunnel", () => {
    expect(renderSwanctlSecrets(EP, ["KeyOne12345", "KeyTwo12345"])).toBe(
      [
        "secrets {",
        "  ike-aws-tunnel-1 {",
        "    id-1 = 41.210.140.17",
        "    id-2 = 13.244.10.1",
        '    secret = "KeyOne12345"',
        "  }",
        "  ike-aws-tunnel-2 {",
        "    id-1 = 41.210.140.17",
        "    id-2 = 13.244.10.2",
        '    secret = "KeyTwo12345"',
        "  }",
        "}",
        "",
      ].join("\n"),
    );
  });

  test("the up script routes the platform VPC over tunnel 1, then tunnel 2, from the LAN address", () => {
    const sh = renderVpnUpScript(EP, "192.168.1.40");
    expect(sh).toContain('ip link add xfrm-aws1 type xfrm dev "$dev" if_id 1');
    expect(sh).toContain("ip addr replace 169.254.10.2/30 dev xfrm-aws1");
    expect(sh).toContain("ip addr replace 169.254.11.2/30 dev xfrm-aws2");
    expect(sh.match(/ip route replace .*/g)).toEqual([
      'ip route replace 10.40.0.0/16 dev xfrm-aws1 src "$lan_src" metric 100',
      'ip route replace 10.40.0.0/16 dev xfrm-aws2 src "$lan_src" metric 200',
    ]);
  });
});

describe("runtime", () => {
  const kayunga = seedConfig("kayunga");

  test("heap, state directory, start command and health check", () => {
    expect(heapOpts(kayunga)).toBe("-Xms256m -Xmx256m");
    expect(heapOpts({ ...kayunga, worker: { heapMiB: 512, memoryLimitMiB: 1024 } })).toBe(
      "-Xms512m -Xmx512m",
    );
    expect(stateDir(kayunga)).toBe("/kafka/data");
    expect(workerCommand(kayunga)[2]).toBe(
      "mkdir -p /kafka/data && exec /kafka/bin/connect-standalone.sh /etc/clinicmaster/worker.properties /etc/clinicmaster/connector.json",
    );
    expect(healthcheckShell(kayunga)).toContain(
      "http://localhost:8083/connectors/clinicmaster-source-12345/status",
    );
  });
});

describe("platform outputs and images", () => {
  test.each([
    [DEBEZIUM_CONNECT_IMAGE, true],
    [WATCHDOG_NODE_IMAGE, true],
    ["quay.io/debezium/connect:3.6.1.Final", false],
    [`repo@sha256:${"a".repeat(63)}`, false],
    [`repo@sha256:${"A".repeat(64)}`, false],
  ])("isPinnedImage(%j) is %s", (ref, pinned) => {
    expect(isPinnedImage(ref)).toBe(pinned);
  });

  test("images: platform Connect image, pinned node, strongSwan from the platform registry when it has one", () => {
    const ecr = "123456789012.dkr.ecr.af-south-1.amazonaws.com/clinicmaster/strongswan";
    expect(facilityImages({ strongswan: ecr })).toEqual({
      connect: DEBEZIUM_CONNECT_IMAGE,
      watchdog: WATCHDOG_NODE_IMAGE,
      vpnEndpoint: `${ecr}:6.0.2`,
    });
    expect(facilityImages({ watchdog: "x" })).toEqual({
      connect: DEBEZIUM_CONNECT_IMAGE,
      watchdog: WATCHDOG_NODE_IMAGE,
    });
    const local = `registry.local/connect@sha256:${"e".repeat(64)}`;
    expect(facilityImages(undefined, local).connect).toBe(local);
  });

  test("rejects a Connect override that is not pinned by digest", () => {
    expect(() => facilityImages({}, "debezium/connect:latest")).toThrow(
      'Connect image "debezium/connect:latest" is not pinned by digest; set facility:connectImage to registry/repo@sha256:<64 hex>',
    );
  });

  test("rejects a VPN hub other than a transit gateway", () => {
    expect(checkVpnHubType("transit-gateway")).toBe("transit-gateway");
    expect(() => checkVpnHubType("vpn-gateway")).toThrow(
      'platform output `vpnHubType` is "vpn-gateway"; facility tunnels attach to a transit-gateway only',
    );
  });

  test("splits the broker list", () => {
    expect(brokerList(" b-1:9096, b-2:9096,,b-3:9096 ")).toEqual(["b-1:9096", "b-2:9096", "b-3:9096"]);
  });
});

describe("SCRAM secret", () => {
  test("content and MSK policy", () => {
    expect(scramSecretString("facility-12345", "pw")).toBe('{"username":"facility-12345","password":"pw"}');
    expect(JSON.parse(scramSecretPolicy("arn:s"))).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "AWSKafkaResourcePolicy",
          Effect: "Allow",
          Principal: { Service: "kafka.amazonaws.com" },
          Action: "secretsmanager:getSecretValue",
          Resource: "arn:s",
        },
      ],
    });
  });

  test("passwords never contain a quote or backslash (they are spliced into a quoted JAAS line)", () => {
    expect(SCRAM_PASSWORD_SPECIAL).not.toMatch(/["\\]/);
  });
});

describe("prepare-sqlserver.sql", () => {
  const luwero = seedConfig("luwero");

  test("sets the retention asked for, and explains why it must outlast outages", () => {
    const sql = prepareSqlServerSql(luwero, { retentionMinutes: 20160 });
    expect(sql).toContain("@retention = 20160;");
    expect(sql).toContain("-- 6. CDC retention: 20160 minutes (14 days). It must outlast the longest");
  });

  test.each([59, 52_494_801, 1.5])("rejects a retention of %s minutes", (m) => {
    expect(() => prepareSqlServerSql(luwero, { retentionMinutes: m })).toThrow(
      `CDC retention ${m} minutes is out of range (60–52494800; SQL Server's maximum is 100 years)`,
    );
  });

  test("grants the Debezium login what snapshots and streaming read, and gates the change tables", () => {
    const sql = prepareSqlServerSql(luwero);
    for (const line of [
      "GRANT SELECT ON SCHEMA::[dbo] TO [debezium];",
      "GRANT SELECT ON SCHEMA::[cdc] TO [debezium];",
      "GRANT VIEW DATABASE STATE TO [debezium];",
      "ALTER ROLE [clinicmaster_cdc_reader] ADD MEMBER [debezium];",
      "CREATE USER [debezium] FOR LOGIN [debezium];",
    ]) {
      expect(sql).toContain(line);
    }
    expect(sql).toContain("RAISERROR(N'SQL Server Agent is not running.");
    expect(sql).toContain("This is SQL Server Express");
  });

  test("quotes identifiers and literals", () => {
    const sql = prepareSqlServerSql({
      ...luwero,
      sqlServer: { ...luwero.sqlServer, user: "cdc]o'user" },
      tables: ["Visits"],
    });
    expect(sql).toContain("CREATE USER [cdc]]o'user] FOR LOGIN [cdc]]o'user];");
    expect(sql).toContain("WHERE name = N'cdc]o''user'");
  });
});
