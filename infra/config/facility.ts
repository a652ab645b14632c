import { z } from "zod";
import { isPublicIpv4, parseCidr, parseIpv4 } from "./cidr";
import { ConfigError, problemsFromZod } from "./problems";

/** Config namespace of facility stacks: keys are `facility:<key>`. */
export const FACILITY_NAMESPACE = "facility";

/** Keys of the facility config that hold secrets; read with `requireSecret`, never rendered. */
export const FACILITY_SECRET_KEYS = new Set(["sqlServerPassword"]);

/** Defaults for optional facility settings, referenced by the schema. */
export const facilityDefaults = {
  sqlServer: {
    port: 1433,
    database: "ClinicMasterMOH",
    user: "debezium",
    encrypt: true,
    trustServerCertificate: false,
  },
  tables: [] as string[],
  keyColumns: {} as Record<string, string[]>,
  snapshotMode: "when_needed" as const,
  heartbeatIntervalMs: 30_000,
  deployMode: "docker" as const,
  worker: { heapMiB: 256, memoryLimitMiB: 768 },
  vpnEndpoint: false,
};

const set = (key: string, example: string) =>
  example.startsWith("--path ")
    ? `set it with \`pulumi config set ${example}\``
    : `set it with \`pulumi config set ${key} ${example}\``;

const required =
  (key: string, example: string, what: string) =>
  (iss: { input: unknown }): string =>
    iss.input === undefined ? `required; ${set(`facility:${key}`, example)}` : `must be ${what}`;

/** DHIS2 org-unit code: it becomes part of topic prefixes, Kafka principals and secret names. */
export const dhis2Code = z
  .string({ error: required("dhis2Code", "'12345'", "a string (quote numeric codes in YAML)") })
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,49}$/, {
    error:
      "must be 1–50 letters, digits, '_' or '-' (it is used in Kafka topic and principal names); use the facility's DHIS2 org-unit code",
  });

/** Stack slug: lowercase, used as the Pulumi stack name and in resource names. */
export const facilitySlug = z
  .string({ error: required("slug", "kayunga", "a string") })
  .regex(/^[a-z][a-z0-9-]{1,30}$/, {
    error: "must be 2–31 lowercase letters, digits or '-', starting with a letter (it is the stack name)",
  });

const hostname = z
  .string({ error: required("sqlServer.host", "192.168.1.40", "a host name or IPv4 address") })
  .min(1, { error: "must not be empty; set the SQL Server's LAN address" })
  .refine(
    (h) =>
      parseIpv4(h) !== undefined ||
      /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(
        h,
      ),
    {
      error: "is not a valid host name or IPv4 address",
    },
  );

const tcpPort = z
  .number({ error: "must be a whole number (a TCP port, 1–65535)" })
  .int({ error: "must be a whole number (a TCP port, 1–65535)" })
  .min(1, { error: "is not a TCP port (1–65535); SQL Server listens on 1433 by default" })
  .max(65535, { error: "is not a TCP port (1–65535); SQL Server listens on 1433 by default" });

/** A SQL Server identifier we interpolate into config and SQL: letters, digits, `_`. */
const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, {
  error: "must be a plain identifier (letters, digits, '_'; no schema prefix, brackets or spaces)",
});

