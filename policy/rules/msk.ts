import { parseProperties } from "../../infra/connect/properties";
import { ResourceRule, T, at, cfgNumber, isSet, isUnknown, list, num, q, str } from "./model";

/** TLS between clients and brokers and between brokers. */
export const mskEncryptionInTransit: ResourceRule = {
  kind: "resource",
  name: "msk-encryption-in-transit",
  description:
    "MSK must encrypt client-broker and in-cluster traffic with TLS, because every record carries patient data.",
  remediation:
    "Set encryptionInfo.encryptionInTransit.clientBroker to `TLS` and leave inCluster unset or `true`.",
  defaultLevel: "mandatory",
  severity: "critical",
  defaults: {},
  types: [T.mskCluster],
  check(r) {
    const out: string[] = [];
    const clientBroker = at(r.props, "encryptionInfo.encryptionInTransit.clientBroker");
    // The provider's default for clientBroker is TLS, so an absent value is compliant.
    if (clientBroker !== undefined && !isUnknown(clientBroker) && clientBroker !== "TLS") {
      out.push(
        `MSK cluster ${q(r.name)}: clientBroker is ${q(clientBroker)}; patient data must only travel over TLS (set clientBroker: "TLS").`,
      );
    }
    if (at(r.props, "encryptionInfo.encryptionInTransit.inCluster") === false) {
      out.push(`MSK cluster ${q(r.name)}: inCluster encryption is off; set inCluster: true.`);
    }
    return out;
  },
};

/** Encryption at rest with our own KMS key. */
export const mskEncryptionAtRestCmk: ResourceRule = {
  kind: "resource",
  name: "msk-encryption-at-rest-cmk",
  description:
    "MSK must encrypt broker storage with a customer-managed KMS key, so the ministry controls key access, rotation and audit.",
  remediation: "Set encryptionInfo.encryptionAtRestKmsKeyArn to the platform KMS key's ARN.",
  defaultLevel: "mandatory",
  severity: "high",
  defaults: {},
  types: [T.mskCluster],
  check(r) {
    const arn = at(r.props, "encryptionInfo.encryptionAtRestKmsKeyArn");
    if (!isSet(arn) || /alias\/aws\//.test(String(arn))) {
      return [
        `MSK cluster ${q(r.name)} has no customer-managed key at rest (encryptionAtRestKmsKeyArn is ${arn === undefined ? "unset" : q(arn)}); set it to the platform KMS key ARN.`,
      ];
    }
    return [];
  },
};

/** No public endpoint. */
export const mskNoPublicAccess: ResourceRule = {
  kind: "resource",
  name: "msk-no-public-access",
  description:
    "MSK brokers must not have public endpoints; facilities reach them only through the VPN tunnels.",
  remediation: "Remove brokerNodeGroupInfo.connectivityInfo.publicAccess or set its type to `DISABLED`.",
  defaultLevel: "mandatory",
  severity: "critical",
  defaults: {},
  types: [T.mskCluster],
  check(r) {
    const type = at(r.props, "brokerNodeGroupInfo.connectivityInfo.publicAccess.type");
    if (type !== undefined && !isUnknown(type) && type !== "DISABLED") {
      return [
        `MSK cluster ${q(r.name)} has public access ${q(type)}; brokers must stay private (publicAccess.type "DISABLED").`,
      ];
    }
    return [];
  },
};

/** Clients must authenticate, and facilities do so with SASL/SCRAM. */
export const mskAuthenticatedClients: ResourceRule = {
  kind: "resource",
  name: "msk-authenticated-clients",
  description:
    "MSK must refuse unauthenticated clients and enable SASL/SCRAM, because ACLs can only protect patient data from authenticated principals.",
  remediation:
    "Set clientAuthentication.unauthenticated to false and clientAuthentication.sasl.scram to true.",
  defaultLevel: "mandatory",
  severity: "critical",
  defaults: {},
  types: [T.mskCluster],
  check(r) {
    const out: string[] = [];
    if (at(r.props, "clientAuthentication.unauthenticated") === true) {
      out.push(
        `MSK cluster ${q(r.name)} allows unauthenticated clients; set clientAuthentication.unauthenticated: false.`,
      );
    }
    const scram = at(r.props, "clientAuthentication.sasl.scram");
    if (scram !== true && !isUnknown(scram)) {
      out.push(
        `MSK cluster ${q(r.name)} does not enable SASL/SCRAM; facilities authenticate with SCRAM (set clientAuthentication.sasl.scram: true).`,
      );
    }
    return out;
  },
};

/** Broker logs kept. */
export const mskBrokerLogging: ResourceRule = {
  kind: "resource",
  name: "msk-broker-logging",
  description:
    "MSK broker logs must be delivered somewhere (CloudWatch, S3 or Firehose) so authentication failures and ACL denials can be investigated.",
  remediation: "Set loggingInfo.brokerLogs.cloudwatchLogs = { enabled: true, logGroup: <log group name> }.",
  defaultLevel: "mandatory",
  severity: "medium",
  defaults: {},
  types: [T.mskCluster],
  check(r) {
    const logs = at(r.props, "loggingInfo.brokerLogs");
    if (isUnknown(logs)) return [];
    const enabled = ["cloudwatchLogs", "s3", "firehose"].some((d) => {
      const e = at(logs, `${d}.enabled`);
      return e === true || isUnknown(e);
    });
    return enabled
      ? []
      : [
          `MSK cluster ${q(r.name)} has no broker log destination enabled; enable loggingInfo.brokerLogs.cloudwatchLogs.`,
        ];
  },
};

