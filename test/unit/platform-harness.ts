/** Runs the platform program under mocks with a stack file's config. */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { REPO_ROOT, readStackFile } from "../../infra/config/stackfiles";
import { recorded, settle, setupMocks } from "../helpers/mocks";
import { recordOptions } from "../helpers/resource-options";

/** The dev stack file at the repository root. */
export const DEV_STACK_FILE = path.join(REPO_ROOT, "Pulumi.dev.yaml");

/** Exports of the platform program. */
export type PlatformProgram = Record<string, unknown>;

/** The dev stack's config values as `pulumi.runtime.setAllConfig` takes them (objects as JSON). */
export function devConfig(overrides: Record<string, unknown> = {}): Record<string, string> {
  const file = readStackFile(DEV_STACK_FILE);
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
): Promise<PlatformProgram> {
  setupMocks("clinicmaster-platform", "dev");
  recordOptions();
  pulumi.runtime.setAllConfig(config);
  let program: PlatformProgram = {};
  jest.isolateModules(() => {
    program = require("../../infra/platform/index") as PlatformProgram;
  });
  await settleAll();
  return program;
}

/** Waits until no resource has been registered for several rounds (registrations wait on outputs). */
export async function settleAll(): Promise<void> {
  let last = -1;
  let stable = 0;
  for (let round = 0; round < 400 && stable < 5; round++) {
    await settle();
    await new Promise((r) => setTimeout(r, 2));
    stable = recorded.length === last ? stable + 1 : 0;
    last = recorded.length;
  }
}

const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";

/** Whether a recorded input value reached the engine as a Pulumi secret. */
export function isSecretInput(v: unknown): boolean {
  return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SECRET_SIG] === SECRET_VALUE;
}

/** A recorded input with every secret wrapper removed (deeply). */
export function reveal<T = unknown>(v: unknown): T {
  if (isSecretInput(v)) return reveal<T>((v as { value: unknown }).value);
  if (Array.isArray(v)) return v.map((x) => reveal(x)) as T;
  if (typeof v === "object" && v !== null) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, reveal(x)])) as T;
  }
  return v as T;
}
