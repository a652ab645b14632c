import * as kafka from "@pulumi/kafka";
import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";
import type { LoadedLocalPlatform } from "../config/pulumi";
import { aclMatrix } from "../connect/acl";
import { ADMIN_PRINCIPAL, DATA_TOPIC_PREFIX, DLQ_TOPIC, HEARTBEAT_TOPIC, dataTopic } from "../connect/names";
import { topicSpecs } from "../connect/topics";
import { KafkaObjects } from "./kafka-objects";
import { WarehouseObjects } from "./warehouse-objects";

/** What the `local` platform stack exports (each documented where index.ts exports it). */
export interface LocalPlatformOutputs {
  target: "local";
  environment: string;
  kafkaBootstrapServers: string[];
  kafkaAdminUsername: string;
  kafkaReplicationFactor: number;
  topics: { dataTopicPrefix: string; data: Record<string, string>; heartbeat: string; dlq: string };
  kafkaTopicNames: string[];
  kafkaAclCount: number;
  warehouseDatabase: pulumi.Output<string>;
  sinkRole: string;
  sinkPassword: pulumi.Output<string>;
  reportingRole: string;
  reportingPassword: pulumi.Output<string>;
}

/**
 * The `local` platform stack: the platform's topics, ACL matrix and warehouse objects, made by the same
 * components as on AWS, on the loopback data plane of infra/local (whose processes someone else runs).
 * No AWS resource: the brokers, the database server and the SCRAM users belong to the harness.
 */
export function localPlatformProgram(loaded: LoadedLocalPlatform): LocalPlatformOutputs {
  const { config, caCert } = loaded;
  const local = config.local;
  const prefix = `clinicmaster-${config.environment}`;
  const rf = local.kafka.replicationFactor;

  const kafkaProvider = new kafka.Provider(`${prefix}-kafka-admin`, {
    bootstrapServers: local.kafka.bootstrapServers,
    saslMechanism: "scram-sha512",
    // The loopback broker's super user: it needs no ACL of its own to create the others.
    saslUsername: ADMIN_PRINCIPAL,
    saslPassword: pulumi.secret(loaded.kafkaAdminPassword),
    tlsEnabled: true,
    skipTlsVerify: false,
    caCert,
    timeout: 60,
  });
  const acls = aclMatrix(local.facilities);
  const kafkaObjects = new KafkaObjects(`${prefix}-kafka-objects`, {
    provider: kafkaProvider,
    topics: topicSpecs(config, { replicationFactor: rf, minInsyncReplicas: rf === 1 ? 1 : 2 }),
    minReplicationFactor: rf,
    acls,
    protectDataTopics: false,
  });

  const pgProvider = new postgresql.Provider(`${prefix}-warehouse-admin`, {
    host: local.warehouse.host,
    port: local.warehouse.port,
    username: local.warehouse.username,
    password: pulumi.secret(loaded.warehousePassword),
    database: local.warehouse.database,
    sslmode: local.warehouse.sslmode,
    superuser: true,
    connectTimeout: 15,
  });
  const objects = new WarehouseObjects(`${prefix}-warehouse-objects`, {
    provider: pgProvider,
    databaseName: config.warehouse.databaseName,
  });

  return {
    target: "local",
    environment: config.environment,
    kafkaBootstrapServers: local.kafka.bootstrapServers,
    kafkaAdminUsername: ADMIN_PRINCIPAL,
    kafkaReplicationFactor: rf,
    topics: {
      dataTopicPrefix: DATA_TOPIC_PREFIX,
      data: Object.fromEntries(config.tables.map((t) => [t.name, dataTopic(t.name)])),
      heartbeat: HEARTBEAT_TOPIC,
      dlq: DLQ_TOPIC,
    },
    kafkaTopicNames: Object.values(kafkaObjects.topicNames).sort(),
    kafkaAclCount: acls.reduce((n, g) => n + g.acls.length, 0),
    warehouseDatabase: objects.databaseName,
    sinkRole: objects.sinkRole,
    sinkPassword: objects.sinkPassword,
    reportingRole: objects.reportingRole,
    reportingPassword: objects.reportingPassword,
  };
}
