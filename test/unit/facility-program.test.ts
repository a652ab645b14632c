import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { REPO_ROOT } from "../../infra/config/stackfiles";
import { facilityAcls, findSecretValues, type AclEntry } from "../../infra/connect";
import {
  DH_GROUPS,
  ENCRYPTION_ALGORITHMS,
  INTEGRITY_ALGORITHMS,
  isValidPresharedKey,
  renderSwanctlConf,
  renderSwanctlSecrets,
} from "../../infra/facility/ipsec";
import { facilityConnectFiles } from "../../infra/facility/runtime";
import { findResource, recorded, resourcesOf, unwrap } from "../helpers/mocks";
import {
  ADMIN_PASSWORD,
  BROKERS,
  IMAGES,
  PLATFORM,
  SEEDS,
  SQL_PASSWORD,
  type Seed,
  isSecretInput,
  reveal,
  runFacilityProgram,
  seedConfig,
} from "./facility-harness";

// Importing the program compiles the cloud SDKs once per file; under load that takes seconds.
jest.setTimeout(60_000);

const T = {
  stackRef: "pulumi:pulumi:StackReference",
  tunnel: "clinicmaster:facility:FacilityTunnel",
  principal: "clinicmaster:facility:FacilityKafkaPrincipal",
  host: "clinicmaster:facility:ConnectHost",
  password: "random:index/randomPassword:RandomPassword",
  cgw: "aws:ec2/customerGateway:CustomerGateway",
  vpn: "aws:ec2/vpnConnection:VpnConnection",
  route: "aws:ec2transitgateway/route:Route",
  vpcRoute: "aws:ec2/route:Route",
  ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  secret: "aws:secretsmanager/secret:Secret",
  secretVersion: "aws:secretsmanager/secretVersion:SecretVersion",
  secretPolicy: "aws:secretsmanager/secretPolicy:SecretPolicy",
  single: "aws:msk/singleScramSecretAssociation:SingleScramSecretAssociation",
  exclusive: "aws:msk/scramSecretAssociation:ScramSecretAssociation",
  kafkaProvider: "pulumi:providers:kafka",
  acl: "kafka:index/acl:Acl",
  dockerProvider: "pulumi:providers:docker",
  image: "docker:index/remoteImage:RemoteImage",
  volume: "docker:index/volume:Volume",
  container: "docker:index/container:Container",
};

/** Resources common to both deploy modes. */
const COMMON = {
  [T.stackRef]: 1,
  [T.tunnel]: 1,
  [T.principal]: 1,
  [T.password]: 3,
  [T.cgw]: 1,
  [T.vpn]: 1,
  [T.route]: 1,
  [T.vpcRoute]: 3,
  [T.ingress]: 1,
  [T.secret]: 1,
  [T.secretVersion]: 1,
  [T.secretPolicy]: 1,
  [T.single]: 1,
  [T.kafkaProvider]: 1,
  [T.acl]: 5,
};

const EXPECTED: Record<Seed, Record<string, number>> = {
  // docker with the VPN endpoint container
  kayunga: { ...COMMON, [T.host]: 1, [T.dockerProvider]: 1, [T.image]: 3, [T.volume]: 1, [T.container]: 3 },
  // docker without it
  luwero: { ...COMMON, [T.host]: 1, [T.dockerProvider]: 1, [T.image]: 2, [T.volume]: 1, [T.container]: 2 },
  // kit: nothing on a Docker host
  yumbe: { ...COMMON },
};

function counts(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of recorded) out[r.type] = (out[r.type] ?? 0) + 1;
  return out;
}

const kafkaPasswordOf = (slug: string) => `mock-${slug}-kafka-password-Passw0rd-0123456789abcdef`;
const pskOf = (slug: string, i: 1 | 2) => `mock${slug}tunnelpsk${i}Passw0rd0123456789abcdef`;
const secretValues = (slug: string) => [
  SQL_PASSWORD,
  ADMIN_PASSWORD,
  kafkaPasswordOf(slug),
  pskOf(slug, 1),
  pskOf(slug, 2),
];

