import type { PlatformConfig } from "../config/platform";
import { DLQ_TOPIC, HEARTBEAT_TOPIC, SINK_INTERNAL_TOPICS, dataTopic } from "./names";

/** One topic the platform creates, with its Kafka topic configs. */
export interface TopicSpec {
  name: string;
  partitions: number;
  replicationFactor: number;
  config: Record<string, string>;
  /** What the topic is for (docs and resource names). */
  role: "data" | "heartbeat" | "dlq" | "sink-internal";
}

/** Cluster-dependent durability: RF 3 / min ISR 2 on MSK; the single-broker loopback cluster uses 1/1. */
export interface Durability {
  replicationFactor: number;
  minInsyncReplicas: number;
}

/** MSK durability (three brokers, one per AZ). */
export const MSK_DURABILITY: Durability = { replicationFactor: 3, minInsyncReplicas: 2 };

/**
 * Every topic of the platform. Data topics are compacted: keyed by (row key, facility), the topic is a
 * replayable copy of every facility's current rows, so a warehouse can be rebuilt from Kafka alone;
 * delete tombstones stay `deleteRetentionMs` so a lagging sink still sees deletes. Heartbeats are
 * keyed by facility and compacted too (the last heartbeat per facility is what monitoring needs), with
 * a time bound. The DLQ keeps records for inspection for `dlqMs`, then drops them.
 */
export function topicSpecs(
  platform: Pick<PlatformConfig, "tables" | "retention">,
  d: Durability = MSK_DURABILITY,
): TopicSpec[] {
  const minIsr = String(d.minInsyncReplicas);
  const data = platform.tables.map((t): TopicSpec => ({
    name: dataTopic(t.name),
    partitions: t.partitions,
    replicationFactor: d.replicationFactor,
    role: "data",
    config: {
      "cleanup.policy": "compact",
      "min.insync.replicas": minIsr,
      "delete.retention.ms": String(platform.retention.deleteRetentionMs),
      "min.compaction.lag.ms": "3600000",
      "compression.type": "producer",
    },
  }));
  const internal = (name: string, partitions: number): TopicSpec => ({
    name,
    partitions,
    replicationFactor: d.replicationFactor,
    role: "sink-internal",
    config: { "cleanup.policy": "compact", "min.insync.replicas": minIsr },
  });
  return [
    ...data,
    {
      name: HEARTBEAT_TOPIC,
      partitions: 3,
      replicationFactor: d.replicationFactor,
      role: "heartbeat",
      config: {
        "cleanup.policy": "compact,delete",
        "retention.ms": String(platform.retention.heartbeatMs),
        "min.insync.replicas": minIsr,
      },
    },
    {
      name: DLQ_TOPIC,
      partitions: 3,
      replicationFactor: d.replicationFactor,
      role: "dlq",
      config: {
        "cleanup.policy": "delete",
        "retention.ms": String(platform.retention.dlqMs),
        "min.insync.replicas": minIsr,
      },
    },
    internal(SINK_INTERNAL_TOPICS.config, 1),
    internal(SINK_INTERNAL_TOPICS.offset, 25),
    internal(SINK_INTERNAL_TOPICS.status, 5),
  ];
}
