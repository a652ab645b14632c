/**
 * The platform program (`Pulumi.yaml` main): central resources of one environment. Facility stacks
 * read these outputs through a StackReference; secrets are exported as Pulumi secrets.
 *
 * Target `aws` (every real environment) runs {@link platformProgram}; target `local` (Pulumi.local.yaml)
 * runs {@link localPlatformProgram} against the loopback data plane. Each target exports its own
 * outputs, and nothing of the other's.
 */
import * as pulumi from "@pulumi/pulumi";
import { type LoadedAwsPlatform, type LoadedLocalPlatform, loadPlatform } from "../config/pulumi";
import { localPlatformProgram } from "./local-program";
import { platformProgram } from "./program";

function awsStack({ config }: LoadedAwsPlatform) {
  const platform = platformProgram(config, { kafkaAclBootstrap: config.kafka.aclBootstrap });
  return {
    /** Environment name (dev, staging, prod); part of SCRAM secret names. */
    environment: platform.environment,
    /** AWS region. */
    region: platform.region,
    /** VPC id. */
    vpcId: platform.vpcId,
    /** VPC range (facility LANs must not overlap it). */
    vpcCidr: platform.vpcCidr,
    /** Private subnet ids, one per AZ. */
    privateSubnetIds: platform.privateSubnetIds,
    /** Private route tables; facility stacks add a route for their LAN to the VPN hub in each. */
    privateRouteTableIds: platform.privateRouteTableIds,
    /** Security group of the brokers; facility stacks add a 9096 rule for their LAN. */
    brokerSecurityGroupId: platform.brokerSecurityGroupId,
    /** Security group the `pulumi up` runner uses inside the VPC (reaches Kafka and PostgreSQL). */
    operatorSecurityGroupId: platform.operatorSecurityGroupId,
    /** MSK cluster ARN (facility SCRAM secret associations). */
    kafkaClusterArn: platform.kafkaClusterArn,
    /** MSK cluster name. */
    kafkaClusterName: platform.kafkaClusterName,
    /** SASL/SCRAM bootstrap brokers, `host:9096,…`. */
    bootstrapBrokersSaslScram: platform.bootstrapBrokersSaslScram,
    /** KMS key ARN facility stacks encrypt their `AmazonMSK_` SCRAM secrets with. */
    scramSecretKmsKeyArn: platform.scramSecretKmsKeyArn,
    /** SCRAM user of the platform admin, for facility stacks' Kafka provider. */
    kafkaAdminUsername: platform.kafkaAdminUsername,
    /** SCRAM password of the platform admin (secret). */
    kafkaAdminPassword: pulumi.secret(platform.kafkaAdminPassword),
    /** Kind of VPN hub: `transit-gateway`. */
    vpnHubType: platform.vpnHubType,
    /** Transit gateway id facility VPN connections attach to. */
    vpnHubId: platform.vpnHubId,
    /** Transit gateway route table for the facility LAN routes. */
    vpnHubRouteTableId: platform.vpnHubRouteTableId,
    /** Topic names: shared data topics by table, heartbeat, DLQ, and the data-topic prefix. */
    topics: platform.topics,
    /** Warehouse host name. */
    warehouseAddress: platform.warehouseAddress,
    /** Warehouse database name. */
    warehouseDatabase: platform.warehouseDatabase,
    /** Reporting login (inherits the read-only role). */
    warehouseReportingRole: platform.warehouseReportingRole,
    /** Password of the reporting login (secret). */
    warehouseReportingPassword: pulumi.secret(platform.warehouseReportingPassword),
    /** ECS cluster of the sink runtime. */
    sinkClusterName: platform.sinkClusterName,
    /** ECS service of the sink runtime. */
    sinkServiceName: platform.sinkServiceName,
    /** SNS topic of the platform's alarms. */
    alarmTopicArn: platform.alarmTopicArn,
    /** Platform image registry repositories by key. */
    registryUrls: platform.registryUrls,
    /** Partition capacity of the cluster for the configured tables. */
    kafkaCapacity: platform.kafkaCapacity,
  };
}

function localStack(loaded: LoadedLocalPlatform) {
  const local = localPlatformProgram(loaded);
  return {
    /** Always `local`: this stack holds objects on the loopback data plane only. */
    target: local.target,
    /** Environment name (`local`). */
    environment: local.environment,
    /** Loopback client listeners the objects were made on. */
    kafkaBootstrapServers: local.kafkaBootstrapServers,
    /** The broker's super user the Kafka provider logged in as. */
    kafkaAdminUsername: local.kafkaAdminUsername,
    /** Replication factor of every topic (1 or 3). */
    kafkaReplicationFactor: local.kafkaReplicationFactor,
    /** Topic names: shared data topics by table, heartbeat, DLQ, and the data-topic prefix. */
    topics: local.topics,
    /** Every topic the stack created, sorted. */
    kafkaTopicNames: local.kafkaTopicNames,
    /** ACLs the stack created (the matrix of `platform:local.facilities`). */
    kafkaAclCount: local.kafkaAclCount,
    /** Warehouse database name. */
    warehouseDatabase: local.warehouseDatabase,
    /** Login of the JDBC sink. */
    sinkRole: local.sinkRole,
    /** Password of the sink login (secret). */
    sinkPassword: pulumi.secret(local.sinkPassword),
    /** Reporting login (inherits the read-only role). */
    reportingRole: local.reportingRole,
    /** Password of the reporting login (secret). */
    reportingPassword: pulumi.secret(local.reportingPassword),
  };
}

const loaded = loadPlatform();

// The stack outputs are this module's exports: one target's, never a mix with empty keys.
export = loaded.target === "local" ? localStack(loaded) : awsStack(loaded);
