import { spawn, spawnSync } from "child_process";
import { randomBytes } from "crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "fs";
import { join } from "path";
import { type Document, parseDocument } from "yaml";
import { REPO_ROOT } from "../config/stackfiles";
import { type LocalEndpoints, type ProvisionedObjects, localStackConfig } from "./pipeline";
import type { Workspace } from "./workspace";

/**
 * The real Pulumi engine against the loopback data plane: the toolchain of
 * `scripts/pulumi-toolchain.sh` (CLI, Node.js language host, kafka/postgresql/random providers), a
 * file backend and a passphrase secrets provider inside the run's workspace. Nothing leaves the
 * machine; the passphrase lives in a 0600 file, never in an environment variable or a log.
 */

/** How long a cold toolchain build may take (CLI from the Go module proxy: 8–15 min on 2 cores). */
export const TOOLCHAIN_BUILD_TIMEOUT_MS = 40 * 60_000;

/** Builds (or reuses) the toolchain and returns its bin directory; throws with the script's reason. */
export function ensureToolchain(log: (line: string) => void = () => undefined): string {
  const started = Date.now();
  const r = spawnSync("bash", [join(REPO_ROOT, "scripts", "pulumi-toolchain.sh")], {
    cwd: REPO_ROOT,
    encoding: "utf8",
    timeout: TOOLCHAIN_BUILD_TIMEOUT_MS,
    maxBuffer: 64 * 1024 * 1024,
  });
  const stderr = r.stderr ?? "";
  for (const line of stderr.split("\n")) if (line.trim()) log(line);
  if (r.error || r.status !== 0) {
    const tail = stderr.split("\n").slice(-25).join("\n");
    throw new Error(
      `the Pulumi toolchain could not be built (scripts/pulumi-toolchain.sh exit ${r.status ?? r.error?.message}, after ${Math.round((Date.now() - started) / 1000)} s); see docs/ENGINE.md:\n${tail}`,
    );
  }
  const bin = (r.stdout ?? "").trim().split("\n").pop() ?? "";
  for (const b of [
    "pulumi",
    "pulumi-language-nodejs",
    "pulumi-resource-kafka",
    "pulumi-resource-postgresql",
    "pulumi-resource-random",
  ]) {
    if (!existsSync(join(bin, b)))
      throw new Error(
        `the Pulumi toolchain at ${bin} has no ${b}; run bash scripts/pulumi-toolchain.sh --status`,
      );
  }
  return bin;
}

/** Result of one `pulumi` command. */
export interface PulumiResult {
  command: string;
  code: number;
  /** stdout and stderr, interleaved as they came. */
  output: string;
  stdout: string;
  ms: number;
}

/** Options of {@link EngineStack.create}. */
export interface EngineStackOptions {
  ws: Workspace;
  /** Toolchain bin directory ({@link ensureToolchain}). */
  bin: string;
  /** Stack name; its file `Pulumi.<stack>.yaml` in the repository is the template. @default "local" */
  stack?: string;
  /** Plain config values that replace the template's (full keys, e.g. `platform:local`). */
  config: Record<string, unknown>;
  /** Secret config values (full keys), set with `pulumi config set --secret` through stdin. */
  secrets: Record<string, string>;
  /** Per-command time limit. @default 10 min */
  commandTimeoutMs?: number;
}

/**
 * One stack of the platform project run by the real engine. The project is laid out in the
 * workspace as links to the repository (program, node_modules, tsconfig), so the stack's config file
 * (with the salt of its secrets) is written there and the repository's files stay untouched.
 */
export class EngineStack {
  readonly history: PulumiResult[] = [];

  private constructor(
    readonly dir: string,
    readonly stack: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly logDir: string,
    private readonly timeoutMs: number,
  ) {}

