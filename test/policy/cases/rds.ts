import { goodDatabase, goodParameterGroup, res } from "../fixtures";
import { Case, withPath } from "./types";

const DB = "aws:rds/instance:Instance";
const PG = "aws:rds/parameterGroup:ParameterGroup";
const db = (path?: string, value?: unknown) =>
  res(DB, "warehouse", path === undefined ? goodDatabase() : withPath(goodDatabase(), path, value));
const pg = (path?: string, value?: unknown, name = "warehouse-pg") =>
  res(PG, name, path === undefined ? goodParameterGroup() : withPath(goodParameterGroup(), path, value));

export const rdsCases: Case[] = [
  { rule: "rds-encrypted-cmk", title: "accepts CMK encryption", resources: [db()], expected: [] },
  {
    rule: "rds-encrypted-cmk",
    title: "rejects unencrypted storage without a key",
    resources: [res(DB, "warehouse", { ...goodDatabase(), storageEncrypted: false, kmsKeyId: undefined })],
    expected: [
      "RDS instance `warehouse` is not encrypted at rest; set storageEncrypted: true.",
      "RDS instance `warehouse` has no customer-managed kmsKeyId; set it to the platform KMS key ARN.",
    ],
  },
  {
    rule: "rds-encrypted-cmk",
    title: "rejects the AWS managed RDS key",
    resources: [db("kmsKeyId", "arn:aws:kms:af-south-1:123456789012:alias/aws/rds")],
    expected: [
      "RDS instance `warehouse` has no customer-managed kmsKeyId; set it to the platform KMS key ARN.",
    ],
  },
  { rule: "rds-not-public", title: "accepts a private instance", resources: [db()], expected: [] },
  {
    rule: "rds-not-public",
    title: "rejects a publicly accessible instance",
    resources: [db("publiclyAccessible", true)],
    expected: ["RDS instance `warehouse` is publicly accessible; set publiclyAccessible: false."],
  },
  { rule: "rds-multi-az", title: "accepts Multi-AZ", resources: [db()], expected: [] },
  {
    rule: "rds-multi-az",
    title: "rejects single-AZ (the provider default)",
    resources: [db("multiAz", undefined)],
    expected: ["RDS instance `warehouse` is single-AZ; set multiAz: true."],
  },
  { rule: "rds-backup-retention", title: "accepts 14 days", resources: [db()], expected: [] },
  {
    rule: "rds-backup-retention",
    title: "rejects 3 days",
    resources: [db("backupRetentionPeriod", 3)],
    expected: [
      "RDS instance `warehouse` keeps backups for 3 days; at least 7 are required (backupRetentionPeriod).",
    ],
  },
  {
    rule: "rds-backup-retention",
    title: "rejects an unset retention",
    resources: [db("backupRetentionPeriod", undefined)],
    expected: [
      "RDS instance `warehouse` keeps backups for an unset number of days; at least 7 are required (backupRetentionPeriod).",
    ],
  },
  {
    rule: "rds-backup-retention",
    title: "fails if minDays is raised to 30",
    resources: [db()],
    config: { minDays: 30 },
    expected: [
      "RDS instance `warehouse` keeps backups for 14 days; at least 30 are required (backupRetentionPeriod).",
    ],
  },
  { rule: "rds-deletion-protection", title: "accepts deletion protection", resources: [db()], expected: [] },
  {
    rule: "rds-deletion-protection",
    title: "rejects an instance without deletion protection",
    resources: [db("deletionProtection", false)],
    expected: ["RDS instance `warehouse` has no deletion protection; set deletionProtection: true."],
  },
  { rule: "rds-final-snapshot", title: "accepts a named final snapshot", resources: [db()], expected: [] },
  {
    rule: "rds-final-snapshot",
    title: "rejects skipFinalSnapshot",
    resources: [db("skipFinalSnapshot", true)],
    expected: [
      "RDS instance `warehouse` skips its final snapshot; set skipFinalSnapshot: false and a finalSnapshotIdentifier.",
    ],
  },
  {
    rule: "rds-final-snapshot",
    title: "rejects a missing finalSnapshotIdentifier",
    resources: [db("finalSnapshotIdentifier", undefined)],
    expected: [
      "RDS instance `warehouse` has no finalSnapshotIdentifier; without one the deletion cannot take its final snapshot.",
    ],
  },
  {
    rule: "rds-managed-master-password",
    title: "accepts a managed master password",
    resources: [db()],
    expected: [],
  },
  {
    rule: "rds-managed-master-password",
    title: "rejects a password set in the program",
    resources: [
      res(DB, "warehouse", { ...goodDatabase(), manageMasterUserPassword: undefined, password: "s3cret" }),
    ],
    expected: [
      "RDS instance `warehouse` does not let RDS manage its master password; set manageMasterUserPassword: true.",
      "RDS instance `warehouse` sets a master password in the program; remove password and use manageMasterUserPassword.",
    ],
  },
  {
    rule: "rds-force-ssl",
    title: "accepts a group with rds.force_ssl=1",
    resources: [db(), pg()],
    expected: [],
  },
  {
    rule: "rds-force-ssl",
    title: "accepts an autonamed group referenced by its resource-name prefix",
    resources: [db("parameterGroupName", "warehouse-pg-4f2a1b3"), pg("name", undefined)],
    expected: [],
  },
  {
    rule: "rds-force-ssl",
    title: "rejects rds.force_ssl=0",
    resources: [db(), pg("parameters", [{ name: "rds.force_ssl", value: "0" }])],
    expected: ["RDS instance `warehouse`: parameter group `warehouse-pg` has rds.force_ssl=0; set it to 1."],
  },
  {
    rule: "rds-force-ssl",
    title: "rejects a group without rds.force_ssl",
    resources: [db(), pg("parameters", [{ name: "log_min_duration_statement", value: "1000" }])],
    expected: [
      "RDS instance `warehouse`: parameter group `warehouse-pg` has rds.force_ssl=unset; set it to 1.",
    ],
  },
  {
    rule: "rds-force-ssl",
    title: "rejects the default parameter group",
    resources: [db("parameterGroupName", undefined), pg()],
    expected: [
      "RDS instance `warehouse` uses parameter group default, which is not a group of this stack with rds.force_ssl=1.",
    ],
  },
  {
    rule: "rds-force-ssl",
    title: "rejects a group from outside the stack",
    resources: [db("parameterGroupName", "default.postgres15")],
    expected: [
      "RDS instance `warehouse` uses parameter group `default.postgres15`, which is not a group of this stack with rds.force_ssl=1.",
    ],
  },
];
