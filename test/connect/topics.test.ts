import * as path from "node:path";
import { REPO_ROOT, loadPlatformStack } from "../../infra/config/stackfiles";
import { DLQ_TOPIC, HEARTBEAT_TOPIC, dataTopic, topicSpecs } from "../../infra/connect";

const dev = () => loadPlatformStack(path.join(REPO_ROOT, "Pulumi.dev.yaml")).config;

describe("topic specs", () => {
  test("one compacted data topic per configured table with RF 3 and min ISR 2", () => {
    const specs = topicSpecs(dev());
    const data = specs.filter((s) => s.role === "data");
    expect(data.map((s) => s.name)).toEqual(dev().tables.map((t) => dataTopic(t.name)));
    expect(data.find((s) => s.name === dataTopic("Visits"))?.partitions).toBe(12);
    for (const s of specs) {
      expect(s.replicationFactor).toBe(3);
      expect(s.config["min.insync.replicas"]).toBe("2");
    }
    expect(data.every((s) => s.config["cleanup.policy"] === "compact")).toBe(true);
  });

  test.each([
    [HEARTBEAT_TOPIC, "compact,delete", "86400000"],
    [DLQ_TOPIC, "delete", "1209600000"],
  ])("%s is %s with retention %s ms", (name, policy, retention) => {
    const s = topicSpecs(dev()).find((t) => t.name === name)!;
    expect([s.config["cleanup.policy"], s.config["retention.ms"]]).toEqual([policy, retention]);
  });

  test("the layout does not depend on the number of facilities", () => {
    // topicSpecs takes tables and retention only: central partitions depend on tables, not facilities.
    const specs = topicSpecs(dev());
    expect(specs).toHaveLength(dev().tables.length + 5);
    expect(specs.reduce((n, s) => n + s.partitions, 0)).toBe(
      dev().tables.reduce((n, t) => n + t.partitions, 0) + 3 + 3 + 1 + 25 + 5,
    );
  });

  test("single-broker loopback durability", () => {
    const specs = topicSpecs(dev(), { replicationFactor: 1, minInsyncReplicas: 1 });
    expect(new Set(specs.map((s) => `${s.replicationFactor}/${s.config["min.insync.replicas"]}`))).toEqual(
      new Set(["1/1"]),
    );
  });
});
