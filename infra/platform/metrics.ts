/**
 * CloudWatch metrics the alarms watch, as data. Pure.
 *
 * MSK metrics (namespace `AWS/Kafka`) need `enhancedMonitoring = PER_TOPIC_PER_BROKER` for the
 * per-topic `MessagesInPerSec` the DLQ alarm reads; consumer lag (`SumOffsetLag`) is published per
 * consumer group and topic at every monitoring level.
 *
 * Facility silence, two sources:
 * - all facilities at once (hub down, cluster unreachable): MSK's per-topic `MessagesInPerSec` on the
 *   shared heartbeat topic, summed over brokers, is zero for the silence window;
 * - one facility: MSK has no per-client metric, so a heartbeat monitor (reading the heartbeat topic,
 *   key = facility, as the sink principal) publishes `SilentFacilities` — the number of facilities
 *   whose last heartbeat is older than `silentHeartbeats × heartbeatIntervalMs` — every minute into
 *   the namespace below, dimension `Environment`. It needs `cloudwatch:PutMetricData` limited to that
 *   namespace. Missing data counts as breaching: a dead monitor is an alarm too.
 */

/** Namespace of the platform's own metrics. */
export const PLATFORM_METRIC_NAMESPACE = "ClinicMaster/Platform";
/** Metric the heartbeat monitor publishes: facilities silent past the threshold. */
export const SILENT_FACILITIES_METRIC = "SilentFacilities";
/** Dimension that separates environments in the platform namespace. */
export const ENVIRONMENT_DIMENSION = "Environment";

/** One entry of a CloudWatch alarm's `metricQueries` (the subset we use). */
export interface MetricQuery {
  id: string;
  expression?: string;
  label?: string;
  returnData: boolean;
  metric?: {
    namespace: string;
    metricName: string;
    dimensions: Record<string, string>;
    period: number;
    stat: string;
  };
}

/** CloudWatch allows at most this many metrics in one metric-math alarm. */
export const MAX_ALARM_METRICS = 10;

/**
 * One query per broker of an `AWS/Kafka` broker-level metric, combined by `combine` (e.g.
 * `SUM(METRICS())*300`). MSK numbers brokers 1..N.
 */
export function perBrokerQueries(args: {
  metricName: string;
  clusterName: string;
  brokerCount: number;
  extraDimensions?: Record<string, string>;
  stat: string;
  period: number;
  expression: string;
  label: string;
}): MetricQuery[] {
  if (args.brokerCount > MAX_ALARM_METRICS) {
    throw new Error(
      `${args.metricName}: ${args.brokerCount} brokers exceed the ${MAX_ALARM_METRICS} metrics a CloudWatch alarm may combine; split the alarm`,
    );
  }
  const metrics: MetricQuery[] = Array.from({ length: args.brokerCount }, (_, i) => ({
    id: `b${i + 1}`,
    returnData: false,
    metric: {
      namespace: "AWS/Kafka",
      metricName: args.metricName,
      dimensions: {
        "Cluster Name": args.clusterName,
        "Broker ID": String(i + 1),
        ...(args.extraDimensions ?? {}),
      },
      period: args.period,
      stat: args.stat,
    },
  }));
  return [...metrics, { id: "total", expression: args.expression, label: args.label, returnData: true }];
}

/** Seconds in the DLQ alarm's window: `MessagesInPerSec` averaged over it, times its length, is a count. */
export const DLQ_WINDOW_SECONDS = 300;

/** Records written to the DLQ in five minutes, summed over brokers. */
export function dlqGrowthQueries(clusterName: string, brokerCount: number, dlqTopic: string): MetricQuery[] {
  return perBrokerQueries({
    metricName: "MessagesInPerSec",
    clusterName,
    brokerCount,
    extraDimensions: { Topic: dlqTopic },
    stat: "Average",
    period: DLQ_WINDOW_SECONDS,
    expression: `SUM(METRICS())*${DLQ_WINDOW_SECONDS}`,
    label: `records into ${dlqTopic} per ${DLQ_WINDOW_SECONDS / 60} min`,
  });
}

/** Heartbeat records per minute into the shared heartbeat topic, summed over brokers. */
export function heartbeatRateQueries(
  clusterName: string,
  brokerCount: number,
  heartbeatTopic: string,
): MetricQuery[] {
  return perBrokerQueries({
    metricName: "MessagesInPerSec",
    clusterName,
    brokerCount,
    extraDimensions: { Topic: heartbeatTopic },
    stat: "Average",
    period: 60,
    expression: "SUM(METRICS())*60",
    label: `heartbeats into ${heartbeatTopic} per minute`,
  });
}

/** Fullest broker data disk, percent. */
export function brokerDiskQueries(clusterName: string, brokerCount: number): MetricQuery[] {
  return perBrokerQueries({
    metricName: "KafkaDataLogsDiskUsed",
    clusterName,
    brokerCount,
    stat: "Maximum",
    period: 300,
    expression: "MAX(METRICS())",
    label: "fullest broker data disk, %",
  });
}

/** Escapes a value for a single-quoted CloudWatch Metrics Insights string. */
function quote(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * Sink consumer lag over every topic the group reads, as one Metrics Insights query (a per-topic
 * metric list would need one query per table and break the 10-metric limit).
 */
export function sinkLagQuery(clusterName: string, consumerGroup: string): string {
  return (
    `SELECT SUM(SumOffsetLag) FROM SCHEMA("AWS/Kafka", "Cluster Name", "Consumer Group", Topic) ` +
    `WHERE "Cluster Name" = ${quote(clusterName)} AND "Consumer Group" = ${quote(consumerGroup)}`
  );
}

/** Minutes after which a facility that stopped sending heartbeats counts as silent. */
export function silenceMinutes(silentHeartbeats: number, heartbeatIntervalMs: number): number {
  return Math.max(1, Math.ceil((silentHeartbeats * heartbeatIntervalMs) / 60_000));
}
