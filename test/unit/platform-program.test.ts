import * as pulumi from "@pulumi/pulumi";
import { aclMatrix } from "../../infra/connect/acl";
import {
  DLQ_TOPIC,
  HEARTBEAT_TOPIC,
  SECRETS_DIR,
  SINK_INTERNAL_TOPICS,
  WAREHOUSE_ROLES,
  dataTopic,
} from "../../infra/connect/names";
import { parseProperties } from "../../infra/connect/properties";
import { mskBrokerAcls } from "../../infra/platform/broker-config";
import { DEBEZIUM_CONNECT_IMAGE, WATCHDOG_NODE_IMAGE } from "../../infra/platform/images";
import type { ContainerDefinition } from "../../infra/platform/sink-task";
import { watchdogScript } from "../../infra/watchdog";
import { findResource, recorded, resourcesOf, unwrap } from "../helpers/mocks";
import { optionsOf, recordedOptions } from "../helpers/resource-options";
import {
  type PlatformProgram,
  devConfig,
  isSecretInput,
  reveal,
  runPlatformProgram,
} from "./platform-harness";

const T = {
  key: "aws:kms/key:Key",
  subnet: "aws:ec2/subnet:Subnet",
  cluster: "aws:msk/cluster:Cluster",
  mskConfig: "aws:msk/configuration:Configuration",
  single: "aws:msk/singleScramSecretAssociation:SingleScramSecretAssociation",
  secret: "aws:secretsmanager/secret:Secret",
  secretVersion: "aws:secretsmanager/secretVersion:SecretVersion",
  secretPolicy: "aws:secretsmanager/secretPolicy:SecretPolicy",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
  rds: "aws:rds/instance:Instance",
  params: "aws:rds/parameterGroup:ParameterGroup",
  sg: "aws:ec2/securityGroup:SecurityGroup",
  ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  egress: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
  topic: "kafka:index/topic:Topic",
  acl: "kafka:index/acl:Acl",
  alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
  taskDef: "aws:ecs/taskDefinition:TaskDefinition",
} as const;

const P = "clinicmaster-dev";
const keyArn = (purpose: string) => `arn:aws:kms:af-south-1:123456789012:key/${P}-keys-${purpose}-0000`;
const DEV_TABLES = [
  ["Patients", 6],
  ["Visits", 12],
  ["Appointments", 6],
  ["Medications", 6],
  ["LabRequests", 6],
  ["LabResults", 6],
  ["Prescriptions", 6],
  ["Diagnoses", 6],
  ["Admissions", 3],
  ["Invoices", 6],
  ["Payments", 6],
  ["Staff", 1],
] as const;
const ADMIN_PASSWORD = `mock-${P}-scram-admin-password-Passw0rd-0123456789abcdef`;
const SINK_KAFKA_PASSWORD = `mock-${P}-scram-sink-password-Passw0rd-0123456789abcdef`;
const SINK_DB_PASSWORD = `mock-${P}-warehouse-objects-sink-password-Passw0rd-0123456789abcdef`;
const REPORTING_PASSWORD = `mock-${P}-warehouse-objects-reporting-password-Passw0rd-0123456789abcdef`;

let program: PlatformProgram;
beforeAll(async () => {
  program = await runPlatformProgram();
}, 120_000);

const inputs = (type: string, name: string) => reveal<Record<string, any>>(findResource(type, name).inputs);

describe("Pulumi.dev.yaml under mocks", () => {
  test("runs the program to the end: every component is registered", () => {
    const components = recorded.filter((r) => r.type.startsWith("clinicmaster:platform:")).map((r) => r.type);
    expect(components.sort()).toEqual(
      [
        "clinicmaster:platform:ImageRegistry",
        "clinicmaster:platform:KafkaCluster",
        "clinicmaster:platform:KafkaObjects",
        "clinicmaster:platform:Monitoring",
        "clinicmaster:platform:Network",
        "clinicmaster:platform:PlatformKeys",
        "clinicmaster:platform:ScramPrincipal",
        "clinicmaster:platform:ScramPrincipal",
        "clinicmaster:platform:SinkRuntime",
        "clinicmaster:platform:VpnHub",
        "clinicmaster:platform:Warehouse",
        "clinicmaster:platform:WarehouseObjects",
      ].sort(),
    );
  });

  test("every tagged AWS resource carries the environment and data classification", () => {
    const tagged = recorded.filter((r) => r.type.startsWith("aws:") && r.inputs.tags !== undefined);
    expect(tagged.length).toBeGreaterThan(40);
    for (const r of tagged) {
      expect([r.name, (r.inputs.tags as Record<string, string>).Environment]).toEqual([r.name, "dev"]);
      expect([r.name, (r.inputs.tags as Record<string, string>).DataClassification]).toEqual([
        r.name,
        "restricted-health-data",
      ]);
    }
  });
});

