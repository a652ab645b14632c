import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { decompress as zstdDecompress } from "fzstd";
import { CompressionCodecs, CompressionTypes } from "kafkajs";
import type { Client } from "pg";
import type { FacilityConfig } from "../config/facility";
import type { PlatformConfig } from "../config/platform";
import { REPO_ROOT, facilityStackFiles, loadFacilityStack, loadPlatformStack } from "../config/stackfiles";
import {
  ADMIN_PRINCIPAL,
  DLQ_TOPIC,
  HEARTBEAT_TOPIC,
  SECRET_FILES,
  SINK_CONNECTOR,
  SINK_PRINCIPAL,
  WAREHOUSE_ROLES,
  aclMatrix,
  facilityAcls,
  facilityPrincipal,
  facilityWorkerProperties,
  jdbcSinkConnector,
  postgresStandInFlavor,
  sinkConsumerGroup,
  sinkWorkerProperties,
  sourceConnector,
  sourceConnectorName,
  topicSpecs,
  type ConnectorDefinition,
} from "../connect";
import { watchdogScript } from "../watchdog";
import { type Artifacts, ensureArtifacts } from "./artifacts";
import { TABLES, type Comparison, type TableDef, compareFacility, seed } from "./clinicmaster";
import { type ConnectWorker, startConnectWorker } from "./connect";
import { type KafkaCluster, type ScramUser, startKafka } from "./kafka";
import { applyAcls, createTopics, upsertScramUsers, withAdmin } from "./kafka-admin";
import { type PostgresServer, startPostgres } from "./postgres";
import { ManagedProcess, freePort, stopAll, waitFor } from "./proc";
import type { FacilityStatus, PipelineSnapshot } from "./status";
import { Workspace, randomPassword } from "./workspace";

/**
 * Lets kafkajs read batches the facility workers compress with zstd (`producer.compression.type`);
 * kafkajs ships no zstd codec and would crash the heartbeat reader with "ZSTD compression not
 * implemented". Decompression only: the harness never produces zstd itself.
 */
function registerZstdCodec(): void {
  // kafkajs's own entry for ZSTD is a stub that throws; replace it.
  CompressionCodecs[CompressionTypes.ZSTD] = () => ({
    compress: async () => {
      throw new Error("the loopback harness does not produce zstd batches");
    },
    decompress: async (buffer: Buffer) => Buffer.from(zstdDecompress(buffer)),
  });
}

/** The warehouse database of the loopback data plane. */
export const LOCAL_WAREHOUSE_DB = "clinicmaster_warehouse";

/**
 * Roles of the warehouse, as the platform creates them with @pulumi/postgresql: the sink login may
 * create tables in `public`; the read-only group gets SELECT on every table the sink creates later
 * (default privileges); a reporting login inherits it.
 */
