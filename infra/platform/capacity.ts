/**
 * Partition capacity of the MSK cluster. Pure.
 *
 * MSK publishes a recommended maximum of partition replicas (leaders and followers) per Standard
 * broker by broker type; above it, MSK may refuse configuration updates, version upgrades and — the
 * one that matters here — new SCRAM secret associations, so a new facility could not be added.
 * Source: Amazon MSK developer guide, "Best practices for Standard brokers", "Right-size your
 * cluster: Number of partitions per broker".
 *
 * The layout does not depend on the number of facilities: facilities share one topic per table and
 * run standalone Connect workers (no per-facility group, internal or history topic; DESIGN §4.2), so
 * each facility adds a principal and its ACLs but zero partitions.
 */

/** Recommended partition replicas per broker, by MSK Standard broker type. */
export const MSK_PARTITIONS_PER_BROKER: Readonly<Record<string, number>> = {
  "kafka.t3.small": 300,
  "kafka.m5.large": 1000,
  "kafka.m5.xlarge": 1000,
  "kafka.m5.2xlarge": 2000,
  "kafka.m5.4xlarge": 4000,
  "kafka.m5.8xlarge": 4000,
  "kafka.m5.12xlarge": 4000,
  "kafka.m5.16xlarge": 4000,
  "kafka.m5.24xlarge": 4000,
  "kafka.m7g.large": 1000,
  "kafka.m7g.xlarge": 1000,
  "kafka.m7g.2xlarge": 2000,
  "kafka.m7g.4xlarge": 4000,
  "kafka.m7g.8xlarge": 4000,
  "kafka.m7g.12xlarge": 4000,
  "kafka.m7g.16xlarge": 4000,
};

/** Partitions and replication of one topic, as far as capacity is concerned. */
export interface TopicFootprint {
  /** Topic name. */
  name: string;
  /** Partitions. */
  partitions: number;
  /** Replicas of each partition. */
  replicationFactor: number;
}

/**
 * Topics Kafka itself keeps on every cluster that count against the limit: the consumer offsets
 * topic (`offsets.topic.num.partitions` default 50, replicated 3 times on a three-AZ cluster).
 */
export const KAFKA_INTERNAL_TOPICS: readonly TopicFootprint[] = [
  { name: "__consumer_offsets", partitions: 50, replicationFactor: 3 },
];

/** What the capacity check found. */
export interface CapacityReport {
  /** Broker type checked. */
  brokerInstanceType: string;
  /** Brokers in the cluster. */
  brokerCount: number;
  /** Recommended partition replicas per broker for this broker type. */
  limitPerBroker: number;
  /** Partition replicas of every topic, cluster-wide. */
  totalReplicas: number;
  /** Partition replicas on the busiest broker (replicas spread evenly, rounded up). */
  replicasPerBroker: number;
  /** How many more replicas each broker takes before the limit (negative when over). */
  headroomPerBroker: number;
  /** Partitions each additional facility adds: zero, by design. */
  partitionsPerFacility: 0;
  /** Facilities the layout supports: unbounded by partitions, since a facility adds none. */
  facilitiesSupported: "unbounded";
  /** More tables of `extraTablePartitions` partitions that still fit. */
  moreTablesThatFit: number;
  /** Whether the layout is within the limit. */
  fits: boolean;
}

/** Raised when the layout exceeds the per-broker limit or the broker type is unknown. */
export class CapacityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CapacityError";
  }
}

/**
 * Computes partition replicas per broker for `topics` (plus Kafka's own internal topics) against
 * the MSK recommendation for `brokerInstanceType`. Throws CapacityError for an unknown broker type.
 */
export function capacityReport(
  topics: readonly TopicFootprint[],
  brokerInstanceType: string,
  brokerCount: number,
  extraTablePartitions = 3,
): CapacityReport {
  const limitPerBroker = MSK_PARTITIONS_PER_BROKER[brokerInstanceType];
  if (limitPerBroker === undefined) {
    throw new CapacityError(
      `kafka.brokerInstanceType ${brokerInstanceType} has no known per-broker partition limit; use one of ${Object.keys(MSK_PARTITIONS_PER_BROKER).join(", ")} or add its MSK limit to infra/platform/capacity.ts`,
    );
  }
  if (!Number.isInteger(brokerCount) || brokerCount < 1) {
    throw new CapacityError(`kafka.brokerCount ${brokerCount} must be a positive whole number`);
  }
  const all = [...topics, ...KAFKA_INTERNAL_TOPICS];
  const totalReplicas = all.reduce((sum, t) => sum + t.partitions * t.replicationFactor, 0);
  const replicasPerBroker = Math.ceil(totalReplicas / brokerCount);
  const headroomPerBroker = limitPerBroker - replicasPerBroker;
  const perTable = extraTablePartitions * 3;
  return {
    brokerInstanceType,
    brokerCount,
    limitPerBroker,
    totalReplicas,
    replicasPerBroker,
    headroomPerBroker,
    partitionsPerFacility: 0,
    facilitiesSupported: "unbounded",
    moreTablesThatFit: Math.max(0, Math.floor((headroomPerBroker * brokerCount) / perTable)),
    fits: headroomPerBroker >= 0,
  };
}

/** One line for operators: the numbers behind the check. */
export function describeCapacity(r: CapacityReport): string {
  return (
    `${r.totalReplicas} partition replicas on ${r.brokerCount} × ${r.brokerInstanceType} = ${r.replicasPerBroker} per broker ` +
    `(MSK recommends at most ${r.limitPerBroker}); facilities add 0 partitions each, so the layout supports any number of facilities`
  );
}

/**
 * Refuses a layout over the limit, with the numbers and the ways out. Returns the report when it fits.
 */
export function assertCapacity(
  topics: readonly TopicFootprint[],
  brokerInstanceType: string,
  brokerCount: number,
  extraTablePartitions = 3,
): CapacityReport {
  const r = capacityReport(topics, brokerInstanceType, brokerCount, extraTablePartitions);
  if (!r.fits) {
    throw new CapacityError(
      `platform:tables needs ${r.replicasPerBroker} partition replicas per broker on ${r.brokerCount} × ${r.brokerInstanceType}, ` +
        `over the MSK recommendation of ${r.limitPerBroker} by ${-r.headroomPerBroker} (${r.totalReplicas} replicas in all, RF 3); ` +
        `lower tables[].partitions, add brokers (kafka.brokerCount, a multiple of 3) or choose a larger kafka.brokerInstanceType`,
    );
  }
  return r;
}