describe("MSK cluster", () => {
  test("has three brokers over the three private subnets, one per AZ", () => {
    const c = inputs(T.cluster, `${P}-kafka`);
    expect(c.numberOfBrokerNodes).toBe(3);
    expect(c.brokerNodeGroupInfo.clientSubnets).toEqual([0, 1, 2].map((i) => `${P}-net-private-${i}-id`));
    const azs = [0, 1, 2].map((i) => inputs(T.subnet, `${P}-net-private-${i}`).availabilityZone);
    expect(azs).toEqual(["af-south-1a", "af-south-1b", "af-south-1c"]);
    expect(c.brokerNodeGroupInfo.securityGroups).toEqual([`${P}-net-brokers-id`]);
    expect(c.brokerNodeGroupInfo.instanceType).toBe("kafka.m7g.large");
    expect(c.kafkaVersion).toBe("3.9.x");
  });

  test("encrypts in transit with TLS (client–broker and in-cluster) and at rest with the data CMK", () => {
    expect(inputs(T.cluster, `${P}-kafka`).encryptionInfo).toEqual({
      encryptionAtRestKmsKeyArn: keyArn("data"),
      encryptionInTransit: { clientBroker: "TLS", inCluster: true },
    });
  });

  test("has SASL/SCRAM on, IAM and unauthenticated access off, and no public access", () => {
    const c = inputs(T.cluster, `${P}-kafka`);
    expect(c.clientAuthentication).toEqual({ sasl: { scram: true, iam: false }, unauthenticated: false });
    expect(c.brokerNodeGroupInfo.connectivityInfo).toEqual({ publicAccess: { type: "DISABLED" } });
  });

  test("uses a configuration with exactly the platform's server properties", () => {
    const cfg = inputs(T.mskConfig, `${P}-kafka-config`);
    expect(parseProperties(cfg.serverProperties)).toEqual({
      "allow.everyone.if.no.acl.found": "false",
      "auto.create.topics.enable": "false",
      "default.replication.factor": "3",
      "min.insync.replicas": "2",
      "offsets.topic.replication.factor": "3",
      "transaction.state.log.min.isr": "2",
      "transaction.state.log.replication.factor": "3",
      "unclean.leader.election.enable": "false",
    });
    expect(cfg.kafkaVersions).toEqual(["3.9.x"]);
    expect(inputs(T.cluster, `${P}-kafka`).configurationInfo).toEqual({
      arn: `arn:aws:kafka:af-south-1:123456789012:configuration/${P}-kafka-config/abcd`,
      revision: 1,
    });
  });

  test("replaces its configuration create-first under a new random-suffixed name", () => {
    expect(inputs(T.mskConfig, `${P}-kafka-config`).name).toBe(`${P}-kafka-0a1b2c3d`);
    expect(optionsOf(T.mskConfig, `${P}-kafka-config`).deleteBeforeReplace).toBe(false);
    expect(inputs("random:index/randomId:RandomId", `${P}-kafka-config-suffix`).keepers).toEqual({
      kafkaVersion: "3.9.x",
    });
  });

  test("is protected, retained on delete, and ignores the volume size storage autoscaling changes", () => {
    const o = optionsOf(T.cluster, `${P}-kafka`);
    expect([o.protect, o.retainOnDelete]).toEqual([true, true]);
    expect(o.ignoreChanges).toEqual(["brokerNodeGroupInfo.storageInfo.ebsStorageInfo.volumeSize"]);
  });

  test("autoscales broker storage up to the configured ceiling, never down", () => {
    expect(inputs("aws:appautoscaling/target:Target", `${P}-kafka-storage`)).toMatchObject({
      serviceNamespace: "kafka",
      scalableDimension: "kafka:broker-storage:VolumeSize",
      resourceId: `arn:aws:kafka:af-south-1:123456789012:cluster/${P}-kafka/abcd-1234`,
      minCapacity: 1,
      maxCapacity: 1000,
    });
    expect(
      inputs("aws:appautoscaling/policy:Policy", `${P}-kafka-storage`)
        .targetTrackingScalingPolicyConfiguration,
    ).toEqual({
      predefinedMetricSpecification: { predefinedMetricType: "KafkaBrokerStorageUtilization" },
      targetValue: 60,
      disableScaleIn: true,
    });
  });

  test("logs brokers to CloudWatch, encrypted with the logs CMK, kept 30 days", () => {
    expect(inputs(T.cluster, `${P}-kafka`).loggingInfo).toEqual({
      brokerLogs: { cloudwatchLogs: { enabled: true, logGroup: `/clinicmaster/${P}-kafka/brokers` } },
    });
    expect(inputs(T.logGroup, `${P}-kafka-broker-logs`)).toMatchObject({
      kmsKeyId: keyArn("logs"),
      retentionInDays: 30,
    });
  });
});