/** Enough brokers in enough AZs. */
export const mskMinBrokers: ResourceRule = {
  kind: "resource",
  name: "msk-min-brokers",
  description:
    "MSK must run at least the configured number of brokers across as many subnets, so replication factor 3 survives the loss of an AZ.",
  remediation:
    "Set numberOfBrokerNodes to at least minBrokers and give brokerNodeGroupInfo.clientSubnets one subnet per AZ.",
  defaultLevel: "mandatory",
  severity: "high",
  defaults: { minBrokers: 3, minSubnets: 3 },
  types: [T.mskCluster],
  check(r, config) {
    const out: string[] = [];
    const minBrokers = cfgNumber(config, "minBrokers");
    const minSubnets = cfgNumber(config, "minSubnets");
    const brokers = num(r.props.numberOfBrokerNodes);
    if (brokers !== undefined && brokers < minBrokers) {
      out.push(`MSK cluster ${q(r.name)} has ${brokers} brokers; at least ${minBrokers} are required.`);
    }
    const subnets = list(at(r.props, "brokerNodeGroupInfo.clientSubnets"));
    if (!isUnknown(subnets) && subnets.length < minSubnets) {
      out.push(
        `MSK cluster ${q(r.name)} spans ${subnets.length} client subnets; at least ${minSubnets} (one per AZ) are required.`,
      );
    }
    return out;
  },
};

/** Parses Kafka `server.properties` text (the connect module's parser, as a Map). */
export function parseServerProperties(text: string): Map<string, string> {
  return new Map(Object.entries(parseProperties(text)));
}

/** Cluster-wide durability defaults. */
export const mskServerProperties: ResourceRule = {
  kind: "resource",
  name: "msk-server-properties",
  description:
    "The MSK configuration must disable topic auto-creation and unclean leader election and default to replicated, acknowledged writes, so no topic is created or led without durability.",
  remediation:
    "In serverProperties set auto.create.topics.enable=false, default.replication.factor>=minReplicationFactor, min.insync.replicas>=minInsyncReplicas and unclean.leader.election.enable=false.",
  defaultLevel: "mandatory",
  severity: "high",
  defaults: { minReplicationFactor: 3, minInsyncReplicas: 2 },
  types: [T.mskConfiguration],
  check(r, config) {
    const text = r.props.serverProperties;
    if (typeof text !== "string") return [];
    const props = parseServerProperties(text);
    const out: string[] = [];
    const rf = cfgNumber(config, "minReplicationFactor");
    const isr = cfgNumber(config, "minInsyncReplicas");
    if (props.get("auto.create.topics.enable") !== "false") {
      out.push(
        `MSK configuration ${q(r.name)}: auto.create.topics.enable is ${q(props.get("auto.create.topics.enable") ?? "unset (true)")}; set it to false.`,
      );
    }
    const drf = num(props.get("default.replication.factor"));
    if (drf === undefined || drf < rf) {
      out.push(
        `MSK configuration ${q(r.name)}: default.replication.factor is ${drf ?? "unset"}; set it to at least ${rf}.`,
      );
    }
    const misr = num(props.get("min.insync.replicas"));
    if (misr === undefined || misr < isr) {
      out.push(
        `MSK configuration ${q(r.name)}: min.insync.replicas is ${misr ?? "unset"}; set it to at least ${isr}.`,
      );
    }
    if (props.get("unclean.leader.election.enable") === "true") {
      out.push(
        `MSK configuration ${q(r.name)}: unclean.leader.election.enable=true can lose acknowledged records; set it to false.`,
      );
    }
    return out;
  },
};

/** Never the exclusive SCRAM association. */
export const noExclusiveScramAssociation: ResourceRule = {
  kind: "resource",
  name: "msk-no-exclusive-scram-association",
  description:
    "The exclusive aws.msk.ScramSecretAssociation owns the cluster's whole SCRAM user list and deletes every other facility's user, so only SingleScramSecretAssociation may be used.",
  remediation:
    "Replace aws.msk.ScramSecretAssociation with one aws.msk.SingleScramSecretAssociation per secret.",
  defaultLevel: "mandatory",
  severity: "critical",
  defaults: {},
  types: [T.mskScramAssociation],
  check(r) {
    return [
      `${q(r.name)} is an exclusive aws.msk.ScramSecretAssociation; it would remove other facilities' SCRAM users. Use aws.msk.SingleScramSecretAssociation.`,
    ];
  },
};

/** The SCRAM secrets MSK accepts. */
export const mskScramSecret: ResourceRule = {
  kind: "resource",
  name: "msk-scram-secret-name-and-cmk",
  description:
    "MSK only accepts SCRAM secrets named `AmazonMSK_*` and encrypted with a customer-managed key, so a secret that breaks either rule leaves a facility unable to connect.",
  remediation:
    "Name SCRAM secrets with facilityScramSecretName()/platformScramSecretName() from infra/connect/names.ts and set kmsKeyId to the platform KMS key.",
  defaultLevel: "mandatory",
  severity: "high",
  defaults: {},
  types: [T.secret, T.mskSingleScramAssociation],
  check(r) {
    if (r.type === T.mskSingleScramAssociation) {
      const arn = str(r.props.secretArn);
      if (arn !== undefined && !/:secret:AmazonMSK_/.test(arn)) {
        return [
          `SCRAM association ${q(r.name)} binds secret ${q(arn)}; MSK only accepts secrets named AmazonMSK_*.`,
        ];
      }
      return [];
    }
    const name = str(r.props.name) ?? str(r.props.namePrefix);
    if (name === undefined || !name.startsWith("AmazonMSK_")) return [];
    const key = r.props.kmsKeyId;
    if (!isSet(key) || /alias\/aws\/secretsmanager/.test(String(key))) {
      return [
        `SCRAM secret ${q(name)} has no customer-managed kmsKeyId; MSK rejects secrets encrypted with the AWS managed key.`,
      ];
    }
    return [];
  },
};