/** SQL Server connection settings of one facility (the password is a separate secret key). */
export const sqlServerSchema = z.strictObject(
  {
    /** LAN address of the ClinicMaster SQL Server. */
    host: hostname,
    /** TCP port. @default 1433 */
    port: tcpPort.default(facilityDefaults.sqlServer.port),
    /** Database name. @default ClinicMasterMOH */
    database: identifier.default(facilityDefaults.sqlServer.database),
    /** Login used by Debezium (needs db_owner for CDC setup, then SELECT on cdc schema). @default debezium */
    user: z.string().min(1).default(facilityDefaults.sqlServer.user),
    /** Encrypt the connection to SQL Server (TLS). @default true */
    encrypt: z.boolean({ error: "must be true or false" }).default(facilityDefaults.sqlServer.encrypt),
    /** Accept the server certificate without validation (self-signed certs on old servers). @default false */
    trustServerCertificate: z
      .boolean({ error: "must be true or false" })
      .default(facilityDefaults.sqlServer.trustServerCertificate),
    /** SQL Server major version, informational (2017, 2019, 2022); CDC works on all three. */
    version: z.union([z.literal(2016), z.literal(2017), z.literal(2019), z.literal(2022)]).optional(),
  },
  {
    error: required(
      "sqlServer",
      "--path facility:sqlServer.host 192.168.1.40",
      "an object with host, port, database, user",
    ),
  },
);
export type SqlServerConfig = z.infer<typeof sqlServerSchema>;

/** Tunnel settings: the facility's side of the site-to-site VPN. */
export const tunnelSchema = z.strictObject(
  {
    /** Public IPv4 address of the facility's internet router (the VPN customer gateway). */
    publicIp: z
      .string({ error: required("tunnel.publicIp", "41.210.155.10", "an IPv4 address") })
      .refine(isPublicIpv4, {
        error: "must be the facility router's public IPv4 address (not private, loopback or link-local)",
      }),
    /** The facility LAN range(s) routed over the tunnel. */
    lanCidrs: z
      .array(
        z.string().refine((c) => parseCidr(c) !== undefined, {
          error: "is not a CIDR block (a.b.c.d/p with no host bits set), e.g. 192.168.1.0/24",
        }),
        {
          error: required(
            "tunnel.lanCidrs",
            "--path 'facility:tunnel.lanCidrs[0]' 192.168.1.0/24",
            "a list of CIDR blocks",
          ),
        },
      )
      .min(1, { error: 'needs at least one LAN CIDR, e.g. ["192.168.1.0/24"]' }),
    /** BGP ASN of the facility router; absent means static routes. */
    bgpAsn: z.number().int().min(64512).max(65534).optional(),
  },
  {
    error: required(
      "tunnel",
      "--path facility:tunnel.publicIp 41.210.155.10",
      "an object with publicIp and lanCidrs",
    ),
  },
);
export type TunnelConfig = z.infer<typeof tunnelSchema>;

/** Resource sizing of the facility's Kafka Connect worker. */
export const workerSchema = z.strictObject({
  /** JVM heap of the worker. @default 256 MiB */
  heapMiB: z.number().int().min(128).max(4096).default(facilityDefaults.worker.heapMiB),
  /** Container memory limit (heap + metaspace + buffers). @default 768 MiB */
  memoryLimitMiB: z.number().int().min(256).max(8192).default(facilityDefaults.worker.memoryLimitMiB),
});

