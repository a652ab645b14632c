import type { z } from "zod";
import { FACILITY_NAMESPACE, FACILITY_SECRET_KEYS, facilitySchema } from "./facility";
import { PLATFORM_LOCAL_SECRET_KEYS, PLATFORM_NAMESPACE, platformShape } from "./platform";

/**
 * The README's configuration reference, generated from the zod schemas so it cannot drift: a test
 * compares the README section with this output. Descriptions live here, one per key.
 */
export const DESCRIPTIONS: Record<string, string> = {
  "facility:name": "Facility display name, stamped into every record as `facility_name`.",
  "facility:dhis2Code":
    "DHIS2 org-unit code (letters, digits, `_`, `-`); part of topic prefix, principal and secret names. Quote numeric codes.",
  "facility:slug": "Stack name of the facility (`pulumi up -s <slug>`); must equal the file's stack name.",
  "facility:deployMode":
    "`docker`: Pulumi drives the facility's Docker host over SSH. `kit`: render an offline kit (`npm run kit -- <slug>`).",
  "facility:platformStack": "Platform stack the facility streams to, `org/project/stack`.",
  "facility:sqlServer.host": "LAN address of the ClinicMaster SQL Server.",
  "facility:sqlServer.port": "SQL Server TCP port (1–65535).",
  "facility:sqlServer.database": "Database name.",
  "facility:sqlServer.user": "Login Debezium uses (see the kit's prepare-sqlserver.sql).",
  "facility:sqlServer.encrypt": "TLS to SQL Server.",
  "facility:sqlServer.trustServerCertificate": "Accept a self-signed server certificate.",
  "facility:sqlServer.version": "SQL Server major version (2016, 2017, 2019, 2022); informational.",
  "facility:sqlServerPassword":
    "**Secret.** Password of the Debezium login: `pulumi config set --secret facility:sqlServerPassword`.",
  "facility:tables": "`dbo` tables to capture; empty = every `dbo.*` table.",
  "facility:keyColumns": "Key columns for tables without a primary key, `{Table: [col, …]}`.",
  "facility:snapshotMode": "Debezium snapshot mode.",
  "facility:heartbeatIntervalMs": "Heartbeat interval, ms (1000–600000).",
  "facility:dockerHost": "Docker host as `ssh://user@host[:port]`; required for `docker` mode.",
  "facility:tunnel.publicIp": "Public IPv4 of the facility router (VPN customer gateway).",
  "facility:tunnel.lanCidrs":
    "Facility LAN range(s) routed over the tunnel; must not overlap other facilities or the VPC.",
  "facility:tunnel.bgpAsn": "Router BGP ASN (64512–65534); absent = static routes.",
  "facility:worker.heapMiB": "JVM heap of the facility worker, MiB.",
  "facility:worker.memoryLimitMiB": "Container memory limit, MiB (≥ 1.5 × heap).",
  "facility:vpnEndpoint": "Run the strongSwan endpoint as a container on the Docker host.",
  "facility:connectImage": "Connect image override for air-gapped sites, pinned by digest.",
  "platform:target":
    "`aws`: the whole platform. `local`: only topics, ACLs and warehouse objects, on the loopback data plane of `infra/local` (AWS-only keys are ignored; see `Pulumi.local.yaml`).",
  "platform:environment": "Environment name (tags, resource names).",
  "platform:region": "AWS region. Required for target `aws`.",
  "platform:network.vpcCidr": "VPC range (/20 or larger). Required for target `aws`.",
  "platform:network.availabilityZones": "AZ count (always 3).",
  "platform:network.adminCidrs": "Ranges allowed to reach PostgreSQL for administration (never 0.0.0.0/0).",
  "platform:kafka.version": "MSK Kafka version.",
  "platform:kafka.brokerCount": "Brokers (multiple of 3, one per AZ).",
  "platform:kafka.brokerInstanceType": "MSK broker type.",
  "platform:kafka.volumeGiB": "Broker EBS volume at creation, GiB.",
  "platform:kafka.maxVolumeGiB": "Storage autoscaling ceiling per broker, GiB.",
  "platform:kafka.logRetentionDays": "CloudWatch retention of broker logs, days.",
  "platform:kafka.aclBootstrap":
    "First deployment of a new cluster only: brokers allow resources without ACLs so the admin can create the first ACLs; deploy once with `true`, then `false` (see docs/PLATFORM.md).",
  "platform:warehouse.instanceClass": "RDS instance class.",
  "platform:warehouse.allocatedStorageGiB": "Initial storage, GiB.",
  "platform:warehouse.maxAllocatedStorageGiB": "Storage autoscaling ceiling, GiB.",
  "platform:warehouse.backupRetentionDays": "Automated backups, days (7–35).",
  "platform:warehouse.databaseName": "Warehouse database name.",
  "platform:sink.tasks": "Sink connector tasks.",
  "platform:sink.batchSize": "Records per JDBC batch.",
  "platform:sink.cpu": "Fargate CPU units per sink worker.",
  "platform:sink.memoryMiB": "Fargate memory per sink worker, MiB.",
  "platform:sink.desiredCount": "Sink workers (one Connect cluster).",
  "platform:tables": "Source tables and the partitions of their shared topics, `[{name, partitions}]`.",
  "platform:defaultPartitions": "Partitions of topics created later for tables not listed.",
  "platform:retention.dlqMs": "`sink-dlq` retention, ms.",
  "platform:retention.heartbeatMs": "Heartbeat topic retention, ms.",
  "platform:retention.deleteRetentionMs": "How long delete tombstones stay on compacted data topics, ms.",
  "platform:alarms.dlqMessagesPer5Min": "DLQ records in 5 minutes that raise the alarm.",
  "platform:alarms.sinkLagRecords": "Sink consumer lag that raises the alarm, records.",
  "platform:alarms.silentHeartbeats": "Missed heartbeats before a facility counts as silent.",
  "platform:alarms.heartbeatIntervalMs": "Heartbeat interval the silence alarm assumes, ms.",
  "platform:alarms.rdsCpuPercent": "RDS CPU alarm threshold, %.",
  "platform:alarms.rdsFreeStorageGiB": "RDS free storage alarm threshold, GiB.",
  "platform:alarms.brokerDiskPercent": "Broker disk alarm threshold, %.",
  "platform:alarms.email": "E-mail subscribed to the alarm topic.",
  "platform:local.kafka.bootstrapServers":
    "Target `local` (required): loopback client listeners `host:port` (127.x, localhost or ::1 only).",
  "platform:local.kafka.caCertFile":
    "Target `local` (required): PEM file of the broker CA; the program passes its content to the Kafka provider.",
  "platform:local.kafka.replicationFactor":
    "Target `local`: replication factor of every topic, 1 or 3 (min.insync.replicas 1 or 2).",
  "platform:local.warehouse.host": "Target `local`: loopback PostgreSQL host.",
  "platform:local.warehouse.port": "Target `local`: PostgreSQL port.",
  "platform:local.warehouse.username": "Target `local`: superuser the PostgreSQL provider logs in as.",
  "platform:local.warehouse.database": "Target `local`: maintenance database the provider connects to.",
  "platform:local.warehouse.sslmode": "Target `local`: libpq sslmode.",
  "platform:local.facilities":
    "Target `local`: DHIS2 codes of the facilities whose principals get their ACLs.",
  "platform:localKafkaAdminPassword":
    "**Secret**, required for target `local`: SCRAM password of the broker super user `platform-admin`: `pulumi config set --secret platform:localKafkaAdminPassword`.",
  "platform:localWarehousePassword":
    "**Secret**, required for target `local`: password of `local.warehouse.username`: `pulumi config set --secret platform:localWarehousePassword`.",
};

