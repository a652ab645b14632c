import * as aws from "@pulumi/aws";
import * as kafka from "@pulumi/kafka";
import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../config/platform";
import { aclMatrix } from "../connect/acl";
import { topicSpecs } from "../connect/topics";
import {
  ADMIN_PRINCIPAL,
  DATA_TOPIC_PREFIX,
  DLQ_TOPIC,
  HEARTBEAT_TOPIC,
  SINK_PRINCIPAL,
  dataTopic,
  sinkConsumerGroup,
} from "../connect/names";
import { watchdogScript } from "../watchdog";
import { BROKER_SERVER_PROPERTIES, aclBootstrapServerProperties, mskBrokerAcls } from "./broker-config";
import { CapacityError, type CapacityReport, assertCapacity, describeCapacity } from "./capacity";
import { DEBEZIUM_CONNECT_IMAGE, PLATFORM_REPOSITORIES, WATCHDOG_NODE_IMAGE } from "./images";
import { KafkaCluster } from "./kafka-cluster";
import { KafkaObjects } from "./kafka-objects";
import { PlatformKeys } from "./kms";
import { Monitoring } from "./monitoring";
import { Network } from "./network";
import { ImageRegistry } from "./registry";
import { ScramPrincipal } from "./scram-principal";
import { SinkRuntime } from "./sink-runtime";
import { platformTags } from "./tags";
import { VpnHub } from "./vpn-hub";
import { Warehouse } from "./warehouse";
import { WarehouseObjects } from "./warehouse-objects";

/** Type of the VPN hub facility stacks attach to. */
export const VPN_HUB_TYPE = "transit-gateway";

/** Options of the platform program that are not stack configuration. */
export interface PlatformProgramOptions {
  /** Watchdog sidecar. @default infra/watchdog's script on the pinned Node.js image */
  watchdog?: { image: string; command?: string[]; script?: string; environment?: Record<string, string> };
  /** Debezium Connect image of the sink. @default DEBEZIUM_CONNECT_IMAGE */
  connectImage?: string;
  /** Facility LAN ranges allowed to Kafka from the platform side. @default none: each facility stack adds its own rule */
  facilityCidrs?: string[];
  /**
   * First deployment of a new cluster only: brokers allow everyone on resources without ACLs, so the
   * admin principal can create its own ACLs (MSK has no `super.users`). Deploy once with this on,
   * then again with it off. @default false: deny by default
   */
  kafkaAclBootstrap?: boolean;
}

/** What facility stacks and operators read from the platform stack (each documented where index.ts exports it). */
export interface PlatformOutputs {
  environment: string;
  region: string;
  vpcId: pulumi.Output<string>;
  vpcCidr: string;
  privateSubnetIds: pulumi.Output<string>[];
  privateRouteTableIds: pulumi.Output<string>[];
  brokerSecurityGroupId: pulumi.Output<string>;
  operatorSecurityGroupId: pulumi.Output<string>;
  kafkaClusterArn: pulumi.Output<string>;
  kafkaClusterName: pulumi.Output<string>;
  bootstrapBrokersSaslScram: pulumi.Output<string>;
  scramSecretKmsKeyArn: pulumi.Output<string>;
  kafkaAdminUsername: string;
  kafkaAdminPassword: pulumi.Output<string>;
  vpnHubType: typeof VPN_HUB_TYPE;
  vpnHubId: pulumi.Output<string>;
  vpnHubRouteTableId: pulumi.Output<string>;
  topics: { dataTopicPrefix: string; data: Record<string, string>; heartbeat: string; dlq: string };
  warehouseAddress: pulumi.Output<string>;
  warehouseDatabase: pulumi.Output<string>;
  warehouseReportingRole: string;
  warehouseReportingPassword: pulumi.Output<string>;
  sinkClusterName: pulumi.Output<string>;
  sinkServiceName: pulumi.Output<string>;
  alarmTopicArn: pulumi.Output<string>;
  registryUrls: Record<string, pulumi.Output<string>>;
  kafkaCapacity: CapacityReport & { summary: string };
}

/**
 * Refuses the config before any resource exists when the topics do not fit the brokers. The
 * message carries the numbers and the fix.
 */
export function checkCapacity(config: PlatformConfig): CapacityReport {
  try {
    return assertCapacity(
      topicSpecs(config),
      config.kafka.brokerInstanceType,
      config.kafka.brokerCount,
      config.defaultPartitions,
    );
  } catch (e) {
    if (e instanceof CapacityError)
      throw new pulumi.RunError(`platform stack \`${pulumi.getStack()}\`: ${e.message}`);
    throw e;
  }
}

