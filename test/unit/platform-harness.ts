/** Runs the platform program under mocks with a stack file's config. */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { REPO_ROOT, readStackFile } from "../../infra/config/stackfiles";
import { settleAll, setupMocks } from "../helpers/mocks";

export { isSecretInput, reveal, settleAll } from "../helpers/mocks";
import { recordOptions } from "../helpers/resource-options";

/** The dev stack file at the repository root. */
export const DEV_STACK_FILE = path.join(REPO_ROOT, "Pulumi.dev.yaml");

/** The loopback-only stack file at the repository root (`platform:target: local`). */
export const LOCAL_STACK_FILE = path.join(REPO_ROOT, "Pulumi.local.yaml");

/** Exports of the platform program. */
export type PlatformProgram = Record<string, unknown>;

/** The dev stack's config values as `pulumi.runtime.setAllConfig` takes them (objects as JSON). */
export function devConfig(
  overrides: Record<string, unknown> = {},
  stackFile = DEV_STACK_FILE,
): Record<string, string> {
  const file = readStackFile(stackFile);
  const values: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...file.values, ...overrides })) {
    if (v === undefined) continue;
    values[k] = typeof v === "string" ? v : JSON.stringify(v);
  }
  return values;
}

/**
 * Installs the mocks, sets the config and imports the platform program in a fresh module registry
 * (the program reads its config at import). Throws what the program throws.
 */
export async function runPlatformProgram(
  config: Record<string, string> = devConfig(),
  { stack = "dev", secretKeys = [] }: { stack?: string; secretKeys?: string[] } = {},
): Promise<PlatformProgram> {
  setupMocks("clinicmaster-platform", stack);
  recordOptions();
  pulumi.runtime.setAllConfig(config, secretKeys);
  let program: PlatformProgram = {};
  jest.isolateModules(() => {
    program = require("../../infra/platform/index") as PlatformProgram;
  });
  await settleAll();
  return program;
}
