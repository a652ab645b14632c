import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { WAREHOUSE_ROLES } from "../connect/names";
import { renderProperties } from "../connect/properties";
import { jdbcSinkConnector } from "../connect/sink";
import { sinkWorkerProperties } from "../connect/worker";
import { isDigestPinned } from "./images";
import { assumeRolePolicy, sinkExecutionPolicy } from "./policies";
import { SECRETS_VOLUME, WATCHDOG_VOLUME, WORKER_CONFIG_VOLUME, sinkContainerDefinitions } from "./sink-task";

/** Arguments of {@link SinkRuntime}. */
export interface SinkRuntimeArgs {
  /** Private subnets the tasks run in (no public IP). */
  subnetIds: pulumi.Input<string>[];
  /** Security groups of the tasks. */
  securityGroupIds: pulumi.Input<string>[];
  /** Debezium Connect image; must be pinned by digest. */
  connectImage: string;
  /** The watchdog sidecar. */
  watchdog: {
    /** Image, pinned by digest (e.g. a Node.js image when `script` is given). */
    image: string;
    /** Command. @default node /opt/watchdog/watchdog.js */
    command?: string[];
    /** Script text written to /opt/watchdog/watchdog.js at task start. @default none: the image holds it */
    script?: string;
    /** Extra environment (no secret). @default none */
    environment?: Record<string, string>;
  };
  /** SASL/SCRAM bootstrap brokers, `host:9096,…`. */
  bootstrapServers: pulumi.Input<string>;
  /** ARN of the sink principal's SCRAM secret (JSON with `password`). */
  kafkaSecretArn: pulumi.Input<string>;
  /** Warehouse endpoint and login. */
  warehouse: {
    host: pulumi.Input<string>;
    port: pulumi.Input<number>;
    database: pulumi.Input<string>;
    /** Password of the sink login (secret); stored in Secrets Manager by this component. */
    password: pulumi.Input<string>;
  };
  /** Sink connector tasks. */
  tasks: number;
  /** Records per JDBC batch. */
  batchSize: number;
  /** Fargate CPU units per worker. */
  cpu: number;
  /** Fargate memory per worker, MiB. */
  memoryMiB: number;
  /** Workers (ECS tasks) of the Connect cluster. @default 2 */
  desiredCount?: number;
  /** Encryption. */
  encryption: {
    /** CMK of the warehouse-password secret (and of the SCRAM secret, for decryption). */
    secretsKeyArn: pulumi.Input<string>;
    /** CMK of the log group. */
    logsKeyArn: pulumi.Input<string>;
  };
  /** Days container logs are kept. @default 30 */
  logRetentionDays?: number;
  /** Tags on every resource. */
  tags: Record<string, string>;
}

/** JDBC URL of the warehouse: TLS required (the instance refuses anything else, `rds.force_ssl=1`). */
export function warehouseJdbcUrl(host: string, port: number, database: string): string {
  return `jdbc:postgresql://${host}:${port}/${database}?sslmode=require`;
}

/**
 * The central Kafka Connect cluster that runs the JDBC sink, on ECS Fargate: `desiredCount` tasks
 * (two by default, in different AZs) forming one distributed Connect cluster, so losing a task or
 * an AZ only rebalances the sink's tasks onto the survivor.
 *
 * Why Fargate and not MSK Connect: MSK Connect authenticates to MSK with IAM or not at all, while
 * this cluster is SASL/SCRAM with deny-by-default Kafka ACLs; IAM access control would be a second
 * authorization system beside the ACL matrix. Fargate runs the same Debezium image and the same
 * worker and connector configs as the loopback data-plane tests.
 *
 * Secrets: the SCRAM password and the warehouse password live in Secrets Manager (CMK); ECS hands
 * them to a one-shot init container that writes them as files; the worker reads them through
 * Kafka's config providers. See `sink-task.ts`.
 */
export class SinkRuntime extends pulumi.ComponentResource {
  /** ECS cluster name. */
  readonly clusterName: pulumi.Output<string>;
  /** ECS service name. */
  readonly serviceName: pulumi.Output<string>;
  /** Task definition ARN. */
  readonly taskDefinitionArn: pulumi.Output<string>;
  /** Container log group name. */
  readonly logGroupName: pulumi.Output<string>;
  /** ARN of the warehouse-password secret. */
  readonly databaseSecretArn: pulumi.Output<string>;
  /** Worker count. */
  readonly desiredCount: number;

  constructor(name: string, args: SinkRuntimeArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("clinicmaster:platform:SinkRuntime", name, {}, opts);
    for (const [what, image] of [
      ["connectImage", args.connectImage],
      ["watchdog.image", args.watchdog.image],
    ]) {
      if (!isDigestPinned(image)) {
        throw new Error(
          `sink runtime ${name}: ${what} ${image} is not pinned by digest; use <image>@sha256:<64 hex>`,
        );
      }
    }
    const desiredCount = args.desiredCount ?? 2;
    if (args.tasks < 1) throw new Error(`sink runtime ${name}: tasks ${args.tasks} must be at least 1`);
    // Heap gets 60% of the task; the rest is metaspace, direct buffers and the two sidecars.
    const heapMiB = Math.floor(args.memoryMiB * 0.6);
    const p = { parent: this };

    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      {
        name: `/clinicmaster/${name}`,
        kmsKeyId: args.encryption.logsKeyArn,
        retentionInDays: args.logRetentionDays ?? 30,
        tags: args.tags,
      },
      p,
    );
    const dbSecret = new aws.secretsmanager.Secret(
      `${name}-db-password`,
      {
        description: `Warehouse password of ${WAREHOUSE_ROLES.sink}, read by the sink tasks`,
        kmsKeyId: args.encryption.secretsKeyArn,
        recoveryWindowInDays: 7,
        tags: args.tags,
      },
      p,
    );
    new aws.secretsmanager.SecretVersion(
      `${name}-db-password`,
      { secretId: dbSecret.id, secretString: pulumi.secret(args.warehouse.password) },
      p,
    );

