import { facilityAcls, sinkAcls, adminAcls, AclEntry } from "../../infra/connect/acl";
import {
  CONNECT_REST_PORT,
  DLQ_TOPIC,
  FACILITY_CONTAINER,
  HEARTBEAT_TOPIC,
  SECRETS_DIR,
  dataTopic,
  facilityScramSecretName,
} from "../../infra/connect/names";
import { RecordedLike } from "../../policy/normalize";

/** Tags every compliant AWS resource carries (the required-tags defaults). */
export const TAGS = { Environment: "dev", DataClassification: "restricted-health-data" };

const KEY_ARN = "arn:aws:kms:af-south-1:123456789012:key/platform-0000";

/** One recorded resource. */
export const res = (
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  extra: Partial<RecordedLike> = {},
) => ({
  type,
  name,
  inputs,
  ...extra,
});

/** Inputs of a compliant MSK cluster. */
export const goodCluster = (): Record<string, unknown> => ({
  kafkaVersion: "3.9.x",
  numberOfBrokerNodes: 3,
  brokerNodeGroupInfo: {
    instanceType: "kafka.m7g.large",
    clientSubnets: ["subnet-a", "subnet-b", "subnet-c"],
    securityGroups: ["sg-kafka"],
    connectivityInfo: { publicAccess: { type: "DISABLED" } },
  },
  encryptionInfo: {
    encryptionAtRestKmsKeyArn: KEY_ARN,
    encryptionInTransit: { clientBroker: "TLS", inCluster: true },
  },
  clientAuthentication: { sasl: { scram: true }, unauthenticated: false },
  loggingInfo: { brokerLogs: { cloudwatchLogs: { enabled: true, logGroup: "/clinicmaster/msk" } } },
  tags: TAGS,
});

/** Inputs of a compliant RDS PostgreSQL instance. */
export const goodDatabase = (): Record<string, unknown> => ({
  engine: "postgres",
  engineVersion: "15.8",
  instanceClass: "db.m7g.large",
  storageEncrypted: true,
  kmsKeyId: KEY_ARN,
  publiclyAccessible: false,
  multiAz: true,
  backupRetentionPeriod: 14,
  deletionProtection: true,
  skipFinalSnapshot: false,
  finalSnapshotIdentifier: "warehouse-final",
  manageMasterUserPassword: true,
  masterUserSecretKmsKeyId: KEY_ARN,
  parameterGroupName: "warehouse-pg15",
  tags: TAGS,
});

/** Inputs of a compliant parameter group. */
export const goodParameterGroup = (): Record<string, unknown> => ({
  name: "warehouse-pg15",
  family: "postgres15",
  parameters: [{ name: "rds.force_ssl", value: "1" }],
  tags: TAGS,
});

export const MSK_SERVER_PROPERTIES = [
  "auto.create.topics.enable=false",
  "default.replication.factor=3",
  "min.insync.replicas=2",
  "unclean.leader.election.enable=false",
].join("\n");

/** Inputs of compliant VPN tunnels. */
export const goodVpn = (): Record<string, unknown> => {
  const out: Record<string, unknown> = {
    customerGatewayId: "cgw-1",
    type: "ipsec.1",
    tags: { ...TAGS, facility: "kayunga" },
  };
  for (const t of ["tunnel1", "tunnel2"]) {
    out[`${t}IkeVersions`] = ["ikev2"];
    out[`${t}Phase1EncryptionAlgorithms`] = ["AES256-GCM-16"];
    out[`${t}Phase2EncryptionAlgorithms`] = ["AES256-GCM-16"];
    out[`${t}Phase1IntegrityAlgorithms`] = ["SHA2-256"];
    out[`${t}Phase2IntegrityAlgorithms`] = ["SHA2-256"];
    out[`${t}Phase1DhGroupNumbers`] = [20];
    out[`${t}Phase2DhGroupNumbers`] = [20];
  }
  return out;
};

