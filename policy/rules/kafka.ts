import { facilityAcls, isFacilityPrincipal } from "../../infra/connect/acl";
import { DATA_TOPIC_PREFIX, DLQ_TOPIC, facilityPrincipal } from "../../infra/connect/names";
import { ResourceInput, ResourceRule, T, cfgNumber, isUnknown, num, q, str } from "./model";

/** Replicated, acknowledged topics. */
export const topicDurability: ResourceRule = {
  kind: "resource",
  name: "kafka-topic-durability",
  description:
    "Every topic must have replication factor >= 3 and min.insync.replicas >= 2 (and below the replication factor), so an acknowledged change survives a broker loss and writes continue during one.",
  remediation:
    'Set replicationFactor: 3 and config["min.insync.replicas"]: "2" on the kafka.Topic (thresholds in the policy config).',
  defaultLevel: "mandatory",
  severity: "high",
  defaults: { minReplicationFactor: 3, minInsyncReplicas: 2 },
  types: [T.kafkaTopic],
  check(r, config) {
    const minRf = cfgNumber(config, "minReplicationFactor");
    const minIsr = cfgNumber(config, "minInsyncReplicas");
    const topic = str(r.props.name) ?? r.name;
    const out: string[] = [];
    const rf = num(r.props.replicationFactor);
    if (rf !== undefined && rf < minRf) {
      out.push(`Topic ${q(topic)} has replicationFactor ${rf}; at least ${minRf} is required.`);
    }
    const cfg = r.props.config;
    // Topic config keys contain dots, so they are read directly rather than by path.
    const isrRaw =
      typeof cfg === "object" && cfg !== null
        ? (cfg as Record<string, unknown>)["min.insync.replicas"]
        : undefined;
    if (isUnknown(cfg) || isUnknown(isrRaw)) return out;
    const isr = num(isrRaw);
    if (isr === undefined || isr < minIsr) {
      out.push(
        `Topic ${q(topic)} has min.insync.replicas ${isr ?? "unset"}; set config["min.insync.replicas"] to at least ${minIsr}.`,
      );
    } else if (rf !== undefined && isr >= rf) {
      out.push(
        `Topic ${q(topic)} has min.insync.replicas ${isr} with replicationFactor ${rf}; it must be below the replication factor or one broker loss stops writes.`,
      );
    }
    return out;
  },
};

/** An ACL as plain strings. */
interface AclView {
  principal: string;
  resourceType: string;
  resourceName: string;
  patternType: string;
  operation: string;
  permission: string;
}

function aclOf(r: ResourceInput): AclView | undefined {
  const p = r.props;
  const fields = [p.aclPrincipal, p.aclResourceType, p.aclResourceName, p.aclOperation, p.aclPermissionType];
  if (fields.some((f) => typeof f !== "string")) return undefined;
  return {
    principal: String(p.aclPrincipal),
    resourceType: String(p.aclResourceType).toLowerCase(),
    resourceName: String(p.aclResourceName),
    patternType: (str(p.resourcePatternTypeFilter) ?? "Literal").toLowerCase(),
    operation: String(p.aclOperation).toLowerCase(),
    permission: String(p.aclPermissionType).toLowerCase(),
  };
}

/** Does the ACL's resource pattern match any topic named `name` or starting with it (when `prefix`)? */
export function patternCovers(
  acl: { resourceName: string; patternType: string },
  name: string,
  prefix: boolean,
): boolean {
  const n = acl.resourceName;
  if (acl.patternType === "literal") return n === "*" || n === name || (prefix && n.startsWith(name));
  if (acl.patternType === "prefixed") return name.startsWith(n) || (prefix && n.startsWith(name));
  // MATCH/ANY are filters, not patterns; treat them as covering everything.
  return true;
}

