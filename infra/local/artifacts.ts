import { spawn, spawnSync } from "child_process";
import { createHash } from "crypto";
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "fs";
import { homedir } from "os";
import { join, relative } from "path";
import { sleep, tailFile } from "./proc";

/**
 * The jars of the loopback data plane, fetched from Maven Central with the pinned manifest in
 * `infra/local/maven/` into a cache outside the repository, keyed by a hash of the manifest: a
 * changed pin fetches into a new directory, an unchanged one is never fetched twice.
 */

/** Directory of the pinned manifest (a throwaway Maven reactor used only to copy dependencies). */
export const MANIFEST_DIR = join(__dirname, "maven");

/** Plugin directories under `plugins/`, one per Kafka Connect plugin (plugin.path isolation). */
export const PLUGIN_DIRS = {
  sqlserver: "debezium-connector-sqlserver",
  postgres: "debezium-connector-postgres",
  jdbcSink: "debezium-connector-jdbc",
} as const;

/** Where the fetched jars are. */
export interface Artifacts {
  /** Cache directory of this manifest. */
  root: string;
  /** Java classpath of the Kafka broker, tools and Kafka Connect (`<root>/kafka/libs/*`). */
  kafkaClasspath: string;
  /** Kafka Connect `plugin.path`: one sub-directory per plugin. */
  pluginPath: string;
  /** Absolute directory of each plugin. */
  plugins: Record<keyof typeof PLUGIN_DIRS, string>;
  /** Versions pinned in the manifest. */
  versions: { kafka: string; debezium: string; debeziumJdbcSink: string };
}

/** Options of {@link ensureArtifacts}. */
export interface FetchOptions {
  /** Progress and status lines. @default console.error */
  log?: (line: string) => void;
  /** Cache root. @default $CLINICMASTER_DATAPLANE_CACHE or ~/.cache/clinicmaster-dataplane */
  cacheRoot?: string;
  /** Bound on the whole fetch. @default 15 minutes */
  timeoutMs?: number;
}

/** Error with a message that says what failed and how to fix it. */
export class DataPlaneSetupError extends Error {}

const INSTALL_HINT = "run `bash scripts/install-system-deps.sh` (as root it installs the Debian packages)";

/** Throws a {@link DataPlaneSetupError} unless `java` (17 or newer) is on PATH; returns its major version. */
export function requireJava(): number {
  const r = spawnSync("java", ["-version"], { encoding: "utf8" });
  if (r.error || r.status !== 0) {
    throw new DataPlaneSetupError(
      `Java not found on PATH (needed to run Kafka and Kafka Connect); ${INSTALL_HINT}, or install a JRE 17+ (Debian: apt-get install -y openjdk-17-jre-headless)`,
    );
  }
  const m = /version "(\d+)(?:\.(\d+))?/.exec(r.stderr);
  const major = m ? (m[1] === "1" ? Number(m[2]) : Number(m[1])) : 0;
  if (major < 17) {
    throw new DataPlaneSetupError(
      `Java ${major || "(unknown version)"} found, Kafka 4 needs Java 17 or newer; ${INSTALL_HINT} or put a JRE 17+ first on PATH`,
    );
  }
  return major;
}

/** Throws a {@link DataPlaneSetupError} unless `mvn` is on PATH. */
export function requireMaven(): void {
  const r = spawnSync("mvn", ["-v"], { encoding: "utf8" });
  if (r.error || r.status !== 0) {
    throw new DataPlaneSetupError(
      `Maven (mvn) not found on PATH (needed once to fetch Kafka and Debezium from Maven Central); ${INSTALL_HINT}, or install Maven (Debian: apt-get install -y maven)`,
    );
  }
}

function manifestFiles(dir = MANIFEST_DIR): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...manifestFiles(path));
    else if (entry.name === "pom.xml") out.push(path);
  }
  return out.sort();
}

/** Hash of the manifest (every pom.xml under it), naming its cache directory. */
export function manifestHash(): string {
  const h = createHash("sha256");
  for (const file of manifestFiles()) {
    h.update(relative(MANIFEST_DIR, file)).update("\0").update(readFileSync(file)).update("\0");
  }
  return h.digest("hex").slice(0, 16);
}

/** Versions pinned in the manifest's root pom. */
export function manifestVersions(): Artifacts["versions"] {
  const pom = readFileSync(join(MANIFEST_DIR, "pom.xml"), "utf8");
  const prop = (name: string): string => {
    const m = new RegExp(`<${name.replace(/\./g, "\\.")}>([^<]+)</`).exec(pom);
    if (!m) throw new Error(`infra/local/maven/pom.xml has no <${name}> property`);
    return m[1];
  };
  return {
    kafka: prop("version.kafka"),
    debezium: prop("version.debezium"),
    debeziumJdbcSink: prop("version.debezium.jdbc"),
  };
}

/** Default cache root. */
export function defaultCacheRoot(): string {
  return (
    process.env.CLINICMASTER_DATAPLANE_CACHE ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "clinicmaster-dataplane")
  );
}

function describe(root: string): Artifacts {
  const pluginPath = join(root, "plugins");
  return {
    root,
    kafkaClasspath: join(root, "kafka", "libs", "*"),
    pluginPath,
    plugins: {
      sqlserver: join(pluginPath, PLUGIN_DIRS.sqlserver),
      postgres: join(pluginPath, PLUGIN_DIRS.postgres),
      jdbcSink: join(pluginPath, PLUGIN_DIRS.jdbcSink),
    },
    versions: manifestVersions(),
  };
}

const COMPLETE = "complete.json";