describe("SCRAM principals", () => {
  test("never registers the exclusive ScramSecretAssociation", () => {
    expect(recorded.filter((r) => /scramSecretAssociation:ScramSecretAssociation$/.test(r.type))).toEqual([]);
  });

  test("binds the admin and sink secrets with one SingleScramSecretAssociation each", () => {
    const cluster = `arn:aws:kafka:af-south-1:123456789012:cluster/${P}-kafka/abcd-1234`;
    expect(resourcesOf(T.single).map((r) => [r.name, r.inputs.clusterArn, r.inputs.secretArn])).toEqual([
      [
        `${P}-scram-admin`,
        cluster,
        "arn:aws:secretsmanager:af-south-1:123456789012:secret:AmazonMSK_dev_platform-admin-AbCdEf",
      ],
      [
        `${P}-scram-sink`,
        cluster,
        "arn:aws:secretsmanager:af-south-1:123456789012:secret:AmazonMSK_dev_warehouse-sink-AbCdEf",
      ],
    ]);
  });

  test.each([
    ["admin", "AmazonMSK_dev_platform-admin", "platform-admin", ADMIN_PASSWORD],
    ["sink", "AmazonMSK_dev_warehouse-sink", "warehouse-sink", SINK_KAFKA_PASSWORD],
  ])(
    "%s: secret %s with the secrets CMK, a secret value and MSK's resource policy",
    (key, secretName, user, password) => {
      expect(inputs(T.secret, `${P}-scram-${key}`)).toMatchObject({
        name: secretName,
        kmsKeyId: keyArn("secrets"),
      });
      const version = findResource(T.secretVersion, `${P}-scram-${key}`).inputs;
      expect(isSecretInput(version.secretString)).toBe(true);
      expect(JSON.parse(reveal<string>(version.secretString))).toEqual({ username: user, password });
      const policy = JSON.parse(inputs(T.secretPolicy, `${P}-scram-${key}`).policy);
      expect(policy.Statement).toEqual([
        {
          Sid: "AWSKafkaResourcePolicy",
          Effect: "Allow",
          Principal: { Service: "kafka.amazonaws.com" },
          Action: "secretsmanager:getSecretValue",
          Resource: `arn:aws:secretsmanager:af-south-1:123456789012:secret:${secretName}-AbCdEf`,
        },
      ]);
    },
  );
});

describe("RDS warehouse", () => {
  test("is PostgreSQL 15, Multi-AZ, private, CMK-encrypted, with backups, deletion protection and a final snapshot", () => {
    expect(inputs(T.rds, `${P}-warehouse`)).toMatchObject({
      engine: "postgres",
      engineVersion: "15",
      multiAz: true,
      publiclyAccessible: false,
      storageEncrypted: true,
      kmsKeyId: keyArn("data"),
      backupRetentionPeriod: 14,
      deletionProtection: true,
      skipFinalSnapshot: false,
      finalSnapshotIdentifier: `${P}-warehouse-final`,
      manageMasterUserPassword: true,
      masterUserSecretKmsKeyId: keyArn("secrets"),
      performanceInsightsEnabled: true,
      performanceInsightsKmsKeyId: keyArn("data"),
      enabledCloudwatchLogsExports: ["postgresql", "upgrade"],
      allocatedStorage: 100,
      maxAllocatedStorage: 1000,
      vpcSecurityGroupIds: [`${P}-net-warehouse-id`],
    });
    expect(inputs(T.rds, `${P}-warehouse`).backupRetentionPeriod).toBeGreaterThanOrEqual(7);
    expect(inputs(T.rds, `${P}-warehouse`).password).toBeUndefined();
  });

  test("forces TLS through a postgres15 parameter group", () => {
    const pg = inputs(T.params, `${P}-warehouse`);
    expect(pg.family).toBe("postgres15");
    expect(pg.parameters).toContainEqual({ name: "rds.force_ssl", value: "1", applyMethod: "immediate" });
  });

  test("is protected and retained on delete", () => {
    const o = optionsOf(T.rds, `${P}-warehouse`);
    expect([o.protect, o.retainOnDelete]).toEqual([true, true]);
  });

  test("only the cluster, the database and the data topics are protected", () => {
    expect(
      recordedOptions
        .filter((o) => o.protect)
        .map((o) => o.name)
        .sort(),
    ).toEqual(
      [
        `${P}-kafka`,
        `${P}-warehouse`,
        ...DEV_TABLES.map(([t]) => `${P}-kafka-objects-data-${t.toLowerCase()}`),
      ].sort(),
    );
  });
});

