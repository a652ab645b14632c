import { spawn, spawnSync } from "child_process";
import { chownSync, existsSync, mkdirSync, writeFileSync } from "fs";
import { join } from "path";
import { Client } from "pg";
import { DataPlaneSetupError } from "./artifacts";
import { ManagedProcess, waitFor, withTimeout, freePort } from "./proc";
import { randomPassword, type Workspace } from "./workspace";

/** Debian's PostgreSQL 15 server binaries. */
export const DEFAULT_PG_BIN = "/usr/lib/postgresql/15/bin";

/** Options of {@link startPostgres}. */
export interface PostgresOptions {
  ws: Workspace;
  /** Name used for the data directory and log (`<name>.log`). @default postgres */
  name?: string;
  /** Facilities whose Debezium connectors will hold a replication slot each. @default 10 */
  maxFacilities?: number;
  /** Directory of initdb/postgres. @default $CLINICMASTER_PG_BIN or /usr/lib/postgresql/15/bin */
  binDir?: string;
  /** @default 60 s */
  startTimeoutMs?: number;
}

/** The operating-system account PostgreSQL runs as: `postgres` when we are root, else ourselves. */
function serverAccount(): { uid?: number; gid?: number; name: string } {
  if (process.getuid?.() !== 0) return { name: "the current user" };
  const uid = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
  const gid = spawnSync("id", ["-g", "postgres"], { encoding: "utf8" });
  if (uid.status !== 0 || gid.status !== 0) {
    throw new DataPlaneSetupError(
      "running as root, PostgreSQL needs an unprivileged `postgres` account and there is none; install postgresql-15 (bash scripts/install-system-deps.sh), which creates it",
    );
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()), name: "postgres" };
}

/**
 * A PostgreSQL 15 server on a free loopback port, TCP only, password (SCRAM) authentication,
 * `wal_level=logical` with replication slots and WAL senders for `maxFacilities` Debezium connectors.
 */
export class PostgresServer {
  readonly host = "127.0.0.1";
  /** The bootstrap superuser. */
  readonly superuser = "postgres";
  process?: ManagedProcess;

  constructor(
    private readonly options: Required<PostgresOptions>,
    private readonly account: { uid?: number; gid?: number },
    readonly port: number,
    readonly password: string,
    readonly dataDir: string,
    private readonly socketDir: string,
  ) {}

  /** `postgresql://` URL for the superuser (or another login). */
  url(database = "postgres", user = this.superuser, password = this.password): string {
    return `postgresql://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${this.host}:${this.port}/${encodeURIComponent(database)}`;
  }

  /** JDBC URL, as the Debezium JDBC sink takes it. */
  jdbcUrl(database: string): string {
    return `jdbc:postgresql://${this.host}:${this.port}/${database}`;
  }

  /** A connected client (caller ends it). */
  async connect(database = "postgres", user = this.superuser, password = this.password): Promise<Client> {
    const client = new Client({
      host: this.host,
      port: this.port,
      database,
      user,
      password,
      connectionTimeoutMillis: 5000,
    });
    await client.connect();
    return client;
  }

  /** Runs one statement as the superuser and returns its rows. */
  async query<R extends object = Record<string, unknown>>(
    sql: string,
    params: unknown[] = [],
    database = "postgres",
  ): Promise<R[]> {
    const client = await this.connect(database);
    try {
      return (await client.query(sql, params)).rows as R[];
    } finally {
      await client.end();
    }
  }

  /** Creates a database unless it exists. */
  async createDatabase(name: string, owner = this.superuser): Promise<void> {
    const exists = await this.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (exists.length === 0)
      await this.query(`CREATE DATABASE "${name.replace(/"/g, '""')}" OWNER "${owner}"`);
  }

