import { ConfigResourceTypes } from "kafkajs";
import { aclMatrix } from "../../infra/connect/acl";
import { dataTopic, facilityPrincipal } from "../../infra/connect/names";
import {
  Workspace,
  applyAcls,
  createTopics,
  ensureArtifacts,
  assertNoProcessesLeft,
  randomPassword,
  startConnectWorker,
  startKafka,
  startPostgres,
  stopAll,
  waitFor,
  withAdmin,
  type Artifacts,
  type KafkaCluster,
  type PostgresServer,
  type ScramUser,
} from "../../infra/local";

// Three JVM brokers, PostgreSQL and a Connect worker on two cores.
jest.setTimeout(15 * 60_000);

const CODE = "99002";
const facility: ScramUser = { name: facilityPrincipal(CODE), password: randomPassword() };
const topic = dataTopic("Visits");

let ws: Workspace;
let artifacts: Artifacts;
let kafka: KafkaCluster;
let pg: PostgresServer;

beforeAll(async () => {
  ws = new Workspace();
  try {
    artifacts = await ensureArtifacts({ log: (l) => process.stderr.write(`${l}\n`) });
    [kafka, pg] = await Promise.all([
      startKafka({ ws, artifacts, brokers: 3, users: [facility] }),
      startPostgres({ ws }),
    ]);
    await createTopics(kafka, [{ name: topic, partitions: 3 }]);
    await applyAcls(
      kafka,
      aclMatrix([CODE]).flatMap((p) => p.acls),
    );
  } catch (err) {
    ws.keep();
    throw err;
  }
});

afterAll(async () => {
  await stopAll();
  ws?.dispose();
  assertNoProcessesLeft();
});

async function isrSizes(): Promise<number[]> {
  return withAdmin(kafka, async (admin) => {
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    return meta.topics[0].partitions.map((p) => p.isr.length);
  });
}

describe("loopback data plane: three brokers, restarts", () => {
  test("topics get replication factor 3 and min.insync.replicas 2", async () => {
    expect(kafka.replicationFactor).toBe(3);
    const replicas = await withAdmin(kafka, async (admin) => {
      const meta = await admin.fetchTopicMetadata({ topics: [topic] });
      return meta.topics[0].partitions.map((p) => p.replicas.length);
    });
    expect(replicas).toEqual([3, 3, 3]);
    const minIsr = await withAdmin(kafka, async (admin) => {
      const res = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ["min.insync.replicas"] }],
      });
      return res.resources[0].configEntries[0].configValue;
    });
    expect(minIsr).toBe("2");
  });

  test("a facility keeps producing (acks=all) with one broker killed, and the broker rejoins the ISR", async () => {
    // The killed broker's partitions move once the controller fences it (broker.session.timeout.ms,
    // 9 s): retry for longer than that, as a Java producer would within delivery.timeout.ms.
    const producer = kafka
      .kafkajs(facility)
      .producer({ retry: { retries: 20, initialRetryTime: 300, maxRetryTime: 3000 } });
    await producer.connect();
    const send = (from: number) =>
      producer.send({
        topic,
        acks: -1,
        messages: Array.from({ length: 10 }, (_, i) => ({ key: String(from + i), value: `row ${from + i}` })),
      });
    try {
      await send(0);
      await kafka.killNode(2);
      await send(10);
    } finally {
      await producer.disconnect();
    }
    await kafka.startNode(2);
    await waitFor(
      "every partition's ISR to hold 3 brokers again",
      async () => (await isrSizes()).every((n) => n === 3),
      {
        timeoutMs: 90_000,
        intervalMs: 1000,
      },
    );
    const offsets = await withAdmin(kafka, (admin) => admin.fetchTopicOffsets(topic));
    expect(offsets.reduce((sum, p) => sum + Number(p.high), 0)).toBe(20);
  });

  test("PostgreSQL stops and starts again on the same port with its data", async () => {
    await pg.createDatabase("restart_check");
    await pg.query("CREATE TABLE t (id int PRIMARY KEY)", [], "restart_check");
    await pg.query("INSERT INTO t VALUES (1), (2)", [], "restart_check");
    await pg.stop();
    await expect(pg.query("SELECT 1")).rejects.toThrow();
    await pg.start();
    expect(await pg.query("SELECT count(*)::int AS n FROM t", [], "restart_check")).toEqual([{ n: 2 }]);
  });

  test("a Kafka Connect worker comes back on the same REST port after kill -9", async () => {
    const clientProps = (prefix: string) =>
      Object.fromEntries(
        Object.entries(kafka.javaClientProperties(facility))
          .filter(([k]) => k !== "bootstrap.servers")
          .map(([k, v]) => [`${prefix}${k}`, v]),
      );
    const worker = await startConnectWorker({
      ws,
      artifacts,
      name: "connect-restart",
      mode: "standalone",
      properties: {
        "bootstrap.servers": kafka.bootstrapServers,
        ...clientProps(""),
        ...clientProps("producer."),
        ...clientProps("admin."),
        "offset.storage.file.filename": `${ws.root}/connect-restart-state/connect.offsets`,
        "key.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
      },
    });
    const firstPid = worker.process?.pid;
    await worker.kill9();
    expect(worker.process?.running).toBe(false);
    await worker.start();
    expect(worker.process?.pid).not.toBe(firstPid);
    expect(await worker.connectors()).toEqual([]);
    await worker.stop();
  });
});
