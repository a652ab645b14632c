import { z } from "zod";
import { parseCidr, parseIpv4 } from "./cidr";
import { dhis2Code } from "./facility";
import { ConfigError, problemsFromZod } from "./problems";

/** Config namespace of the platform stack: keys are `platform:<key>`. */
export const PLATFORM_NAMESPACE = "platform";

/**
 * Secrets of a `local` stack, set with `pulumi config set --secret platform:<key>`: the SCRAM password
 * of the loopback broker's super user (`ADMIN_PRINCIPAL`) and the loopback PostgreSQL superuser's.
 */
export const PLATFORM_LOCAL_SECRET_KEYS = ["localKafkaAdminPassword", "localWarehousePassword"] as const;

/** Defaults for optional platform settings, referenced by the schema. */
export const platformDefaults = {
  network: { availabilityZones: 3, adminCidrs: [] as string[] },
  kafka: {
    version: "3.9.x",
    brokerCount: 3,
    brokerInstanceType: "kafka.m7g.large",
    volumeGiB: 100,
    maxVolumeGiB: 1000,
    logRetentionDays: 30,
  },
  warehouse: {
    instanceClass: "db.m7g.large",
    allocatedStorageGiB: 100,
    maxAllocatedStorageGiB: 1000,
    backupRetentionDays: 14,
    databaseName: "clinicmaster_warehouse",
  },
  sink: { tasks: 2, batchSize: 2000, cpu: 1024, memoryMiB: 2048, desiredCount: 2 },
  retention: {
    dlqMs: 14 * 24 * 3600 * 1000,
    heartbeatMs: 24 * 3600 * 1000,
    deleteRetentionMs: 7 * 24 * 3600 * 1000,
  },
  defaultPartitions: 3,
  local: {
    kafka: { replicationFactor: 1 as const },
    warehouse: {
      host: "127.0.0.1",
      port: 5432,
      username: "postgres",
      database: "postgres",
      sslmode: "disable" as const,
    },
    facilities: [] as string[],
  },
  alarms: {
    dlqMessagesPer5Min: 1,
    sinkLagRecords: 50_000,
    silentHeartbeats: 10,
    heartbeatIntervalMs: 30_000,
    rdsCpuPercent: 80,
    rdsFreeStorageGiB: 20,
    brokerDiskPercent: 80,
  },
};

const set = (key: string, example: string) =>
  `set it with \`pulumi config set --path platform:${key} ${example}\``;
const requiredMsg =
  (key: string, example: string, what: string) =>
  (iss: { input: unknown }): string =>
    iss.input === undefined ? `required; ${set(key, example)}` : `must be ${what}`;

const cidr = z.string().refine((c) => parseCidr(c) !== undefined, {
  error: "is not a CIDR block (a.b.c.d/p with no host bits set), e.g. 10.40.0.0/16",
});

/** A source table whose shared topic the platform creates, with its partition count. */
export const tableSchema = z.strictObject({
  /** Table name in `dbo` (case as in SQL Server). */
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, {
    error: "must be a plain table name (letters, digits, '_'), without the dbo. prefix",
  }),
  /** Partitions of its shared topic (ordering is per key, so more partitions = more sink parallelism). */
  partitions: z
    .number()
    .int()
    .min(1, { error: "must be at least 1" })
    .max(60, { error: "must be at most 60; one table never needs more on this workload" }),
});
export type TableConfig = z.infer<typeof tableSchema>;

/** Network of the platform. */
export const networkSchema = z.strictObject(
  {
    /** VPC range; facility LANs must not overlap it. */
    vpcCidr: cidr.refine((c) => (parseCidr(c)?.prefix ?? 0) <= 20, {
      error: "must be /20 or larger to hold three private and three public subnets of /24",
    }),
    /** Availability zones (one broker and one subnet per AZ). @default 3 */
    availabilityZones: z
      .literal(3, { error: "must be 3: MSK brokers and RDS Multi-AZ are spread over three AZs" })
      .default(3),
    /** CIDRs allowed to reach PostgreSQL for administration (e.g. the data team's VPN). @default none */
    adminCidrs: z
      .array(
        cidr.refine((c) => c !== "0.0.0.0/0", {
          error: "must not be 0.0.0.0/0: the warehouse holds patient data; name the admin network",
        }),
      )
      .default(platformDefaults.network.adminCidrs),
  },
  { error: requiredMsg("network", "network.vpcCidr 10.40.0.0/16", "an object with vpcCidr") },
);