describe("network", () => {
  test("no security group rule or inline rule is open to 0.0.0.0/0 for ingress", () => {
    for (const sg of resourcesOf(T.sg)) expect([sg.name, sg.inputs.ingress]).toEqual([sg.name, undefined]);
    expect(
      resourcesOf(T.ingress).filter((r) => r.inputs.cidrIpv4 === "0.0.0.0/0" || r.inputs.cidrIpv6 === "::/0"),
    ).toEqual([]);
  });

  test("opens exactly Kafka 9096 to the VPC, PostgreSQL 5432 to the sink, the runner and the admin range, REST 8083 between sink workers", () => {
    const rules = resourcesOf(T.ingress)
      .map((r) => [
        r.inputs.securityGroupId,
        r.inputs.fromPort,
        r.inputs.toPort,
        r.inputs.cidrIpv4 ?? r.inputs.referencedSecurityGroupId,
      ])
      .map((x) => x.join(" "))
      .sort();
    expect(rules).toEqual([
      `${P}-net-brokers-id 9096 9096 10.40.0.0/16`,
      `${P}-net-sink-id 8083 8083 ${P}-net-sink-id`,
      `${P}-net-warehouse-id 5432 5432 10.60.0.0/24`,
      `${P}-net-warehouse-id 5432 5432 ${P}-net-operator-id`,
      `${P}-net-warehouse-id 5432 5432 ${P}-net-sink-id`,
    ]);
  });

  test("lets the sink and the runner out only to Kafka, PostgreSQL, (sink) peers and HTTPS", () => {
    const rules = resourcesOf(T.egress).map((r) =>
      [
        r.inputs.securityGroupId,
        r.inputs.fromPort,
        r.inputs.cidrIpv4 ?? r.inputs.referencedSecurityGroupId,
      ].join(" "),
    );
    expect(rules.sort()).toEqual([
      `${P}-net-operator-id 443 0.0.0.0/0`,
      `${P}-net-operator-id 5432 ${P}-net-warehouse-id`,
      `${P}-net-operator-id 9096 ${P}-net-brokers-id`,
      `${P}-net-sink-id 443 0.0.0.0/0`,
      `${P}-net-sink-id 5432 ${P}-net-warehouse-id`,
      `${P}-net-sink-id 8083 ${P}-net-sink-id`,
      `${P}-net-sink-id 9096 ${P}-net-brokers-id`,
    ]);
  });

  test("sends VPC flow logs to a log group encrypted with the logs CMK", () => {
    expect(inputs("aws:ec2/flowLog:FlowLog", `${P}-net-flow-logs`)).toMatchObject({
      vpcId: `${P}-net-id`,
      trafficType: "ALL",
      logDestinationType: "cloud-watch-logs",
    });
    expect(inputs(T.logGroup, `${P}-net-flow-logs`).kmsKeyId).toBe(keyArn("logs"));
  });

  test("lays out three private and three public /24 subnets", () => {
    expect(
      resourcesOf(T.subnet).map((r) => [r.name, r.inputs.cidrBlock, r.inputs.mapPublicIpOnLaunch]),
    ).toEqual([
      [`${P}-net-public-0`, "10.40.3.0/24", false],
      [`${P}-net-private-0`, "10.40.0.0/24", false],
      [`${P}-net-public-1`, "10.40.4.0/24", false],
      [`${P}-net-private-1`, "10.40.1.0/24", false],
      [`${P}-net-public-2`, "10.40.5.0/24", false],
      [`${P}-net-private-2`, "10.40.2.0/24", false],
    ]);
  });
});

describe("KMS", () => {
  test("has three customer-managed keys with rotation", () => {
    expect(
      resourcesOf(T.key).map((r) => [r.name, r.inputs.enableKeyRotation, r.inputs.deletionWindowInDays]),
    ).toEqual([
      [`${P}-keys-data`, true, 30],
      [`${P}-keys-secrets`, true, 30],
      [`${P}-keys-logs`, true, 30],
    ]);
  });

  test("encrypts every secret with the secrets key and every log group with the logs key", () => {
    expect(resourcesOf(T.secret).map((r) => r.inputs.kmsKeyId)).toEqual(Array(3).fill(keyArn("secrets")));
    expect(resourcesOf(T.logGroup).map((r) => r.inputs.kmsKeyId)).toEqual(Array(3).fill(keyArn("logs")));
    expect(inputs("aws:sns/topic:Topic", `${P}-monitoring-alarms`).kmsMasterKeyId).toBe(keyArn("logs"));
  });
});

