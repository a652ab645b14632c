import * as kafka from "@pulumi/kafka";
import * as pulumi from "@pulumi/pulumi";
import { type AclEntry, type PrincipalRole, aclKey } from "../connect/acl";
import { DATA_TOPIC_PREFIX } from "../connect/names";
import type { TopicSpec } from "../connect/topics";

/** One principal's ACLs, as `aclMatrix` returns them. */
export interface PrincipalAcls {
  role: PrincipalRole;
  principal: string;
  acls: AclEntry[];
}

/**
 * Short, stable key of a topic for resource names: `data-<table>` for shared data topics, the role
 * for the heartbeat topic and the DLQ, the name for the sink's internal topics. Pure.
 */
export function topicKey(t: TopicSpec): string {
  if (t.role === "data") return `data-${t.name.slice(DATA_TOPIC_PREFIX.length).toLowerCase()}`;
  if (t.role === "heartbeat" || t.role === "dlq") return t.role;
  return t.name.replace(/[^A-Za-z0-9-]+/g, "-").toLowerCase();
}

/** Arguments of {@link KafkaObjects}. */
export interface KafkaObjectsArgs {
  /** Kafka provider logged in as the admin principal (MSK over SASL/SCRAM, or a loopback broker). */
  provider: kafka.Provider;
  /** Topics to create (from `topicSpecs`). */
  topics: TopicSpec[];
  /** Smallest replication factor accepted. @default 3 (a single-broker loopback cluster passes 1) */
  minReplicationFactor?: number;
  /** ACLs by principal (from `aclMatrix`); admin entries are created before everything else. */
  acls: PrincipalAcls[];
  /** ACLs the brokers need for replication, created before any other (MSK: `mskBrokerAcls()`). @default none */
  brokerAcls?: AclEntry[];
  /**
   * Protect data topics: a change that would replace one (fewer partitions, another replication
   * factor) or delete it stops the engine instead of dropping the replayable copy of facility state.
   * @default false (a throwaway loopback stack must be able to `pulumi destroy`)
   */
  protectDataTopics?: boolean;
}

/**
 * Topics and ACLs on a Kafka cluster, through an explicit provider, so the same component runs
 * against MSK and against the loopback broker of the local stack.
 *
 * Order: the brokers' own ACLs first (the first ACL on the cluster resource would otherwise cut
 * replication), then the admin principal's ACLs, then topics and every other ACL depending on them.
 * With `allow.everyone.if.no.acl.found=false` the admin can do nothing its ACLs do not allow, so
 * nothing else may be attempted before they exist.
 */
export class KafkaObjects extends pulumi.ComponentResource {
  /** Topic names by topic key (`data-visits`, `heartbeat`, `dlq`, …). */
  readonly topicNames: Record<string, string>;
  /** The created topics by key. */
  readonly topics: Record<string, kafka.Topic>;
  /** The created ACLs by `aclKey`. */
  readonly acls: Record<string, kafka.Acl>;

  constructor(name: string, args: KafkaObjectsArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("clinicmaster:platform:KafkaObjects", name, {}, opts);
    const minRf = args.minReplicationFactor ?? 3;
    const keys = new Set<string>();
    for (const t of args.topics) {
      const key = topicKey(t);
      if (keys.has(key))
        throw new Error(
          `kafka objects ${name}: topic ${t.name} appears twice (key ${key}); list each topic once`,
        );
      keys.add(key);
      if (t.replicationFactor < minRf) {
        throw new Error(
          `kafka objects ${name}: topic ${t.name} has replication factor ${t.replicationFactor}; it needs at least ${minRf} (one replica per AZ)`,
        );
      }
    }
    const aclKeys = new Set<string>();
    for (const a of [...(args.brokerAcls ?? []), ...args.acls.flatMap((g) => g.acls)]) {
      if (aclKeys.has(aclKey(a)))
        throw new Error(`kafka objects ${name}: ACL ${aclKey(a)} appears twice; list each ACL once`);
      aclKeys.add(aclKey(a));
    }
    const p = { parent: this, provider: args.provider };
    const acl = (a: AclEntry, dependsOn: pulumi.Resource[]) =>
      new kafka.Acl(
        `${name}-${aclKey(a)}`,
        {
          aclPrincipal: a.principal,
          aclHost: a.host,
          aclOperation: a.operation,
          aclPermissionType: a.permission,
          aclResourceType: a.resourceType,
          aclResourceName: a.resourceName,
          resourcePatternTypeFilter: a.patternType,
        },
        { ...p, dependsOn },
      );
    this.acls = {};
    const brokerAcls: kafka.Acl[] = [];
    for (const a of args.brokerAcls ?? []) {
      const r = acl(a, []);
      this.acls[aclKey(a)] = r;
      brokerAcls.push(r);
    }
    const adminAcls: kafka.Acl[] = [];
    for (const group of args.acls.filter((g) => g.role === "admin")) {
      for (const a of group.acls) {
        const r = acl(a, brokerAcls);
        this.acls[aclKey(a)] = r;
        adminAcls.push(r);
      }
    }
    this.topics = {};
    this.topicNames = {};
    for (const t of args.topics) {
      const key = topicKey(t);
      this.topics[key] = new kafka.Topic(
        `${name}-${key}`,
        {
          name: t.name,
          partitions: t.partitions,
          replicationFactor: t.replicationFactor,
          config: { ...t.config },
        },
        {
          ...p,
          dependsOn: adminAcls,
          ...(args.protectDataTopics && t.role === "data" ? { protect: true, retainOnDelete: true } : {}),
        },
      );
      this.topicNames[key] = t.name;
    }
    for (const group of args.acls.filter((g) => g.role !== "admin")) {
      for (const a of group.acls) this.acls[aclKey(a)] = acl(a, adminAcls);
    }
    this.registerOutputs({ topicNames: this.topicNames });
  }
}