/** MSK cluster settings. */
export const kafkaSchema = z.strictObject({
  /** MSK Kafka version. @default 3.9.x */
  version: z
    .string()
    .regex(/^[0-9]+\.[0-9]+\.([0-9]+|x)(\.kraft)?$/, { error: "must be an MSK Kafka version such as 3.9.x" })
    .default(platformDefaults.kafka.version),
  /** Broker count, a multiple of the AZ count. @default three brokers, one per AZ */
  brokerCount: z
    .number()
    .int()
    .min(3, { error: "must be at least 3 (RF 3 with min.insync.replicas 2 survives one broker loss)" })
    .refine((n) => n % 3 === 0, { error: "must be a multiple of 3 (one broker per AZ)" })
    .default(platformDefaults.kafka.brokerCount),
  /** Broker instance type. @default kafka.m7g.large */
  brokerInstanceType: z
    .string()
    .regex(/^kafka\.[a-z0-9]+\.[a-z0-9]+$/, { error: "must be an MSK broker type such as kafka.m7g.large" })
    .default(platformDefaults.kafka.brokerInstanceType),
  /** EBS volume per broker at creation, GiB. @default 100 */
  volumeGiB: z.number().int().min(10).max(16384).default(platformDefaults.kafka.volumeGiB),
  /** Storage autoscaling ceiling per broker, GiB. @default 1000 */
  maxVolumeGiB: z.number().int().min(10).max(16384).default(platformDefaults.kafka.maxVolumeGiB),
  /** CloudWatch retention of broker logs, days. @default 30 */
  logRetentionDays: z.number().int().min(1).default(platformDefaults.kafka.logRetentionDays),
  /**
   * First deployment of a new cluster only: allow everyone on resources without ACLs so the admin can
   * create the first ACLs (MSK has no super users). Deploy with true once, then false. @default false
   */
  aclBootstrap: z.boolean({ error: "must be true or false" }).default(false),
});

/** RDS PostgreSQL warehouse settings. */
export const warehouseSchema = z.strictObject({
  /** Instance class. @default db.m7g.large */
  instanceClass: z
    .string()
    .regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, { error: "must be an RDS instance class such as db.m7g.large" })
    .default(platformDefaults.warehouse.instanceClass),
  /** Initial storage, GiB. @default 100 */
  allocatedStorageGiB: z
    .number()
    .int()
    .min(20)
    .max(65536)
    .default(platformDefaults.warehouse.allocatedStorageGiB),
  /** Storage autoscaling ceiling, GiB. @default 1000 */
  maxAllocatedStorageGiB: z
    .number()
    .int()
    .min(20)
    .max(65536)
    .default(platformDefaults.warehouse.maxAllocatedStorageGiB),
  /** Automated backup retention, days. @default 14 */
  backupRetentionDays: z
    .number()
    .int()
    .min(7, { error: "must be at least 7 days for patient records" })
    .max(35, { error: "must be at most 35 (the RDS limit)" })
    .default(platformDefaults.warehouse.backupRetentionDays),
  /** Warehouse database name. @default clinicmaster_warehouse */
  databaseName: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, { error: "must be a lowercase PostgreSQL identifier" })
    .default(platformDefaults.warehouse.databaseName),
});

/** Central sink runtime settings. */
export const sinkSchema = z.strictObject({
  /** Sink connector tasks (parallel consumers). @default 2 */
  tasks: z.number().int().min(1).max(32).default(platformDefaults.sink.tasks),
  /** Records per JDBC batch. @default 2000 */
  batchSize: z.number().int().min(1).max(100_000).default(platformDefaults.sink.batchSize),
  /** Fargate CPU units per worker. @default 1024 */
  cpu: z.union([z.literal(512), z.literal(1024), z.literal(2048), z.literal(4096)]).default(1024),
  /** Fargate memory per worker, MiB. @default 2048 */
  memoryMiB: z.number().int().min(1024).max(30720).default(platformDefaults.sink.memoryMiB),
  /** Worker count (distributed Connect cluster). @default 2 */
  desiredCount: z.number().int().min(1).max(10).default(platformDefaults.sink.desiredCount),
});

