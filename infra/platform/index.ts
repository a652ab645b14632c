/**
 * The platform program (`Pulumi.yaml` main): central resources of one environment. Facility stacks
 * read these outputs through a StackReference; secrets are exported as Pulumi secrets.
 */
import * as pulumi from "@pulumi/pulumi";
import { loadPlatformConfig } from "../config/pulumi";
import { platformProgram } from "./program";

const config = loadPlatformConfig();
const platform = platformProgram(config, { kafkaAclBootstrap: config.kafka.aclBootstrap });

/** Environment name (dev, staging, prod); part of SCRAM secret names. */
export const environment = platform.environment;
/** AWS region. */
export const region = platform.region;
/** VPC id. */
export const vpcId = platform.vpcId;
/** VPC range (facility LANs must not overlap it). */
export const vpcCidr = platform.vpcCidr;
/** Private subnet ids, one per AZ. */
export const privateSubnetIds = platform.privateSubnetIds;
/** Private route tables; facility stacks add a route for their LAN to the VPN hub in each. */
export const privateRouteTableIds = platform.privateRouteTableIds;
/** Security group of the brokers; facility stacks add a 9096 rule for their LAN. */
export const brokerSecurityGroupId = platform.brokerSecurityGroupId;
/** Security group the `pulumi up` runner uses inside the VPC (reaches Kafka and PostgreSQL). */
export const operatorSecurityGroupId = platform.operatorSecurityGroupId;
/** MSK cluster ARN (facility SCRAM secret associations). */
export const kafkaClusterArn = platform.kafkaClusterArn;
/** MSK cluster name. */
export const kafkaClusterName = platform.kafkaClusterName;
/** SASL/SCRAM bootstrap brokers, `host:9096,…`. */
export const bootstrapBrokersSaslScram = platform.bootstrapBrokersSaslScram;
/** KMS key ARN facility stacks encrypt their `AmazonMSK_` SCRAM secrets with. */
export const scramSecretKmsKeyArn = platform.scramSecretKmsKeyArn;
/** SCRAM user of the platform admin, for facility stacks' Kafka provider. */
export const kafkaAdminUsername = platform.kafkaAdminUsername;
/** SCRAM password of the platform admin (secret). */
export const kafkaAdminPassword = pulumi.secret(platform.kafkaAdminPassword);
/** Kind of VPN hub: `transit-gateway`. */
export const vpnHubType = platform.vpnHubType;
/** Transit gateway id facility VPN connections attach to. */
export const vpnHubId = platform.vpnHubId;
/** Transit gateway route table for the facility LAN routes. */
export const vpnHubRouteTableId = platform.vpnHubRouteTableId;
/** Topic names: shared data topics by table, heartbeat, DLQ, and the data-topic prefix. */
export const topics = platform.topics;
/** Warehouse host name. */
export const warehouseAddress = platform.warehouseAddress;
/** Warehouse database name. */
export const warehouseDatabase = platform.warehouseDatabase;
/** Reporting login (inherits the read-only role). */
export const warehouseReportingRole = platform.warehouseReportingRole;
/** Password of the reporting login (secret). */
export const warehouseReportingPassword = pulumi.secret(platform.warehouseReportingPassword);
/** ECS cluster of the sink runtime. */
export const sinkClusterName = platform.sinkClusterName;
/** ECS service of the sink runtime. */
export const sinkServiceName = platform.sinkServiceName;
/** SNS topic of the platform's alarms. */
export const alarmTopicArn = platform.alarmTopicArn;
/** Platform image registry repositories by key. */
export const registryUrls = platform.registryUrls;
/** Partition capacity of the cluster for the configured tables. */
export const kafkaCapacity = platform.kafkaCapacity;
