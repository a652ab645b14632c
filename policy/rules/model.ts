/**
 * The model every rule works on: a resource as plain data, independent of the policy server, so the
 * same pure checks run inside `pulumi preview` and in tests over what the Pulumi mocks recorded.
 */

/** Enforcement level of a rule (the subset of CrossGuard's levels this pack uses). */
export type Level = "mandatory" | "advisory" | "disabled";

/** Thresholds and lists a rule reads; every key has a default in the rule and in policy-config.json. */
export type RuleConfig = Record<string, unknown>;

/** Marks a value that is not known yet (a computed output during preview). */
export const UNKNOWN: unique symbol = Symbol("unknown");

/** Resource options the policy engine shows a pack. */
export interface ResourceOpts {
  /** `protect`: the engine refuses to delete or replace the resource. */
  protect?: boolean;
  /** `deleteBeforeReplace`: on replacement, the old resource goes first. */
  deleteBeforeReplace?: boolean;
  /** `retainOnDelete`: not sent to policy packs by the engine; only callers outside the engine can set it. */
  retainOnDelete?: boolean;
}

/** One resource as the rules see it. */
export interface ResourceInput {
  /** Pulumi type token, e.g. `aws:msk/cluster:Cluster`. */
  type: string;
  /** Pulumi resource name (logical name). */
  name: string;
  /** Inputs (resource policies) or outputs (stack policies), secrets unwrapped, unknowns as UNKNOWN. */
  props: Record<string, unknown>;
  /** URN, when the engine provides it. */
  urn?: string;
  /** Provider id, when known (the mocks record one). */
  id?: string;
  /** Resource options, when the caller can see them; undefined means "not visible". */
  opts?: ResourceOpts;
  /** Tags the resource's provider adds (`defaultTags`), when visible. */
  providerTags?: Record<string, string>;
  /** Dotted paths of props that were Pulumi secrets, when the caller can still see secretness. */
  secretPaths?: string[];
  /** URNs or names of the resources each prop depends on (stack policies only). */
  propertyDependencies?: Record<string, string[]>;
}

/** One violation a stack rule found, optionally pinned to a resource. */
export interface StackFinding {
  message: string;
  /** The resource in violation (its URN inside the engine, its name in tests). */
  resource?: string;
}

interface RuleBase {
  /** Unique policy name (kebab-case). */
  name: string;
  /** One sentence that says what the rule requires and why. */
  description: string;
  /** What to change in the program to comply. */
  remediation: string;
  /** Level when policy-config.json says nothing. */
  defaultLevel: Level;
  severity: "low" | "medium" | "high" | "critical";
  /** Defaults of every configurable threshold; each key becomes a property of the policy's config schema. */
  defaults: RuleConfig;
  /** Resource types the rule looks at; `*` for every type. */
  types: readonly string[];
  /** The rule reads resource options; callers that cannot see them get it reported as unchecked. */
  needsOpts?: boolean;
}

/** A rule checked on each resource on its own (`ResourceValidationPolicy`). */
export interface ResourceRule extends RuleBase {
  kind: "resource";
  /** Violation messages for one resource of one of `types`; empty when it complies. */
  check(resource: ResourceInput, config: RuleConfig): string[];
}

/** A rule that needs several resources together (`StackValidationPolicy`). */
export interface StackRule extends RuleBase {
  kind: "stack";
  /** Violations over the whole stack; empty when it complies. */
  check(resources: ResourceInput[], config: RuleConfig): StackFinding[];
}

/** Any rule of the pack. */
export type Rule = ResourceRule | StackRule;

/** Pulumi type tokens the pack knows (strings, so the pack needs no provider SDK at run time). */
export const T = {
  mskCluster: "aws:msk/cluster:Cluster",
  mskConfiguration: "aws:msk/configuration:Configuration",
  mskScramAssociation: "aws:msk/scramSecretAssociation:ScramSecretAssociation",
  mskSingleScramAssociation: "aws:msk/singleScramSecretAssociation:SingleScramSecretAssociation",
  rdsInstance: "aws:rds/instance:Instance",
  rdsParameterGroup: "aws:rds/parameterGroup:ParameterGroup",
  kmsKey: "aws:kms/key:Key",
  secret: "aws:secretsmanager/secret:Secret",
  securityGroup: "aws:ec2/securityGroup:SecurityGroup",
  securityGroupRule: "aws:ec2/securityGroupRule:SecurityGroupRule",
  vpcIngressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  vpc: "aws:ec2/vpc:Vpc",
  flowLog: "aws:ec2/flowLog:FlowLog",
  vpnConnection: "aws:ec2/vpnConnection:VpnConnection",
  kafkaTopic: "kafka:index/topic:Topic",
  kafkaAcl: "kafka:index/acl:Acl",
  container: "docker:index/container:Container",
  ecsTaskDefinition: "aws:ecs/taskDefinition:TaskDefinition",
} as const;

/** True for a value that is not known yet. */
export function isUnknown(v: unknown): v is typeof UNKNOWN {
  return v === UNKNOWN;
}

/** The value at a dotted path (`a.b.c`), or undefined; stops at UNKNOWN and returns it. */
export function at(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const key of path.split(".")) {
    if (cur === UNKNOWN) return UNKNOWN;
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** A plain string, or undefined when absent or unknown. */
export function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

/** A number (also from a numeric string), or undefined when absent or unknown. */
export function num(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  if (typeof v === "string" && v.trim() !== "" && !Number.isNaN(Number(v))) return Number(v);
  return undefined;
}

/** An array, or [] when absent; an unknown array is returned as UNKNOWN. */
export function list(v: unknown): unknown[] | typeof UNKNOWN {
  if (v === UNKNOWN) return UNKNOWN;
  return Array.isArray(v) ? v : [];
}

/** True when a reference (ARN, id) is set, known or not yet known. */
export function isSet(v: unknown): boolean {
  return v === UNKNOWN || (typeof v === "string" && v.trim() !== "");
}

/** `` `name` `` for messages. */
export function q(v: unknown): string {
  return `\`${String(v)}\``;
}

/** Typed config accessors with the rule's default as fallback. */
export function cfgNumber(config: RuleConfig, key: string): number {
  const v = config[key];
  if (typeof v !== "number")
    throw new Error(`policy config: ${key} must be a number, got ${JSON.stringify(v)}`);
  return v;
}

export function cfgStrings(config: RuleConfig, key: string): string[] {
  const v = config[key];
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) {
    throw new Error(`policy config: ${key} must be a list of strings, got ${JSON.stringify(v)}`);
  }
  return v as string[];
}

export function cfgNumbers(config: RuleConfig, key: string): number[] {
  const v = config[key];
  if (!Array.isArray(v) || v.some((x) => typeof x !== "number")) {
    throw new Error(`policy config: ${key} must be a list of numbers, got ${JSON.stringify(v)}`);
  }
  return v as number[];
}