describe("Kafka objects", () => {
  const topics = () => resourcesOf(T.topic).map((r) => reveal<Record<string, any>>(r.inputs));

  test("one topic per configured table, with the configured partitions, RF 3 and min.insync.replicas 2, compacted", () => {
    const data = topics().filter((t) => t.name.startsWith("clinicmasterwarehouse-sqlserver."));
    expect(data.map((t) => [t.name, t.partitions, t.replicationFactor])).toEqual(
      DEV_TABLES.map(([table, partitions]) => [dataTopic(table), partitions, 3]),
    );
    for (const t of data) {
      expect(t.config).toMatchObject({
        "cleanup.policy": "compact",
        "min.insync.replicas": "2",
        "delete.retention.ms": "604800000",
      });
    }
  });

  test("data topics are protected and retained: replacing or dropping the replayable copy stops the engine", () => {
    const data = recordedOptions.filter((o) => o.type === T.topic && o.name.includes("-kafka-objects-data-"));
    expect(data).toHaveLength(12);
    for (const o of data) expect([o.name, o.protect, o.retainOnDelete]).toEqual([o.name, true, true]);
    const others = recordedOptions.filter(
      (o) => o.type === T.topic && !o.name.includes("-kafka-objects-data-"),
    );
    expect(others.map((o) => o.protect)).toEqual([false, false, false, false, false]);
  });

  test("the heartbeat topic, the DLQ and the sink's internal topics, all RF 3", () => {
    const order = [
      HEARTBEAT_TOPIC,
      DLQ_TOPIC,
      SINK_INTERNAL_TOPICS.config,
      SINK_INTERNAL_TOPICS.offset,
      SINK_INTERNAL_TOPICS.status,
    ];
    const other = topics()
      .filter((t) => !t.name.startsWith("clinicmasterwarehouse-sqlserver."))
      .sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
    expect(other.map((t) => [t.name, t.partitions, t.replicationFactor, t.config["cleanup.policy"]])).toEqual(
      [
        [HEARTBEAT_TOPIC, 3, 3, "compact,delete"],
        [DLQ_TOPIC, 3, 3, "delete"],
        [SINK_INTERNAL_TOPICS.config, 1, 3, "compact"],
        [SINK_INTERNAL_TOPICS.offset, 25, 3, "compact"],
        [SINK_INTERNAL_TOPICS.status, 5, 3, "compact"],
      ],
    );
    expect(other[0].config["retention.ms"]).toBe("86400000");
    expect(other[1].config["retention.ms"]).toBe("1209600000");
  });

  test("ACLs equal the connect matrix for the admin and the sink, plus the brokers' own, and nothing more", () => {
    const got = resourcesOf(T.acl).map((r) => ({
      principal: r.inputs.aclPrincipal,
      resourceType: r.inputs.aclResourceType,
      resourceName: r.inputs.aclResourceName,
      patternType: r.inputs.resourcePatternTypeFilter,
      operation: r.inputs.aclOperation,
      permission: r.inputs.aclPermissionType,
      host: r.inputs.aclHost,
    }));
    const key = (a: object) => JSON.stringify(a);
    expect(got.map(key).sort()).toEqual(
      [...aclMatrix([]).flatMap((g) => g.acls), ...mskBrokerAcls()].map(key).sort(),
    );
    expect(got).toHaveLength(20);
    expect(mskBrokerAcls()).toEqual([
      {
        principal: "User:ANONYMOUS",
        resourceType: "Cluster",
        resourceName: "kafka-cluster",
        patternType: "Literal",
        operation: "All",
        permission: "Allow",
        host: "*",
      },
    ]);
  });

  test("creates the brokers' ACL before the admin's", () => {
    const broker = `${P}-kafka-objects-anonymous-cluster-kafka-cluster-literal-all`;
    expect(recordedOptions.filter((o) => o.type === T.acl && o.name === broker)).toHaveLength(1);
    const admin = recordedOptions.filter((o) => o.type === T.acl && o.name.includes("-platform-admin-"));
    expect(admin).toHaveLength(5);
    for (const a of admin)
      expect([a.name, a.dependencies.map((u) => u.split("::").pop())]).toEqual([a.name, [broker]]);
  });

  test("creates topics and every other ACL only after all admin ACLs", () => {
    const adminAclUrns = recordedOptions
      .filter((o) => o.type === T.acl && o.name.includes("-platform-admin-"))
      .map((o) => o.name);
    expect(adminAclUrns).toHaveLength(5);
    const dependents = recordedOptions.filter(
      (o) =>
        o.type === T.topic ||
        (o.type === T.acl && !o.name.includes("-platform-admin-") && !o.name.includes("-anonymous-")),
    );
    expect(dependents).toHaveLength(31);
    for (const d of dependents) {
      const deps = d.dependencies.map((u) => u.split("::").pop());
      expect([d.name, deps.filter((n) => n !== undefined && adminAclUrns.includes(n)).sort()]).toEqual([
        d.name,
        [...adminAclUrns].sort(),
      ]);
    }
  });

  test("go through the explicit admin Kafka provider, logged in over SCRAM with TLS", () => {
    for (const o of recordedOptions.filter((x) => x.type === T.topic || x.type === T.acl)) {
      expect([o.name, o.provider.split("::").slice(2, 4).join("::")]).toEqual([
        o.name,
        `pulumi:providers:kafka::${P}-kafka-admin`,
      ]);
    }
    const provider = inputs("pulumi:providers:kafka", `${P}-kafka-admin`);
    expect(provider).toMatchObject({
      saslMechanism: "scram-sha512",
      saslUsername: "platform-admin",
      saslPassword: ADMIN_PASSWORD,
      tlsEnabled: "true",
      skipTlsVerify: "false",
    });
    expect(JSON.parse(provider.bootstrapServers)).toEqual([
      "b-1.mock.kafka.af-south-1.amazonaws.com:9096",
      "b-2.mock.kafka.af-south-1.amazonaws.com:9096",
      "b-3.mock.kafka.af-south-1.amazonaws.com:9096",
    ]);
  });
});

