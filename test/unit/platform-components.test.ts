import * as kafka from "@pulumi/kafka";
import * as postgresql from "@pulumi/postgresql";
import { alarmsSchema, platformSchema } from "../../infra/config/platform";
import { aclMatrix } from "../../infra/connect/acl";
import { parseProperties } from "../../infra/connect/properties";
import { MSK_DURABILITY, type TopicSpec } from "../../infra/connect/topics";
import { DEBEZIUM_CONNECT_IMAGE, WATCHDOG_NODE_IMAGE } from "../../infra/platform/images";
import { KafkaCluster, type KafkaClusterArgs } from "../../infra/platform/kafka-cluster";
import { KafkaObjects, topicKey } from "../../infra/platform/kafka-objects";
import { Monitoring } from "../../infra/platform/monitoring";
import { Network, type NetworkArgs } from "../../infra/platform/network";
import { platformProgram } from "../../infra/platform/program";
import { ScramPrincipal } from "../../infra/platform/scram-principal";
import { SinkRuntime, type SinkRuntimeArgs } from "../../infra/platform/sink-runtime";
import { VpnHub } from "../../infra/platform/vpn-hub";
import { Warehouse, type WarehouseArgs } from "../../infra/platform/warehouse";
import { WarehouseObjects } from "../../infra/platform/warehouse-objects";
import { recorded, resourcesOf, setupMocks } from "../helpers/mocks";
import { recordOptions, recordedOptions } from "../helpers/resource-options";
import { reveal, settleAll } from "./platform-harness";

// Whole-program runs register ~170 resources; under a loaded machine that takes more than jest's 5 s.
jest.setTimeout(60_000);

const tags = { Environment: "test" };
const KEY = "arn:aws:kms:af-south-1:123456789012:key/k";

beforeEach(() => {
  setupMocks();
  recordOptions();
});

describe("KafkaCluster", () => {
  const args = (over: Partial<KafkaClusterArgs> = {}): KafkaClusterArgs => ({
    subnetIds: ["s1", "s2", "s3"],
    securityGroupIds: ["sg"],
    kafkaVersion: "3.9.x",
    brokerInstanceType: "kafka.m7g.large",
    volumeGiB: 100,
    maxVolumeGiB: 1000,
    encryption: { atRestKeyArn: KEY },
    logging: { keyArn: KEY, retentionDays: 7 },
    tags,
    ...over,
  });

  test("rejects two subnets", () => {
    expect(() => new KafkaCluster("k", args({ subnetIds: ["s1", "s2"] }))).toThrow(
      "kafka cluster k: 2 subnets given; MSK brokers here need exactly 3 private subnets in 3 AZs",
    );
  });

  test("rejects a broker count that is not a multiple of the AZs", () => {
    expect(() => new KafkaCluster("k", args({ brokerCount: 4 }))).toThrow(
      "kafka cluster k: brokerCount 4 is not a multiple of the 3 AZs; set platform:kafka.brokerCount to 3, 6, 9…",
    );
  });

  test("rejects an autoscaling ceiling below the initial volume", () => {
    expect(() => new KafkaCluster("k", args({ maxVolumeGiB: 50 }))).toThrow(
      "kafka cluster k: maxVolumeGiB 50 is below volumeGiB 100; raise platform:kafka.maxVolumeGiB",
    );
  });

  test("six brokers over three AZs", async () => {
    new KafkaCluster("k", args({ brokerCount: 6 }));
    await settleAll();
    expect(resourcesOf("aws:msk/cluster:Cluster").map((r) => r.inputs.numberOfBrokerNodes)).toEqual([6]);
  });
});

describe("ScramPrincipal", () => {
  test("rejects a principal given in Kafka's User: form", () => {
    expect(
      () =>
        new ScramPrincipal("p", {
          environment: "dev",
          principal: "User:warehouse-sink",
          clusterArn: "c",
          kmsKeyArn: KEY,
          tags,
        }),
    ).toThrow('scram principal p: principal User:warehouse-sink must be the bare user name, without "User:"');
  });

  test("generates a JAAS-safe password: letters and digits only", async () => {
    new ScramPrincipal("p", {
      environment: "dev",
      principal: "warehouse-sink",
      clusterArn: "c",
      kmsKeyArn: KEY,
      tags,
    });
    await settleAll();
    expect(
      resourcesOf("random:index/randomPassword:RandomPassword").map((r) => [
        r.inputs.length,
        r.inputs.special,
      ]),
    ).toEqual([[32, false]]);
  });
});

