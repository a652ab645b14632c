import { spawn, type ChildProcess } from "child_process";
import { closeSync, existsSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { createServer } from "net";

/**
 * Process layer of the loopback data plane: every server (Kafka, Kafka Connect, PostgreSQL) is a
 * child in its own process group, logs to a file, and is killed when this Node process ends — on a
 * normal exit, a test failure, Ctrl-C or SIGTERM. Waits are bounded and say what they waited for.
 */

/** What to start. */
export interface ProcessSpec {
  /** Short name used in messages and as the log file's name (`<name>.log`). */
  name: string;
  command: string;
  args: string[];
  /** Log file receiving stdout and stderr. */
  logFile: string;
  cwd?: string;
  /** Extra environment; the parent's environment is inherited. */
  env?: Record<string, string>;
  /** Run as this user and group (PostgreSQL refuses to run as root). */
  uid?: number;
  gid?: number;
  /** Signal for a graceful stop. @default SIGTERM */
  stopSignal?: NodeJS.Signals;
  /**
   * Stop order in {@link stopAll}: lower tiers stop first, each tier in parallel. Clients (Kafka
   * Connect) stop before the servers they commit to (Kafka, PostgreSQL). @default 1
   */
  stopTier?: number;
  /**
   * Send the graceful stop signal to the leader only (PostgreSQL: the postmaster shuts its children
   * down itself; SIGINT to a backend would only cancel its query). SIGKILL always hits the group.
   * @default false
   */
  stopLeaderOnly?: boolean;
}

/** A running child in its own process group. */
export class ManagedProcess {
  readonly name: string;
  readonly logFile: string;
  readonly pid: number;
  /** Resolves with the exit code (or the signal's name) when the process has ended. */
  readonly exited: Promise<number | string>;
  private readonly child: ChildProcess;
  private readonly stopSignal: NodeJS.Signals;
  private readonly stopLeaderOnly: boolean;
  /** Stop order in {@link stopAll} (lower first). */
  readonly stopTier: number;
  private exitInfo: number | string | undefined;

  constructor(spec: ProcessSpec) {
    this.name = spec.name;
    this.logFile = spec.logFile;
    this.stopSignal = spec.stopSignal ?? "SIGTERM";
    this.stopLeaderOnly = spec.stopLeaderOnly ?? false;
    this.stopTier = spec.stopTier ?? 1;
    const fd = openSync(spec.logFile, "a");
    try {
      this.child = spawn(spec.command, spec.args, {
        cwd: spec.cwd,
        env: { ...process.env, ...spec.env },
        // Own process group: a stop reaches the JVM or postmaster and everything it started.
        detached: true,
        stdio: ["ignore", fd, fd],
        uid: spec.uid,
        gid: spec.gid,
      });
    } finally {
      closeSync(fd);
    }
    if (this.child.pid === undefined) {
      throw new Error(`${spec.name}: could not start ${spec.command} (see ${spec.logFile})`);
    }
    this.pid = this.child.pid;
    this.exited = new Promise((resolve) => {
      this.child.once("exit", (code, signal) => {
        this.exitInfo = code ?? signal ?? "unknown";
        live.delete(this);
        recordGroups();
        resolve(this.exitInfo);
      });
      this.child.once("error", (err) => {
        this.exitInfo = `spawn error: ${err.message}`;
        live.delete(this);
        recordGroups();
        resolve(this.exitInfo);
      });
    });
    live.add(this);
    installExitHooks();
    recordGroups();
  }

  /** True while the process has not exited. */
  get running(): boolean {
    return this.exitInfo === undefined;
  }

  /** Exit code or signal, once exited. */
  get exitStatus(): number | string | undefined {
    return this.exitInfo;
  }

  /** Sends a signal to the whole process group (no-op once exited). */
  signal(sig: NodeJS.Signals, leaderOnly = false): void {
    if (!this.running) return;
    try {
      process.kill(leaderOnly ? this.pid : -this.pid, sig);
    } catch {
      // The group is already gone.
    }
  }

  /**
   * Graceful stop: the stop signal to the group, then SIGKILL if it has not ended within
   * `graceMs`. Resolves once the process has exited.
   */
  async stop(graceMs = 15_000): Promise<void> {
    if (!this.running) return;
    this.signal(this.stopSignal, this.stopLeaderOnly);
    let timer: NodeJS.Timeout | undefined;
    const ended = await Promise.race([
      this.exited.then(() => true),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), graceMs))),
    ]);
    clearTimeout(timer);
    if (!ended) {
      this.signal("SIGKILL");
      await withTimeout(this.exited, 10_000, `${this.name} (pid ${this.pid}) to die after SIGKILL`);
    }
  }

  /** `kill -9` of the whole group, as a crash would; resolves once exited. */
  async kill9(): Promise<void> {
    this.signal("SIGKILL");
    await withTimeout(this.exited, 10_000, `${this.name} (pid ${this.pid}) to die after SIGKILL`);
  }

  /** Last lines of the log, for error messages. */
  tail(lines = 30): string {
    return tailFile(this.logFile, lines);
  }

  /** Throws with the log tail if the process has exited. */
  assertRunning(what: string): void {
    if (!this.running) {
      throw new Error(
        `${this.name} exited (${String(this.exitInfo)}) while ${what}; log ${this.logFile}:\n${this.tail()}`,
      );
    }
  }
}