describe.each(SEEDS)("facility program: %s", (slug) => {
  const facility = seedConfig(slug);
  let program: Record<string, unknown>;
  beforeAll(async () => {
    program = await runFacilityProgram(slug);
  });

  test("creates exactly the resources of its deploy mode", () => {
    expect(counts()).toEqual(EXPECTED[slug]);
  });

  test("customer gateway is the facility's public IP; VPN to the platform transit gateway, IKEv2 and strong ciphers", () => {
    const cgw = findResource(T.cgw, `${slug}-tunnel-cgw`).inputs;
    expect(cgw).toMatchObject({ type: "ipsec.1", ipAddress: facility.tunnel.publicIp, bgpAsn: "65000" });
    const vpn = findResource(T.vpn, `${slug}-tunnel-vpn`).inputs;
    expect(vpn.transitGatewayId).toBe(PLATFORM.vpnHubId);
    expect(vpn.customerGatewayId).toBe(`${slug}-tunnel-cgw-id`);
    expect(vpn.staticRoutesOnly).toBe(true);
    for (const i of [1, 2]) {
      expect(vpn[`tunnel${i}IkeVersions`]).toEqual(["ikev2"]);
      expect(vpn[`tunnel${i}Phase1EncryptionAlgorithms`]).toEqual(["AES256", "AES256-GCM-16"]);
      expect(vpn[`tunnel${i}Phase2EncryptionAlgorithms`]).toEqual(["AES256", "AES256-GCM-16"]);
      expect(vpn[`tunnel${i}Phase1IntegrityAlgorithms`]).toEqual(["SHA2-256", "SHA2-384", "SHA2-512"]);
      expect(vpn[`tunnel${i}Phase2IntegrityAlgorithms`]).toEqual(["SHA2-256", "SHA2-384", "SHA2-512"]);
      expect(vpn[`tunnel${i}Phase1DhGroupNumbers`]).toEqual([14, 19, 20, 21]);
      expect(vpn[`tunnel${i}Phase2DhGroupNumbers`]).toEqual([14, 19, 20, 21]);
      expect(isSecretInput(vpn[`tunnel${i}PresharedKey`])).toBe(true);
      const key = reveal<string>(vpn[`tunnel${i}PresharedKey`]);
      expect(key).toBe(pskOf(slug, i as 1 | 2));
      expect(isValidPresharedKey(key)).toBe(true);
    }
    for (const list of [ENCRYPTION_ALGORITHMS, INTEGRITY_ALGORITHMS])
      expect(list.join()).not.toMatch(/AES128|SHA1\b/);
    expect(Math.min(...DH_GROUPS)).toBe(14);
  });

  test("pre-shared keys come from RandomPasswords limited to AWS's alphabet, and stay secret", async () => {
    for (const i of [1, 2]) {
      expect(findResource(T.password, `${slug}-tunnel-psk${i}`).inputs).toEqual({
        length: 64,
        special: true,
        overrideSpecial: "._",
        minNumeric: 4,
        minUpper: 4,
        minLower: 4,
      });
    }
    const keys = program.tunnelPresharedKeys as pulumi.Output<[string, string]>;
    expect(await pulumi.isSecret(keys)).toBe(true);
    expect(await unwrap(keys)).toEqual([pskOf(slug, 1), pskOf(slug, 2)]);
  });

  test("routes each LAN range to the VPN attachment in the platform's route table", () => {
    const routes = resourcesOf(T.route).map((r) => r.inputs);
    expect(routes).toEqual(
      facility.tunnel.lanCidrs.map((cidr) => ({
        destinationCidrBlock: cidr,
        transitGatewayAttachmentId: `tgw-attach-${slug}-tunnel-vpn`,
        transitGatewayRouteTableId: PLATFORM.vpnHubRouteTableId,
      })),
    );
  });

  test("the platform VPC routes the LAN back through the hub, and the brokers admit the LAN on 9096 only", () => {
    const vpcRoutes = resourcesOf(T.vpcRoute).map((r) => r.inputs);
    expect(vpcRoutes).toEqual(
      facility.tunnel.lanCidrs.flatMap((cidr) =>
        PLATFORM.privateRouteTableIds.map((rt) => ({
          routeTableId: rt,
          destinationCidrBlock: cidr,
          transitGatewayId: PLATFORM.vpnHubId,
        })),
      ),
    );
    expect(resourcesOf(T.ingress).map((r) => r.inputs)).toEqual(
      facility.tunnel.lanCidrs.map((cidr) => ({
        securityGroupId: "sg-brokers",
        cidrIpv4: cidr,
        ipProtocol: "tcp",
        fromPort: 9096,
        toPort: 9096,
        description: `Kafka SASL/SCRAM from facility ${slug}`,
        tags: { facility: slug, DataClassification: "restricted-health-data" },
      })),
    );
  });

  test("SCRAM secret is AmazonMSK_<env>_facility-<code>, encrypted with the platform CMK, readable by MSK", () => {
    const secret = findResource(T.secret, `${slug}-kafka-scram`).inputs;
    expect(secret.name).toBe(`AmazonMSK_dev_facility-${facility.dhis2Code}`);
    expect(secret.kmsKeyId).toBe(PLATFORM.scramSecretKmsKeyArn);
    const arn = `arn:aws:secretsmanager:af-south-1:123456789012:secret:AmazonMSK_dev_facility-${facility.dhis2Code}-AbCdEf`;
    const policy = JSON.parse(
      findResource(T.secretPolicy, `${slug}-kafka-scram-policy`).inputs.policy as string,
    );
    expect(policy.Statement).toEqual([
      {
        Sid: "AWSKafkaResourcePolicy",
        Effect: "Allow",
        Principal: { Service: "kafka.amazonaws.com" },
        Action: "secretsmanager:getSecretValue",
        Resource: arn,
      },
    ]);
    const version = findResource(T.secretVersion, `${slug}-kafka-scram-value`).inputs;
    expect(isSecretInput(version.secretString)).toBe(true);
    expect(JSON.parse(reveal<string>(version.secretString))).toEqual({
      username: `facility-${facility.dhis2Code}`,
      password: kafkaPasswordOf(slug),
    });
  });

  test("binds the secret with one SingleScramSecretAssociation and never the exclusive association", () => {
    expect(resourcesOf(T.exclusive)).toEqual([]);
    const single = resourcesOf(T.single);
    expect(single).toHaveLength(1);
    expect(single[0].inputs).toEqual({
      clusterArn: PLATFORM.kafkaClusterArn,
      secretArn: `arn:aws:secretsmanager:af-south-1:123456789012:secret:AmazonMSK_dev_facility-${facility.dhis2Code}-AbCdEf`,
    });
  });

  test("ACLs equal the connect matrix for the facility, through the platform admin's provider", () => {
    const acls: AclEntry[] = resourcesOf(T.acl).map((r) => ({
      principal: r.inputs.aclPrincipal as string,
      resourceType: r.inputs.aclResourceType as AclEntry["resourceType"],
      resourceName: r.inputs.aclResourceName as string,
      patternType: r.inputs.resourcePatternTypeFilter as AclEntry["patternType"],
      operation: r.inputs.aclOperation as AclEntry["operation"],
      permission: r.inputs.aclPermissionType as "Allow",
      host: r.inputs.aclHost as "*",
    }));
    expect(acls).toEqual(facilityAcls(facility.dhis2Code));
    expect(acls.map((a) => a.operation)).not.toContain("Read");
    // Provider inputs reach the engine as strings (provider configuration).
    const provider = findResource(T.kafkaProvider, `${slug}-kafka-kafka-admin`).inputs;
    expect(JSON.parse(provider.bootstrapServers as string)).toEqual(BROKERS.split(","));
    expect(provider).toMatchObject({
      saslMechanism: "scram-sha512",
      saslUsername: "platform-admin",
      tlsEnabled: "true",
      skipTlsVerify: "false",
    });
    expect(isSecretInput(provider.saslPassword)).toBe(true);
    expect(reveal(provider.saslPassword)).toBe(ADMIN_PASSWORD);
  });

  test("exports the facility's names and status endpoint", async () => {
    const code = facility.dhis2Code;
    expect(program.facilityCode).toBe(code);
    expect(program.deployMode).toBe(facility.deployMode);
    expect(program.kafkaPrincipal).toBe(`facility-${code}`);
    expect(await unwrap(program.scramSecretName as pulumi.Output<string>)).toBe(
      `AmazonMSK_dev_facility-${code}`,
    );
    expect(program.connectorName).toBe(`clinicmaster-source-${code}`);
    expect(program.containerName).toBe("clinicmasterwarehouse");
    expect(program.statusEndpoint).toBe(
      `http://localhost:8083/connectors/clinicmaster-source-${code}/status`,
    );
    expect(program.statusCommands).toEqual([
      `curl -s http://localhost:8083/connectors/clinicmaster-source-${code}/status`,
      "docker logs clinicmasterwarehouse",
    ]);
    expect(await unwrap(program.bootstrapServers as pulumi.Output<string>)).toBe(BROKERS);
    expect(await unwrap(program.facilityImages as pulumi.Output<unknown>)).toEqual(IMAGES);
    expect(IMAGES.connect).toMatch(/@sha256:[a-f0-9]{64}$/);
    expect(IMAGES.watchdog).toMatch(/^node:22-alpine@sha256:[a-f0-9]{64}$/);
    expect(await pulumi.isSecret(program.kafkaPassword as pulumi.Output<string>)).toBe(true);
    expect(await unwrap(program.tunnelEndpoints as pulumi.Output<unknown>)).toEqual({
      facilityPublicIp: facility.tunnel.publicIp,
      remoteCidrs: ["10.40.0.0/16"],
      tunnels: [
        { outsideAddress: "13.244.10.1", cgwInsideAddress: "169.254.10.2", awsInsideAddress: "169.254.10.1" },
        { outsideAddress: "13.244.10.2", cgwInsideAddress: "169.254.11.2", awsInsideAddress: "169.254.11.1" },
      ],
    });
  });

  test("no secret value in any non-secret export, env var or label", async () => {
    const plain: unknown[] = [];
    for (const key of Object.keys(program).filter(
      (k) => !["kafkaPassword", "tunnelPresharedKeys"].includes(k),
    )) {
      plain.push(await unwrap(program[key] as pulumi.Output<unknown>));
    }
    expect(findSecretValues(JSON.stringify(plain), secretValues(slug))).toEqual([]);
    const containers = resourcesOf(T.container).map((c) => ({
      envs: c.inputs.envs,
      labels: c.inputs.labels,
      cmd: c.inputs.command,
      ep: c.inputs.entrypoints,
    }));
    expect(findSecretValues(JSON.stringify(containers), secretValues(slug))).toEqual([]);
  });
});

