import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../config/platform";
import {
  ENVIRONMENT_DIMENSION,
  PLATFORM_METRIC_NAMESPACE,
  SILENT_FACILITIES_METRIC,
  brokerDiskQueries,
  dlqGrowthQueries,
  heartbeatRateQueries,
  silenceMinutes,
  sinkLagQuery,
} from "./metrics";

/** Arguments of {@link Monitoring}. */
export interface MonitoringArgs {
  /** Environment (dimension of the platform's own metrics). */
  environment: string;
  /** Alarm thresholds (platform config `alarms`). */
  thresholds: PlatformConfig["alarms"];
  /** What is watched. */
  kafka: {
    clusterName: pulumi.Input<string>;
    brokerCount: number;
    dlqTopic: string;
    heartbeatTopic: string;
    sinkConsumerGroup: string;
  };
  warehouse: {
    /** RDS instance identifier. */
    instanceId: pulumi.Input<string>;
  };
  sink: {
    ecsClusterName: pulumi.Input<string>;
    ecsServiceName: pulumi.Input<string>;
    desiredCount: number;
  };
  /** CMK of the alarm topic. */
  topicKeyArn: pulumi.Input<string>;
  /** Tags on every resource. */
  tags: Record<string, string>;
}

/** GiB in bytes (RDS reports free storage in bytes). */
const GIB = 1024 ** 3;

/**
 * Alarms of the platform and the SNS topic they notify (CMK-encrypted; an optional e-mail
 * subscription needs confirming from the mailbox once):
 * - DLQ growth: records into `sink-dlq` in 5 minutes, summed over brokers (per-topic MSK metric);
 * - sink consumer lag: `SumOffsetLag` of the sink's consumer group over every topic;
 * - facility silence: `SilentFacilities` published by the heartbeat monitor (see `metrics.ts`);
 *   missing data is breaching, so a dead monitor alarms too;
 * - heartbeats stopped: no record at all into the heartbeat topic for the silence window (every
 *   facility silent at once: the hub, the cluster or its security group);
 * - sink workers: running ECS tasks below the desired count;
 * - RDS CPU and free storage;
 * - broker data disk, fullest broker.
 */
export class Monitoring extends pulumi.ComponentResource {
  /** ARN of the alarm topic. */
  readonly topicArn: pulumi.Output<string>;
  /** Alarm names by key. */
  readonly alarmNames: Record<string, pulumi.Output<string>>;

