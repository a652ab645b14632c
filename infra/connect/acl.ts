import {
  ADMIN_PRINCIPAL,
  DATA_TOPIC_PREFIX,
  DLQ_TOPIC,
  HEARTBEAT_TOPIC,
  SINK_CONNECTOR,
  SINK_GROUP,
  SINK_INTERNAL_PREFIX,
  SINK_PRINCIPAL,
  NAME_ROOT,
  facilityPrincipal,
} from "./names";

/**
 * The Kafka ACL matrix (DESIGN §7) as data. The platform program, the facility program, the policy
 * pack and the real-Kafka tests all consume it; nothing else decides who may do what.
 *
 * Facilities may only produce: WRITE/DESCRIBE on the shared data topics and the heartbeat topic, and
 * CREATE on the data-topic prefix so that a table created at a facility after start-up gets its
 * shared topic (the cluster has `auto.create.topics.enable=false`; Kafka Connect creates the topic
 * with RF 3 through `topic.creation.*`). Never READ: a facility must not read other facilities'
 * patient data.
 */

/** Kafka resource types used by our ACLs (names as in Kafka's `ResourceType`). */
export type AclResourceType = "Topic" | "Group" | "Cluster" | "TransactionalId";
/** Kafka ACL operations (names as in Kafka's `AclOperation`). */
export type AclOperation =
  | "Read"
  | "Write"
  | "Create"
  | "Delete"
  | "Alter"
  | "Describe"
  | "DescribeConfigs"
  | "AlterConfigs"
  | "IdempotentWrite"
  | "All";

/** One ALLOW ACL. Deny-by-default is the authorizer's setting, so the matrix holds only allows. */
export interface AclEntry {
  /** Principal in Kafka's form, `User:<name>`. */
  principal: string;
  resourceType: AclResourceType;
  /** Resource name; `kafka-cluster` for the cluster resource. */
  resourceName: string;
  patternType: "Literal" | "Prefixed";
  operation: AclOperation;
  permission: "Allow";
  /** Host restriction; `*` because clients arrive through NAT and tunnels. */
  host: "*";
}

/** Who a principal is. */
export type PrincipalRole = "facility" | "sink" | "admin";

const entry = (
  principal: string,
  resourceType: AclResourceType,
  resourceName: string,
  patternType: "Literal" | "Prefixed",
  operation: AclOperation,
): AclEntry => ({
  principal: `User:${principal}`,
  resourceType,
  resourceName,
  patternType,
  operation,
  permission: "Allow",
  host: "*",
});

/** ACLs of one facility principal. */
export function facilityAcls(code: string): AclEntry[] {
  const p = facilityPrincipal(code);
  return [
    entry(p, "Topic", DATA_TOPIC_PREFIX, "Prefixed", "Write"),
    entry(p, "Topic", DATA_TOPIC_PREFIX, "Prefixed", "Describe"),
    entry(p, "Topic", DATA_TOPIC_PREFIX, "Prefixed", "Create"),
    entry(p, "Topic", HEARTBEAT_TOPIC, "Literal", "Write"),
    entry(p, "Topic", HEARTBEAT_TOPIC, "Literal", "Describe"),
  ];
}

/** ACLs of the central sink principal: read the shared topics, write the DLQ, run its Connect cluster. */
export function sinkAcls(): AclEntry[] {
  const p = SINK_PRINCIPAL;
  return [
    entry(p, "Topic", DATA_TOPIC_PREFIX, "Prefixed", "Read"),
    entry(p, "Topic", DATA_TOPIC_PREFIX, "Prefixed", "Describe"),
    entry(p, "Topic", HEARTBEAT_TOPIC, "Literal", "Read"),
    entry(p, "Topic", HEARTBEAT_TOPIC, "Literal", "Describe"),
    entry(p, "Topic", DLQ_TOPIC, "Literal", "Write"),
    entry(p, "Topic", DLQ_TOPIC, "Literal", "Describe"),
    entry(p, "Topic", SINK_INTERNAL_PREFIX, "Prefixed", "Read"),
    entry(p, "Topic", SINK_INTERNAL_PREFIX, "Prefixed", "Write"),
    entry(p, "Topic", SINK_INTERNAL_PREFIX, "Prefixed", "Describe"),
    entry(p, "Topic", SINK_INTERNAL_PREFIX, "Prefixed", "DescribeConfigs"),
    entry(p, "Topic", SINK_INTERNAL_PREFIX, "Prefixed", "Create"),
    entry(p, "Group", SINK_GROUP, "Literal", "Read"),
    entry(p, "Group", `connect-${SINK_CONNECTOR}`, "Literal", "Read"),
    entry(p, "Cluster", "kafka-cluster", "Literal", "Describe"),
  ];
}

/**
 * ACLs of the platform admin (Pulumi's Kafka provider, operators): everything on our own names, no
 * wildcard. Cluster-level ALL lets it manage ACLs and topics.
 */
export function adminAcls(): AclEntry[] {
  return [
    entry(ADMIN_PRINCIPAL, "Cluster", "kafka-cluster", "Literal", "All"),
    entry(ADMIN_PRINCIPAL, "Topic", NAME_ROOT, "Prefixed", "All"),
    entry(ADMIN_PRINCIPAL, "Topic", DLQ_TOPIC, "Literal", "All"),
    entry(ADMIN_PRINCIPAL, "Group", NAME_ROOT, "Prefixed", "All"),
    entry(ADMIN_PRINCIPAL, "Group", `connect-${NAME_ROOT}`, "Prefixed", "All"),
  ];
}

/** The whole matrix for a set of facility codes: admin first (ordering matters on MSK, see README). */
export function aclMatrix(
  facilityCodes: readonly string[],
): { role: PrincipalRole; principal: string; acls: AclEntry[] }[] {
  return [
    { role: "admin", principal: `User:${ADMIN_PRINCIPAL}`, acls: adminAcls() },
    { role: "sink", principal: `User:${SINK_PRINCIPAL}`, acls: sinkAcls() },
    ...facilityCodes.map((code) => ({
      role: "facility" as const,
      principal: `User:${facilityPrincipal(code)}`,
      acls: facilityAcls(code),
    })),
  ];
}

/** Stable resource-name suffix for one ACL (for Pulumi resource names). */
export function aclKey(a: AclEntry): string {
  const name =
    a.resourceName === "*" ? "any" : a.resourceName.replace(/[^A-Za-z0-9-]+/g, "-").replace(/-+$/, "");
  return `${a.principal.slice(5)}-${a.resourceType}-${name}-${a.patternType}-${a.operation}`.toLowerCase();
}

/** True when the principal name belongs to a facility (`User:facility-<code>`). */
export function isFacilityPrincipal(principal: string): boolean {
  return /^User:facility-[A-Za-z0-9_-]+$/.test(principal);
}