describe("Network", () => {
  const args = (over: Partial<NetworkArgs> = {}): NetworkArgs => ({
    vpcCidr: "10.40.0.0/16",
    logsKeyArn: KEY,
    tags,
    availabilityZones: ["az-a", "az-b", "az-c"],
    ...over,
  });

  test.each([
    ["adminCidrs", { adminCidrs: ["0.0.0.0/0"] }, "0.0.0.0/0"],
    ["facilityCidrs", { facilityCidrs: ["192.168.1.0/24", "0.0.0.0/0"] }, "0.0.0.0/0"],
    ["a malformed range", { facilityCidrs: ["192.168.1.5/24"] }, "192.168.1.5/24"],
  ])("rejects %s open to the world or malformed", (_what, over, cidr) => {
    expect(() => new Network("n", args(over))).toThrow(
      `network n: ${cidr} is not an allowed source range (a CIDR block narrower than /0); name the network`,
    );
  });

  test("opens 9096 to each facility LAN it is given", async () => {
    new Network("n", args({ facilityCidrs: ["192.168.1.0/24", "192.168.2.0/24"] }));
    await settleAll();
    const kafkaRules = resourcesOf("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
      .filter((r) => r.inputs.fromPort === 9096)
      .map((r) => String(r.inputs.cidrIpv4))
      .sort();
    expect(kafkaRules).toEqual(["10.40.0.0/16", "192.168.1.0/24", "192.168.2.0/24"]);
  });

  test("puts one NAT gateway in each AZ's public subnet", async () => {
    new Network("n", args());
    await settleAll();
    expect(resourcesOf("aws:ec2/natGateway:NatGateway").map((r) => r.inputs.subnetId)).toEqual([
      "n-public-0-id",
      "n-public-1-id",
      "n-public-2-id",
    ]);
  });
});

describe("Warehouse", () => {
  const args = (over: Partial<WarehouseArgs> = {}): WarehouseArgs => ({
    subnetIds: ["s1", "s2", "s3"],
    securityGroupIds: ["sg"],
    instanceClass: "db.m7g.large",
    allocatedStorageGiB: 100,
    maxAllocatedStorageGiB: 1000,
    backupRetentionDays: 7,
    encryption: { storageKeyArn: KEY, secretKeyArn: KEY },
    tags,
    ...over,
  });

  test("rejects backups shorter than 7 days", () => {
    expect(() => new Warehouse("w", args({ backupRetentionDays: 3 }))).toThrow(
      "warehouse w: backupRetentionDays 3 must be 7–35; set platform:warehouse.backupRetentionDays",
    );
  });

  test("rejects an autoscaling ceiling below the initial storage", () => {
    expect(() => new Warehouse("w", args({ maxAllocatedStorageGiB: 50 }))).toThrow(
      "warehouse w: maxAllocatedStorageGiB 50 is below allocatedStorageGiB 100; raise platform:warehouse.maxAllocatedStorageGiB",
    );
  });

  test("ignores storage growth from autoscaling", async () => {
    new Warehouse("w", args());
    await settleAll();
    expect(recordedOptions.find((o) => o.type === "aws:rds/instance:Instance")?.ignoreChanges).toEqual([
      "allocatedStorage",
    ]);
  });
});

describe("SinkRuntime", () => {
  const args = (over: Partial<SinkRuntimeArgs> = {}): SinkRuntimeArgs => ({
    subnetIds: ["s1", "s2", "s3"],
    securityGroupIds: ["sg"],
    connectImage: DEBEZIUM_CONNECT_IMAGE,
    watchdog: { image: WATCHDOG_NODE_IMAGE },
    bootstrapServers: "b-1:9096",
    kafkaSecretArn: "arn:kafka-secret",
    warehouse: { host: "db", port: 5432, database: "wh", password: "pw-secret-value" },
    tasks: 2,
    batchSize: 100,
    cpu: 1024,
    memoryMiB: 2048,
    encryption: { secretsKeyArn: KEY, logsKeyArn: KEY },
    tags,
    ...over,
  });

  test("rejects a Connect image pinned by tag only", () => {
    expect(
      () => new SinkRuntime("s", args({ connectImage: "quay.io/debezium/connect:3.6.0.Final" })),
    ).toThrow(
      "sink runtime s: connectImage quay.io/debezium/connect:3.6.0.Final is not pinned by digest; use <image>@sha256:<64 hex>",
    );
  });

  test("rejects a watchdog image pinned by tag only", () => {
    expect(() => new SinkRuntime("s", args({ watchdog: { image: "node:22-alpine" } }))).toThrow(
      "sink runtime s: watchdog.image node:22-alpine is not pinned by digest; use <image>@sha256:<64 hex>",
    );
  });

  test("without a watchdog script, the image must carry it: no watchdog volume", async () => {
    new SinkRuntime("s", args());
    await settleAll();
    const td = reveal<Record<string, unknown>>(
      resourcesOf("aws:ecs/taskDefinition:TaskDefinition")[0].inputs,
    );
    expect(td.volumes).toEqual([{ name: "secrets" }, { name: "worker-config" }]);
  });
});

describe("Monitoring", () => {
  const thresholds = alarmsSchema.parse({});

  const monitoring = (email?: string) =>
    new Monitoring("m", {
      environment: "test",
      thresholds: { ...thresholds, email },
      kafka: {
        clusterName: "c",
        brokerCount: 3,
        dlqTopic: "sink-dlq",
        heartbeatTopic: "hb",
        sinkConsumerGroup: "g",
      },
      warehouse: { instanceId: "db" },
      sink: { ecsClusterName: "ecs", ecsServiceName: "svc", desiredCount: 2 },
      topicKeyArn: KEY,
      tags,
    });

  test("without an e-mail address, no subscription", async () => {
    monitoring();
    await settleAll();
    expect(resourcesOf("aws:sns/topicSubscription:TopicSubscription")).toEqual([]);
    expect(resourcesOf("aws:cloudwatch/metricAlarm:MetricAlarm")).toHaveLength(8);
  });

  test("with one, an e-mail subscription to the encrypted topic", async () => {
    monitoring("ops@example.org");
    await settleAll();
    expect(
      resourcesOf("aws:sns/topicSubscription:TopicSubscription").map((r) => [
        r.inputs.protocol,
        r.inputs.endpoint,
      ]),
    ).toEqual([["email", "ops@example.org"]]);
    expect(resourcesOf("aws:sns/topic:Topic")[0].inputs.kmsMasterKeyId).toBe(KEY);
  });
});

describe("VpnHub", () => {
  test("rejects a public ASN", () => {
    expect(
      () => new VpnHub("h", { vpcId: "v", subnetIds: ["a", "b", "c"], amazonSideAsn: 16509, tags }),
    ).toThrow("vpn hub h: amazonSideAsn 16509 is not a private ASN (64512–65534 or 4200000000–4294967294)");
  });
});

describe("KafkaObjects (the component the local stack reuses)", () => {
  const spec = (over: Partial<TopicSpec> = {}): TopicSpec => ({
    name: "clinicmasterwarehouse-sqlserver.ClinicMasterMOH.dbo.Visits",
    partitions: 3,
    replicationFactor: MSK_DURABILITY.replicationFactor,
    role: "data",
    config: {},
    ...over,
  });

  test("rejects a topic below RF 3 by default", () => {
    const provider = new kafka.Provider("kp", { bootstrapServers: ["127.0.0.1:9092"] });
    expect(
      () => new KafkaObjects("o", { provider, topics: [spec({ replicationFactor: 1 })], acls: [] }),
    ).toThrow(
      "kafka objects o: topic clinicmasterwarehouse-sqlserver.ClinicMasterMOH.dbo.Visits has replication factor 1; it needs at least 3 (one replica per AZ)",
    );
  });

  test("rejects the same topic twice", () => {
    const provider = new kafka.Provider("kp", { bootstrapServers: ["127.0.0.1:9092"] });
    expect(() => new KafkaObjects("o", { provider, topics: [spec(), spec()], acls: [] })).toThrow(
      "kafka objects o: topic clinicmasterwarehouse-sqlserver.ClinicMasterMOH.dbo.Visits appears twice (key data-visits); list each topic once",
    );
  });

  test("rejects the same ACL twice, before creating anything", () => {
    const provider = new kafka.Provider("kp", { bootstrapServers: ["127.0.0.1:9092"] });
    const twice = aclMatrix([]).filter((g) => g.role === "sink");
    expect(() => new KafkaObjects("o", { provider, topics: [], acls: [...twice, ...twice] })).toThrow(
      "kafka objects o: ACL warehouse-sink-topic-clinicmasterwarehouse-sqlserver-clinicmastermoh-dbo-prefixed-read appears twice; list each ACL once",
    );
  });

  test("accepts RF 1 against a single loopback broker when told to, through the provider it is given", async () => {
    const provider = new kafka.Provider("loopback", { bootstrapServers: ["127.0.0.1:9092"] });
    new KafkaObjects("o", {
      provider,
      topics: [spec({ replicationFactor: 1 })],
      acls: [],
      minReplicationFactor: 1,
    });
    await settleAll();
    const topic = recordedOptions.find((o) => o.type === "kafka:index/topic:Topic");
    expect(topic?.provider.split("::").slice(2, 4).join("::")).toBe("pulumi:providers:kafka::loopback");
    expect([topic?.protect, topic?.retainOnDelete]).toEqual([false, false]);
  });

  test.each([
    ["clinicmasterwarehouse-sqlserver.ClinicMasterMOH.dbo.Visits", "data", "data-visits"],
    ["clinicmaster-heartbeats", "heartbeat", "heartbeat"],
    ["sink-dlq", "dlq", "dlq"],
    ["clinicmaster-sink-connect-offsets", "sink-internal", "clinicmaster-sink-connect-offsets"],
  ] as const)("keys %s (%s) as %s", (name, role, key) => {
    expect(topicKey(spec({ name, role }))).toBe(key);
  });
});

describe("WarehouseObjects (the component the local stack reuses)", () => {
  test("uses given passwords as secrets and the provider it is given", async () => {
    const provider = new postgresql.Provider("loopback-pg", { host: "127.0.0.1", port: 5432 });
    new WarehouseObjects("wo", {
      provider,
      databaseName: "wh",
      sinkPassword: "given-sink-pw",
      reportingPassword: "given-rep-pw",
    });
    await settleAll();
    expect(resourcesOf("random:index/randomPassword:RandomPassword")).toEqual([]);
    const sink = resourcesOf("postgresql:index/role:Role").find((r) => r.name === "wo-sink");
    expect(reveal(sink?.inputs.password)).toBe("given-sink-pw");
    const providers = new Set(
      recordedOptions
        .filter((o) => o.type.startsWith("postgresql:index/"))
        .map((o) => o.provider.split("::").slice(2, 4).join("::")),
    );
    expect([...providers]).toEqual(["pulumi:providers:postgresql::loopback-pg"]);
    expect(recorded.filter((r) => r.type.startsWith("aws:"))).toEqual([]);
  });
});

describe("platform program options", () => {
  const config = platformSchema.parse({
    environment: "dev",
    region: "af-south-1",
    network: { vpcCidr: "10.40.0.0/16" },
    tables: [{ name: "Visits", partitions: 3 }],
  });
  const allowEveryone = () =>
    parseProperties(String(resourcesOf("aws:msk/configuration:Configuration")[0].inputs.serverProperties))[
      "allow.everyone.if.no.acl.found"
    ];

  test("deny by default unless told otherwise", async () => {
    platformProgram(config);
    await settleAll();
    expect(allowEveryone()).toBe("false");
  });

  test("the ACL bootstrap pass opens resources without ACLs, so the admin can create its own", async () => {
    platformProgram(config, { kafkaAclBootstrap: true });
    await settleAll();
    expect(allowEveryone()).toBe("true");
  });

  test("facility LAN ranges given to the program open 9096 for them", async () => {
    platformProgram(config, { facilityCidrs: ["192.168.7.0/24"] });
    await settleAll();
    expect(
      resourcesOf("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        .filter((r) => r.inputs.fromPort === 9096)
        .map((r) => r.inputs.cidrIpv4)
        .sort(),
    ).toEqual(["10.40.0.0/16", "192.168.7.0/24"]);
  });
});