  constructor(name: string, args: MonitoringArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("clinicmaster:platform:Monitoring", name, {}, opts);
    const t = args.thresholds;
    const p = { parent: this };
    const topic = new aws.sns.Topic(
      `${name}-alarms`,
      { kmsMasterKeyId: args.topicKeyArn, tags: args.tags },
      p,
    );
    if (t.email) {
      new aws.sns.TopicSubscription(
        `${name}-alarms-email`,
        { topic: topic.arn, protocol: "email", endpoint: t.email },
        p,
      );
    }
    const actions = { alarmActions: [topic.arn], okActions: [topic.arn] };
    this.alarmNames = {};
    const alarm = (
      key: string,
      a: Omit<aws.cloudwatch.MetricAlarmArgs, "alarmActions" | "okActions" | "tags">,
    ) => {
      const r = new aws.cloudwatch.MetricAlarm(`${name}-${key}`, { ...a, ...actions, tags: args.tags }, p);
      this.alarmNames[key] = r.name;
      return r;
    };
    const c = args.kafka.clusterName;

    alarm("dlq-growth", {
      alarmDescription: `Records reach ${args.kafka.dlqTopic}: converter/SMT failures. Inspect the DLQ headers (__connect.errors.*).`,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      threshold: t.dlqMessagesPer5Min,
      evaluationPeriods: 1,
      treatMissingData: "notBreaching",
      metricQueries: pulumi
        .output(c)
        .apply((cluster) => dlqGrowthQueries(cluster, args.kafka.brokerCount, args.kafka.dlqTopic)),
    });
    alarm("sink-lag", {
      alarmDescription: `Sink consumer group ${args.kafka.sinkConsumerGroup} is more than ${t.sinkLagRecords} records behind for 5 minutes.`,
      comparisonOperator: "GreaterThanThreshold",
      threshold: t.sinkLagRecords,
      evaluationPeriods: 5,
      datapointsToAlarm: 5,
      treatMissingData: "notBreaching",
      metricQueries: [
        {
          id: "lag",
          expression: pulumi
            .output(c)
            .apply((cluster) => sinkLagQuery(cluster, args.kafka.sinkConsumerGroup)),
          period: 60,
          label: "sink consumer lag, records",
          returnData: true,
        },
      ],
    });
    alarm("facility-silence", {
      alarmDescription: `At least one facility sent no heartbeat for ${t.silentHeartbeats} intervals (${silenceMinutes(t.silentHeartbeats, t.heartbeatIntervalMs)} min), or the heartbeat monitor stopped reporting.`,
      namespace: PLATFORM_METRIC_NAMESPACE,
      metricName: SILENT_FACILITIES_METRIC,
      dimensions: { [ENVIRONMENT_DIMENSION]: args.environment },
      statistic: "Maximum",
      period: 60,
      evaluationPeriods: 1,
      comparisonOperator: "GreaterThanThreshold",
      threshold: 0,
      treatMissingData: "breaching",
    });
    const silentMin = silenceMinutes(t.silentHeartbeats, t.heartbeatIntervalMs);
    alarm("heartbeats-stopped", {
      alarmDescription: `No facility heartbeat reached ${args.kafka.heartbeatTopic} for ${silentMin} min: check the VPN hub, the brokers' security group and the cluster.`,
      comparisonOperator: "LessThanOrEqualToThreshold",
      threshold: 0,
      evaluationPeriods: silentMin,
      datapointsToAlarm: silentMin,
      treatMissingData: "breaching",
      metricQueries: pulumi
        .output(c)
        .apply((cluster) => heartbeatRateQueries(cluster, args.kafka.brokerCount, args.kafka.heartbeatTopic)),
    });
    alarm("sink-workers", {
      alarmDescription: `Fewer than ${args.sink.desiredCount} sink Connect workers running for 5 minutes.`,
      namespace: "ECS/ContainerInsights",
      metricName: "RunningTaskCount",
      dimensions: { ClusterName: args.sink.ecsClusterName, ServiceName: args.sink.ecsServiceName },
      statistic: "Minimum",
      period: 60,
      evaluationPeriods: 5,
      comparisonOperator: "LessThanThreshold",
      threshold: args.sink.desiredCount,
      treatMissingData: "breaching",
    });
    alarm("rds-cpu", {
      alarmDescription: `Warehouse CPU above ${t.rdsCpuPercent}% for 15 minutes.`,
      namespace: "AWS/RDS",
      metricName: "CPUUtilization",
      dimensions: { DBInstanceIdentifier: args.warehouse.instanceId },
      statistic: "Average",
      period: 300,
      evaluationPeriods: 3,
      comparisonOperator: "GreaterThanThreshold",
      threshold: t.rdsCpuPercent,
      treatMissingData: "breaching",
    });
    alarm("rds-storage", {
      alarmDescription: `Warehouse free storage below ${t.rdsFreeStorageGiB} GiB (storage autoscaling may be at its ceiling).`,
      namespace: "AWS/RDS",
      metricName: "FreeStorageSpace",
      dimensions: { DBInstanceIdentifier: args.warehouse.instanceId },
      statistic: "Minimum",
      period: 300,
      evaluationPeriods: 1,
      comparisonOperator: "LessThanThreshold",
      threshold: t.rdsFreeStorageGiB * GIB,
      treatMissingData: "breaching",
    });
    alarm("broker-disk", {
      alarmDescription: `A broker's data disk is above ${t.brokerDiskPercent}% (storage autoscaling may be at its ceiling).`,
      comparisonOperator: "GreaterThanThreshold",
      threshold: t.brokerDiskPercent,
      evaluationPeriods: 2,
      treatMissingData: "breaching",
      metricQueries: pulumi.output(c).apply((cluster) => brokerDiskQueries(cluster, args.kafka.brokerCount)),
    });
    this.topicArn = topic.arn;
    this.registerOutputs({ topicArn: this.topicArn });
  }
}
