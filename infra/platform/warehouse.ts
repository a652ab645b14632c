import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { assumeRolePolicy } from "./policies";
import { POSTGRES_PORT } from "./ports";

/** Arguments of {@link Warehouse}. */
export interface WarehouseArgs {
  /** Private subnets in three AZs. */
  subnetIds: pulumi.Input<string>[];
  /** Security groups of the instance. */
  securityGroupIds: pulumi.Input<string>[];
  /** Instance class, e.g. db.m7g.large. */
  instanceClass: string;
  /** Initial storage, GiB. */
  allocatedStorageGiB: number;
  /** Storage autoscaling ceiling, GiB. */
  maxAllocatedStorageGiB: number;
  /** Automated backup retention, days (7–35). */
  backupRetentionDays: number;
  /** PostgreSQL major version; minor versions upgrade automatically. @default 15 */
  engineVersion?: string;
  /** Master user name (the password is managed by RDS in Secrets Manager). @default clinicmaster_admin */
  masterUsername?: string;
  /** Encryption. */
  encryption: {
    /** CMK for storage and Performance Insights. */
    storageKeyArn: pulumi.Input<string>;
    /** CMK for the RDS-managed master password secret. */
    secretKeyArn: pulumi.Input<string>;
  };
  /** Tags on every resource. */
  tags: Record<string, string>;
}

/** Parameters of the warehouse parameter group. Pure. */
export const WAREHOUSE_PARAMETERS: readonly {
  name: string;
  value: string;
  applyMethod: "immediate" | "pending-reboot";
}[] = [
  // Refuse every unencrypted connection (DESIGN §5).
  { name: "rds.force_ssl", value: "1", applyMethod: "immediate" },
  { name: "ssl_min_protocol_version", value: "TLSv1.2", applyMethod: "immediate" },
  { name: "log_connections", value: "1", applyMethod: "immediate" },
  { name: "log_disconnections", value: "1", applyMethod: "immediate" },
];

/** PostgreSQL logs exported to CloudWatch. */
export const WAREHOUSE_LOG_EXPORTS = ["postgresql", "upgrade"];

/**
 * The warehouse's RDS PostgreSQL instance: Multi-AZ in private subnets, not publicly accessible,
 * storage and Performance Insights encrypted with the data CMK, `rds.force_ssl=1`, automated
 * backups, deletion protection and a final snapshot, a master password RDS generates and rotates in
 * Secrets Manager (encrypted with the secrets CMK), log exports, enhanced monitoring, storage
 * autoscaling. `protect` and `retainOnDelete`: Pulumi never deletes it.
 */
export class Warehouse extends pulumi.ComponentResource {
  /** Host name of the instance. */
  readonly address: pulumi.Output<string>;
  /** Port. */
  readonly port: pulumi.Output<number>;
  /** Instance identifier (CloudWatch dimension). */
  readonly identifier: pulumi.Output<string>;
  /** Instance ARN. */
  readonly arn: pulumi.Output<string>;
  /** Master user name. */
  readonly masterUsername: string;
  /** ARN of the RDS-managed master password secret. */
  readonly masterUserSecretArn: pulumi.Output<string>;
  /** The RDS instance. */
  readonly instance: aws.rds.Instance;

  constructor(name: string, args: WarehouseArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("clinicmaster:platform:Warehouse", name, {}, opts);
    if (args.backupRetentionDays < 7 || args.backupRetentionDays > 35) {
      throw new Error(
        `warehouse ${name}: backupRetentionDays ${args.backupRetentionDays} must be 7–35; set platform:warehouse.backupRetentionDays`,
      );
    }
    if (args.maxAllocatedStorageGiB < args.allocatedStorageGiB) {
      throw new Error(
        `warehouse ${name}: maxAllocatedStorageGiB ${args.maxAllocatedStorageGiB} is below allocatedStorageGiB ${args.allocatedStorageGiB}; raise platform:warehouse.maxAllocatedStorageGiB`,
      );
    }
    const engineVersion = args.engineVersion ?? "15";
    const major = engineVersion.split(".")[0];
    const p = { parent: this };

    const subnetGroup = new aws.rds.SubnetGroup(name, { subnetIds: args.subnetIds, tags: args.tags }, p);
    const params = new aws.rds.ParameterGroup(
      name,
      {
        family: `postgres${major}`,
        description: "ClinicMaster warehouse: TLS only",
        parameters: WAREHOUSE_PARAMETERS.map((x) => ({ ...x })),
        tags: args.tags,
      },
      p,
    );
    const monitoringRole = new aws.iam.Role(
      `${name}-monitoring`,
      {
        assumeRolePolicy: JSON.stringify(assumeRolePolicy("monitoring.rds.amazonaws.com")),
        tags: args.tags,
      },
      p,
    );
    const monitoringAttachment = new aws.iam.RolePolicyAttachment(
      `${name}-monitoring`,
      {
        role: monitoringRole.name,
        policyArn: aws
          .getPartitionOutput({}, p)
          .partition.apply(
            (part) => `arn:${part}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole`,
          ),
      },
      p,
    );
    this.masterUsername = args.masterUsername ?? "clinicmaster_admin";
    this.instance = new aws.rds.Instance(
      name,
      {
        identifier: name,
        engine: "postgres",
        engineVersion,
        autoMinorVersionUpgrade: true,
        allowMajorVersionUpgrade: false,
        instanceClass: args.instanceClass,
        allocatedStorage: args.allocatedStorageGiB,
        maxAllocatedStorage: args.maxAllocatedStorageGiB,
        storageType: "gp3",
        storageEncrypted: true,
        kmsKeyId: args.encryption.storageKeyArn,
        multiAz: true,
        publiclyAccessible: false,
        dbSubnetGroupName: subnetGroup.name,
        vpcSecurityGroupIds: args.securityGroupIds,
        parameterGroupName: params.name,
        port: POSTGRES_PORT,
        username: this.masterUsername,
        manageMasterUserPassword: true,
        masterUserSecretKmsKeyId: args.encryption.secretKeyArn,
        iamDatabaseAuthenticationEnabled: false,
        backupRetentionPeriod: args.backupRetentionDays,
        copyTagsToSnapshot: true,
        deleteAutomatedBackups: false,
        deletionProtection: true,
        skipFinalSnapshot: false,
        finalSnapshotIdentifier: `${name}-final`,
        performanceInsightsEnabled: true,
        performanceInsightsKmsKeyId: args.encryption.storageKeyArn,
        performanceInsightsRetentionPeriod: 7,
        enabledCloudwatchLogsExports: [...WAREHOUSE_LOG_EXPORTS],
        monitoringInterval: 60,
        monitoringRoleArn: monitoringRole.arn,
        applyImmediately: false,
        tags: args.tags,
      },
      {
        parent: this,
        protect: true,
        retainOnDelete: true,
        dependsOn: [monitoringAttachment],
        // Storage autoscaling grows allocatedStorage outside Pulumi.
        ignoreChanges: ["allocatedStorage"],
      },
    );
    this.address = this.instance.address;
    this.port = this.instance.port;
    this.identifier = this.instance.identifier;
    this.arn = this.instance.arn;
    this.masterUserSecretArn = this.instance.masterUserSecrets.apply((s) => {
      const arn = s?.[0]?.secretArn;
      if (!arn)
        throw new Error(
          `warehouse ${name}: RDS reported no managed master secret; is manageMasterUserPassword on?`,
        );
      return arn;
    });
    this.registerOutputs({
      address: this.address,
      port: this.port,
      identifier: this.identifier,
      arn: this.arn,
    });
  }
}
