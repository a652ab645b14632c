import { Kafka as KafkaClient, logLevel, type Kafka } from "kafkajs";
import { aclMatrix } from "../../infra/connect/acl";
import {
  DATA_TOPIC_PREFIX,
  DLQ_TOPIC,
  HEARTBEAT_TOPIC,
  SINK_GROUP,
  SINK_PRINCIPAL,
  dataTopic,
  facilityPrincipal,
} from "../../infra/connect/names";
import {
  Workspace,
  applyAcls,
  createTopics,
  ensureArtifacts,
  listAcls,
  randomPassword,
  startConnectWorker,
  startKafka,
  startPostgres,
  stopAll,
  assertNoProcessesLeft,
  nonLoopbackHosts,
  type Artifacts,
  type KafkaCluster,
  type PostgresServer,
  type ScramUser,
} from "../../infra/local";

// Real processes: the first run may also fetch the jars from Maven Central.
jest.setTimeout(15 * 60_000);

const CODE = "99001";
const facility: ScramUser = { name: facilityPrincipal(CODE), password: randomPassword() };
const sink: ScramUser = { name: SINK_PRINCIPAL, password: randomPassword() };
const patients = dataTopic("Patients");

let ws: Workspace;
let artifacts: Artifacts;
let kafka: KafkaCluster;
let pg: PostgresServer;
const timings: Record<string, number> = {};

async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await fn();
  } finally {
    timings[label] = Date.now() - started;
  }
}

/** Produces one record; resolves to the error's message, or "ok". */
async function tryProduce(client: Kafka, topic: string): Promise<string> {
  const producer = client.producer({ retry: { retries: 0 } });
  try {
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: [{ key: CODE, value: JSON.stringify({ at: Date.now() }) }],
    });
    return "ok";
  } catch (err) {
    return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}