/** The platform stack: every central resource of one environment, wired together. */
export function platformProgram(
  config: PlatformConfig,
  options: PlatformProgramOptions = {},
): PlatformOutputs {
  if (config.target !== "aws")
    throw new Error(
      `platformProgram builds the aws target, not ${config.target}; infra/platform/index.ts runs localPlatformProgram for it`,
    );
  const capacity = checkCapacity(config);
  const env = config.environment;
  const prefix = `clinicmaster-${env}`;
  const tags = platformTags(env);

  const keys = new PlatformKeys(`${prefix}-keys`, { tags });
  const network = new Network(`${prefix}-net`, {
    vpcCidr: config.network.vpcCidr,
    azCount: config.network.availabilityZones,
    adminCidrs: config.network.adminCidrs,
    facilityCidrs: options.facilityCidrs ?? [],
    logsKeyArn: keys.logsKeyArn,
    flowLogRetentionDays: config.kafka.logRetentionDays,
    tags,
  });
  const registry = new ImageRegistry(`${prefix}-registry`, {
    repositories: { ...PLATFORM_REPOSITORIES },
    kmsKeyArn: keys.dataKeyArn,
    tags,
  });

  const cluster = new KafkaCluster(`${prefix}-kafka`, {
    subnetIds: network.privateSubnetIds,
    securityGroupIds: [network.securityGroups.brokers.id],
    kafkaVersion: config.kafka.version,
    brokerCount: config.kafka.brokerCount,
    brokerInstanceType: config.kafka.brokerInstanceType,
    volumeGiB: config.kafka.volumeGiB,
    maxVolumeGiB: config.kafka.maxVolumeGiB,
    encryption: { atRestKeyArn: keys.dataKeyArn },
    logging: { keyArn: keys.logsKeyArn, retentionDays: config.kafka.logRetentionDays },
    serverProperties: options.kafkaAclBootstrap ? aclBootstrapServerProperties() : BROKER_SERVER_PROPERTIES,
    tags,
  });
  const scram = (key: string, principal: string) =>
    new ScramPrincipal(`${prefix}-scram-${key}`, {
      environment: env,
      principal,
      clusterArn: cluster.arn,
      kmsKeyArn: keys.secretsKeyArn,
      tags,
    });
  const admin = scram("admin", ADMIN_PRINCIPAL);
  const sinkUser = scram("sink", SINK_PRINCIPAL);

  // The runner of `pulumi up` must reach the brokers on 9096 (inside the VPC or over the VPN); see docs/PLATFORM.md.
  const kafkaProvider = new kafka.Provider(
    `${prefix}-kafka-admin`,
    {
      bootstrapServers: cluster.bootstrapBrokersSaslScram.apply((s) => s.split(",")),
      saslMechanism: "scram-sha512",
      saslUsername: admin.username,
      saslPassword: admin.password,
      tlsEnabled: true,
      skipTlsVerify: false,
      timeout: 120,
    },
    { dependsOn: [admin.association] },
  );
  const plan = topicSpecs(config);
  const kafkaObjects = new KafkaObjects(
    `${prefix}-kafka-objects`,
    {
      provider: kafkaProvider,
      topics: plan,
      acls: aclMatrix([]),
      brokerAcls: mskBrokerAcls(),
      protectDataTopics: true,
    },
    { dependsOn: [admin.association, sinkUser.association] },
  );

  const warehouse = new Warehouse(`${prefix}-warehouse`, {
    subnetIds: network.privateSubnetIds,
    securityGroupIds: [network.securityGroups.warehouse.id],
    instanceClass: config.warehouse.instanceClass,
    allocatedStorageGiB: config.warehouse.allocatedStorageGiB,
    maxAllocatedStorageGiB: config.warehouse.maxAllocatedStorageGiB,
    backupRetentionDays: config.warehouse.backupRetentionDays,
    encryption: { storageKeyArn: keys.dataKeyArn, secretKeyArn: keys.secretsKeyArn },
    tags,
  });
  const masterPassword = pulumi.secret(
    aws.secretsmanager
      .getSecretVersionOutput({ secretId: warehouse.masterUserSecretArn })
      .secretString.apply((s) => (JSON.parse(s) as { password: string }).password),
  );
  // Like the Kafka provider, this needs the runner inside the VPC or on an admin range over the VPN.
  const pgProvider = new postgresql.Provider(`${prefix}-warehouse-admin`, {
    host: warehouse.address,
    port: warehouse.port,
    username: warehouse.masterUsername,
    password: masterPassword,
    database: "postgres",
    sslmode: "require",
    superuser: false,
    connectTimeout: 30,
  });
  const objects = new WarehouseObjects(`${prefix}-warehouse-objects`, {
    provider: pgProvider,
    databaseName: config.warehouse.databaseName,
  });

  const sink = new SinkRuntime(
    `${prefix}-sink`,
    {
      subnetIds: network.privateSubnetIds,
      securityGroupIds: [network.securityGroups.sink.id],
      connectImage: options.connectImage ?? DEBEZIUM_CONNECT_IMAGE,
      watchdog: options.watchdog ?? {
        image: WATCHDOG_NODE_IMAGE,
        script: watchdogScript(),
        environment: { WATCHDOG_INTERVAL_MS: "10000" },
      },
      bootstrapServers: cluster.bootstrapBrokersSaslScram,
      kafkaSecretArn: sinkUser.secretArn,
      warehouse: {
        host: warehouse.address,
        port: warehouse.port,
        database: objects.databaseName,
        password: objects.sinkPassword,
      },
      tasks: config.sink.tasks,
      batchSize: config.sink.batchSize,
      cpu: config.sink.cpu,
      memoryMiB: config.sink.memoryMiB,
      desiredCount: config.sink.desiredCount,
      encryption: { secretsKeyArn: keys.secretsKeyArn, logsKeyArn: keys.logsKeyArn },
      logRetentionDays: config.kafka.logRetentionDays,
      tags,
    },
    // The connector needs its topics, ACLs and warehouse role before the first task starts.
    { dependsOn: [kafkaObjects, objects] },
  );

  const hub = new VpnHub(`${prefix}-vpn-hub`, {
    vpcId: network.vpcId,
    subnetIds: network.privateSubnetIds,
    tags,
  });

  const monitoring = new Monitoring(`${prefix}-monitoring`, {
    environment: env,
    thresholds: config.alarms,
    kafka: {
      clusterName: cluster.clusterName,
      brokerCount: cluster.brokerCount,
      dlqTopic: DLQ_TOPIC,
      heartbeatTopic: HEARTBEAT_TOPIC,
      sinkConsumerGroup: sinkConsumerGroup(),
    },
    warehouse: { instanceId: warehouse.identifier },
    sink: {
      ecsClusterName: sink.clusterName,
      ecsServiceName: sink.serviceName,
      desiredCount: sink.desiredCount,
    },
    topicKeyArn: keys.logsKeyArn,
    tags,
  });

  return {
    environment: env,
    region: config.region,
    vpcId: network.vpcId,
    vpcCidr: network.vpcCidr,
    privateSubnetIds: network.privateSubnetIds,
    privateRouteTableIds: network.privateRouteTableIds,
    brokerSecurityGroupId: network.securityGroups.brokers.id,
    operatorSecurityGroupId: network.securityGroups.operator.id,
    kafkaClusterArn: cluster.arn,
    kafkaClusterName: cluster.clusterName,
    bootstrapBrokersSaslScram: cluster.bootstrapBrokersSaslScram,
    scramSecretKmsKeyArn: keys.secretsKeyArn,
    kafkaAdminUsername: admin.username,
    kafkaAdminPassword: admin.password,
    vpnHubType: VPN_HUB_TYPE,
    vpnHubId: hub.transitGatewayId,
    vpnHubRouteTableId: hub.routeTableId,
    topics: {
      dataTopicPrefix: DATA_TOPIC_PREFIX,
      data: Object.fromEntries(config.tables.map((t) => [t.name, dataTopic(t.name)])),
      heartbeat: HEARTBEAT_TOPIC,
      dlq: DLQ_TOPIC,
    },
    warehouseAddress: warehouse.address,
    warehouseDatabase: objects.databaseName,
    warehouseReportingRole: objects.reportingRole,
    warehouseReportingPassword: objects.reportingPassword,
    sinkClusterName: sink.clusterName,
    sinkServiceName: sink.serviceName,
    alarmTopicArn: monitoring.topicArn,
    registryUrls: registry.repositoryUrls,
    kafkaCapacity: { ...capacity, summary: describeCapacity(capacity) },
  };
}
