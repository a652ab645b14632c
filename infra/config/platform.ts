import { z } from "zod";
import { parseCidr } from "./cidr";
import { ConfigError, problemsFromZod } from "./problems";

/** Config namespace of the platform stack: keys are `platform:<key>`. */
export const PLATFORM_NAMESPACE = "platform";

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

/** Configuration of one platform stack. */
export const platformSchema = z
  .strictObject({
    /** Environment name (dev, staging, prod): tags and resource names. */
    environment: z
      .string({ error: requiredMsg("environment", "dev", "a string") })
      .regex(/^[a-z][a-z0-9-]{1,15}$/, { error: "must be 2–16 lowercase letters, digits or '-'" }),
    /** AWS region. */
    region: z
      .string({ error: requiredMsg("region", "af-south-1", "an AWS region") })
      .regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, { error: "must be an AWS region such as af-south-1" }),
    network: networkSchema,
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
  })
  .superRefine((p, ctx) => {
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
  });
export type PlatformConfig = z.infer<typeof platformSchema>;

/** Validates raw platform config. Throws one ConfigError listing every problem. */
export function parsePlatform(raw: unknown, stack = "?"): PlatformConfig {
  const r = platformSchema.safeParse(raw);
  if (r.success) return r.data;
  throw new ConfigError(`platform stack \`${stack}\``, problemsFromZod(r.error, raw, PLATFORM_NAMESPACE));
}