/** Tries to consume `topic` in `groupId`; resolves with the crash reason (or "consumed"/"nothing"). */
async function tryConsume(client: Kafka, topic: string, groupId: string, retries = 0): Promise<string> {
  const consumer = client.consumer({ groupId, retry: { retries } });
  try {
    const outcome = new Promise<string>((resolve) => {
      // A retriable crash (e.g. the offsets topic still loading right after start-up) restarts the
      // consumer by itself; only a final one is an outcome.
      consumer.on(consumer.events.CRASH, (e) => {
        if (!e.payload.restart) resolve(`crash: ${e.payload.error.message}`);
      });
      setTimeout(() => resolve("nothing"), 20_000).unref();
      void consumer
        .connect()
        .then(() => consumer.subscribe({ topic, fromBeginning: true }))
        .then(() =>
          consumer.run({
            eachMessage: async () => resolve("consumed"),
          }),
        )
        .catch((err: Error) => resolve(`error: ${err.message}`));
    });
    return await outcome;
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
}

beforeAll(async () => {
  ws = new Workspace();
  try {
    artifacts = await timed("artifacts", () =>
      ensureArtifacts({ log: (l) => process.stderr.write(`${l}\n`) }),
    );
    [kafka, pg] = await Promise.all([
      timed("kafka start", () => startKafka({ ws, artifacts, users: [facility, sink] })),
      timed("postgres start", () => startPostgres({ ws })),
    ]);
    await createTopics(kafka, [{ name: patients }, { name: HEARTBEAT_TOPIC }, { name: DLQ_TOPIC }]);
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
  process.stderr.write(
    `dataplane smoke timings (ms): ${JSON.stringify({ ...timings, kafkaStartup: kafka?.startupMs })}${ws?.isKept ? `; files kept in ${ws.root}` : ""}\n`,
  );
});

describe("loopback data plane: Kafka with SASL/SCRAM and ACLs, PostgreSQL 15", () => {
  test("the cluster holds exactly the ACL matrix of infra/connect/acl.ts", async () => {
    const key = (a: {
      principal: string;
      resourceType: string;
      resourceName: string;
      patternType: string;
      operation: string;
    }) => `${a.principal} ${a.resourceType}:${a.patternType}:${a.resourceName} ${a.operation}`;
    const expected = aclMatrix([CODE])
      .flatMap((p) => p.acls)
      .map(key)
      .sort();
    expect((await listAcls(kafka)).map(key).sort()).toEqual(expected);
  });

  test("an authorized facility principal writes to a shared data topic", async () => {
    expect(await tryProduce(kafka.kafkajs(facility), patients)).toBe("ok");
    expect(await tryProduce(kafka.kafkajs(facility), HEARTBEAT_TOPIC)).toBe("ok");
  });

  test("a facility principal cannot write to the DLQ", async () => {
    expect(await tryProduce(kafka.kafkajs(facility), DLQ_TOPIC)).toMatch(/authoriz/i);
  });

  test("a facility principal cannot consume a data topic", async () => {
    const group = `${DATA_TOPIC_PREFIX}probe`;
    const outcome = await tryConsume(kafka.kafkajs(facility), patients, group);
    // kafkajs reports the refused group lookup as "Failed to find group coordinator"; the broker's
    // authorizer log says why.
    expect(outcome).toMatch(/^crash: /);
    expect(kafka.denials(facility.name).join("\n")).toContain(`Group:LITERAL:${group}`);
  });

  test("a wrong password is refused", async () => {
    const outcome = await tryProduce(
      kafka.kafkajs({ name: facility.name, password: "not-the-password" }),
      patients,
    );
    expect(outcome).toMatch(/SASL.*authentication failed/i);
  });

  test("an unknown user is refused", async () => {
    const outcome = await tryProduce(
      kafka.kafkajs({ name: "facility-nobody", password: "x".repeat(12) }),
      patients,
    );
    expect(outcome).toMatch(/SASL.*authentication failed/i);
  });

  test("an unauthenticated client is refused (TLS without SASL, and plaintext)", async () => {
    const base = {
      brokers: kafka.bootstrapServers.split(","),
      logLevel: logLevel.NOTHING,
      connectionTimeout: 3000,
    };
    const tlsOnly = await tryProduce(
      new KafkaClient({
        ...base,
        clientId: "anon-tls",
        ssl: { ca: [kafka.tls.caPem] },
        retry: { retries: 0 },
      }),
      patients,
    );
    const plain = await tryProduce(
      new KafkaClient({ ...base, clientId: "anon-plain", retry: { retries: 0 } }),
      patients,
    );
    expect(tlsOnly).not.toBe("ok");
    expect(plain).not.toBe("ok");
  });

  test("the sink principal reads the data topic in its own group", async () => {
    const outcome = await tryConsume(kafka.kafkajs(sink), patients, SINK_GROUP, 5);
    expect(outcome).toBe("consumed");
  });

  test("the harness refuses connector configs that would dial a non-loopback host", () => {
    expect(
      nonLoopbackHosts({
        "database.hostname": "192.168.1.40",
        "connection.url": "jdbc:postgresql://127.0.0.1:5432/warehouse",
        "bootstrap.servers": "127.0.0.1:9096,b-2.example.internal:9096",
      }),
    ).toEqual(["database.hostname=192.168.1.40", "bootstrap.servers=b-2.example.internal"]);
    expect(
      nonLoopbackHosts({
        "database.hostname": "127.0.0.1",
        "connection.url": "jdbc:sqlserver://localhost:1433",
      }),
    ).toEqual([]);
  });

  test("PostgreSQL 15 listens on loopback with logical decoding for ten facilities", async () => {
    const [row] = await pg.query<{ v: string; wal: string; slots: string; senders: string; listen: string }>(
      `SELECT current_setting('server_version_num') AS v, current_setting('wal_level') AS wal,
              current_setting('max_replication_slots') AS slots, current_setting('max_wal_senders') AS senders,
              current_setting('listen_addresses') AS listen`,
    );
    expect(Number(row.v)).toBeGreaterThanOrEqual(150000);
    expect(Number(row.v)).toBeLessThan(160000);
    expect(row).toMatchObject({ wal: "logical", listen: "127.0.0.1" });
    expect(Number(row.slots)).toBeGreaterThanOrEqual(10);
    expect(Number(row.senders)).toBeGreaterThanOrEqual(10);
    await expect(pg.connect("postgres", "postgres", "wrong-password")).rejects.toThrow(
      /password authentication failed/,
    );
  });

  test("a Kafka Connect worker logged in as the facility loads the Debezium plugins", async () => {
    const clientProps = (prefix: string) =>
      Object.fromEntries(
        Object.entries(kafka.javaClientProperties(facility))
          .filter(([k]) => k !== "bootstrap.servers")
          .map(([k, v]) => [`${prefix}${k}`, v]),
      );
    const worker = await timed("connect start", () =>
      startConnectWorker({
        ws,
        artifacts,
        name: "connect-smoke",
        mode: "standalone",
        properties: {
          "bootstrap.servers": kafka.bootstrapServers,
          ...clientProps(""),
          ...clientProps("producer."),
          ...clientProps("admin."),
          "offset.storage.file.filename": `${ws.dir("connect-smoke-state")}/connect.offsets`,
          "key.converter": "org.apache.kafka.connect.json.JsonConverter",
          "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        },
      }),
    );
    const classes = (await worker.plugins()).map((p) => p.class);
    expect(classes).toEqual(
      expect.arrayContaining([
        "io.debezium.connector.sqlserver.SqlServerConnector",
        "io.debezium.connector.postgresql.PostgresConnector",
        "io.debezium.connector.jdbc.JdbcSinkConnector",
        "io.debezium.transforms.ExtractNewRecordState",
        "org.apache.kafka.connect.transforms.InsertField$Value",
        "org.apache.kafka.connect.transforms.RegexRouter",
      ]),
    );
    await worker.stop();
    expect(worker.process?.running).toBe(false);
  });
});