const live = new Set<ManagedProcess>();
const exitCleanups = new Set<() => void>();

/**
 * Registers a synchronous cleanup (e.g. removing a workspace) that runs when this Node process
 * exits, after every child has been killed. Returns a function that unregisters it.
 */
export function onExitCleanup(fn: () => void): () => void {
  exitCleanups.add(fn);
  installExitHooks();
  return () => exitCleanups.delete(fn);
}

function runExitCleanups(): void {
  for (const fn of exitCleanups) {
    try {
      fn();
    } catch {
      // Best effort on the way out.
    }
  }
}

let hooksInstalled = false;

/** Processes started by this Node process and still running. */
export function liveProcesses(): ManagedProcess[] {
  return [...live];
}

/** Throws, naming each one, if any process started by this Node process is still running. */
export function assertNoProcessesLeft(): void {
  const left = [...live];
  if (left.length > 0) {
    throw new Error(`processes left running: ${left.map((x) => `${x.name}(${x.pid})`).join(", ")}`);
  }
}

/** SIGKILLs every live process group, synchronously (for exit paths that cannot wait). */
export function killAllNow(): void {
  for (const p of live) p.signal("SIGKILL");
}

/**
 * Stops every live process gracefully, tier by tier (clients before servers), each tier in parallel
 * and bounded by `graceMs`. Tests call it in `afterAll`: Jest's sandbox does not deliver the
 * process `exit` event to test code.
 */
export async function stopAll(graceMs = 10_000): Promise<void> {
  const tiers = [...new Set([...live].map((p) => p.stopTier))].sort((a, b) => a - b);
  for (const tier of tiers) {
    await Promise.all([...live].filter((p) => p.stopTier === tier).map((p) => p.stop(graceMs)));
  }
  // Nothing left to guard: end the reaper too (the next start brings a new one).
  if (live.size === 0) stopReaper();
}

/**
 * Backstop for a Node process that dies without running its exit hooks (SIGKILL, OOM): a small
 * detached shell polls this process's pid and, once it is gone, SIGKILLs every process group still
 * listed in the file. The list is rewritten whenever a child starts or exits.
 */
let reaper: { pid: number; list: string } | undefined;

const REAPER_SCRIPT = `parent=$1; list=$2
while kill -0 "$parent" 2>/dev/null; do sleep 1; done
if [ -f "$list" ]; then while read -r pg; do [ -n "$pg" ] && kill -9 "-$pg" 2>/dev/null; done < "$list"; fi
rm -f "$list"`;