interface Row {
  key: string;
  required: boolean;
  defaultValue?: unknown;
}

function def(schema: z.ZodType): {
  type: string;
  innerType?: z.ZodType;
  defaultValue?: unknown;
  shape?: Record<string, z.ZodType>;
} {
  const d = (schema as unknown as { _zod: { def: Record<string, unknown> } })._zod.def;
  return {
    type: d.type as string,
    innerType: d.innerType as z.ZodType | undefined,
    defaultValue: d.defaultValue,
    shape: (d.shape as Record<string, z.ZodType> | undefined) ?? undefined,
  };
}

function rows(prefix: string, shape: Record<string, z.ZodType>): Row[] {
  const out: Row[] = [];
  for (const [key, schema] of Object.entries(shape)) {
    let d = def(schema);
    let required = true;
    let defaultValue: unknown;
    while (d.type === "default" || d.type === "optional") {
      required = false;
      if (d.type === "default") defaultValue = d.defaultValue;
      d = def(d.innerType!);
    }
    if (d.type === "object" && d.shape) {
      out.push(...rows(`${prefix}${key}.`, d.shape).map((r) => ({ ...r, required: r.required && required })));
    } else {
      out.push({ key: `${prefix}${key}`, required, defaultValue });
    }
  }
  return out;
}

/** Every config key with whether it is required and its default, for both projects. */
export function configKeys(): Row[] {
  const facility = rows(`${FACILITY_NAMESPACE}:`, facilitySchema.shape);
  for (const k of FACILITY_SECRET_KEYS)
    facility.splice(
      facility.findIndex((r) => r.key === "facility:sqlServer.host"),
      0,
      { key: `${FACILITY_NAMESPACE}:${k}`, required: true },
    );
  const platform = rows(`${PLATFORM_NAMESPACE}:`, platformShape);
  // Required only for target local: the table's "required" column says no, the description says when.
  for (const k of PLATFORM_LOCAL_SECRET_KEYS)
    platform.push({ key: `${PLATFORM_NAMESPACE}:${k}`, required: false });
  return [...facility, ...platform];
}

/** The markdown table of the README's configuration reference. */
export function configReference(): string {
  const lines = ["| key | required | default | meaning |", "|---|---|---|---|"];
  for (const r of configKeys()) {
    const dflt = r.defaultValue === undefined ? "" : `\`${JSON.stringify(r.defaultValue)}\``;
    const desc = DESCRIPTIONS[r.key];
    if (!desc) throw new Error(`config key ${r.key} has no description in infra/config/reference.ts`);
    lines.push(`| \`${r.key}\` | ${r.required ? "yes" : "no"} | ${dflt.replace(/\|/g, "\\|")} | ${desc} |`);
  }
  return lines.join("\n");
}

if (require.main === module) console.log(configReference());
