import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { FACILITY_NAMESPACE, FACILITY_SECRET_KEYS, type FacilityConfig, facilitySchema } from "./facility";
import {
  type AwsPlatformConfig,
  type LocalPlatformConfig,
  PLATFORM_LOCAL_SECRET_KEYS,
  PLATFORM_NAMESPACE,
  type PlatformConfig,
  platformSchema,
  platformShape,
} from "./platform";
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
const PLATFORM_STRING_KEYS = new Set(["target", "environment", "region"]);

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

/** A platform stack on AWS, as loaded. */
export interface LoadedAwsPlatform {
  target: "aws";
  config: AwsPlatformConfig;
}

/** A `local` platform stack, as loaded: its config, the CA it trusts and its two secrets. */
export interface LoadedLocalPlatform {
  target: "local";
  config: LocalPlatformConfig;
  /** PEM content of `local.kafka.caCertFile` (the loopback broker's self-signed certificate). */
  caCert: string;
  /** SCRAM password of the Kafka super user `ADMIN_PRINCIPAL` (secret). */
  kafkaAdminPassword: pulumi.Output<string>;
  /** Password of the warehouse superuser `local.warehouse.username` (secret). */
  warehousePassword: pulumi.Output<string>;
}

/** A platform stack as its program needs it. */
export type LoadedPlatform = LoadedAwsPlatform | LoadedLocalPlatform;

/** Reads the CA file of a local stack; a problem instead of an exception when it cannot be used. */
function readCaCert(file: string): { pem?: string; problem?: ConfigProblem } {
  const key = `${PLATFORM_NAMESPACE}:local.kafka.caCertFile`;
  const value = JSON.stringify(file);
  // Pulumi runs the program in the project directory, so a relative path is relative to the repository root.
  const abs = path.resolve(file);
  let pem: string;
  try {
    pem = fs.readFileSync(abs, "utf8");
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    return {
      problem: {
        key,
        value,
        message: `cannot be read (${why} at ${abs}); point it at the broker CA PEM the loopback harness wrote`,
      },
    };
  }
  if (!pem.includes("-----BEGIN CERTIFICATE-----"))
    return {
      problem: {
        key,
        value,
        message: `${abs} holds no PEM certificate (no -----BEGIN CERTIFICATE----- line); point it at the broker CA PEM`,
      },
    };
  return { pem };
}

/**
 * Reads and validates the platform stack's config; for a `local` stack also its two secrets and its CA
 * file. Throws a RunError listing every problem.
 */
export function loadPlatform(): LoadedPlatform {
  const stack = pulumi.getStack();
  const raw = readNamespace(PLATFORM_NAMESPACE, Object.keys(platformShape), PLATFORM_STRING_KEYS);
  const parsed = platformSchema.safeParse(raw);
  const problems = parsed.success ? [] : problemsFromZod(parsed.error, raw, PLATFORM_NAMESPACE);
  // The secrets are checked whenever the stack asks for the local target, so one run lists every problem.
  const local = parsed.success ? parsed.data.target === "local" : raw.target === "local";
  if (!local) {
    if (!parsed.success || parsed.data.target !== "aws") fail(`platform stack \`${stack}\``, problems);
    return { target: "aws", config: parsed.data };
  }
  const cfg = new pulumi.Config(PLATFORM_NAMESPACE);
  const secrets: Record<string, pulumi.Output<string>> = {};
  for (const key of PLATFORM_LOCAL_SECRET_KEYS) {
    const value = cfg.getSecret(key);
    if (value === undefined) {
      problems.push({
        key: `${PLATFORM_NAMESPACE}:${key}`,
        value: "(not set)",
        message: `required secret for target local; set it with \`pulumi config set --secret ${PLATFORM_NAMESPACE}:${key}\` (stack ${stack})`,
      });
    } else secrets[key] = value;
  }
  let caCert: string | undefined;
  if (parsed.success && parsed.data.target === "local") {
    const ca = readCaCert(parsed.data.local.kafka.caCertFile);
    if (ca.problem) problems.push(ca.problem);
    caCert = ca.pem;
  }
  if (problems.length > 0 || !parsed.success || parsed.data.target !== "local" || caCert === undefined)
    fail(`platform stack \`${stack}\``, problems);
  return {
    target: "local",
    config: parsed.data,
    caCert,
    kafkaAdminPassword: secrets.localKafkaAdminPassword,
    warehousePassword: secrets.localWarehousePassword,
  };
}

/** Reads and validates the platform stack's config. Throws a RunError listing every problem. */
export function loadPlatformConfig(): PlatformConfig {
  return loadPlatform().config;
}