describe("warehouse objects", () => {
  const W = `${P}-warehouse-objects`;

  test("go through the explicit PostgreSQL provider, logged in as the RDS master over TLS", () => {
    const pg = recordedOptions.filter((o) => o.type.startsWith("postgresql:index/"));
    expect(pg).toHaveLength(10);
    for (const o of pg) {
      expect([o.name, o.provider.split("::").slice(2, 4).join("::")]).toEqual([
        o.name,
        `pulumi:providers:postgresql::${P}-warehouse-admin`,
      ]);
    }
    expect(inputs("pulumi:providers:postgresql", `${P}-warehouse-admin`)).toMatchObject({
      host: `${P}-warehouse.abc.af-south-1.rds.amazonaws.com`,
      username: "clinicmaster_admin",
      password: "mock-rds-master-Passw0rd",
      sslmode: "require",
      superuser: "false",
    });
  });

  test("create the database, the sink login, the read-only group and the reporting login", () => {
    expect(inputs("postgresql:index/database:Database", W).name).toBe("clinicmaster_warehouse");
    expect(inputs("postgresql:index/role:Role", `${W}-sink`)).toMatchObject({
      name: WAREHOUSE_ROLES.sink,
      login: true,
      password: SINK_DB_PASSWORD,
      superuser: false,
    });
    expect(isSecretInput(findResource("postgresql:index/role:Role", `${W}-sink`).inputs.password)).toBe(true);
    expect(inputs("postgresql:index/role:Role", `${W}-readonly`)).toMatchObject({
      name: WAREHOUSE_ROLES.readonly,
      login: false,
    });
    expect(inputs("postgresql:index/role:Role", `${W}-reporting`)).toMatchObject({
      name: WAREHOUSE_ROLES.reporting,
      login: true,
      roles: [WAREHOUSE_ROLES.readonly],
      inherit: true,
    });
  });

  test("let the sink create tables in public and the read-only role read every table the sink will create", () => {
    expect(inputs("postgresql:index/grant:Grant", `${W}-sink-schema`)).toMatchObject({
      role: WAREHOUSE_ROLES.sink,
      objectType: "schema",
      schema: "public",
      privileges: ["CREATE", "USAGE"],
    });
    expect(
      inputs("postgresql:index/defaultPrivileges:DefaultPrivileges", `${W}-readonly-future-tables`),
    ).toEqual({
      database: "clinicmaster_warehouse",
      owner: WAREHOUSE_ROLES.sink,
      role: WAREHOUSE_ROLES.readonly,
      schema: "public",
      objectType: "table",
      privileges: ["SELECT"],
    });
    expect(inputs("postgresql:index/grant:Grant", `${W}-readonly-tables`)).toMatchObject({
      role: WAREHOUSE_ROLES.readonly,
      objectType: "table",
      schema: "public",
      objects: [],
      privileges: ["SELECT"],
    });
  });
});

describe("sink runtime", () => {
  const defs = () => JSON.parse(inputs(T.taskDef, `${P}-sink`).containerDefinitions) as ContainerDefinition[];

  test("runs two Fargate tasks in private subnets without public IPs", () => {
    expect(inputs("aws:ecs/service:Service", `${P}-sink`)).toMatchObject({
      desiredCount: 2,
      launchType: "FARGATE",
      networkConfiguration: {
        subnets: [0, 1, 2].map((i) => `${P}-net-private-${i}-id`),
        securityGroups: [`${P}-net-sink-id`],
        assignPublicIp: false,
      },
      deploymentCircuitBreaker: { enable: true, rollback: true },
      enableExecuteCommand: false,
    });
    expect(inputs(T.taskDef, `${P}-sink`)).toMatchObject({
      cpu: "1024",
      memory: "2048",
      networkMode: "awsvpc",
    });
  });

  test("runs the pinned Debezium image with the watchdog beside it", () => {
    expect(defs().map((c) => [c.name, c.image, c.essential])).toEqual([
      ["secrets-init", DEBEZIUM_CONNECT_IMAGE, false],
      ["connect", DEBEZIUM_CONNECT_IMAGE, true],
      ["watchdog", WATCHDOG_NODE_IMAGE, false],
    ]);
    const watchdog = defs()[2];
    expect(watchdog.command).toEqual(["node", "/opt/watchdog/watchdog.js"]);
    expect(watchdog.environment).toContainEqual({ name: "CONNECT_URL", value: "http://localhost:8083" });
  });

  test("writes the repository's watchdog script into the task for the Node.js image to run", () => {
    const [init, , watchdog] = defs();
    expect(init.environment).toContainEqual({ name: "WATCHDOG_SCRIPT", value: watchdogScript() });
    expect(watchdog.mountPoints).toEqual([
      { sourceVolume: "watchdog", containerPath: "/opt/watchdog", readOnly: true },
    ]);
    expect(inputs(T.taskDef, `${P}-sink`).volumes).toEqual([
      { name: "secrets" },
      { name: "worker-config" },
      { name: "watchdog" },
    ]);
  });

  test("delivers secrets from Secrets Manager to the init container only, and to the worker as read-only files", () => {
    const [init, connect, watchdog] = defs();
    expect(init.secrets).toEqual([
      {
        name: "DATABASE_PASSWORD",
        valueFrom: `arn:aws:secretsmanager:af-south-1:123456789012:secret:${P}-sink-db-password-AbCdEf`,
      },
      {
        name: "KAFKA_PASSWORD",
        valueFrom:
          "arn:aws:secretsmanager:af-south-1:123456789012:secret:AmazonMSK_dev_warehouse-sink-AbCdEf:password::",
      },
    ]);
    expect(connect.secrets).toBeUndefined();
    expect(watchdog.secrets).toBeUndefined();
    expect(connect.mountPoints).toContainEqual({
      sourceVolume: "secrets",
      containerPath: SECRETS_DIR,
      readOnly: true,
    });
    const text = inputs(T.taskDef, `${P}-sink`).containerDefinitions as string;
    for (const secret of [
      ADMIN_PASSWORD,
      SINK_KAFKA_PASSWORD,
      SINK_DB_PASSWORD,
      REPORTING_PASSWORD,
      "mock-rds-master-Passw0rd",
    ]) {
      expect([secret, text.includes(secret)]).toEqual([secret, false]);
    }
  });

  test("registers the JDBC sink with the warehouse over TLS and the password as a config-provider reference", () => {
    const connect = defs()[1];
    const cfg = JSON.parse(connect.environment!.find((e) => e.name === "SINK_CONNECTOR_CONFIG")!.value);
    expect(cfg["connection.url"]).toBe(
      `jdbc:postgresql://${P}-warehouse.abc.af-south-1.rds.amazonaws.com:5432/clinicmaster_warehouse?sslmode=require`,
    );
    expect(cfg["connection.username"]).toBe(WAREHOUSE_ROLES.sink);
    expect(cfg["connection.password"]).toBe("${directory:/run/secrets/clinicmaster:database-password}");
    expect(cfg["tasks.max"]).toBe("2");
  });

  test("keeps the sink's warehouse password in Secrets Manager as a secret", () => {
    const v = findResource(T.secretVersion, `${P}-sink-db-password`).inputs;
    expect(isSecretInput(v.secretString)).toBe(true);
    expect(reveal(v.secretString)).toBe(SINK_DB_PASSWORD);
  });
});

