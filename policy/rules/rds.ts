import {
  ResourceInput,
  ResourceRule,
  StackRule,
  T,
  at,
  cfgNumber,
  isSet,
  isUnknown,
  list,
  num,
  q,
  str,
} from "./model";

const isPostgres = (r: ResourceInput) => {
  const engine = str(r.props.engine);
  return engine === undefined || engine.startsWith("postgres");
};

/** Storage encrypted with our key. */
export const rdsEncryptedCmk: ResourceRule = {
  kind: "resource",
  name: "rds-encrypted-cmk",
  description:
    "The warehouse database must encrypt storage with a customer-managed KMS key, because it holds every facility's patient records.",
  remediation: "Set storageEncrypted: true and kmsKeyId to the platform KMS key ARN.",
  defaultLevel: "mandatory",
  severity: "critical",
  defaults: {},
  types: [T.rdsInstance],
  check(r) {
    const out: string[] = [];
    if (r.props.storageEncrypted !== true && !isUnknown(r.props.storageEncrypted)) {
      out.push(`RDS instance ${q(r.name)} is not encrypted at rest; set storageEncrypted: true.`);
    }
    if (!isSet(r.props.kmsKeyId) || /alias\/aws\/rds/.test(String(r.props.kmsKeyId))) {
      out.push(
        `RDS instance ${q(r.name)} has no customer-managed kmsKeyId; set it to the platform KMS key ARN.`,
      );
    }
    return out;
  },
};

/** Not reachable from the internet. */
export const rdsNotPublic: ResourceRule = {
  kind: "resource",
  name: "rds-not-public",
  description:
    "The warehouse database must not be publicly accessible; only the sink and named admin ranges reach it.",
  remediation: "Set publiclyAccessible: false (or leave it unset) and place the instance in private subnets.",
  defaultLevel: "mandatory",
  severity: "critical",
  defaults: {},
  types: [T.rdsInstance],
  check(r) {
    return r.props.publiclyAccessible === true
      ? [`RDS instance ${q(r.name)} is publicly accessible; set publiclyAccessible: false.`]
      : [];
  },
};

/** Survives an AZ loss. */
export const rdsMultiAz: ResourceRule = {
  kind: "resource",
  name: "rds-multi-az",
  description:
    "The warehouse database must be Multi-AZ so an AZ failure does not stop replication from every facility.",
  remediation: "Set multiAz: true.",
  defaultLevel: "mandatory",
  severity: "high",
  defaults: {},
  types: [T.rdsInstance],
  check(r) {
    return r.props.multiAz === true || isUnknown(r.props.multiAz)
      ? []
      : [`RDS instance ${q(r.name)} is single-AZ; set multiAz: true.`];
  },
};

/** Point-in-time recovery window. */
export const rdsBackupRetention: ResourceRule = {
  kind: "resource",
  name: "rds-backup-retention",
  description:
    "The warehouse database must keep automated backups for at least the configured number of days, so a bad write can be rolled back.",
  remediation: "Set backupRetentionPeriod to at least minDays (policy config).",
  defaultLevel: "mandatory",
  severity: "high",
  defaults: { minDays: 7 },
  types: [T.rdsInstance],
  check(r, config) {
    const min = cfgNumber(config, "minDays");
    if (isUnknown(r.props.backupRetentionPeriod)) return [];
    const days = num(r.props.backupRetentionPeriod);
    if (days === undefined || days < min) {
      return [
        `RDS instance ${q(r.name)} keeps backups for ${days ?? "an unset number of"} days; at least ${min} are required (backupRetentionPeriod).`,
      ];
    }
    return [];
  },
};

/** Cannot be deleted by accident. */
export const rdsDeletionProtection: ResourceRule = {
  kind: "resource",
  name: "rds-deletion-protection",
  description:
    "The warehouse database must have deletion protection, so neither a person nor a program can delete it by mistake.",
  remediation: "Set deletionProtection: true.",
  defaultLevel: "mandatory",
  severity: "high",
  defaults: {},
  types: [T.rdsInstance],
  check(r) {
    return r.props.deletionProtection === true || isUnknown(r.props.deletionProtection)
      ? []
      : [`RDS instance ${q(r.name)} has no deletion protection; set deletionProtection: true.`];
  },
};

