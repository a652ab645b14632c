import * as fs from "node:fs";
import * as path from "node:path";
import type {
  PolicyConfigSchema,
  PolicyResource,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import { RecordedLike, fromEngine, fromRecorded, providerDefaultTags } from "./normalize";
import { RULES } from "./rules";
import { Level, ResourceInput, Rule, RuleConfig } from "./rules/model";

/** Name of the pack as the engine reports it. */
export const PACK_NAME = "clinicmaster-cdc";

/** One policy's entry in the config file: a level, or a level with thresholds. */
export type PolicyEntry = Level | ({ enforcementLevel?: Level } & Record<string, unknown>);

/** The policy config file (`--policy-pack-config`): policy name (or `all`) to entry. */
export type PackConfig = Record<string, PolicyEntry>;

/** Path of the pack's config file. */
export const CONFIG_FILE = path.join(__dirname, "policy-config.json");

const LEVELS: readonly string[] = ["mandatory", "advisory", "disabled"];

/** Problems of a config object: unknown policies, unknown keys, bad levels, wrong value types. */
export function configProblems(config: PackConfig, rules: readonly Rule[] = RULES): string[] {
  const problems: string[] = [];
  const byName = new Map(rules.map((r) => [r.name, r]));
  for (const [name, entry] of Object.entries(config)) {
    const rule = byName.get(name);
    if (name !== "all" && rule === undefined) {
      problems.push(`${name}: no such policy; policies are ${[...byName.keys()].join(", ")}`);
      continue;
    }
    const level = typeof entry === "string" ? entry : entry.enforcementLevel;
    if (level !== undefined && !LEVELS.includes(level)) {
      problems.push(`${name}: enforcementLevel ${JSON.stringify(level)} is not one of ${LEVELS.join(", ")}`);
    }
    if (typeof entry === "string" || rule === undefined) continue;
    for (const [key, value] of Object.entries(entry)) {
      if (key === "enforcementLevel") continue;
      if (!(key in rule.defaults)) {
        const known = Object.keys(rule.defaults);
        problems.push(
          `${name}.${key}: unknown setting; ${known.length ? `known: ${known.join(", ")}` : "this policy has none"}`,
        );
      } else if (!sameShape(value, rule.defaults[key])) {
        problems.push(
          `${name}.${key}: ${JSON.stringify(value)} does not have the type of the default ${JSON.stringify(rule.defaults[key])}`,
        );
      }
    }
  }
  return problems;
}

function sameShape(value: unknown, like: unknown): boolean {
  if (Array.isArray(like)) {
    const itemType = like.length > 0 ? typeof like[0] : undefined;
    return Array.isArray(value) && value.every((v) => itemType === undefined || typeof v === itemType);
  }
  return typeof value === typeof like;
}

/** Reads and checks the config file; throws with every problem listed. */
export function loadPolicyConfig(file: string = CONFIG_FILE): PackConfig {
  const config = JSON.parse(fs.readFileSync(file, "utf8")) as PackConfig;
  const problems = configProblems(config);
  if (problems.length > 0) throw new Error(`policy config ${file}:\n  ${problems.join("\n  ")}`);
  return config;
}

/** A rule's level and thresholds under a config (policy entry, then `all`, then the rule's defaults). */
export function resolveRule(rule: Rule, config: PackConfig = {}): { level: Level; settings: RuleConfig } {
  const entry = config[rule.name];
  const all = config.all;
  const allLevel = typeof all === "string" ? all : all?.enforcementLevel;
  const level =
    (typeof entry === "string" ? entry : entry?.enforcementLevel) ?? allLevel ?? rule.defaultLevel;
  const settings: RuleConfig = { ...rule.defaults };
  if (typeof entry === "object") {
    for (const [k, v] of Object.entries(entry)) if (k !== "enforcementLevel") settings[k] = v;
  }
  return { level, settings };
}

/** Whether a rule looks at resources of this type. */
export function appliesTo(rule: Rule, type: string): boolean {
  return rule.types.includes("*") || rule.types.includes(type);
}

/** One violation found by evaluatePolicies. */
export interface Violation {
  policy: string;
  level: Level;
  /** The resource in violation (its name), when the rule names one. */
  resource?: string;
  message: string;
}

/** A rule that could not be checked on a resource, and why. */
export interface Unchecked {
  policy: string;
  resource: string;
  reason: string;
}

/** Result of evaluatePolicies. */
export interface Evaluation {
  /** Every violation, in rule order; disabled rules are not run. */
  violations: Violation[];
  /** Violations grouped by policy name (only policies that found something). */
  byPolicy: Record<string, Violation[]>;
  /** Mandatory violations only: what would stop `pulumi up`. */
  mandatory: Violation[];
  /** Checks that needed something the caller did not provide (e.g. resource options). */
  unchecked: Unchecked[];
}

/** Options of evaluatePolicies. */
export interface EvaluateOptions {
  /** Tags the AWS provider adds to every resource (its `defaultTags.tags`). */
  providerTags?: Record<string, string>;
}

const AWS_PROVIDER = "pulumi:providers:aws";

/**
 * Runs every enabled rule over resources recorded by the Pulumi mocks (or built by hand), the way the
 * engine would: resource rules on each resource, stack rules once over all of them. Provider
 * `defaultTags` come from `options.providerTags`, else from the one recorded `pulumi:providers:aws`.
 */
export function evaluatePolicies(
  resources: readonly RecordedLike[],
  config: PackConfig = loadPolicyConfig(),
  options: EvaluateOptions = {},
): Evaluation {
  const problems = configProblems(config);
  if (problems.length > 0) throw new Error(`policy config:\n  ${problems.join("\n  ")}`);
  const providers = resources.filter((r) => r.type === AWS_PROVIDER);
  const providerTags =
    options.providerTags ?? (providers.length === 1 ? providerDefaultTags(providers[0].inputs) : undefined);
  const inputs: ResourceInput[] = resources.map((r) => {
    const input = fromRecorded(r);
    if (input.providerTags === undefined && r.type.startsWith("aws:")) input.providerTags = providerTags;
    return input;
  });

  const violations: Violation[] = [];
  const unchecked: Unchecked[] = [];
  for (const rule of RULES) {
    const { level, settings } = resolveRule(rule, config);
    if (level === "disabled") continue;
    if (rule.kind === "stack") {
      for (const f of rule.check(
        inputs.filter((r) => appliesTo(rule, r.type)),
        settings,
      )) {
        violations.push({ policy: rule.name, level, resource: f.resource, message: f.message });
      }
      continue;
    }
    for (const r of inputs.filter((x) => appliesTo(rule, x.type))) {
      if (rule.needsOpts && r.opts === undefined) {
        unchecked.push({ policy: rule.name, resource: r.name, reason: "resource options were not recorded" });
        continue;
      }
      for (const message of rule.check(r, settings)) {
        violations.push({ policy: rule.name, level, resource: r.name, message });
      }
    }
  }
  const byPolicy: Record<string, Violation[]> = {};
  for (const v of violations) (byPolicy[v.policy] ??= []).push(v);
  return { violations, byPolicy, mandatory: violations.filter((v) => v.level === "mandatory"), unchecked };
}

function schemaOf(value: unknown): PolicyConfigJSONSchema {
  if (Array.isArray(value)) {
    const item = typeof value[0] === "number" ? "number" : "string";
    return { type: "array", items: { type: item }, default: value };
  }
  if (typeof value === "number") return { type: "number", default: value };
  if (typeof value === "boolean") return { type: "boolean", default: value };
  return { type: "string", default: value as string };
}

/** The JSON schema of a rule's settings, with the resolved values as defaults. */
export function configSchemaOf(settings: RuleConfig): PolicyConfigSchema | undefined {
  const keys = Object.keys(settings);
  if (keys.length === 0) return undefined;
  return { properties: Object.fromEntries(keys.map((k) => [k, schemaOf(settings[k])])) };
}

/** Engine-side settings: the pack's resolved ones, overridden by what the engine passes. */
function engineSettings(settings: RuleConfig, fromEngine: object): RuleConfig {
  return { ...settings, ...(fromEngine as RuleConfig) };
}

/** The rules as CrossGuard policies, with levels and thresholds from `config`. */
export function buildPolicies(
  config: PackConfig = loadPolicyConfig(),
): (ResourceValidationPolicy | StackValidationPolicy)[] {
  return RULES.map((rule) => {
    const { level, settings } = resolveRule(rule, config);
    const common = {
      name: rule.name,
      description: rule.description,
      remediationSteps: rule.remediation,
      enforcementLevel: level,
      severity: rule.severity,
      configSchema: configSchemaOf(settings),
    };
    if (rule.kind === "stack") {
      const policy: StackValidationPolicy = {
        ...common,
        validateStack: (args, report) => {
          const resources = args.resources
            .filter((r: PolicyResource) => appliesTo(rule, r.type))
            .map((r: PolicyResource) => fromEngine(r));
          for (const f of rule.check(resources, engineSettings(settings, args.getConfig())))
            report(f.message, f.resource);
        },
      };
      return policy;
    }
    const policy: ResourceValidationPolicy = {
      ...common,
      validateResource: (args: ResourceValidationArgs, report) => {
        if (!appliesTo(rule, args.type)) return;
        const resource = fromEngine(args);
        for (const m of rule.check(resource, engineSettings(settings, args.getConfig()))) report(m);
      },
    };
    return policy;
  });
}