describe("VPN hub", () => {
  test("is a transit gateway attached to the three private subnets", () => {
    expect(inputs("aws:ec2transitgateway/transitGateway:TransitGateway", `${P}-vpn-hub`)).toMatchObject({
      amazonSideAsn: 64512,
      autoAcceptSharedAttachments: "disable",
      vpnEcmpSupport: "enable",
    });
    expect(inputs("aws:ec2transitgateway/vpcAttachment:VpcAttachment", `${P}-vpn-hub`)).toMatchObject({
      transitGatewayId: `${P}-vpn-hub-id`,
      vpcId: `${P}-net-id`,
      subnetIds: [0, 1, 2].map((i) => `${P}-net-private-${i}-id`),
    });
  });
});

describe("alarms", () => {
  test("eight alarms notify the SNS topic, which mails the configured address", () => {
    const topicArn = `arn:aws:mock:af-south-1:123456789012:sns/topic/${P}-monitoring-alarms`;
    const alarms = resourcesOf(T.alarm).sort((a, b) => a.name.localeCompare(b.name));
    expect(alarms.map((r) => [r.name, r.inputs.alarmActions, r.inputs.okActions])).toEqual(
      [
        "broker-disk",
        "dlq-growth",
        "facility-silence",
        "heartbeats-stopped",
        "rds-cpu",
        "rds-storage",
        "sink-lag",
        "sink-workers",
      ].map((k) => [`${P}-monitoring-${k}`, [topicArn], [topicArn]]),
    );
    expect(
      inputs("aws:sns/topicSubscription:TopicSubscription", `${P}-monitoring-alarms-email`),
    ).toMatchObject({
      protocol: "email",
      endpoint: "data-platform@health.go.ug",
    });
  });

  test("watch the DLQ, the heartbeat topic and broker disks of this cluster through per-broker MSK metrics", () => {
    const queries = (k: string) =>
      inputs(T.alarm, `${P}-monitoring-${k}`).metricQueries as {
        id: string;
        expression?: string;
        metric?: { dimensions: Record<string, string> };
      }[];
    expect(queries("dlq-growth").map((q) => q.metric?.dimensions ?? q.expression)).toEqual([
      { "Cluster Name": `${P}-kafka`, "Broker ID": "1", Topic: DLQ_TOPIC },
      { "Cluster Name": `${P}-kafka`, "Broker ID": "2", Topic: DLQ_TOPIC },
      { "Cluster Name": `${P}-kafka`, "Broker ID": "3", Topic: DLQ_TOPIC },
      "SUM(METRICS())*300",
    ]);
    expect(queries("heartbeats-stopped").map((q) => q.metric?.dimensions.Topic ?? q.expression)).toEqual([
      HEARTBEAT_TOPIC,
      HEARTBEAT_TOPIC,
      HEARTBEAT_TOPIC,
      "SUM(METRICS())*60",
    ]);
    expect(queries("broker-disk")).toHaveLength(4);
    expect(queries("sink-lag")[0].expression).toBe(
      `SELECT SUM(SumOffsetLag) FROM SCHEMA("AWS/Kafka", "Cluster Name", "Consumer Group", Topic) WHERE "Cluster Name" = '${P}-kafka' AND "Consumer Group" = 'connect-clinicmaster-warehouse-sink'`,
    );
  });

  test("count silence in minutes of missed heartbeats (10 × 30 s = 5 min) and treat a missing monitor as silence", () => {
    expect(inputs(T.alarm, `${P}-monitoring-heartbeats-stopped`)).toMatchObject({
      evaluationPeriods: 5,
      datapointsToAlarm: 5,
      treatMissingData: "breaching",
    });
    expect(inputs(T.alarm, `${P}-monitoring-facility-silence`)).toMatchObject({
      namespace: "ClinicMaster/Platform",
      metricName: "SilentFacilities",
      dimensions: { Environment: "dev" },
      treatMissingData: "breaching",
    });
  });

  test("use the configured thresholds", () => {
    const threshold = (k: string) => inputs(T.alarm, `${P}-monitoring-${k}`).threshold;
    expect(
      [
        "dlq-growth",
        "sink-lag",
        "facility-silence",
        "sink-workers",
        "rds-cpu",
        "rds-storage",
        "broker-disk",
      ].map(threshold),
    ).toEqual([1, 50000, 0, 2, 80, 20 * 1024 ** 3, 80]);
  });
});