/** Topic retention (data topics are compacted; see the README). */
export const retentionSchema = z.strictObject({
  /** DLQ retention, ms. @default 14 days */
  dlqMs: z.number().int().min(3_600_000).default(platformDefaults.retention.dlqMs),
  /** Heartbeat topic retention, ms. @default 1 day */
  heartbeatMs: z.number().int().min(3_600_000).default(platformDefaults.retention.heartbeatMs),
  /** How long delete tombstones stay on compacted data topics, ms. @default 7 days */
  deleteRetentionMs: z.number().int().min(3_600_000).default(platformDefaults.retention.deleteRetentionMs),
});

/** Alarm thresholds. */
export const alarmsSchema = z.strictObject({
  /** DLQ records in 5 minutes that raise the alarm. @default 1 (any) */
  dlqMessagesPer5Min: z.number().int().min(1).default(platformDefaults.alarms.dlqMessagesPer5Min),
  /** Sink consumer lag, records. @default 50000 */
  sinkLagRecords: z.number().int().min(1).default(platformDefaults.alarms.sinkLagRecords),
  /** Missed heartbeats before a facility counts as silent. @default 10 */
  silentHeartbeats: z.number().int().min(2).default(platformDefaults.alarms.silentHeartbeats),
  /** Facility heartbeat interval the silence alarm assumes, ms. @default 30000 */
  heartbeatIntervalMs: z.number().int().min(1000).default(platformDefaults.alarms.heartbeatIntervalMs),
  /** RDS CPU, percent. @default 80 */
  rdsCpuPercent: z.number().min(1).max(100).default(platformDefaults.alarms.rdsCpuPercent),
  /** RDS free storage, GiB. @default 20 */
  rdsFreeStorageGiB: z.number().min(1).default(platformDefaults.alarms.rdsFreeStorageGiB),
  /** Broker data disk used, percent. @default 80 */
  brokerDiskPercent: z.number().min(1).max(100).default(platformDefaults.alarms.brokerDiskPercent),
  /** E-mail subscribed to the alarm topic (optional). */
  email: z.email({ error: "must be an e-mail address" }).optional(),
});

/** Platform targets: `aws` (MSK, RDS, ECS…) or `local` (topics, ACLs and warehouse objects only, on loopback). */
export const PLATFORM_TARGETS = ["aws", "local"] as const;
export type PlatformTarget = (typeof PLATFORM_TARGETS)[number];

/** True for a loopback host: `localhost`, `127.x.x.x`, `::1` (bracketed or not). */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === "localhost" || h === "::1" || h === "[::1]") return true;
  const ip = parseIpv4(h);
  return ip !== undefined && ip >>> 24 === 127;
}

const LOOPBACK_HINT =
  "the local target only manages the loopback data plane of infra/local; use 127.0.0.1, localhost or ::1 (remote clusters are the aws target's)";

const loopbackHost = z
  .string({ error: "must be a host name or address" })
  .refine(isLoopbackHost, { error: `is not a loopback host: ${LOOPBACK_HINT}` });

/** `host:port` of a loopback Kafka listener (`[::1]:port` for IPv6). */
const loopbackHostPort = z.string({ error: "must be a `host:port` string" }).superRefine((v, ctx) => {
  const m = /^(\[::1\]|[^:\s]+):(\d{1,5})$/.exec(v);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) {
    ctx.addIssue({
      code: "custom",
      message: "must be `host:port` with a TCP port (1–65535), e.g. 127.0.0.1:19092",
    });
  } else if (!isLoopbackHost(m[1])) {
    ctx.addIssue({ code: "custom", message: `host ${m[1]} is not a loopback host: ${LOOPBACK_HINT}` });
  }
});

const tcpPort = z
  .number({ error: "must be a TCP port number (1–65535)" })
  .int({ error: "must be a TCP port number (1–65535)" })
  .min(1, { error: "must be a TCP port number (1–65535)" })
  .max(65535, { error: "must be a TCP port number (1–65535)" });