export function warehouseRolesSql(passwords: { sink: string; reporting: string }): string[] {
  const r = WAREHOUSE_ROLES;
  const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;
  return [
    `CREATE ROLE ${r.sink} LOGIN PASSWORD ${lit(passwords.sink)}`,
    `GRANT CONNECT ON DATABASE ${LOCAL_WAREHOUSE_DB} TO ${r.sink}`,
    `GRANT USAGE, CREATE ON SCHEMA public TO ${r.sink}`,
    `CREATE ROLE ${r.readonly} NOLOGIN`,
    `GRANT CONNECT ON DATABASE ${LOCAL_WAREHOUSE_DB} TO ${r.readonly}`,
    `GRANT USAGE ON SCHEMA public TO ${r.readonly}`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE ${r.sink} IN SCHEMA public GRANT SELECT ON TABLES TO ${r.readonly}`,
    `CREATE ROLE ${r.reporting} LOGIN PASSWORD ${lit(passwords.reporting)} IN ROLE ${r.readonly}`,
  ];
}

/**
 * Where the loopback data plane runs, as a `local` platform stack needs it (`Pulumi.local.yaml`): given to
 * {@link PipelineOptions.provision} once Kafka and PostgreSQL run, before anything is created in them.
 */
export interface LocalEndpoints {
  kafka: {
    /** Client listeners (SASL_SSL), `127.0.0.1:<port>` each. */
    bootstrapServers: string[];
    /** Replication factor of the cluster's topics (1 or 3 nodes). */
    replicationFactor: 1 | 3;
    /** PEM file of the self-signed broker certificate clients must trust. */
    caCertFile: string;
    /** The super user (`ADMIN_PRINCIPAL`) and its SCRAM-SHA-512 password. */
    adminUsername: string;
    adminPassword: string;
  };
  warehouse: {
    host: string;
    port: number;
    /** Superuser of the warehouse's server and its password. */
    username: string;
    password: string;
    /** Database a provider logs into to create the warehouse database (`postgres`). */
    maintenanceDatabase: string;
    /** The warehouse database the harness connects the sink to once the hook returns. */
    databaseName: string;
  };
  /** DHIS2 codes of the facilities the harness will run: their principals need the matrix's ACLs. */
  facilities: string[];
}

/** What {@link PipelineOptions.provision} returns: the passwords of the warehouse logins it created. */
export interface ProvisionedObjects {
  /** Password of the sink login (`clinicmaster_sink`). */
  sinkPassword: string;
  /** Password of the reporting login; the harness does not use it. */
  reportingPassword?: string;
}

/** One `platform:*` config entry of a local stack: the value as `pulumi config set` takes it. */
export interface StackConfigEntry {
  /** Full key, e.g. `platform:local`. */
  key: string;
  /** Plain string, or an object/list written to the stack file as YAML (`--path` / `--config-file`). */
  value: string | number | Record<string, unknown> | unknown[];
  /** Set with `pulumi config set --secret`, never written in plain text. */
  secret: boolean;
}

/**
 * The `platform:*` entries a `local` platform stack needs to make its objects on these endpoints:
 * `target`, `environment`, `local` (plain) and the two passwords (secret). Pure. Tables, retention and
 * the other settings come from `Pulumi.local.yaml`; these entries replace its placeholders.
 */
export function localStackConfig(e: LocalEndpoints): StackConfigEntry[] {
  return [
    { key: "platform:target", value: "local", secret: false },
    { key: "platform:environment", value: "local", secret: false },
    {
      key: "platform:local",
      value: {
        kafka: {
          bootstrapServers: [...e.kafka.bootstrapServers],
          caCertFile: e.kafka.caCertFile,
          replicationFactor: e.kafka.replicationFactor,
        },
        warehouse: {
          host: e.warehouse.host,
          port: e.warehouse.port,
          username: e.warehouse.username,
          database: e.warehouse.maintenanceDatabase,
          sslmode: "disable",
        },
        facilities: [...e.facilities],
      },
      secret: false,
    },
    { key: "platform:warehouse", value: { databaseName: e.warehouse.databaseName }, secret: false },
    { key: "platform:localKafkaAdminPassword", value: e.kafka.adminPassword, secret: true },
    { key: "platform:localWarehousePassword", value: e.warehouse.password, secret: true },
  ];
}

/** Options of {@link Pipeline.start}. */
export interface PipelineOptions {
  /** Facilities to run. @default every `facilities/Pulumi.*.yaml` */
  facilities?: FacilityConfig[];
  /** Platform config (tables, sink batch/tasks). @default Pulumi.dev.yaml */
  platform?: PlatformConfig;
  /** Kafka nodes. @default 1 */
  brokers?: 1 | 3;
  /** Rows per table seeded into each facility's stand-in before capture starts. @default 50 */
  rowsPerTable?: number;
  /** Sink tasks. @default 1 */
  sinkTasks?: number;
  /** Sink batch size. @default platform.sink.batchSize */
  batchSize?: number;
  /** Run a watchdog beside every worker. @default true */
  watchdog?: boolean;
  /** Watchdog poll interval. @default 2000 ms */
  watchdogIntervalMs?: number;
  /** Facility heartbeat interval for the loopback run. @default 5000 ms */
  heartbeatIntervalMs?: number;
  /** Stand-in tables. @default TABLES */
  tables?: TableDef[];
  /**
   * Run the warehouse on a PostgreSQL server of its own, so it can be stopped while the facilities'
   * stand-in databases keep changing. @default false (one server holds the stand-ins and the warehouse)
   */
  separateWarehouse?: boolean;
  /**
   * Objects are made by someone else (the `local` Pulumi stack): called once Kafka and PostgreSQL run,
   * before anything is created in them; the harness then creates no topic, no ACL, no warehouse
   * database or role, and uses the sink password returned. SCRAM users are still created by the
   * harness. The warehouse database must be named {@link LOCAL_WAREHOUSE_DB}.
   * @default none: the harness creates the topics, ACLs, database and roles itself
   */
  provision?: (endpoints: LocalEndpoints) => Promise<ProvisionedObjects>;
}

/** One facility of the loopback data plane. */
export interface LocalFacility {
  config: FacilityConfig;
  user: ScramUser;
  database: string;
  secretsDir: string;
  dataDir: string;
  connector: ConnectorDefinition;
  worker: ConnectWorker;
  watchdog?: { process: ManagedProcess; port: number };
  /** Connection to the facility's stand-in database (superuser). */
  db: Client;
}

function allFacilities(): FacilityConfig[] {
  return facilityStackFiles().map((f) => loadFacilityStack(f).config);
}

/**
 * The whole pipeline on loopback, fed the exact configuration of `infra/connect`: Kafka with the
 * ACL matrix and the platform's topics, one standalone Debezium worker per facility (PostgreSQL
 * stand-in source), the distributed JDBC sink worker, the warehouse with its roles, and a watchdog
 * beside every worker.
 */
export class Pipeline {
  readonly facilities = new Map<string, LocalFacility>();
  sink!: {
    worker: ConnectWorker;
    connector: ConnectorDefinition;
    secretsDir: string;
    user: ScramUser;
    watchdog?: { process: ManagedProcess; port: number };
  };
  /** Connection to the warehouse (superuser); replaced by {@link Pipeline.warehouse} after a restart. */
  wh!: Client;
  private whBroken = false;
  private watchdogFile?: string;

  private constructor(
    readonly ws: Workspace,
    readonly artifacts: Artifacts,
    readonly kafka: KafkaCluster,
    /** The server of the facilities' stand-in databases (and of the warehouse, unless separate). */
    readonly pg: PostgresServer,
    /** The warehouse's server: `pg` itself unless `separateWarehouse`. */
    readonly warehousePg: PostgresServer,
    readonly platform: PlatformConfig,
    readonly options: PipelineOptions,
  ) {}

  /** Starts everything; on failure stops what was started and rethrows. */
  static async start(options: PipelineOptions = {}): Promise<Pipeline> {
    const ws = new Workspace();
    try {
      const artifacts = await ensureArtifacts();
      const platform = options.platform ?? loadPlatformStack(join(REPO_ROOT, "Pulumi.dev.yaml")).config;
      const sinkUser = { name: SINK_PRINCIPAL, password: randomPassword() };
      const [kafka, pg, warehousePg] = await Promise.all([
        startKafka({ ws, artifacts, brokers: options.brokers ?? 1, users: [sinkUser] }),
        startPostgres({ ws }),
        options.separateWarehouse ? startPostgres({ ws, name: "warehouse", maxFacilities: 0 }) : undefined,
      ]);
      const p = new Pipeline(ws, artifacts, kafka, pg, warehousePg ?? pg, platform, options);
      const facilities = options.facilities ?? allFacilities();
      if (options.provision) {
        const objects = await options.provision(p.endpoints(facilities.map((f) => f.dhis2Code)));
        await p.startWarehouseAndSink(sinkUser, objects.sinkPassword);
      } else {
        const rf = kafka.replicationFactor;
        await createTopics(
          kafka,
          topicSpecs(platform, { replicationFactor: rf, minInsyncReplicas: rf === 1 ? 1 : 2 }),
        );
        await applyAcls(
          kafka,
          aclMatrix([]).flatMap((m) => (m.role === "sink" ? m.acls : [])),
        );
        await p.startWarehouseAndSink(sinkUser);
      }
      for (const f of facilities) await p.addFacility(f);
      return p;
    } catch (e) {
      await stopAll();
      ws.keep();
      ws.dispose();
      throw e;
    }
  }

  private async startWatchdog(
    name: string,
    worker: ConnectWorker,
  ): Promise<{ process: ManagedProcess; port: number } | undefined> {
    if (this.options.watchdog === false) return undefined;
    if (!this.watchdogFile) {
      this.watchdogFile = join(this.ws.dir("watchdog"), "watchdog.js");
      writeFileSync(this.watchdogFile, watchdogScript());
    }
    const port = await freePort();
    const interval = String(this.options.watchdogIntervalMs ?? 2000);
    const process = new ManagedProcess({
      name: `watchdog-${name}`,
      command: globalThis.process.execPath,
      args: [this.watchdogFile],
      logFile: this.ws.logFile(`watchdog-${name}`),
      env: {
        CONNECT_URL: worker.restUrl,
        WATCHDOG_INTERVAL_MS: interval,
        WATCHDOG_INITIAL_DELAY_MS: interval,
        WATCHDOG_MAX_DELAY_MS: "20000",
        WATCHDOG_PORT: String(port),
        WATCHDOG_HOST: "127.0.0.1",
      },
      stopTier: 0,
    });
    return { process, port };
  }

  /**
   * The warehouse connection, reconnected if the server went away since (a stopped or killed
   * warehouse must not take the harness down with it).
   */
  async warehouse(): Promise<Client> {
    if (this.whBroken) {
      await this.wh.end().catch(() => undefined);
      this.wh = await this.connectWarehouse();
    }
    return this.wh;
  }

  private async connectWarehouse(): Promise<Client> {
    const client = await this.warehousePg.connect(LOCAL_WAREHOUSE_DB);
    this.whBroken = false;
    client.on("error", () => {
      if (this.wh === client) this.whBroken = true;
    });
    client.on("end", () => {
      if (this.wh === client) this.whBroken = true;
    });
    return client;
  }

  /** Where Kafka and the warehouse run, for a `local` platform stack (see {@link localStackConfig}). */
  endpoints(facilities: string[] = [...this.facilities.keys()]): LocalEndpoints {
    return {
      kafka: {
        bootstrapServers: this.kafka.bootstrapServers.split(","),
        replicationFactor: this.kafka.replicationFactor === 3 ? 3 : 1,
        caCertFile: this.kafka.tls.caPemPath,
        adminUsername: ADMIN_PRINCIPAL,
        adminPassword: this.kafka.admin.password,
      },
      warehouse: {
        host: this.warehousePg.host,
        port: this.warehousePg.port,
        username: this.warehousePg.superuser,
        password: this.warehousePg.password,
        maintenanceDatabase: "postgres",
        databaseName: LOCAL_WAREHOUSE_DB,
      },
      facilities,
    };
  }

  /** With `provisionedSinkPassword`, the database and roles exist already (made by the `provision` hook). */
  private async startWarehouseAndSink(user: ScramUser, provisionedSinkPassword?: string): Promise<void> {
    let sinkDbPassword: string;
    if (provisionedSinkPassword === undefined) {
      await this.warehousePg.createDatabase(LOCAL_WAREHOUSE_DB);
      sinkDbPassword = randomPassword();
      const admin = await this.warehousePg.connect(LOCAL_WAREHOUSE_DB);
      try {
        for (const sql of warehouseRolesSql({ sink: sinkDbPassword, reporting: randomPassword() }))
          await admin.query(sql);
      } finally {
        await admin.end();
      }
    } else sinkDbPassword = provisionedSinkPassword;
    this.wh = await this.connectWarehouse();
    const secretsDir = this.ws.dir("secrets", "sink");
    writeFileSync(join(secretsDir, SECRET_FILES.kafkaPassword), user.password, { mode: 0o400 });
    writeFileSync(join(secretsDir, SECRET_FILES.databasePassword), sinkDbPassword, { mode: 0o400 });
    const rf = this.kafka.replicationFactor;
    const worker = await startConnectWorker({
      ws: this.ws,
      artifacts: this.artifacts,
      name: "connect-sink",
      mode: "distributed",
      properties: sinkWorkerProperties(
        { batchSize: this.options.batchSize ?? this.platform.sink.batchSize, internalReplicationFactor: rf },
        this.kafka.connection(),
        { secretsDir },
      ),
    });
    const connector = jdbcSinkConnector({
      jdbcUrl: this.warehousePg.jdbcUrl(LOCAL_WAREHOUSE_DB),
      username: WAREHOUSE_ROLES.sink,
      tasks: this.options.sinkTasks ?? 1,
      batchSize: this.options.batchSize ?? this.platform.sink.batchSize,
      secretsDir,
      dlqReplicationFactor: rf,
    });
    await worker.putConnector(connector.name, connector.config);
    await worker.waitForRunning(SINK_CONNECTOR);
    this.sink = { worker, connector, secretsDir, user, watchdog: await this.startWatchdog("sink", worker) };
  }

  /**
   * Adds a facility: its SCRAM principal and exactly the matrix's ACLs, a stand-in database seeded
   * with rows whose IDs equal every other facility's, and its standalone worker with the source
   * connector registered at start. `databasePassword` overrides the real one (to test a wrong one).
   */
  async addFacility(
    config: FacilityConfig,
    opts: { databasePassword?: string; rowsPerTable?: number; start?: boolean } = {},
  ): Promise<LocalFacility> {
    const facility: FacilityConfig = {
      ...config,
      heartbeatIntervalMs: this.options.heartbeatIntervalMs ?? 5000,
    };
    const code = facility.dhis2Code;
    const user = { name: facilityPrincipal(code), password: randomPassword() };
    await upsertScramUsers(this.kafka, [user]);
    // With `provision`, the stack's ACL matrix holds this facility (LocalEndpoints.facilities).
    if (!this.options.provision) await applyAcls(this.kafka, facilityAcls(code));
    const database = `clinicmaster_${code.toLowerCase().replace(/[^a-z0-9_]/g, "_")}`;
    await this.pg.createDatabase(database);
    const db = await this.pg.connect(database);
    // A stopped server ends this connection; without a listener the error would end the process.
    db.on("error", () => undefined);
    await seed(
      db,
      Number.parseInt(code, 36) % 100_000,
      opts.rowsPerTable ?? this.options.rowsPerTable ?? 50,
      this.options.tables ?? TABLES,
    );
    const secretsDir = this.ws.dir("secrets", facility.slug);
    const dataDir = this.ws.dir("data", facility.slug);
    writeFileSync(join(secretsDir, SECRET_FILES.kafkaPassword), user.password, { mode: 0o400 });
    writeFileSync(
      join(secretsDir, SECRET_FILES.databasePassword),
      opts.databasePassword ?? this.pg.password,
      { mode: 0o400 },
    );
    const rf = this.kafka.replicationFactor;
    const sourceOpts = {
      dataDir,
      secretsDir,
      replicationFactor: rf,
      minInsyncReplicas: rf === 1 ? 1 : 2,
      defaultPartitions: this.platform.defaultPartitions,
    };
    const connector = sourceConnector(
      facility,
      postgresStandInFlavor(
        facility,
        {
          host: this.pg.host,
          port: this.pg.port,
          database,
          user: this.pg.superuser,
          slotName: `clinicmaster_${code.toLowerCase().replace(/[^a-z0-9_]/g, "_")}`,
        },
        sourceOpts,
      ),
      sourceOpts,
    );
    const worker = await startConnectWorker({
      ws: this.ws,
      artifacts: this.artifacts,
      name: `connect-${facility.slug}`,
      mode: "standalone",
      properties: facilityWorkerProperties(facility, this.kafka.connection(), { dataDir, secretsDir }),
      connectors: [connector],
      startTimeoutMs: 180_000,
      // A deliberately wrong database password can make standalone Connect stop while starting.
      mayExitOnStart: opts.databasePassword !== undefined,
    });
    const local: LocalFacility = {
      config: facility,
      user,
      database,
      secretsDir,
      dataDir,
      connector,
      worker,
      db,
    };
    local.watchdog = await this.startWatchdog(facility.slug, worker);
    this.facilities.set(code, local);
    return local;
  }

  /** The facility with this DHIS2 code; throws naming the known ones. */
  facility(code: string): LocalFacility {
    const f = this.facilities.get(code);
    if (!f)
      throw new Error(
        `no facility ${code} in this pipeline (have ${[...this.facilities.keys()].join(", ")})`,
      );
    return f;
  }

  /** Waits until every facility's source connector and the sink are RUNNING. */
  async waitForRunning(timeoutMs = 180_000): Promise<void> {
    for (const f of this.facilities.values())
      await f.worker.waitForRunning(sourceConnectorName(f.config.dhis2Code), { timeoutMs });
    await this.sink.worker.waitForRunning(SINK_CONNECTOR, { timeoutMs });
  }

  /** Source vs warehouse for every table of every facility (or the given ones). */
  async compareAll(codes: string[] = [...this.facilities.keys()]): Promise<Comparison[]> {
    const out: Comparison[] = [];
    const wh = await this.warehouse();
    for (const code of codes)
      out.push(...(await compareFacility(this.facility(code).db, wh, code, this.options.tables ?? TABLES)));
    return out;
  }

  /** Waits until the warehouse matches every source exactly; the error lists the mismatches. */
  async waitForConvergence(timeoutMs = 180_000, codes?: string[]): Promise<Comparison[]> {
    let last: Comparison[] = [];
    try {
      return await waitFor(
        "the warehouse to match every facility's source (row count and content digest per table)",
        async () => {
          last = await this.compareAll(codes);
          return last.every((c) => c.match) ? last : false;
        },
        { timeoutMs, intervalMs: 1000 },
      );
    } catch (e) {
      const bad = last
        .filter((c) => !c.match)
        .map(
          (c) =>
            `${c.facility}/${c.table}: source ${c.source.rows} rows ${c.source.digest}, warehouse ${c.warehouse.rows} rows ${c.warehouse.digest}`,
        );
      throw new Error(`${(e as Error).message}\nmismatches:\n  ${bad.join("\n  ")}`);
    }
  }

  /** Records on the DLQ. */
  async dlqCount(): Promise<number> {
    return withAdmin(this.kafka, async (admin) => {
      const offsets = await admin.fetchTopicOffsets(DLQ_TOPIC);
      return offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0);
    });
  }

  /** Sink consumer lag over the data topics. */
  async consumerLag(): Promise<number> {
    return withAdmin(this.kafka, async (admin) => {
      const committed = await admin.fetchOffsets({ groupId: sinkConsumerGroup() });
      let lag = 0;
      for (const t of committed) {
        const ends = await admin.fetchTopicOffsets(t.topic);
        for (const p of t.partitions) {
          const end = Number(ends.find((e) => e.partition === p.partition)?.high ?? 0);
          lag += Math.max(0, end - Math.max(0, Number(p.offset)));
        }
      }
      return lag;
    });
  }

  private async watchdogCounts(w?: { port: number }): Promise<{ restarts: number; lastError?: string }> {
    if (!w) return { restarts: 0 };
    try {
      const res = await fetch(`http://127.0.0.1:${w.port}/watchdog`, { signal: AbortSignal.timeout(2000) });
      const body = (await res.json()) as {
        restarts: number;
        workerReachable?: boolean;
        lastPollError?: string;
        connectors: Record<string, { lastError?: string; failedTasks: number; state: string }>;
      };
      const failing = Object.values(body.connectors).find((c) => c.failedTasks > 0 || c.state === "FAILED");
      const unreachable =
        body.workerReachable === false
          ? `watchdog cannot reach the worker: ${body.lastPollError}`
          : undefined;
      return { restarts: body.restarts, lastError: failing?.lastError ?? unreachable };
    } catch {
      return { restarts: 0 };
    }
  }

  /** Warehouse rows of one facility in one table; 0 while the table or the warehouse is missing. */
  private async warehouseRows(wh: Client | undefined, table: string, code: string): Promise<number> {
    if (!wh) return 0;
    try {
      const exists = await wh.query(
        "SELECT 1 FROM information_schema.tables WHERE table_schema='public' AND table_name=$1",
        [table],
      );
      if (!exists.rowCount) return 0;
      const res = await wh.query(`SELECT count(*) AS n FROM public."${table}" WHERE facility_dhis2_code=$1`, [
        code,
      ]);
      return Number(res.rows[0].n);
    } catch {
      // warehouse down: the status view shows the sink's state instead
      return 0;
    }
  }

  /** One snapshot for the status view. */
  async snapshot(): Promise<PipelineSnapshot> {
    const facilities: FacilityStatus[] = [];
    const tables = this.options.tables ?? TABLES;
    const wh = await this.warehouse().catch(() => undefined);
    const warehouse: Record<string, Record<string, number>> = {};
    for (const t of tables) warehouse[t.name] = {};
    for (const f of this.facilities.values()) {
      const code = f.config.dhis2Code;
      let connector = "DOWN";
      let tasks: string[] = [];
      try {
        const s = await f.worker.status(sourceConnectorName(code));
        connector = s.connector.state;
        tasks = s.tasks.map((t) => t.state);
      } catch {
        // worker stopped or starting
      }
      const wd = await this.watchdogCounts(f.watchdog);
      let events = 0;
      for (const t of tables) {
        const n = await this.warehouseRows(wh, t.name, code);
        warehouse[t.name][code] = n;
        events += n;
      }
      facilities.push({
        slug: f.config.slug,
        code,
        connector,
        tasks,
        eventsCaptured: events,
        watchdogRestarts: wd.restarts,
        lastError: wd.lastError,
        lastHeartbeatAt: await this.lastHeartbeatAt(code),
      });
    }
    let sinkConnector = "DOWN";
    let sinkTasks: string[] = [];
    try {
      const s = await this.sink.worker.status(SINK_CONNECTOR);
      sinkConnector = s.connector.state;
      sinkTasks = s.tasks.map((t) => t.state);
    } catch {
      // worker stopped or starting
    }
    const wd = await this.watchdogCounts(this.sink.watchdog);
    return {
      at: Date.now(),
      facilities,
      sink: {
        connector: sinkConnector,
        tasks: sinkTasks,
        watchdogRestarts: wd.restarts,
        lastError: wd.lastError,
      },
      warehouse,
      dlqRecords: await this.dlqCount().catch(() => -1),
      consumerLag: await this.consumerLag().catch(() => -1),
    };
  }

  private heartbeatSeen = new Map<string, number>();
  private heartbeatConsumerStarted = false;

  /** Last heartbeat of a facility, from a consumer on the heartbeat topic run as the admin. */
  private async lastHeartbeatAt(code: string): Promise<number | undefined> {
    if (!this.heartbeatConsumerStarted) {
      this.heartbeatConsumerStarted = true;
      registerZstdCodec();
      const consumer = this.kafka
        .kafkajs(this.kafka.admin, "status-heartbeats")
        .consumer({ groupId: `clinicmaster-status-${process.pid}` });
      await consumer.connect();
      await consumer.subscribe({ topic: HEARTBEAT_TOPIC, fromBeginning: true });
      void consumer.run({
        eachMessage: async ({ message }) => {
          const key = message.key?.toString() ?? "";
          const m = /"facility_dhis2_code":"([^"]+)"/.exec(key);
          if (m) this.heartbeatSeen.set(m[1], Number(message.timestamp));
        },
      });
      this.stopHooks.push(() => consumer.disconnect());
    }
    return this.heartbeatSeen.get(code);
  }

  private stopHooks: (() => Promise<void>)[] = [];

  /** Stops every process, closes connections and removes the workspace (kept when `keepLogs`). */
  async stop(keepLogs = false): Promise<void> {
    for (const h of this.stopHooks) await h().catch(() => undefined);
    for (const f of this.facilities.values()) await f.db.end().catch(() => undefined);
    await this.wh?.end().catch(() => undefined);
    await stopAll();
    if (keepLogs) this.ws.keep();
    this.ws.dispose();
  }
}