/** A final snapshot on deletion. */
export const rdsFinalSnapshot: ResourceRule = {
  kind: "resource",
  name: "rds-final-snapshot",
  description:
    "Deleting the warehouse database must leave a final snapshot, so its data outlives the instance.",
  remediation: "Leave skipFinalSnapshot unset or false and set finalSnapshotIdentifier.",
  defaultLevel: "mandatory",
  severity: "high",
  defaults: {},
  types: [T.rdsInstance],
  check(r) {
    if (r.props.skipFinalSnapshot === true) {
      return [
        `RDS instance ${q(r.name)} skips its final snapshot; set skipFinalSnapshot: false and a finalSnapshotIdentifier.`,
      ];
    }
    if (!isSet(r.props.finalSnapshotIdentifier)) {
      return [
        `RDS instance ${q(r.name)} has no finalSnapshotIdentifier; without one the deletion cannot take its final snapshot.`,
      ];
    }
    return [];
  },
};

/** Password managed by RDS in Secrets Manager. */
export const rdsManagedMasterPassword: ResourceRule = {
  kind: "resource",
  name: "rds-managed-master-password",
  description:
    "The master password must be generated and rotated by RDS in Secrets Manager, so it never appears in config, state or logs.",
  remediation: "Set manageMasterUserPassword: true (with masterUserSecretKmsKeyId) and remove password.",
  defaultLevel: "mandatory",
  severity: "high",
  defaults: {},
  types: [T.rdsInstance],
  check(r) {
    const out: string[] = [];
    if (r.props.manageMasterUserPassword !== true && !isUnknown(r.props.manageMasterUserPassword)) {
      out.push(
        `RDS instance ${q(r.name)} does not let RDS manage its master password; set manageMasterUserPassword: true.`,
      );
    }
    if (r.props.password !== undefined) {
      out.push(
        `RDS instance ${q(r.name)} sets a master password in the program; remove password and use manageMasterUserPassword.`,
      );
    }
    return out;
  },
};

const parameterValue = (pg: ResourceInput, param: string): unknown => {
  const ps = list(pg.props.parameters);
  if (isUnknown(ps)) return undefined;
  const hit = ps.find((p) => at(p, "name") === param);
  return hit === undefined ? undefined : at(hit, "value");
};

/** Does the instance's parameterGroupName refer to this parameter group? */
function usesGroup(db: ResourceInput, pg: ResourceInput): boolean {
  const wanted = db.props.parameterGroupName;
  const deps = db.propertyDependencies?.parameterGroupName ?? [];
  if (pg.urn !== undefined && deps.includes(pg.urn)) return true;
  const name = str(pg.props.name) ?? str(pg.props.id);
  if (typeof wanted === "string" && name !== undefined) return wanted === name;
  // Autonamed groups (`<resource name>-<suffix>`) whose name is not visible.
  return typeof wanted === "string" && (wanted === pg.name || wanted.startsWith(`${pg.name}-`));
}

/** TLS enforced by the server. */
export const rdsForceSsl: StackRule = {
  kind: "stack",
  name: "rds-force-ssl",
  description:
    "Every PostgreSQL instance must use a parameter group of the stack with rds.force_ssl=1, so no client can connect without TLS (PostgreSQL 15 defaults to 0).",
  remediation:
    'Create an aws.rds.ParameterGroup (family postgres15) with parameter { name: "rds.force_ssl", value: "1" } and set the instance\'s parameterGroupName to it.',
  defaultLevel: "mandatory",
  severity: "critical",
  defaults: {},
  types: [T.rdsInstance, T.rdsParameterGroup],
  check(resources) {
    const out = [];
    const groups = resources.filter((r) => r.type === T.rdsParameterGroup);
    for (const db of resources.filter((r) => r.type === T.rdsInstance && isPostgres(r))) {
      const wanted = db.props.parameterGroupName;
      let group: ResourceInput | undefined;
      if (isUnknown(wanted)) {
        // Name not known yet (preview of a new group): every postgres group of the stack must comply.
        const pgGroups = groups.filter((g) => String(g.props.family ?? "").startsWith("postgres"));
        const bad = pgGroups.find((g) => String(parameterValue(g, "rds.force_ssl")) !== "1");
        if (pgGroups.length > 0 && bad === undefined) continue;
        group = bad;
      } else {
        group = groups.find((g) => usesGroup(db, g));
      }
      if (group === undefined) {
        out.push({
          message: `RDS instance ${q(db.name)} uses parameter group ${typeof wanted === "string" ? q(wanted) : wanted === undefined ? "default" : "(not known yet)"}, which is not a group of this stack with rds.force_ssl=1.`,
          resource: db.urn ?? db.name,
        });
        continue;
      }
      const v = parameterValue(group, "rds.force_ssl");
      if (String(v) !== "1") {
        out.push({
          message: `RDS instance ${q(db.name)}: parameter group ${q(group.name)} has rds.force_ssl=${v === undefined ? "unset" : String(v)}; set it to 1.`,
          resource: db.urn ?? db.name,
        });
      }
    }
    return out;
  },
};