/** Plain (non-secret) configuration of one facility stack. */
export const facilitySchema = z
  .strictObject({
    /** Display name, stamped into every record as `facility_name`. */
    name: z
      .string({ error: required("name", "'Kayunga Regional Referral Hospital'", "a string") })
      .min(3, { error: "must be the facility's full name (at least 3 characters)" })
      .max(200),
    dhis2Code,
    slug: facilitySlug,
    /** How the facility is deployed: `docker` = Pulumi drives the Docker host over SSH; `kit` = offline kit. @default docker */
    deployMode: z
      .enum(["docker", "kit"], {
        error: "must be `docker` (Pulumi manages the host over SSH) or `kit` (offline kit)",
      })
      .default(facilityDefaults.deployMode),
    /** The platform stack this facility streams to, `org/project/stack`. */
    platformStack: z
      .string({
        error: required("platformStack", "organization/clinicmaster-platform/dev", "a stack reference"),
      })
      .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, {
        error: "must be a fully qualified stack reference `org/project/stack`",
      }),
    sqlServer: sqlServerSchema,
    /** Tables of `dbo` to capture; empty means every `dbo.*` table. @default all dbo tables */
    tables: z.array(identifier).default(facilityDefaults.tables),
    /** Key columns for tables without a primary key, `{Table: [col, …]}`. @default none */
    keyColumns: z
      .record(identifier, z.array(identifier).min(1, { error: "needs at least one column" }))
      .default(facilityDefaults.keyColumns),
    /** Debezium snapshot mode. @default when_needed */
    snapshotMode: z
      .enum(["when_needed", "initial", "no_data", "always", "initial_only"], {
        error: "must be one of when_needed, initial, no_data, always, initial_only",
      })
      .default(facilityDefaults.snapshotMode),
    /** Heartbeat interval in milliseconds (keeps offsets fresh on quiet databases). @default 30000 */
    heartbeatIntervalMs: z
      .number()
      .int()
      .min(1000, { error: "must be at least 1000 ms" })
      .max(600_000, { error: "must be at most 600000 ms (10 min), or quiet facilities look dead" })
      .default(facilityDefaults.heartbeatIntervalMs),
    /** Docker host Pulumi deploys to, `ssh://user@host[:port]` (required when deployMode is docker). */
    dockerHost: z
      .string()
      .regex(/^ssh:\/\/[A-Za-z0-9._-]+@[A-Za-z0-9.-]+(:\d{1,5})?$/, {
        error: "must be an SSH URL `ssh://user@host[:port]`",
      })
      .optional(),
    tunnel: tunnelSchema,
    worker: workerSchema.default(facilityDefaults.worker),
    /** Run the strongSwan VPN endpoint as a container on the Docker host. @default false */
    vpnEndpoint: z.boolean().default(facilityDefaults.vpnEndpoint),
    /** Connect image override (air-gapped sites with a local registry); must be pinned by digest. */
    connectImage: z
      .string()
      .regex(/@sha256:[a-f0-9]{64}$/, { error: "must be pinned by digest (`registry/repo@sha256:<64 hex>`)" })
      .optional(),
  })
  .superRefine((f, ctx) => {
    if (f.deployMode === "docker" && f.dockerHost === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["dockerHost"],
        message:
          "required when deployMode is docker; set facility:dockerHost to ssh://user@host, or set facility:deployMode kit",
      });
    }
    if (f.worker.heapMiB * 1.5 > f.worker.memoryLimitMiB) {
      ctx.addIssue({
        code: "custom",
        path: ["worker", "memoryLimitMiB"],
        message: `must be at least 1.5 × worker.heapMiB (${f.worker.heapMiB}) = ${Math.ceil(f.worker.heapMiB * 1.5)} MiB for metaspace and buffers`,
      });
    }
    const included = new Set(f.tables);
    for (const table of Object.keys(f.keyColumns)) {
      if (included.size > 0 && !included.has(table)) {
        ctx.addIssue({
          code: "custom",
          path: ["keyColumns", table],
          message: `names table ${table}, which is not in facility:tables; add it there or remove this entry`,
        });
      }
    }
    const seen = new Set<string>();
    f.tables.forEach((t, i) => {
      if (seen.has(t)) ctx.addIssue({ code: "custom", path: ["tables", i], message: `lists ${t} twice` });
      seen.add(t);
    });
  });
export type FacilityConfig = z.infer<typeof facilitySchema>;

/**
 * Validates raw facility config (as read from a stack file or pulumi.Config, secrets excluded).
 * Throws one ConfigError listing every problem.
 */
export function parseFacility(raw: unknown, label?: string): FacilityConfig {
  const r = facilitySchema.safeParse(raw);
  if (r.success) return r.data;
  const slug =
    label ?? (raw && typeof raw === "object" ? String((raw as Record<string, unknown>).slug ?? "?") : "?");
  throw new ConfigError(
    `facility \`${slug}\``,
    problemsFromZod(r.error, raw, FACILITY_NAMESPACE, FACILITY_SECRET_KEYS),
  );
}