describe("outputs", () => {
  const names = [
    "alarmTopicArn",
    "bootstrapBrokersSaslScram",
    "brokerSecurityGroupId",
    "environment",
    "kafkaAdminPassword",
    "kafkaAdminUsername",
    "kafkaCapacity",
    "kafkaClusterArn",
    "kafkaClusterName",
    "operatorSecurityGroupId",
    "privateRouteTableIds",
    "privateSubnetIds",
    "region",
    "registryUrls",
    "scramSecretKmsKeyArn",
    "sinkClusterName",
    "sinkServiceName",
    "topics",
    "vpcCidr",
    "vpcId",
    "vpnHubId",
    "vpnHubRouteTableId",
    "vpnHubType",
    "warehouseAddress",
    "warehouseDatabase",
    "warehouseReportingPassword",
    "warehouseReportingRole",
  ];

  test("are exactly the documented set", () => {
    expect(Object.keys(program).sort()).toEqual(names);
  });

  test("carry what facility stacks need", async () => {
    expect(await unwrap(program.bootstrapBrokersSaslScram as pulumi.Output<string>)).toBe(
      "b-1.mock.kafka.af-south-1.amazonaws.com:9096,b-2.mock.kafka.af-south-1.amazonaws.com:9096,b-3.mock.kafka.af-south-1.amazonaws.com:9096",
    );
    expect(await unwrap(program.kafkaClusterArn as pulumi.Output<string>)).toBe(
      `arn:aws:kafka:af-south-1:123456789012:cluster/${P}-kafka/abcd-1234`,
    );
    expect(await unwrap(program.scramSecretKmsKeyArn as pulumi.Output<string>)).toBe(keyArn("secrets"));
    expect(await unwrap(program.vpnHubId as pulumi.Output<string>)).toBe(`${P}-vpn-hub-id`);
    expect(await unwrap(program.vpnHubRouteTableId as pulumi.Output<string>)).toBe("tgw-rtb-1");
    expect(program.vpnHubType).toBe("transit-gateway");
    expect(program.environment).toBe("dev");
    expect(program.kafkaAdminUsername).toBe("platform-admin");
    expect(await unwrap(program.kafkaAdminPassword as pulumi.Output<string>)).toBe(ADMIN_PASSWORD);
    expect(program.topics).toEqual({
      dataTopicPrefix: "clinicmasterwarehouse-sqlserver.ClinicMasterMOH.dbo.",
      data: Object.fromEntries(DEV_TABLES.map(([t]) => [t, dataTopic(t)])),
      heartbeat: HEARTBEAT_TOPIC,
      dlq: DLQ_TOPIC,
    });
  });

  test("mark the admin and reporting passwords secret, and nothing else", async () => {
    const secret: string[] = [];
    for (const n of names) {
      const v = program[n];
      if (pulumi.Output.isInstance(v) && (await pulumi.isSecret(v))) secret.push(n);
    }
    expect(secret).toEqual(["kafkaAdminPassword", "warehouseReportingPassword"]);
  });

  test("report the capacity numbers", () => {
    expect(program.kafkaCapacity).toMatchObject({
      totalReplicas: 471,
      replicasPerBroker: 157,
      limitPerBroker: 1000,
      partitionsPerFacility: 0,
    });
  });
});

describe("configuration problems", () => {
  test("rejects a config without a VPC range with one message naming the key and the fix", async () => {
    const config = devConfig();
    delete config["platform:network"];
    await expect(runPlatformProgram(config)).rejects.toThrow(
      "platform stack `dev`: 1 configuration problem\n  - platform:network = (not set): required for target aws (the default); set it with `pulumi config set --path platform:network.vpcCidr 10.40.0.0/16`",
    );
  });

  test("rejects tables that overflow the brokers before registering anything, with the numbers", async () => {
    const config = devConfig({
      "platform:kafka": { brokerInstanceType: "kafka.t3.small" },
      "platform:tables": Array.from({ length: 5 }, (_, i) => ({ name: `Big${i}`, partitions: 60 })),
    });
    await expect(runPlatformProgram(config)).rejects.toThrow(
      "platform stack `dev`: platform:tables needs 387 partition replicas per broker on 3 × kafka.t3.small, over the MSK recommendation of 300 by 87",
    );
    expect(recorded).toEqual([]);
  });
});