  static async create(o: EngineStackOptions): Promise<EngineStack> {
    const stack = o.stack ?? "local";
    const root = o.ws.dir("engine");
    const dir = join(root, "project");
    const state = join(root, "state");
    const home = join(root, "pulumi-home");
    for (const d of [dir, state, home]) mkdirSync(d, { recursive: true, mode: 0o700 });
    copyFileSync(join(REPO_ROOT, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
    for (const entry of ["infra", "node_modules", "package.json", "tsconfig.json", "policy"]) {
      symlinkSync(join(REPO_ROOT, entry), join(dir, entry));
    }
    const template = readFileSync(join(REPO_ROOT, `Pulumi.${stack}.yaml`), "utf8");
    const doc = parseDocument(template);
    for (const [key, value] of Object.entries(o.config)) doc.setIn(["config", key], value);
    writeFileSync(join(dir, `Pulumi.${stack}.yaml`), doc.toString());
    const passphraseFile = join(root, "passphrase");
    writeFileSync(passphraseFile, randomBytes(24).toString("base64url"), { mode: 0o600 });
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const k of Object.keys(env)) if (k.startsWith("PULUMI_")) delete env[k];
    Object.assign(env, {
      PATH: `${o.bin}:${process.env.PATH ?? ""}`,
      PULUMI_HOME: home,
      PULUMI_BACKEND_URL: `file://${state}`,
      PULUMI_CONFIG_PASSPHRASE_FILE: passphraseFile,
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      PULUMI_SELF_MANAGED_STATE_NO_LEGACY_WARNING: "true",
      PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true",
      PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
      NO_COLOR: "1",
    });
    const s = new EngineStack(dir, stack, env, o.ws.logs, o.commandTimeoutMs ?? 10 * 60_000);
    await s.expectOk(["stack", "init", stack, "--secrets-provider", "passphrase"]);
    for (const [key, value] of Object.entries(o.secrets)) {
      await s.expectOk(["config", "set", "--secret", key], value);
    }
    return s;
  }

  /**
   * Writes a variant of the stack's config file (same encrypted secrets) for `--config-file`, and
   * returns its path; the stack's own file is unchanged.
   */
  configVariant(name: string, edit: (doc: Document) => void): string {
    const doc = parseDocument(readFileSync(join(this.dir, `Pulumi.${this.stack}.yaml`), "utf8"));
    edit(doc);
    const path = join(this.dir, `variant-${name}.yaml`);
    writeFileSync(path, doc.toString());
    return path;
  }

  /** Runs `pulumi <args>` in the project (non-interactive, no colour) and returns its exit and output. */
  run(args: string[], stdin?: string): Promise<PulumiResult> {
    const full = [...args, "--non-interactive", "--color", "never"];
    if (!(args[0] === "stack" && args[1] === "init")) full.push("--stack", this.stack);
    const command = `pulumi ${args.join(" ")}`;
    const started = Date.now();
    return new Promise((resolve, reject) => {
      const child = spawn("pulumi", full, {
        cwd: this.dir,
        env: this.env,
        detached: true,
        stdio: ["pipe", "pipe", "pipe"],
      });
      let output = "";
      let stdout = "";
      child.stdout.on("data", (b: Buffer) => {
        output += b.toString();
        stdout += b.toString();
      });
      child.stderr.on("data", (b: Buffer) => (output += b.toString()));
      const timer = setTimeout(() => {
        try {
          if (child.pid) process.kill(-child.pid, "SIGKILL");
        } catch {
          /* already gone */
        }
      }, this.timeoutMs);
      child.on("error", (e) => {
        clearTimeout(timer);
        reject(new Error(`${command}: ${e.message}`));
      });
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        const r: PulumiResult = {
          command,
          code: code ?? (signal ? 128 : 1),
          output: signal === "SIGKILL" ? `${output}\n[killed after ${this.timeoutMs} ms]` : output,
          stdout,
          ms: Date.now() - started,
        };
        this.history.push(r);
        const n = String(this.history.length).padStart(2, "0");
        writeFileSync(
          join(this.logDir, `pulumi-${n}-${args.slice(0, 2).join("-")}.log`),
          `$ ${command}\nexit ${r.code} after ${r.ms} ms\n${r.output}`,
        );
        resolve(r);
      });
      child.stdin.end(stdin ?? "");
    });
  }

  /** Where the stack lives and how to run `pulumi` against it by hand (no secret in the text). */
  describe(): string {
    return `project ${this.dir}; run by hand: PATH=${this.env.PATH?.split(":")[0]}:$PATH PULUMI_HOME=${this.env.PULUMI_HOME} PULUMI_BACKEND_URL=${this.env.PULUMI_BACKEND_URL} PULUMI_CONFIG_PASSPHRASE_FILE=${this.env.PULUMI_CONFIG_PASSPHRASE_FILE} pulumi -C ${this.dir} stack --stack ${this.stack}`;
  }

  /** Runs a command that must succeed; throws with its output otherwise. */
  async expectOk(args: string[], stdin?: string): Promise<PulumiResult> {
    const r = await this.run(args, stdin);
    if (r.code !== 0) throw new Error(`${r.command} exited ${r.code}:\n${r.output.slice(-6000)}`);
    return r;
  }

  /** Stack outputs; secrets in clear only when asked (then neither logged nor kept in the history). */
  async outputs(showSecrets = false): Promise<Record<string, unknown>> {
    if (!showSecrets)
      return JSON.parse((await this.expectOk(["stack", "output", "--json"])).stdout) as Record<
        string,
        unknown
      >;
    const r = spawnSync(
      "pulumi",
      ["stack", "output", "--json", "--show-secrets", "--non-interactive", "--stack", this.stack],
      {
        cwd: this.dir,
        env: this.env,
        encoding: "utf8",
        timeout: 120_000,
      },
    );
    if (r.status !== 0)
      throw new Error(`pulumi stack output --show-secrets exited ${r.status ?? r.error?.message}`);
    return JSON.parse(r.stdout) as Record<string, unknown>;
  }
}