describe.each(["kayunga", "luwero"] as const)("Connect host: %s", (slug) => {
  const facility = seedConfig(slug);
  const code = facility.dhis2Code;
  beforeAll(async () => {
    await runFacilityProgram(slug);
  });
  const worker = () => findResource(T.container, `${slug}-connect-worker`).inputs;

  test("docker provider targets the facility host over SSH; images are the pinned ones", () => {
    expect(findResource(T.dockerProvider, `${slug}-connect-docker`).inputs.host).toBe(facility.dockerHost);
    expect(findResource(T.image, `${slug}-connect-connect-image`).inputs).toEqual({
      name: IMAGES.connect,
      keepLocally: true,
    });
    expect(findResource(T.image, `${slug}-connect-watchdog-image`).inputs).toEqual({
      name: IMAGES.watchdog,
      keepLocally: true,
    });
  });

  test("worker: name, image, restart policy, memory limit, heap, no privileges, localhost-only REST", () => {
    const w = worker();
    expect(w.name).toBe("clinicmasterwarehouse");
    expect(w.image).toBe(`id-of:${IMAGES.connect}`);
    expect(w.restart).toBe("unless-stopped");
    expect(w.memory).toBe(facility.worker.memoryLimitMiB);
    expect(w.memorySwap).toBe(facility.worker.memoryLimitMiB);
    expect(w.envs).toEqual([
      `KAFKA_HEAP_OPTS=-Xms${facility.worker.heapMiB}m -Xmx${facility.worker.heapMiB}m`,
    ]);
    expect(w.privileged).toBe(false);
    expect(w.capabilities).toEqual({ drops: ["ALL"] });
    expect(w.securityOpts).toEqual(["no-new-privileges:true"]);
    expect(w.ports).toEqual([{ internal: 8083, external: 8083, ip: "127.0.0.1" }]);
    expect(w.labels).toEqual([
      { label: "org.clinicmaster.facility", value: code },
      { label: "org.clinicmaster.facility-slug", value: slug },
      { label: "org.clinicmaster.connector", value: `clinicmaster-source-${code}` },
    ]);
  });

  test("worker starts standalone with the generated configs and a persistent volume", () => {
    const w = worker();
    expect(w.entrypoints).toEqual([
      "/bin/bash",
      "-c",
      `mkdir -p /kafka/data && exec /kafka/bin/connect-standalone.sh /etc/clinicmaster/worker.properties /etc/clinicmaster/connector.json`,
    ]);
    expect(findResource(T.volume, `${slug}-connect-state`).inputs.name).toBe("clinicmaster-connect-state");
    expect(w.volumes).toEqual([
      { volumeName: "clinicmaster-connect-state", containerPath: "/kafka/data", readOnly: false },
    ]);
    expect(w.healthcheck).toEqual({
      tests: [
        "CMD-SHELL",
        `s=$(curl -fsS --max-time 5 http://localhost:8083/connectors/clinicmaster-source-${code}/status) && echo "$s" | grep -q '"connector":{"state":"RUNNING"' && ! echo "$s" | grep -q '"state":"FAILED"'`,
      ],
      interval: "30s",
      timeout: "10s",
      retries: 5,
      startPeriod: "120s",
    });
  });

  test("uploads the connect configs and the secrets as files only the worker's user can read", () => {
    const files = facilityConnectFiles(facility, BROKERS);
    // One secret upload makes the engine hold the whole list as a secret (in state too).
    const uploads = worker().uploads;
    expect(isSecretInput(uploads)).toBe(true);
    expect(reveal(uploads)).toEqual([
      { file: "/etc/clinicmaster/worker.properties", content: files.workerProperties, permissions: "0444" },
      { file: "/etc/clinicmaster/connector.json", content: files.connectorJson, permissions: "0444" },
      {
        file: "/run/secrets/clinicmaster/kafka-password",
        content: kafkaPasswordOf(slug),
        owner: "1001",
        group: "1001",
        permissions: "0400",
      },
      {
        file: "/run/secrets/clinicmaster/database-password",
        content: SQL_PASSWORD,
        owner: "1001",
        group: "1001",
        permissions: "0400",
      },
    ]);
    expect(findSecretValues(files.workerProperties + files.connectorJson, secretValues(slug))).toEqual([]);
    expect(files.connector.config["database.password"]).toBe(
      "${directory:/run/secrets/clinicmaster:database-password}",
    );
  });

  test("watchdog sidecar shares the worker's network, unprivileged, pinned node image", () => {
    const w = findResource(T.container, `${slug}-connect-watchdog`).inputs;
    expect(w.name).toBe("clinicmasterwarehouse-watchdog");
    expect(w.image).toBe(`id-of:${IMAGES.watchdog}`);
    expect(w.networkMode).toBe(`container:${slug}-connect-worker-id`);
    expect(w.command).toEqual(["node", "/opt/clinicmaster/watchdog.js"]);
    expect(w.envs).toEqual([
      "CONNECT_URL=http://localhost:8083",
      "WATCHDOG_INTERVAL_MS=10000",
      "WATCHDOG_PORT=8084",
      "WATCHDOG_HOST=127.0.0.1",
    ]);
    expect(w.user).toBe("node");
    expect(w.restart).toBe("unless-stopped");
    expect(w.memory).toBe(64);
    expect(w.privileged).toBe(false);
    expect(w.capabilities).toEqual({ drops: ["ALL"] });
    const uploads = w.uploads as { file: string; content: string }[];
    expect(uploads.map((u) => u.file)).toEqual(["/opt/clinicmaster/watchdog.js"]);
    expect(uploads[0].content).toContain("CONNECT_URL");
  });
});