/** Kafka of the local target: the loopback KRaft cluster of infra/local. */
export const localKafkaSchema = z.strictObject(
  {
    /** Client listeners (SASL_SSL), loopback only. */
    bootstrapServers: z
      .array(loopbackHostPort, { error: 'must be a list of `host:port`, e.g. ["127.0.0.1:19092"]' })
      .min(1, { error: 'must list at least one broker, e.g. ["127.0.0.1:19092"]' }),
    /** PEM file of the CA (the self-signed broker certificate) the provider verifies TLS with. */
    caCertFile: z
      .string({ error: requiredMsg("local.kafka.caCertFile", "/path/to/ca.pem", "a file path") })
      .min(1, { error: "must be the path of a PEM file" }),
    /** Replication factor of every topic: 1 or 3 (the loopback cluster's node count). @default 1 */
    replicationFactor: z
      .union([z.literal(1), z.literal(3)], {
        error:
          "must be 1 or 3: the loopback harness runs one or three KRaft nodes (min.insync.replicas 1 or 2)",
      })
      .default(platformDefaults.local.kafka.replicationFactor),
  },
  {
    error: requiredMsg(
      "local.kafka",
      "local.kafka.bootstrapServers[0] 127.0.0.1:19092",
      "an object with bootstrapServers and caCertFile",
    ),
  },
);

/** PostgreSQL of the local target: the loopback server of infra/local. */
export const localWarehouseSchema = z.strictObject({
  /** Loopback host. @default 127.0.0.1 */
  host: loopbackHost.default(platformDefaults.local.warehouse.host),
  /** TCP port. @default 5432 */
  port: tcpPort.default(platformDefaults.local.warehouse.port),
  /** Superuser the provider logs in as (creates the database and roles). @default postgres */
  username: z.string().min(1).default(platformDefaults.local.warehouse.username),
  /** Maintenance database the provider connects to. @default postgres */
  database: z.string().min(1).default(platformDefaults.local.warehouse.database),
  /** libpq sslmode (the loopback server has no TLS). @default disable */
  sslmode: z
    .enum(["disable", "require", "verify-ca", "verify-full"], {
      error: "must be disable, require, verify-ca or verify-full",
    })
    .default(platformDefaults.local.warehouse.sslmode),
});

/** The `local` target's loopback endpoints and the facilities whose principals get ACLs. */
export const localSchema = z.strictObject(
  {
    kafka: localKafkaSchema,
    warehouse: localWarehouseSchema.default(localWarehouseSchema.parse({})),
    /** DHIS2 codes of the facilities whose Kafka principals get their ACLs. @default none */
    facilities: z.array(dhis2Code).default(platformDefaults.local.facilities),
  },
  {
    error: requiredMsg("local", "local.kafka.caCertFile /path/to/ca.pem", "an object with kafka"),
  },
);
export type LocalConfig = z.infer<typeof localSchema>;
export type NetworkConfig = z.infer<typeof networkSchema>;

/** Every key of a platform stack, before the rules that depend on the target. */
export const platformShape = {
  /** What the stack manages: `aws` (the whole platform) or `local` (objects on the loopback data plane). @default aws */
  target: z.enum(PLATFORM_TARGETS, { error: "must be aws or local" }).default("aws"),
  /** Environment name (dev, staging, prod): tags and resource names. */
  environment: z
    .string({ error: requiredMsg("environment", "dev", "a string") })
    .regex(/^[a-z][a-z0-9-]{1,15}$/, { error: "must be 2–16 lowercase letters, digits or '-'" }),
  /** AWS region. Required for target aws. */
  region: z
    .string({ error: requiredMsg("region", "af-south-1", "an AWS region") })
    .regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, { error: "must be an AWS region such as af-south-1" })
    .optional(),
  /** Required for target aws. */
  network: networkSchema.optional(),
  kafka: kafkaSchema.default(kafkaSchema.parse({})),
  warehouse: warehouseSchema.default(warehouseSchema.parse({})),
  sink: sinkSchema.default(sinkSchema.parse({})),
  /** Source tables with their shared topic partitions. */
  tables: z
    .array(tableSchema, {
      error: requiredMsg("tables", "'tables[0].name' Patients", "a list of {name, partitions}"),
    })
    .min(1, { error: "must list at least one table" }),
  /** Partitions of topics created for tables that appear later at a facility. @default 3 */
  defaultPartitions: z.number().int().min(1).max(60).default(platformDefaults.defaultPartitions),
  retention: retentionSchema.default(retentionSchema.parse({})),
  alarms: alarmsSchema.default(alarmsSchema.parse({})),
  /** Loopback endpoints; required for target local, refused otherwise. */
  local: localSchema.optional(),
};

