import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  ResourcePatternTypes,
  type AclEntry as KafkajsAcl,
  type Admin,
} from "kafkajs";
import type { AclEntry, AclOperation, AclResourceType } from "../connect/acl";
import type { KafkaCluster, ScramUser } from "./kafka";

/**
 * Topics, SCRAM users and ACLs on the loopback cluster, driven by the ACL matrix of
 * `infra/connect/acl.ts` — the same data the platform and facility programs turn into MSK resources.
 */

const RESOURCE: Record<AclResourceType, AclResourceTypes> = {
  Topic: AclResourceTypes.TOPIC,
  Group: AclResourceTypes.GROUP,
  Cluster: AclResourceTypes.CLUSTER,
  TransactionalId: AclResourceTypes.TRANSACTIONAL_ID,
};

const OPERATION: Record<AclOperation, AclOperationTypes> = {
  Read: AclOperationTypes.READ,
  Write: AclOperationTypes.WRITE,
  Create: AclOperationTypes.CREATE,
  Delete: AclOperationTypes.DELETE,
  Alter: AclOperationTypes.ALTER,
  Describe: AclOperationTypes.DESCRIBE,
  DescribeConfigs: AclOperationTypes.DESCRIBE_CONFIGS,
  AlterConfigs: AclOperationTypes.ALTER_CONFIGS,
  IdempotentWrite: AclOperationTypes.IDEMPOTENT_WRITE,
  All: AclOperationTypes.ALL,
};

/** One matrix entry in kafkajs's form. */
export function toKafkajsAcl(a: AclEntry): KafkajsAcl {
  return {
    resourceType: RESOURCE[a.resourceType],
    resourceName: a.resourceName,
    resourcePatternType:
      a.patternType === "Prefixed" ? ResourcePatternTypes.PREFIXED : ResourcePatternTypes.LITERAL,
    principal: a.principal,
    host: a.host,
    operation: OPERATION[a.operation],
    permissionType: AclPermissionTypes.ALLOW,
  };
}

/** Runs `fn` with a connected admin client logged in as the cluster's super user. */
export async function withAdmin<T>(cluster: KafkaCluster, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = cluster.kafkajs(cluster.admin, "harness-admin").admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Creates the ACLs (idempotent: Kafka ignores an ACL that already exists). */
export async function applyAcls(cluster: KafkaCluster, acls: readonly AclEntry[]): Promise<void> {
  if (acls.length === 0) return;
  await withAdmin(cluster, (admin) => admin.createAcls({ acl: acls.map(toKafkajsAcl) }));
}

/** Every ALLOW ACL on the cluster, back in the matrix's form (for assertions). */
export async function listAcls(cluster: KafkaCluster): Promise<AclEntry[]> {
  const res = await withAdmin(cluster, (admin) =>
    admin.describeAcls({
      resourceType: AclResourceTypes.ANY,
      resourcePatternType: ResourcePatternTypes.ANY,
      operation: AclOperationTypes.ANY,
      permissionType: AclPermissionTypes.ANY,
    }),
  );
  const resourceName = Object.fromEntries(Object.entries(RESOURCE).map(([k, v]) => [v, k])) as Record<
    number,
    AclResourceType
  >;
  const opName = Object.fromEntries(Object.entries(OPERATION).map(([k, v]) => [v, k])) as Record<
    number,
    AclOperation
  >;
  return res.resources.flatMap((r) =>
    r.acls
      .filter((a) => a.permissionType === AclPermissionTypes.ALLOW)
      .map((a) => ({
        principal: a.principal,
        resourceType: resourceName[r.resourceType],
        resourceName: r.resourceName,
        patternType:
          r.resourcePatternType === ResourcePatternTypes.PREFIXED
            ? ("Prefixed" as const)
            : ("Literal" as const),
        operation: opName[a.operation],
        permission: "Allow" as const,
        host: "*" as const,
      })),
  );
}

/** A topic to create (`infra/connect/topics.ts` TopicSpec fits). */
export interface NewTopic {
  name: string;
  /** @default 1 */
  partitions?: number;
  /** @default the cluster's replication factor */
  replicationFactor?: number;
  /** Topic configs, e.g. `{ "cleanup.policy": "compact" }`. */
  config?: Record<string, string>;
}

/** Creates topics that do not exist yet (as the admin) and waits for their leaders. */
export async function createTopics(cluster: KafkaCluster, topics: readonly NewTopic[]): Promise<void> {
  await withAdmin(cluster, async (admin) => {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.name));
    if (missing.length === 0) return;
    await admin.createTopics({
      waitForLeaders: true,
      timeout: 30_000,
      topics: missing.map((t) => ({
        topic: t.name,
        numPartitions: t.partitions ?? 1,
        replicationFactor: t.replicationFactor ?? cluster.replicationFactor,
        configEntries: Object.entries(t.config ?? {}).map(([name, value]) => ({ name, value })),
      })),
    });
  });
}

/** Creates or updates SCRAM users (one short JVM each). */
export async function upsertScramUsers(cluster: KafkaCluster, users: readonly ScramUser[]): Promise<void> {
  for (const user of users) await cluster.upsertScramUser(user);
}