/**
 * A {@link PipelineOptions.provision} hook that makes the data plane's topics, ACLs and warehouse
 * objects with the real engine: it writes the `local` stack's config for the endpoints the harness
 * gives, runs `pulumi up`, and returns the sink password from the stack's outputs. `stack()` is the
 * stack afterwards (for previews, refreshes, destroy).
 */
export function engineProvisioner(
  ws: Workspace,
  bin: string,
  log: (line: string) => void = () => undefined,
): { provision: (e: LocalEndpoints) => Promise<ProvisionedObjects>; stack: () => EngineStack } {
  let made: EngineStack | undefined;
  return {
    provision: async (endpoints) => {
      const entries = localStackConfig(endpoints);
      made = await EngineStack.create({
        ws,
        bin,
        config: Object.fromEntries(entries.filter((e) => !e.secret).map((e) => [e.key, e.value])),
        secrets: Object.fromEntries(entries.filter((e) => e.secret).map((e) => [e.key, String(e.value)])),
      });
      const up = await made.expectOk(["up", "--yes", "--skip-preview"]);
      const created = /(\d+) created/.exec(up.output)?.[1] ?? "0";
      log(`pulumi up --stack local: ${created} resources created in ${(up.ms / 1000).toFixed(1)} s`);
      const outputs = await made.outputs(true);
      if (typeof outputs.sinkPassword !== "string")
        throw new Error("the local stack has no sinkPassword output; is Pulumi.local.yaml's target local?");
      return {
        sinkPassword: outputs.sinkPassword,
        ...(typeof outputs.reportingPassword === "string"
          ? { reportingPassword: outputs.reportingPassword }
          : {}),
      };
    },
    stack: () => {
      if (!made) throw new Error("the engine has not provisioned anything yet");
      return made;
    },
  };
}
