import { platformSchema } from "../../infra/config/platform";
import {
  CapacityError,
  KAFKA_INTERNAL_TOPICS,
  MSK_PARTITIONS_PER_BROKER,
  assertCapacity,
  capacityReport,
  describeCapacity,
} from "../../infra/platform/capacity";
import { topicSpecs } from "../../infra/connect/topics";

const config = (tables: { name: string; partitions: number }[]) =>
  platformSchema.parse({
    environment: "dev",
    region: "af-south-1",
    network: { vpcCidr: "10.40.0.0/16" },
    tables,
  });

/** The tables of Pulumi.dev.yaml: 70 partitions in all. */
const devTables = [
  { name: "Patients", partitions: 6 },
  { name: "Visits", partitions: 12 },
  { name: "Appointments", partitions: 6 },
  { name: "Medications", partitions: 6 },
  { name: "LabRequests", partitions: 6 },
  { name: "LabResults", partitions: 6 },
  { name: "Prescriptions", partitions: 6 },
  { name: "Diagnoses", partitions: 6 },
  { name: "Admissions", partitions: 3 },
  { name: "Invoices", partitions: 6 },
  { name: "Payments", partitions: 6 },
  { name: "Staff", partitions: 1 },
];

describe("MSK per-broker partition limits", () => {
  test.each([
    ["kafka.t3.small", 300],
    ["kafka.m5.large", 1000],
    ["kafka.m5.xlarge", 1000],
    ["kafka.m5.2xlarge", 2000],
    ["kafka.m5.4xlarge", 4000],
    ["kafka.m5.24xlarge", 4000],
    ["kafka.m7g.large", 1000],
    ["kafka.m7g.xlarge", 1000],
    ["kafka.m7g.2xlarge", 2000],
    ["kafka.m7g.4xlarge", 4000],
    ["kafka.m7g.16xlarge", 4000],
  ])("%s takes %i partition replicas per broker", (type, limit) => {
    expect(MSK_PARTITIONS_PER_BROKER[type]).toBe(limit);
  });
});

describe("capacity of the dev layout (70 table partitions, RF 3)", () => {
  // 70 data + 3 heartbeat + 3 DLQ + 31 sink-internal partitions, ×3 = 321; plus 50×3 consumer offsets = 471.
  test.each([
    ["kafka.t3.small", 3, 300, 157, 143],
    ["kafka.m5.large", 3, 1000, 157, 843],
    ["kafka.m7g.large", 3, 1000, 157, 843],
    ["kafka.m7g.2xlarge", 3, 2000, 157, 1843],
    ["kafka.m5.4xlarge", 6, 4000, 79, 3921],
  ])("%s × %i: limit %i, %i per broker, headroom %i", (type, brokers, limit, perBroker, headroom) => {
    const r = capacityReport(topicSpecs(config(devTables)), type, brokers);
    expect(r.totalReplicas).toBe(471);
    expect(r.limitPerBroker).toBe(limit);
    expect(r.replicasPerBroker).toBe(perBroker);
    expect(r.headroomPerBroker).toBe(headroom);
    expect(r.fits).toBe(true);
  });

  test("counts Kafka's consumer offsets topic (50 partitions × 3)", () => {
    expect(KAFKA_INTERNAL_TOPICS).toEqual([
      { name: "__consumer_offsets", partitions: 50, replicationFactor: 3 },
    ]);
  });

  test("says how many more 3-partition tables fit on kafka.m7g.large", () => {
    // (1000 - 157) × 3 brokers / (3 partitions × RF 3) = 281
    expect(capacityReport(topicSpecs(config(devTables)), "kafka.m7g.large", 3, 3).moreTablesThatFit).toBe(
      281,
    );
  });

  test("describes the numbers for operators", () => {
    expect(describeCapacity(capacityReport(topicSpecs(config(devTables)), "kafka.m7g.large", 3))).toBe(
      "471 partition replicas on 3 × kafka.m7g.large = 157 per broker (MSK recommends at most 1000); facilities add 0 partitions each, so the layout supports any number of facilities",
    );
  });
});

describe("facility count", () => {
  test("adds no partitions: the plan has no per-facility topic and a facility costs 0 partitions", () => {
    const plan = topicSpecs(config(devTables));
    expect(plan.filter((t: { name: string }) => /facility|clinicmaster\.[^.]+$/.test(t.name))).toEqual([]);
    const r = capacityReport(plan, "kafka.m7g.large", 3);
    expect(r.partitionsPerFacility).toBe(0);
    expect(r.facilitiesSupported).toBe("unbounded");
  });
});

describe("refusal", () => {
  const big = Array.from({ length: 5 }, (_, i) => ({ name: `Big${i}`, partitions: 60 }));

  test("rejects a layout over the limit with the numbers and the fix", () => {
    // 300 data partitions ×3 = 900, + 9 heartbeat + 9 DLQ + 93 sink-internal + 150 offsets = 1161; /3 = 387 per broker.
    expect(() => assertCapacity(topicSpecs(config(big)), "kafka.t3.small", 3)).toThrow(
      new CapacityError(
        "platform:tables needs 387 partition replicas per broker on 3 × kafka.t3.small, over the MSK recommendation of 300 by 87 (1161 replicas in all, RF 3); lower tables[].partitions, add brokers (kafka.brokerCount, a multiple of 3) or choose a larger kafka.brokerInstanceType",
      ),
    );
  });

  test("accepts the same layout on a larger broker type", () => {
    expect(assertCapacity(topicSpecs(config(big)), "kafka.m5.large", 3).replicasPerBroker).toBe(387);
  });

  test("accepts a layout exactly at the limit", () => {
    const r = capacityReport([{ name: "t", partitions: 250, replicationFactor: 3 }], "kafka.t3.small", 3);
    // 750 + 150 = 900 = 3 × 300
    expect(r.replicasPerBroker).toBe(300);
    expect(r.fits).toBe(true);
  });

  test("rejects an unknown broker type, listing the known ones", () => {
    expect(() => capacityReport([], "kafka.x9.huge", 3)).toThrow(
      /^kafka\.brokerInstanceType kafka\.x9\.huge has no known per-broker partition limit; use one of kafka\.t3\.small, kafka\.m5\.large, .*kafka\.m7g\.16xlarge or add its MSK limit/,
    );
  });
});