    const { executionRole, taskRole } = createTaskRoles(name, args, dbSecret.arn, this);

    const cluster = new aws.ecs.Cluster(
      name,
      { name, settings: [{ name: "containerInsights", value: "enabled" }], tags: args.tags },
      p,
    );
    const region = aws.getRegionOutput({}, p).region;
    const jdbcUrl = pulumi
      .all([args.warehouse.host, args.warehouse.port, args.warehouse.database])
      .apply(([host, port, database]) => warehouseJdbcUrl(host, port, database));
    const containerDefinitions = pulumi
      .all([args.bootstrapServers, jdbcUrl, args.kafkaSecretArn, dbSecret.arn, logGroup.name, region])
      .apply(([bootstrap, url, kafkaSecretArn, dbSecretArn, lg, reg]) =>
        JSON.stringify(
          sinkContainerDefinitions({
            connectImage: args.connectImage,
            watchdogImage: args.watchdog.image,
            watchdogCommand: args.watchdog.command,
            watchdogScript: args.watchdog.script,
            workerProperties: renderProperties(
              sinkWorkerProperties({ batchSize: args.batchSize }, { bootstrapServers: bootstrap }),
              "Kafka Connect worker of the ClinicMaster warehouse sink (rendered by the platform stack)",
            ),
            connectorConfig: jdbcSinkConnector({
              jdbcUrl: url,
              username: WAREHOUSE_ROLES.sink,
              tasks: args.tasks,
              batchSize: args.batchSize,
            }).config,
            kafkaPasswordFrom: `${kafkaSecretArn}:password::`,
            databasePasswordFrom: dbSecretArn,
            logGroup: lg,
            region: reg,
            heapMiB,
            watchdogEnvironment: args.watchdog.environment ?? {},
          }),
        ),
      );
    const taskDefinition = new aws.ecs.TaskDefinition(
      name,
      {
        family: name,
        requiresCompatibilities: ["FARGATE"],
        networkMode: "awsvpc",
        cpu: String(args.cpu),
        memory: String(args.memoryMiB),
        executionRoleArn: executionRole.arn,
        taskRoleArn: taskRole.arn,
        runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" },
        volumes: [
          { name: SECRETS_VOLUME },
          { name: WORKER_CONFIG_VOLUME },
          ...(args.watchdog.script !== undefined ? [{ name: WATCHDOG_VOLUME }] : []),
        ],
        containerDefinitions,
        tags: args.tags,
      },
      p,
    );
    const service = new aws.ecs.Service(
      name,
      {
        name,
        cluster: cluster.arn,
        taskDefinition: taskDefinition.arn,
        desiredCount,
        launchType: "FARGATE",
        platformVersion: "LATEST",
        networkConfiguration: {
          subnets: args.subnetIds,
          securityGroups: args.securityGroupIds,
          assignPublicIp: false,
        },
        // Keep at least half the workers during a deployment; roll back a deployment that never gets healthy.
        deploymentMinimumHealthyPercent: 50,
        deploymentMaximumPercent: 200,
        deploymentCircuitBreaker: { enable: true, rollback: true },
        enableExecuteCommand: false,
        propagateTags: "SERVICE",
        tags: args.tags,
      },
      p,
    );
    this.clusterName = cluster.name;
    this.serviceName = service.name;
    this.taskDefinitionArn = taskDefinition.arn;
    this.logGroupName = logGroup.name;
    this.databaseSecretArn = dbSecret.arn;
    this.desiredCount = desiredCount;
    this.registerOutputs({
      clusterName: this.clusterName,
      serviceName: this.serviceName,
      taskDefinitionArn: this.taskDefinitionArn,
    });
  }
}

/**
 * Roles of the sink task: the execution role (ECS pulls the image, writes logs, reads exactly the two
 * secrets) and the task role (the running containers; no AWS permission).
 */
function createTaskRoles(
  name: string,
  args: SinkRuntimeArgs,
  dbSecretArn: pulumi.Output<string>,
  parent: pulumi.Resource,
): { executionRole: aws.iam.Role; taskRole: aws.iam.Role } {
  const p = { parent };
  const executionRole = new aws.iam.Role(
    `${name}-execution`,
    { assumeRolePolicy: JSON.stringify(assumeRolePolicy("ecs-tasks.amazonaws.com")), tags: args.tags },
    p,
  );
  new aws.iam.RolePolicyAttachment(
    `${name}-execution`,
    {
      role: executionRole.name,
      policyArn: aws
        .getPartitionOutput({}, p)
        .partition.apply(
          (part) => `arn:${part}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy`,
        ),
    },
    p,
  );
  new aws.iam.RolePolicy(
    `${name}-execution-secrets`,
    {
      role: executionRole.id,
      policy: pulumi
        .all([args.kafkaSecretArn, dbSecretArn, args.encryption.secretsKeyArn])
        .apply(([k, d, key]) => JSON.stringify(sinkExecutionPolicy([k, d], key))),
    },
    p,
  );
  const taskRole = new aws.iam.Role(
    `${name}-task`,
    { assumeRolePolicy: JSON.stringify(assumeRolePolicy("ecs-tasks.amazonaws.com")), tags: args.tags },
    p,
  );
  return { executionRole, taskRole };
}