describe("VPN endpoint container", () => {
  test("kayunga runs strongSwan on the host network with NET_ADMIN, NET_RAW and NET_BIND_SERVICE only", async () => {
    await runFacilityProgram("kayunga");
    const v = findResource(T.container, "kayunga-connect-vpn").inputs;
    expect(v.name).toBe("clinicmasterwarehouse-vpn");
    expect(v.image).toBe(`id-of:${IMAGES.vpnEndpoint}`);
    expect(v.networkMode).toBe("host");
    expect(v.privileged).toBe(false);
    expect(v.capabilities).toEqual({ adds: ["NET_ADMIN", "NET_RAW", "NET_BIND_SERVICE"], drops: ["ALL"] });
    expect(v.restart).toBe("unless-stopped");
    const ep = {
      facilityPublicIp: "41.210.140.17",
      remoteCidrs: ["10.40.0.0/16"],
      tunnels: [
        { outsideAddress: "13.244.10.1", cgwInsideAddress: "169.254.10.2", awsInsideAddress: "169.254.10.1" },
        { outsideAddress: "13.244.10.2", cgwInsideAddress: "169.254.11.2", awsInsideAddress: "169.254.11.1" },
      ] as const,
    };
    expect(isSecretInput(v.uploads)).toBe(true);
    const uploads = reveal<{ file: string; content: string; permissions: string }[]>(v.uploads);
    expect(uploads.map((u) => [u.file, u.permissions])).toEqual([
      ["/etc/swanctl/swanctl.conf", "0444"],
      ["/etc/swanctl/clinicmaster-vpn-up.sh", "0555"],
      ["/etc/swanctl/conf.d/clinicmaster-psk.conf", "0400"],
    ]);
    const endpoints = { ...ep, tunnels: [...ep.tunnels] as [(typeof ep.tunnels)[0], (typeof ep.tunnels)[1]] };
    expect(uploads[0].content).toBe(renderSwanctlConf(endpoints));
    expect(uploads[2].content).toBe(
      renderSwanctlSecrets(endpoints, [pskOf("kayunga", 1), pskOf("kayunga", 2)]),
    );
    expect(findSecretValues(uploads[0].content + uploads[1].content, secretValues("kayunga"))).toEqual([]);
  });

  test("luwero (vpnEndpoint false) has none", async () => {
    await runFacilityProgram("luwero");
    expect(resourcesOf(T.container).map((c) => c.inputs.name)).toEqual([
      "clinicmasterwarehouse",
      "clinicmasterwarehouse-watchdog",
    ]);
  });
});

