import { MSK_SERVER_PROPERTIES, goodCluster, res } from "../fixtures";
import { Case, withPath } from "./types";

const CLUSTER = "aws:msk/cluster:Cluster";
const cluster = (path?: string, value?: unknown, name = "kafka") =>
  res(CLUSTER, name, path === undefined ? goodCluster() : withPath(goodCluster(), path, value));
const config = (serverProperties: string) =>
  res("aws:msk/configuration:Configuration", "kafka-config", { serverProperties });
const SECRET = "aws:secretsmanager/secret:Secret";
const ASSOC = "aws:msk/singleScramSecretAssociation:SingleScramSecretAssociation";

export const mskCases: Case[] = [
  {
    rule: "msk-encryption-in-transit",
    title: "accepts TLS client-broker and in-cluster",
    resources: [cluster()],
    expected: [],
  },
  {
    rule: "msk-encryption-in-transit",
    title: "accepts the provider default (no encryptionInTransit block)",
    resources: [cluster("encryptionInfo.encryptionInTransit", undefined)],
    expected: [],
  },
  {
    rule: "msk-encryption-in-transit",
    title: "rejects TLS_PLAINTEXT client-broker",
    resources: [cluster("encryptionInfo.encryptionInTransit.clientBroker", "TLS_PLAINTEXT")],
    expected: [
      'MSK cluster `kafka`: clientBroker is `TLS_PLAINTEXT`; patient data must only travel over TLS (set clientBroker: "TLS").',
    ],
  },
  {
    rule: "msk-encryption-in-transit",
    title: "rejects in-cluster plaintext",
    resources: [cluster("encryptionInfo.encryptionInTransit.inCluster", false)],
    expected: ["MSK cluster `kafka`: inCluster encryption is off; set inCluster: true."],
  },
  { rule: "msk-encryption-at-rest-cmk", title: "accepts a CMK ARN", resources: [cluster()], expected: [] },
  {
    rule: "msk-encryption-at-rest-cmk",
    title: "rejects a cluster without a CMK",
    resources: [cluster("encryptionInfo.encryptionAtRestKmsKeyArn", undefined)],
    expected: [
      "MSK cluster `kafka` has no customer-managed key at rest (encryptionAtRestKmsKeyArn is unset); set it to the platform KMS key ARN.",
    ],
  },
  {
    rule: "msk-encryption-at-rest-cmk",
    title: "rejects the AWS managed key",
    resources: [
      cluster(
        "encryptionInfo.encryptionAtRestKmsKeyArn",
        "arn:aws:kms:af-south-1:123456789012:alias/aws/kafka",
      ),
    ],
    expected: [
      "MSK cluster `kafka` has no customer-managed key at rest (encryptionAtRestKmsKeyArn is `arn:aws:kms:af-south-1:123456789012:alias/aws/kafka`); set it to the platform KMS key ARN.",
    ],
  },
  {
    rule: "msk-no-public-access",
    title: "accepts DISABLED public access",
    resources: [cluster()],
    expected: [],
  },
  {
    rule: "msk-no-public-access",
    title: "rejects public access through an Elastic IP",
    resources: [cluster("brokerNodeGroupInfo.connectivityInfo.publicAccess.type", "SERVICE_PROVIDED_EIPS")],
    expected: [
      'MSK cluster `kafka` has public access `SERVICE_PROVIDED_EIPS`; brokers must stay private (publicAccess.type "DISABLED").',
    ],
  },
  {
    rule: "msk-authenticated-clients",
    title: "accepts SCRAM without unauthenticated access",
    resources: [cluster()],
    expected: [],
  },
  {
    rule: "msk-authenticated-clients",
    title: "rejects unauthenticated clients",
    resources: [cluster("clientAuthentication.unauthenticated", true)],
    expected: [
      "MSK cluster `kafka` allows unauthenticated clients; set clientAuthentication.unauthenticated: false.",
    ],
  },
  {
    rule: "msk-authenticated-clients",
    title: "rejects a cluster without SASL/SCRAM",
    resources: [cluster("clientAuthentication", undefined)],
    expected: [
      "MSK cluster `kafka` does not enable SASL/SCRAM; facilities authenticate with SCRAM (set clientAuthentication.sasl.scram: true).",
    ],
  },
  {
    rule: "msk-broker-logging",
    title: "accepts CloudWatch broker logs",
    resources: [cluster()],
    expected: [],
  },
  {
    rule: "msk-broker-logging",
    title: "accepts S3 broker logs",
    resources: [cluster("loggingInfo.brokerLogs", { s3: { enabled: true, bucket: "logs" } })],
    expected: [],
  },
  {
    rule: "msk-broker-logging",
    title: "rejects a cluster without broker logs",
    resources: [cluster("loggingInfo", undefined)],
    expected: [
      "MSK cluster `kafka` has no broker log destination enabled; enable loggingInfo.brokerLogs.cloudwatchLogs.",
    ],
  },
  {
    rule: "msk-broker-logging",
    title: "rejects disabled CloudWatch logs",
    resources: [cluster("loggingInfo.brokerLogs.cloudwatchLogs.enabled", false)],
    expected: [
      "MSK cluster `kafka` has no broker log destination enabled; enable loggingInfo.brokerLogs.cloudwatchLogs.",
    ],
  },
  {
    rule: "msk-min-brokers",
    title: "accepts three brokers in three subnets",
    resources: [cluster()],
    expected: [],
  },
  {
    rule: "msk-min-brokers",
    title: "rejects two brokers in two subnets",
    resources: [
      res(CLUSTER, "kafka", {
        ...goodCluster(),
        numberOfBrokerNodes: 2,
        brokerNodeGroupInfo: {
          ...(goodCluster().brokerNodeGroupInfo as object),
          clientSubnets: ["subnet-a", "subnet-b"],
        },
      }),
    ],
    expected: [
      "MSK cluster `kafka` has 2 brokers; at least 3 are required.",
      "MSK cluster `kafka` spans 2 client subnets; at least 3 (one per AZ) are required.",
    ],
  },
  {
    rule: "msk-min-brokers",
    title: "fails if minBrokers is raised above the broker count",
    resources: [cluster()],
    config: { minBrokers: 6 },
    expected: ["MSK cluster `kafka` has 3 brokers; at least 6 are required."],
  },
  {
    rule: "msk-server-properties",
    title: "accepts the platform's server properties",
    resources: [config(MSK_SERVER_PROPERTIES)],
    expected: [],
  },
  {
    rule: "msk-server-properties",
    title: "rejects auto-creation, RF 2, min ISR 1 and unclean election",
    resources: [
      config(
        "auto.create.topics.enable=true\ndefault.replication.factor=2\nmin.insync.replicas=1\nunclean.leader.election.enable=true",
      ),
    ],
    expected: [
      "MSK configuration `kafka-config`: auto.create.topics.enable is `true`; set it to false.",
      "MSK configuration `kafka-config`: default.replication.factor is 2; set it to at least 3.",
      "MSK configuration `kafka-config`: min.insync.replicas is 1; set it to at least 2.",
      "MSK configuration `kafka-config`: unclean.leader.election.enable=true can lose acknowledged records; set it to false.",
    ],
  },
  {
    rule: "msk-server-properties",
    title: "rejects an empty configuration (Kafka defaults)",
    resources: [config("# nothing\n")],
    expected: [
      "MSK configuration `kafka-config`: auto.create.topics.enable is `unset (true)`; set it to false.",
      "MSK configuration `kafka-config`: default.replication.factor is unset; set it to at least 3.",
      "MSK configuration `kafka-config`: min.insync.replicas is unset; set it to at least 2.",
    ],
  },
  {
    rule: "msk-no-exclusive-scram-association",
    title: "accepts SingleScramSecretAssociation",
    resources: [
      res(ASSOC, "kayunga-assoc", {
        clusterArn: "c",
        secretArn: "arn:aws:secretsmanager:r:1:secret:AmazonMSK_dev_x",
      }),
    ],
    expected: [],
  },
  {
    rule: "msk-no-exclusive-scram-association",
    title: "rejects the exclusive ScramSecretAssociation",
    resources: [
      res("aws:msk/scramSecretAssociation:ScramSecretAssociation", "users", {
        clusterArn: "c",
        secretArnLists: ["s"],
      }),
    ],
    expected: [
      "`users` is an exclusive aws.msk.ScramSecretAssociation; it would remove other facilities' SCRAM users. Use aws.msk.SingleScramSecretAssociation.",
    ],
  },
  {
    rule: "msk-scram-secret-name-and-cmk",
    title: "accepts an AmazonMSK_ secret with a CMK",
    resources: [
      res(SECRET, "s", { name: "AmazonMSK_dev_facility-KAY001", kmsKeyId: "arn:aws:kms:r:1:key/k" }),
    ],
    expected: [],
  },
  {
    rule: "msk-scram-secret-name-and-cmk",
    title: "rejects an AmazonMSK_ secret on the AWS managed key",
    resources: [
      res(SECRET, "s", { name: "AmazonMSK_dev_facility-KAY001", kmsKeyId: "alias/aws/secretsmanager" }),
    ],
    expected: [
      "SCRAM secret `AmazonMSK_dev_facility-KAY001` has no customer-managed kmsKeyId; MSK rejects secrets encrypted with the AWS managed key.",
    ],
  },
  {
    rule: "msk-scram-secret-name-and-cmk",
    title: "rejects an association with a secret not named AmazonMSK_",
    resources: [
      res(ASSOC, "a", {
        clusterArn: "c",
        secretArn: "arn:aws:secretsmanager:r:1:secret:kafka-facility-KAY001-AbCd",
      }),
    ],
    expected: [
      "SCRAM association `a` binds secret `arn:aws:secretsmanager:r:1:secret:kafka-facility-KAY001-AbCd`; MSK only accepts secrets named AmazonMSK_*.",
    ],
  },
];
