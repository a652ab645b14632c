import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { BROKER_SERVER_PROPERTIES, renderServerProperties } from "./broker-config";

/** Arguments of {@link KafkaCluster}. */
export interface KafkaClusterArgs {
  /** Private subnets, one per AZ; brokers are spread evenly over them. */
  subnetIds: pulumi.Input<string>[];
  /** Security groups of the brokers. */
  securityGroupIds: pulumi.Input<string>[];
  /** MSK Kafka version, e.g. `3.9.x`. */
  kafkaVersion: string;
  /** Brokers, a multiple of the subnet count. @default three brokers, one per AZ */
  brokerCount?: number;
  /** Broker instance type. */
  brokerInstanceType: string;
  /** EBS volume per broker at creation, GiB; storage autoscaling grows it afterwards. */
  volumeGiB: number;
  /** Storage autoscaling ceiling per broker, GiB. */
  maxVolumeGiB: number;
  /** Broker disk use, percent, that storage autoscaling keeps the volume under. @default 60 */
  storageTargetPercent?: number;
  /** Encryption at rest. */
  encryption: {
    /** CMK for broker volumes. */
    atRestKeyArn: pulumi.Input<string>;
  };
  /** Broker logging. */
  logging: {
    /** CMK for the broker log group. */
    keyArn: pulumi.Input<string>;
    /** Days broker logs are kept. */
    retentionDays: number;
  };
  /** Broker server properties. @default BROKER_SERVER_PROPERTIES (deny by default, RF 3, min ISR 2, no auto-create) */
  serverProperties?: Readonly<Record<string, string>>;
  /** MSK monitoring level; the DLQ alarm needs per-topic metrics. @default PER_TOPIC_PER_BROKER */
  enhancedMonitoring?: "DEFAULT" | "PER_BROKER" | "PER_TOPIC_PER_BROKER" | "PER_TOPIC_PER_PARTITION";
  /** Tags on every resource. */
  tags: Record<string, string>;
}

/** The storage-autoscaling path MSK changes on the cluster; ignoring it keeps `pulumi up` from shrinking volumes back. */
export const BROKER_VOLUME_SIZE_PATH = "brokerNodeGroupInfo.storageInfo.ebsStorageInfo.volumeSize";

/**
 * An MSK cluster for SASL/SCRAM clients: brokers spread over three AZs in private subnets, TLS
 * between clients and brokers and inside the cluster, encryption at rest with a CMK, no
 * unauthenticated, IAM or public access, broker logs to CloudWatch, storage autoscaling.
 *
 * Replacement safety:
 * - The cluster is `protect`ed and `retainOnDelete`: neither a stray `pulumi destroy` nor a change
 *   that would force a replacement can delete it; the engine stops instead.
 * - The volume size is in `ignoreChanges`, since storage autoscaling grows it outside Pulumi.
 * - The configuration's name carries a random suffix tied to the Kafka version. Changing server
 *   properties adds a revision in place (the cluster moves to it); changing the version replaces the
 *   configuration *before* deleting the old one (`deleteBeforeReplace: false`, new name, so both can
 *   exist), the cluster moves to the new one, then the old one is deleted — MSK refuses to delete a
 *   configuration a cluster still uses ("configuration in use"), and this order never asks it to.
 */
export class KafkaCluster extends pulumi.ComponentResource {
  /** Cluster ARN (SCRAM secret associations and alarms use it). */
  readonly arn: pulumi.Output<string>;
  /** Cluster name (CloudWatch dimension). */
  readonly clusterName: pulumi.Output<string>;
  /** `host:9096,…` bootstrap brokers for SASL/SCRAM clients. */
  readonly bootstrapBrokersSaslScram: pulumi.Output<string>;
  /** Configuration ARN. */
  readonly configurationArn: pulumi.Output<string>;
  /** Broker count. */
  readonly brokerCount: number;
  /** The MSK cluster resource. */
  readonly cluster: aws.msk.Cluster;