describe("deploy mode switch", () => {
  test("luwero in kit mode creates nothing on its Docker host", async () => {
    await runFacilityProgram("luwero", { "facility:deployMode": "kit" });
    for (const t of [T.host, T.dockerProvider, T.image, T.volume, T.container])
      expect(resourcesOf(t)).toEqual([]);
    expect(resourcesOf(T.single)).toHaveLength(1);
  });

  test("yumbe with a BGP ASN uses dynamic routing: no static routes", async () => {
    await runFacilityProgram("yumbe", {
      "facility:tunnel": { publicIp: "154.72.193.4", lanCidrs: ["172.16.0.0/24"], bgpAsn: 65010 },
    });
    expect(findResource(T.vpn, "yumbe-tunnel-vpn").inputs.staticRoutesOnly).toBe(false);
    expect(findResource(T.cgw, "yumbe-tunnel-cgw").inputs.bgpAsn).toBe("65010");
    expect(resourcesOf(T.route)).toEqual([]);
  });

  test("facility:connectImage overrides the platform's Connect image", async () => {
    const local = `registry.luwero.local/debezium-connect@sha256:${"d".repeat(64)}`;
    await runFacilityProgram("luwero", { "facility:connectImage": local });
    expect(findResource(T.image, "luwero-connect-connect-image").inputs.name).toBe(local);
  });
});

describe("source code", () => {
  function tsFiles(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) return tsFiles(p);
      return e.name.endsWith(".ts") ? [p] : [];
    });
  }

  const EXCLUSIVE = /\bnew\s+(?:\w+\.)*ScramSecretAssociation\s*\(|["']aws:msk\/scramSecretAssociation:/;

  test.each([
    ["new aws.msk.ScramSecretAssociation(", true],
    ["new msk.ScramSecretAssociation (", true],
    ['"aws:msk/scramSecretAssociation:ScramSecretAssociation"', true],
    ["new aws.msk.SingleScramSecretAssociation(", false],
    ["// never aws.msk.ScramSecretAssociation", false],
  ])("the check flags %s: %s", (text, flagged) => {
    expect(EXCLUSIVE.test(text)).toBe(flagged);
  });

  test("no code under infra/ creates the exclusive aws.msk.ScramSecretAssociation", () => {
    const offenders = tsFiles(path.join(REPO_ROOT, "infra")).filter((f) =>
      EXCLUSIVE.test(fs.readFileSync(f, "utf8")),
    );
    expect(offenders).toEqual([]);
  });
});
