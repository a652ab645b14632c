import { randomBytes } from "crypto";
import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { onExitCleanup } from "./proc";

const PREFIX = "clinicmaster-dataplane-";
const OWNER = "owner.pid";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Removes workspaces left by runs whose Node process died without cleaning up (the process reaper
 * has already killed their servers). Kept workspaces (`keep`) have no owner file and stay.
 */
function sweepStale(): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(PREFIX)) continue;
    const dir = join(tmpdir(), name);
    let owner: { pid: number; foreign: string[] };
    try {
      owner = JSON.parse(readFileSync(join(dir, OWNER), "utf8")) as typeof owner;
    } catch {
      continue;
    }
    if (alive(owner.pid)) continue;
    for (const path of [...owner.foreign, dir]) rmSync(path, { recursive: true, force: true });
  }
}

/**
 * A temporary directory for one data-plane run: server data, generated configs, secrets and logs.
 * Removed by `dispose()` unless `CLINICMASTER_KEEP_DATAPLANE=1` or `keep()` was called (a failed
 * test keeps its logs so they can be read).
 */
export class Workspace {
  /** Root of the run's files (mode 0700). */
  readonly root: string;
  /** Where every process writes its log. */
  readonly logs: string;
  private kept = process.env.CLINICMASTER_KEEP_DATAPLANE === "1";
  private readonly foreign: string[] = [];

  constructor() {
    sweepStale();
    this.root = mkdtempSync(join(tmpdir(), PREFIX));
    this.logs = this.dir("logs");
    this.writeOwner();
    this.unregister = onExitCleanup(() => this.dispose());
  }

  private readonly unregister: () => void;

  private writeOwner(): void {
    if (this.kept) rmSync(join(this.root, OWNER), { force: true });
    else writeFileSync(join(this.root, OWNER), JSON.stringify({ pid: process.pid, foreign: this.foreign }));
  }

  /** A sub-directory of the workspace, created if needed. */
  dir(...parts: string[]): string {
    const path = join(this.root, ...parts);
    mkdirSync(path, { recursive: true, mode: 0o700 });
    return path;
  }

  /** Log file path of a named process. */
  logFile(name: string): string {
    return join(this.logs, `${name}.log`);
  }

  /**
   * A directory that another user (PostgreSQL's) owns. It sits beside the workspace, not inside it,
   * because the workspace root is 0700 and that user could not traverse it.
   */
  foreignDir(name: string, uid: number, gid: number): string {
    const path = mkdtempSync(join(tmpdir(), `${PREFIX}${name}-`));
    chownSync(path, uid, gid);
    chmodSync(path, 0o700);
    this.foreign.push(path);
    this.writeOwner();
    return path;
  }

  /** Keep the files after dispose (for a failed run). */
  keep(): void {
    this.kept = true;
    this.writeOwner();
  }

  /** True when dispose will leave the files. */
  get isKept(): boolean {
    return this.kept;
  }

  /** Removes the files unless kept. Call after every process has stopped. */
  dispose(): void {
    this.unregister();
    if (this.kept) return;
    for (const path of [...this.foreign, this.root]) rmSync(path, { recursive: true, force: true });
  }
}

/** A random password of 24 hex characters (fresh per run; never written outside the workspace). */
export function randomPassword(): string {
  return randomBytes(12).toString("hex");
}
