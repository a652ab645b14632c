import * as pulumi from "@pulumi/pulumi";
import { FACILITY_NAMESPACE, FACILITY_SECRET_KEYS, type FacilityConfig, facilitySchema } from "./facility";
import { PLATFORM_NAMESPACE, type PlatformConfig, platformSchema } from "./platform";
import { ConfigError, type ConfigProblem, problemsFromZod } from "./problems";

/**
 * The only module that reads `pulumi.Config`. Each program calls one loader; a bad config stops the
 * program before any resource is registered, with one message listing every problem (no stack trace).
 */

/** Keys whose schema type is a string: read raw so `"12345"` stays a string. */
const FACILITY_STRING_KEYS = new Set([
  "name",
  "dhis2Code",
  "slug",
  "deployMode",
  "platformStack",
  "snapshotMode",
  "dockerHost",
  "connectImage",
]);
const PLATFORM_STRING_KEYS = new Set(["environment", "region"]);

function readNamespace(namespace: string, keys: string[], stringKeys: Set<string>): Record<string, unknown> {
  const cfg = new pulumi.Config(namespace);
  const raw: Record<string, unknown> = {};
  for (const key of keys) {
    const text = cfg.get(key);
    if (text === undefined) continue;
    if (stringKeys.has(key)) {
      raw[key] = text;
      continue;
    }
    try {
      raw[key] = JSON.parse(text);
    } catch {
      raw[key] = text;
    }
  }
  return raw;
}

function fail(subject: string, problems: ConfigProblem[]): never {
  // RunError prints its message without a stack trace: the user's first clue is the list itself.
  throw new pulumi.RunError(new ConfigError(subject, problems).message);
}

/** Facility config with its secrets as Pulumi secret outputs. */
export interface LoadedFacility {
  config: FacilityConfig;
  /** SQL Server password of the Debezium login (secret). */
  sqlServerPassword: pulumi.Output<string>;
}

/** Reads and validates the facility stack's config. Throws a RunError listing every problem. */
export function loadFacilityConfig(): LoadedFacility {
  const stack = pulumi.getStack();
  const keys = Object.keys(facilitySchema.shape);
  const raw = readNamespace(FACILITY_NAMESPACE, keys, FACILITY_STRING_KEYS);
  const cfg = new pulumi.Config(FACILITY_NAMESPACE);
  const problems: ConfigProblem[] = [];
  const parsed = facilitySchema.safeParse(raw);
  if (!parsed.success)
    problems.push(...problemsFromZod(parsed.error, raw, FACILITY_NAMESPACE, FACILITY_SECRET_KEYS));
  const secrets: Record<string, pulumi.Output<string>> = {};
  for (const key of FACILITY_SECRET_KEYS) {
    const value = cfg.getSecret(key);
    if (value === undefined) {
      problems.push({
        key: `${FACILITY_NAMESPACE}:${key}`,
        value: "(not set)",
        message: `required secret; set it with \`pulumi config set --secret ${FACILITY_NAMESPACE}:${key}\` in facilities/ (stack ${stack})`,
      });
    } else secrets[key] = value;
  }
  if (parsed.success && parsed.data.slug !== stack) {
    problems.push({
      key: `${FACILITY_NAMESPACE}:slug`,
      value: JSON.stringify(parsed.data.slug),
      message: `must equal the stack name \`${stack}\`; select the right stack or fix the slug`,
    });
  }
  if (problems.length > 0 || !parsed.success) fail(`facility \`${stack}\``, problems);
  return { config: parsed.data, sqlServerPassword: secrets.sqlServerPassword };
}

/** Reads and validates the platform stack's config. Throws a RunError listing every problem. */
export function loadPlatformConfig(): PlatformConfig {
  const stack = pulumi.getStack();
  const raw = readNamespace(PLATFORM_NAMESPACE, Object.keys(platformSchema.shape), PLATFORM_STRING_KEYS);
  const parsed = platformSchema.safeParse(raw);
  if (!parsed.success)
    fail(`platform stack \`${stack}\``, problemsFromZod(parsed.error, raw, PLATFORM_NAMESPACE));
  return parsed.data;
}