function isComplete(root: string): boolean {
  return existsSync(join(root, COMPLETE));
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Total size in bytes of the files under `dir`. */
export function directorySize(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? directorySize(path) : statSync(path).size;
  }
  return total;
}

/**
 * Returns the cached artifacts of the pinned manifest, fetching them first if needed (with a
 * progress line). Safe to call from several processes at once: one fetches, the others wait.
 */
export async function ensureArtifacts(options: FetchOptions = {}): Promise<Artifacts> {
  const log = options.log ?? ((line: string) => console.error(line));
  requireJava();
  const cacheRoot = options.cacheRoot ?? defaultCacheRoot();
  const root = join(cacheRoot, manifestHash());
  if (isComplete(root)) return describe(root);

  requireMaven();
  mkdirSync(cacheRoot, { recursive: true });
  const lock = `${root}.lock`;
  const timeoutMs = options.timeoutMs ?? 15 * 60_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, "pid"), String(process.pid));
      break;
    } catch {
      const owner = Number(readFileSafe(join(lock, "pid")));
      if (owner && !pidAlive(owner)) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new DataPlaneSetupError(
          `timed out after ${timeoutMs / 1000}s waiting for another process (pid ${owner}) to fetch ${root}; if none is running, remove ${lock}`,
        );
      }
      await sleep(1000);
      if (isComplete(root)) return describe(root);
    }
  }
  try {
    if (isComplete(root)) return describe(root);
    await fetchInto(root, log, Math.max(deadline - Date.now(), 60_000));
    return describe(root);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

async function fetchInto(root: string, log: (line: string) => void, timeoutMs: number): Promise<void> {
  const versions = manifestVersions();
  const partial = `${root}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  const logFile = join(partial, "maven.log");
  const started = Date.now();
  const what = `Kafka ${versions.kafka} and Debezium ${versions.debezium} plugins from Maven Central into ${root}`;
  log(`dataplane: fetching ${what} (once per manifest change)`);

  const args = [
    "-B",
    "-f",
    join(MANIFEST_DIR, "pom.xml"),
    // Fully qualified, so a machine that has never run Maven resolves the pinned plugin version.
    "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies",
    `-Ddataplane.out=${partial}`,
  ];
  if (process.env.CLINICMASTER_MAVEN_REPO)
    args.push(`-Dmaven.repo.local=${process.env.CLINICMASTER_MAVEN_REPO}`);
  const out = createWriteStream(logFile);
  const child = spawn("mvn", args, { stdio: ["ignore", "pipe", "pipe"] });
  let files = 0;
  let bytes = 0;
  let module = "";
  let buffer = "";
  const onData = (chunk: Buffer): void => {
    out.write(chunk);
    buffer += chunk.toString("utf8");
    const lines = buffer.split("\n");
    buffer = lines.pop() ?? "";
    for (const line of lines) {
      const dl = /Downloaded from [^:]+: \S+ \(([\d.,]+) (B|kB|MB)/.exec(line);
      if (dl) {
        files++;
        bytes +=
          Number(dl[1].replace(/,/g, "")) * ({ B: 1, kB: 1e3, MB: 1e6 } as const)[dl[2] as "B" | "kB" | "MB"];
      }
      const mod = /Building (\S+) 1\s+\[(\d+\/\d+)\]/.exec(line);
      if (mod) module = `${mod[1]} [${mod[2]}]`;
    }
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  const progress = setInterval(() => {
    const secs = Math.round((Date.now() - started) / 1000);
    log(
      `dataplane: fetching… ${files} files, ${(bytes / 1e6).toFixed(1)} MB downloaded, ${module || "resolving"} (${secs}s)`,
    );
  }, 3000);
  let code: number | null;
  try {
    code = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(
          new DataPlaneSetupError(
            `timed out after ${timeoutMs / 1000}s fetching ${what}; check access to Maven Central and retry \`npm run dataplane:fetch\` (Maven log: ${logFile})`,
          ),
        );
      }, timeoutMs);
      child.once("error", (err) => {
        clearTimeout(timer);
        reject(new DataPlaneSetupError(`could not run mvn: ${err.message}; ${INSTALL_HINT}`));
      });
      child.once("exit", (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
  } finally {
    clearInterval(progress);
    await new Promise((resolve) => out.end(resolve));
  }
  if (code !== 0) {
    // Keep the Maven log beside the cache; drop the half-filled directory.
    const failedLog = `${root}.failed-maven.log`;
    renameSync(logFile, failedLog);
    rmSync(partial, { recursive: true, force: true });
    const errors = readFileSync(failedLog, "utf8")
      .split("\n")
      .filter((l) => l.includes("[ERROR]"))
      .slice(0, 3)
      .join("\n");
    throw new DataPlaneSetupError(
      `fetching ${what} failed (mvn exit ${code}):\n${errors || tailFile(failedLog, 15)}\n` +
        `Fix: check access to Maven Central (a proxy goes in ~/.m2/settings.xml), then retry \`npm run dataplane:fetch\`; ` +
        `if an artifact is missing, correct its pin in infra/local/maven/. Full Maven log: ${failedLog}`,
    );
  }
  const size = directorySize(partial);
  writeFileSync(
    join(partial, COMPLETE),
    `${JSON.stringify({ versions, fetchedAt: new Date().toISOString(), seconds: (Date.now() - started) / 1000, bytes: size }, null, 2)}\n`,
  );
  rmSync(root, { recursive: true, force: true });
  renameSync(partial, root);
  log(
    `dataplane: fetched ${files} files (${(bytes / 1e6).toFixed(1)} MB downloaded) in ${Math.round((Date.now() - started) / 1000)}s; cache ${root} is ${(size / 1e6).toFixed(0)} MB`,
  );
}