  constructor(name: string, args: KafkaClusterArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("clinicmaster:platform:KafkaCluster", name, {}, opts);
    const brokerCount = args.brokerCount ?? 3;
    const subnets = args.subnetIds.length;
    if (subnets !== 3) {
      throw new Error(
        `kafka cluster ${name}: ${subnets} subnets given; MSK brokers here need exactly 3 private subnets in 3 AZs`,
      );
    }
    if (brokerCount < subnets || brokerCount % subnets !== 0) {
      throw new Error(
        `kafka cluster ${name}: brokerCount ${brokerCount} is not a multiple of the ${subnets} AZs; set platform:kafka.brokerCount to 3, 6, 9…`,
      );
    }
    if (args.maxVolumeGiB < args.volumeGiB) {
      throw new Error(
        `kafka cluster ${name}: maxVolumeGiB ${args.maxVolumeGiB} is below volumeGiB ${args.volumeGiB}; raise platform:kafka.maxVolumeGiB`,
      );
    }
    const p = { parent: this };

    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-broker-logs`,
      {
        name: `/clinicmaster/${name}/brokers`,
        kmsKeyId: args.logging.keyArn,
        retentionInDays: args.logging.retentionDays,
        tags: args.tags,
      },
      p,
    );
    const suffix = new random.RandomId(
      `${name}-config-suffix`,
      { byteLength: 4, keepers: { kafkaVersion: args.kafkaVersion } },
      p,
    );
    const configuration = new aws.msk.Configuration(
      `${name}-config`,
      {
        name: pulumi.interpolate`${name}-${suffix.hex}`,
        description: "ClinicMaster: deny by default, RF 3, min.insync.replicas 2, no topic auto-creation",
        kafkaVersions: [args.kafkaVersion],
        serverProperties: renderServerProperties(args.serverProperties ?? BROKER_SERVER_PROPERTIES),
      },
      { parent: this, deleteBeforeReplace: false },
    );
    this.cluster = new aws.msk.Cluster(
      name,
      {
        clusterName: name,
        kafkaVersion: args.kafkaVersion,
        numberOfBrokerNodes: brokerCount,
        brokerNodeGroupInfo: {
          instanceType: args.brokerInstanceType,
          clientSubnets: args.subnetIds,
          securityGroups: args.securityGroupIds,
          azDistribution: "DEFAULT",
          storageInfo: { ebsStorageInfo: { volumeSize: args.volumeGiB } },
          connectivityInfo: { publicAccess: { type: "DISABLED" } },
        },
        clientAuthentication: { sasl: { scram: true, iam: false }, unauthenticated: false },
        encryptionInfo: {
          encryptionAtRestKmsKeyArn: args.encryption.atRestKeyArn,
          encryptionInTransit: { clientBroker: "TLS", inCluster: true },
        },
        configurationInfo: { arn: configuration.arn, revision: configuration.latestRevision },
        enhancedMonitoring: args.enhancedMonitoring ?? "PER_TOPIC_PER_BROKER",
        loggingInfo: { brokerLogs: { cloudwatchLogs: { enabled: true, logGroup: logGroup.name } } },
        tags: args.tags,
      },
      { parent: this, protect: true, retainOnDelete: true, ignoreChanges: [BROKER_VOLUME_SIZE_PATH] },
    );
    const target = new aws.appautoscaling.Target(
      `${name}-storage`,
      {
        serviceNamespace: "kafka",
        scalableDimension: "kafka:broker-storage:VolumeSize",
        resourceId: this.cluster.arn,
        minCapacity: 1,
        maxCapacity: args.maxVolumeGiB,
        tags: args.tags,
      },
      p,
    );
    new aws.appautoscaling.Policy(
      `${name}-storage`,
      {
        policyType: "TargetTrackingScaling",
        serviceNamespace: target.serviceNamespace,
        scalableDimension: target.scalableDimension,
        resourceId: target.resourceId,
        targetTrackingScalingPolicyConfiguration: {
          predefinedMetricSpecification: { predefinedMetricType: "KafkaBrokerStorageUtilization" },
          targetValue: args.storageTargetPercent ?? 60,
          // MSK cannot shrink a broker volume.
          disableScaleIn: true,
        },
      },
      p,
    );

    this.arn = this.cluster.arn;
    this.clusterName = this.cluster.clusterName;
    this.bootstrapBrokersSaslScram = this.cluster.bootstrapBrokersSaslScram;
    this.configurationArn = configuration.arn;
    this.brokerCount = brokerCount;
    this.registerOutputs({
      arn: this.arn,
      clusterName: this.clusterName,
      bootstrapBrokersSaslScram: this.bootstrapBrokersSaslScram,
      configurationArn: this.configurationArn,
    });
  }
}