/** Facilities never read patient data. */
export const facilityNoRead: ResourceRule = {
  kind: "resource",
  name: "kafka-facility-no-read",
  description:
    "No facility principal may hold READ (or ALL) on the shared data topics or the DLQ, because those hold every other facility's patient records.",
  remediation:
    "Grant facilities only the ACLs of facilityAcls() in infra/connect/acl.ts (WRITE/DESCRIBE/CREATE); remove the READ ACL.",
  defaultLevel: "mandatory",
  severity: "critical",
  defaults: {},
  types: [T.kafkaAcl],
  check(r) {
    const acl = aclOf(r);
    if (!acl || !isFacilityPrincipal(acl.principal) || acl.permission !== "allow") return [];
    if (acl.operation !== "read" && acl.operation !== "all") return [];
    if (acl.resourceType !== "topic" && acl.resourceType !== "any") return [];
    const hits: string[] = [];
    if (patternCovers(acl, DATA_TOPIC_PREFIX, true)) hits.push("the shared data topics");
    if (patternCovers(acl, DLQ_TOPIC, false)) hits.push(`the DLQ ${q(DLQ_TOPIC)}`);
    return hits.length === 0
      ? []
      : [
          `ACL ${q(r.name)} gives facility principal ${q(acl.principal)} ${acl.operation.toUpperCase()} on ${hits.join(" and ")}; facilities may only write.`,
        ];
  },
};

/** No ACL for everyone or everything. */
export const noWildcardAcl: ResourceRule = {
  kind: "resource",
  name: "kafka-no-wildcard-acl",
  description:
    "No ACL may name the wildcard principal `User:*` or the wildcard resource `*` (or an empty prefix), because one such ACL opens every topic or every user.",
  remediation: "Name the principal and the resource (literal, or a prefix from infra/connect/names.ts).",
  defaultLevel: "mandatory",
  severity: "critical",
  defaults: {},
  types: [T.kafkaAcl],
  check(r) {
    const acl = aclOf(r);
    if (!acl) return [];
    const out: string[] = [];
    if (acl.principal === "User:*" || acl.principal === "*") {
      out.push(`ACL ${q(r.name)} applies to every principal (${q(acl.principal)}); name one principal.`);
    }
    const wildcardName =
      (acl.patternType === "literal" && acl.resourceName === "*") ||
      (acl.patternType === "prefixed" && acl.resourceName === "") ||
      acl.patternType === "match" ||
      acl.patternType === "any";
    if (wildcardName) {
      out.push(
        `ACL ${q(r.name)} applies to every ${acl.resourceType} (${acl.patternType} ${q(acl.resourceName)}); name the resource or a prefix.`,
      );
    }
    return out;
  },
};

/** Facility ACLs are exactly the matrix's. */
export const facilityAclsFromMatrix: ResourceRule = {
  kind: "resource",
  name: "kafka-facility-acls-from-matrix",
  description:
    "Every ALLOW ACL of a facility principal must be one of that facility's entries in the ACL matrix (infra/connect/acl.ts), so no hand-written grant widens a facility's access.",
  remediation:
    "Create facility ACLs only from facilityAcls(code); change the matrix (and its tests) to change access.",
  defaultLevel: "mandatory",
  severity: "high",
  defaults: {},
  types: [T.kafkaAcl],
  check(r) {
    const acl = aclOf(r);
    if (!acl || !isFacilityPrincipal(acl.principal) || acl.permission !== "allow") return [];
    const code = acl.principal.slice(`User:${facilityPrincipal("")}`.length);
    const allowed = facilityAcls(code).some(
      (e) =>
        e.principal === acl.principal &&
        e.resourceType.toLowerCase() === acl.resourceType &&
        e.resourceName === acl.resourceName &&
        e.patternType.toLowerCase() === acl.patternType &&
        e.operation.toLowerCase() === acl.operation,
    );
    return allowed
      ? []
      : [
          `ACL ${q(r.name)} (${acl.operation.toUpperCase()} on ${acl.resourceType} ${acl.patternType} ${q(acl.resourceName)} for ${q(acl.principal)}) is not in the facility ACL matrix.`,
        ];
  },
};