/** Inputs of a compliant facility Connect container. */
export const goodContainer = (): Record<string, unknown> => ({
  name: FACILITY_CONTAINER,
  image: "registry.example/clinicmaster/connect@sha256:0123",
  envs: [
    "FACILITY_DHIS2_CODE=KAY001",
    "CONNECT_KEY_CONVERTER=org.apache.kafka.connect.json.JsonConverter",
    `KAFKA_PASS_FILE=${SECRETS_DIR}/kafka-password`,
    `CONNECT_SASL_JAAS_CONFIG=org.apache.kafka.common.security.scram.ScramLoginModule required username="facility-kay001" password="\${file:${SECRETS_DIR}/kafka-password}";`,
  ],
  labels: [{ label: "clinicmaster.facility", value: "kayunga" }],
  mounts: [{ type: "bind", source: "/srv/clinicmaster/secrets", target: SECRETS_DIR, readOnly: true }],
  ports: [{ internal: CONNECT_REST_PORT, external: CONNECT_REST_PORT, ip: "127.0.0.1" }],
  capabilities: { drops: ["ALL"] },
});

const aclInputs = (a: AclEntry) => ({
  aclPrincipal: a.principal,
  aclHost: a.host,
  aclResourceType: a.resourceType,
  aclResourceName: a.resourceName,
  resourcePatternTypeFilter: a.patternType,
  aclOperation: a.operation,
  aclPermissionType: a.permission,
});

/** Kafka ACL resources for matrix entries. */
export const aclResources = (entries: AclEntry[], prefix: string) =>
  entries.map((a, i) => res("kafka:index/acl:Acl", `${prefix}-${i}`, aclInputs(a)));

/** A topic resource. */
export const topic = (name: string, rf = 3, isr: string | null = "2") =>
  res("kafka:index/topic:Topic", name, {
    name,
    partitions: 6,
    replicationFactor: rf,
    config: isr === null ? {} : { "min.insync.replicas": isr },
  });

/**
 * A compliant platform plus one facility, as the mocks record them (ids are `<name>-id`), with the
 * resource options the engine would show. Stand-in until the real programs exist.
 */
export function compliantStack(): RecordedLike[] {
  const protectedOpts = { protect: true, retainOnDelete: true };
  return [
    res(
      "aws:ec2/vpc:Vpc",
      "platform-vpc",
      { cidrBlock: "10.40.0.0/16", tags: TAGS },
      { id: "platform-vpc-id" },
    ),
    res("aws:ec2/flowLog:FlowLog", "platform-flowlog", {
      vpcId: "platform-vpc-id",
      trafficType: "ALL",
      tags: TAGS,
    }),
    res("aws:kms/key:Key", "platform-key", { enableKeyRotation: true, deletionWindowInDays: 30, tags: TAGS }),
    res("aws:ec2/securityGroup:SecurityGroup", "kafka-sg", {
      vpcId: "platform-vpc-id",
      ingress: [
        { protocol: "tcp", fromPort: 9096, toPort: 9096, cidrBlocks: ["10.40.0.0/16", "192.168.10.0/24"] },
      ],
      tags: TAGS,
    }),
    res("aws:msk/configuration:Configuration", "kafka-config", { serverProperties: MSK_SERVER_PROPERTIES }),
    res("aws:msk/cluster:Cluster", "kafka", goodCluster(), { opts: protectedOpts }),
    res("aws:rds/parameterGroup:ParameterGroup", "warehouse-pg", goodParameterGroup()),
    res("aws:rds/instance:Instance", "warehouse", goodDatabase(), { opts: protectedOpts }),
    topic(dataTopic("Patients")),
    topic(HEARTBEAT_TOPIC),
    topic(DLQ_TOPIC),
    ...aclResources(adminAcls(), "admin"),
    ...aclResources(sinkAcls(), "sink"),
    ...aclResources(facilityAcls("KAY001"), "kayunga"),
    res("aws:secretsmanager/secret:Secret", "kayunga-scram", {
      name: facilityScramSecretName("dev", "KAY001"),
      kmsKeyId: KEY_ARN,
      tags: TAGS,
    }),
    res("aws:msk/singleScramSecretAssociation:SingleScramSecretAssociation", "kayunga-scram-assoc", {
      clusterArn: "arn:aws:kafka:af-south-1:123456789012:cluster/kafka/abcd-1234",
      secretArn: `arn:aws:secretsmanager:af-south-1:123456789012:secret:${facilityScramSecretName("dev", "KAY001")}-AbCdEf`,
    }),
    res("aws:ec2/vpnConnection:VpnConnection", "kayunga-vpn", goodVpn()),
    res("docker:index/container:Container", "kayunga-connect", goodContainer()),
  ];
}