function recordGroups(): void {
  if (!reaper) {
    const list = join(tmpdir(), `clinicmaster-dataplane-${process.pid}.pgids`);
    writeFileSync(list, "");
    const child = spawn("sh", ["-c", REAPER_SCRIPT, "reaper", String(process.pid), list], {
      detached: true,
      stdio: "ignore",
    });
    child.unref();
    reaper = { pid: child.pid ?? 0, list };
  }
  writeFileSync(reaper.list, [...live].map((p) => `${p.pid}\n`).join(""));
}

function stopReaper(): void {
  if (!reaper) return;
  try {
    process.kill(reaper.pid, "SIGKILL");
  } catch {
    // Already gone.
  }
  rmSync(reaper.list, { force: true });
  reaper = undefined;
}

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.once("exit", () => {
    killAllNow();
    stopReaper();
    runExitCleanups();
  });
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(sig, () => {
      // A second signal or a slow stop must not leave anything behind: hard-kill after 15 s.
      const hard = setTimeout(() => {
        killAllNow();
        process.exit(130);
      }, 15_000);
      hard.unref();
      void stopAll(5_000).finally(() => {
        killAllNow();
        process.exit(sig === "SIGINT" ? 130 : 143);
      });
    });
  }
}

/** Promise that resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Error thrown when a bounded wait runs out. */
export class WaitTimeoutError extends Error {}

/** Rejects with "timed out after Ns waiting for <what>" unless `promise` settles first. */
export async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new WaitTimeoutError(`timed out after ${timeoutMs / 1000}s waiting for ${what}`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Options of {@link waitFor}. */
export interface WaitOptions {
  timeoutMs: number;
  /** @default 250 ms */
  intervalMs?: number;
  /** A process whose death ends the wait at once, with its log tail in the error. */
  process?: ManagedProcess;
}

/**
 * Polls `check` until it returns a value other than `undefined`/`false`, or throws after
 * `timeoutMs` naming `what`, the last error `check` threw, and the process's log tail.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  options: WaitOptions,
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    options.process?.assertRunning(`waiting for ${what}`);
    try {
      const result = await check();
      if (result !== undefined && result !== false) return result;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const last = lastError instanceof Error ? `; last error: ${lastError.message}` : "";
      const log = options.process ? `\nlog ${options.process.logFile}:\n${options.process.tail()}` : "";
      throw new WaitTimeoutError(
        `timed out after ${options.timeoutMs / 1000}s waiting for ${what}${last}${log}`,
      );
    }
    await sleep(options.intervalMs ?? 250);
  }
}

/** Waits until the log file contains `pattern`. */
export function waitForLog(
  p: ManagedProcess,
  pattern: RegExp,
  what: string,
  timeoutMs: number,
): Promise<true> {
  return waitFor(what, () => existsSync(p.logFile) && pattern.test(readFileSync(p.logFile, "utf8")), {
    timeoutMs,
    process: p,
    intervalMs: 200,
  });
}

/** Last `lines` lines of a text file ("" when missing). */
export function tailFile(file: string, lines = 30): string {
  if (!existsSync(file)) return "";
  const size = statSync(file).size;
  const fd = openSync(file, "r");
  try {
    const length = Math.min(size, 64 * 1024);
    const buf = Buffer.alloc(length);
    readSync(fd, buf, 0, length, size - length);
    return buf.toString("utf8").split("\n").slice(-lines).join("\n");
  } finally {
    closeSync(fd);
  }
}

const reserved = new Set<number>();

/**
 * Free TCP ports on 127.0.0.1. All requested ports are held open together while they are chosen, so
 * one call never returns the same port twice; ports handed out earlier by this process are skipped.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = [];
  const ports: number[] = [];
  try {
    while (ports.length < count) {
      const server = createServer();
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => resolve());
      });
      servers.push(server);
      const address = server.address();
      if (address && typeof address === "object" && !reserved.has(address.port)) {
        ports.push(address.port);
      }
    }
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
  ports.forEach((p) => reserved.add(p));
  return ports;
}

/** One free loopback port. */
export async function freePort(): Promise<number> {
  return (await freePorts(1))[0];
}