  /** Starts the server (after a stop or kill) and waits until it accepts connections. */
  async start(): Promise<void> {
    if (this.process?.running) return;
    const { binDir, maxFacilities, ws, name } = this.options;
    // Each facility's Debezium PostgreSQL connector holds one slot and one WAL sender; the rest is
    // headroom for re-snapshots and tests that add facilities.
    const slots = String(maxFacilities + 10);
    this.process = new ManagedProcess({
      name,
      command: join(binDir, "postgres"),
      args: [
        "-D",
        this.dataDir,
        "-c",
        `listen_addresses=${this.host}`,
        "-c",
        `port=${this.port}`,
        "-c",
        `unix_socket_directories=${this.socketDir}`,
        "-c",
        "wal_level=logical",
        "-c",
        `max_replication_slots=${slots}`,
        "-c",
        `max_wal_senders=${slots}`,
        "-c",
        "max_connections=200",
        "-c",
        "shared_buffers=128MB",
        // Throwaway test data: no fsync (a killed server still recovers; only an OS crash could lose it).
        "-c",
        "fsync=off",
        "-c",
        "full_page_writes=off",
        "-c",
        "log_min_messages=warning",
      ],
      logFile: ws.logFile(name),
      cwd: this.dataDir,
      uid: this.account.uid,
      gid: this.account.gid,
      // Fast shutdown: roll back open transactions, close connections, checkpoint.
      stopSignal: "SIGINT",
      stopLeaderOnly: true,
    });
    const proc = this.process;
    await waitFor(
      `PostgreSQL on ${this.host}:${this.port} to accept connections`,
      async () => {
        const rows = await this.query("SELECT 1 AS ok");
        return rows.length === 1;
      },
      { timeoutMs: this.options.startTimeoutMs, process: proc, intervalMs: 200 },
    );
  }

  /** Graceful (fast) shutdown. */
  async stop(): Promise<void> {
    await this.process?.stop(30_000);
  }

  /** `kill -9` of the postmaster and its children. */
  async kill9(): Promise<void> {
    await this.process?.kill9();
  }
}

async function run(command: string, args: string[], account: { uid?: number; gid?: number }, cwd: string) {
  const child = spawn(command, args, {
    uid: account.uid,
    gid: account.gid,
    cwd,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString("utf8")));
  child.stderr.on("data", (c: Buffer) => (out += c.toString("utf8")));
  const code = await withTimeout(
    new Promise<number | null>((resolve, reject) => {
      child.once("error", reject);
      child.once("exit", resolve);
    }),
    120_000,
    `${command} to finish`,
  );
  if (code !== 0) throw new Error(`${command} ${args.join(" ")} failed (exit ${code}):\n${out}`);
  return out;
}

/** Initialises a fresh cluster in a temporary directory and starts it on a free loopback port. */
export async function startPostgres(options: PostgresOptions): Promise<PostgresServer> {
  const opts: Required<PostgresOptions> = {
    name: "postgres",
    maxFacilities: 10,
    binDir: process.env.CLINICMASTER_PG_BIN ?? DEFAULT_PG_BIN,
    startTimeoutMs: 60_000,
    ...options,
  };
  if (!existsSync(join(opts.binDir, "postgres")) || !existsSync(join(opts.binDir, "initdb"))) {
    throw new DataPlaneSetupError(
      `PostgreSQL 15 server binaries not found in ${opts.binDir}; run \`bash scripts/install-system-deps.sh\` (Debian package postgresql-15), or set CLINICMASTER_PG_BIN to the directory holding initdb and postgres`,
    );
  }
  const account = serverAccount();
  const base =
    account.uid === undefined
      ? opts.ws.dir(opts.name)
      : opts.ws.foreignDir(opts.name, account.uid, account.gid!);
  const dataDir = join(base, "data");
  const socketDir = join(base, "socket");
  mkdirSync(socketDir, { mode: 0o700 });
  const password = randomPassword();
  const pwfile = join(base, "pwfile");
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (account.uid !== undefined) {
    chownSync(socketDir, account.uid, account.gid!);
    chownSync(pwfile, account.uid, account.gid!);
  }
  await run(
    join(opts.binDir, "initdb"),
    [
      "-D",
      dataDir,
      "-U",
      "postgres",
      `--pwfile=${pwfile}`,
      "--auth=scram-sha-256",
      "--encoding=UTF8",
      "--locale=C.UTF-8",
      "--no-sync",
    ],
    account,
    base,
  );
  const server = new PostgresServer(opts, account, await freePort(), password, dataDir, socketDir);
  await server.start();
  return server;
}