const platformObjectSchema = z.strictObject(platformShape);
type RawPlatform = z.infer<typeof platformObjectSchema>;
type CommonPlatform = Omit<RawPlatform, "target" | "region" | "network" | "local">;

/** A platform stack on AWS: the whole platform. */
export type AwsPlatformConfig = CommonPlatform & {
  target: "aws";
  region: string;
  network: NetworkConfig;
};
/** A platform stack on the loopback data plane: topics, ACLs and warehouse objects only (AWS-only keys are ignored). */
export type LocalPlatformConfig = CommonPlatform & {
  target: "local";
  local: LocalConfig;
};
/** Configuration of one platform stack. */
export type PlatformConfig = AwsPlatformConfig | LocalPlatformConfig;

/** Configuration of one platform stack: every key, then the rules across keys, then the target's type. */
export const platformSchema = platformObjectSchema
  .superRefine((p, ctx) => {
    if (p.target === "aws") {
      if (p.region === undefined)
        ctx.addIssue({
          code: "custom",
          path: ["region"],
          message: `required for target aws (the default); ${set("region", "af-south-1")}`,
        });
      if (p.network === undefined)
        ctx.addIssue({
          code: "custom",
          path: ["network"],
          message: `required for target aws (the default); ${set("network.vpcCidr", "10.40.0.0/16")}`,
        });
      if (p.local !== undefined)
        ctx.addIssue({
          code: "custom",
          path: ["local"],
          message:
            "is only read by target local; set `pulumi config set platform:target local` or remove platform:local",
        });
    } else if (p.local === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["local"],
        message: `required for target local; ${set("local.kafka.bootstrapServers[0]", "127.0.0.1:19092")} and local.kafka.caCertFile`,
      });
    }
    if (p.kafka.maxVolumeGiB < p.kafka.volumeGiB) {
      ctx.addIssue({
        code: "custom",
        path: ["kafka", "maxVolumeGiB"],
        message: `must be at least kafka.volumeGiB (${p.kafka.volumeGiB})`,
      });
    }
    if (p.warehouse.maxAllocatedStorageGiB < p.warehouse.allocatedStorageGiB) {
      ctx.addIssue({
        code: "custom",
        path: ["warehouse", "maxAllocatedStorageGiB"],
        message: `must be at least warehouse.allocatedStorageGiB (${p.warehouse.allocatedStorageGiB})`,
      });
    }
    const seen = new Map<string, number>();
    p.tables.forEach((t, i) => {
      const prev = seen.get(t.name.toLowerCase());
      if (prev !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["tables", i, "name"],
          message: `duplicates tables[${prev}] (SQL Server table names are case-insensitive, so both name one table)`,
        });
      }
      seen.set(t.name.toLowerCase(), i);
    });
  })
  .transform((p, ctx): PlatformConfig => {
    const { target, region, network, local, ...common } = p;
    if (target === "local" && local !== undefined) return { ...common, target, local };
    if (target === "aws" && region !== undefined && network !== undefined)
      return { ...common, target, region, network };
    // Unreachable: the refinement above reported the missing section and zod stops before this step.
    ctx.addIssue({ code: "custom", message: `target ${target} is missing its required section` });
    return z.NEVER;
  });

/** Validates raw platform config. Throws one ConfigError listing every problem. */
export function parsePlatform(raw: unknown, stack = "?"): PlatformConfig {
  const r = platformSchema.safeParse(raw);
  if (r.success) return r.data;
  throw new ConfigError(`platform stack \`${stack}\``, problemsFromZod(r.error, raw, PLATFORM_NAMESPACE));
}
