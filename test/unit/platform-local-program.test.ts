import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { aclKey, aclMatrix } from "../../infra/connect/acl";
import {
  ADMIN_PRINCIPAL,
  DLQ_TOPIC,
  HEARTBEAT_TOPIC,
  WAREHOUSE_ROLES,
  dataTopic,
} from "../../infra/connect/names";
import { findResource, recorded, resourcesOf } from "../helpers/mocks";
import { recordedOptions } from "../helpers/resource-options";
import {
  LOCAL_STACK_FILE,
  type PlatformProgram,
  devConfig,
  isSecretInput,
  reveal,
  runPlatformProgram,
} from "./platform-harness";

const P = "clinicmaster-local";
const PEM = "-----BEGIN CERTIFICATE-----\nMIIBlocalTestCertificate\n-----END CERTIFICATE-----\n";
const SECRETS = ["platform:localKafkaAdminPassword", "platform:localWarehousePassword"];
const CODES = ["12345", "67890", "54321"];
const TABLES = 12;
/** Every topic of the platform: one per table, heartbeat, DLQ and the sink's three internal topics. */
const TOPICS = TABLES + 5;

let dir: string;
let caFile: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "local-program-"));
  caFile = path.join(dir, "ca.pem");
  fs.writeFileSync(caFile, PEM);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Pulumi.local.yaml with the loopback endpoints of a harness run and both secrets set. */
function localConfig(local: Record<string, unknown> = {}): Record<string, string> {
  return devConfig(
    {
      "platform:local": {
        kafka: { bootstrapServers: ["127.0.0.1:29092"], caCertFile: caFile, replicationFactor: 1 },
        warehouse: { host: "127.0.0.1", port: 25432, username: "postgres", database: "postgres" },
        facilities: CODES,
        ...local,
      },
      "platform:localKafkaAdminPassword": "kafka-admin-pw-not-shown",
      "platform:localWarehousePassword": "pg-superuser-pw-not-shown",
    },
    LOCAL_STACK_FILE,
  );
}

const run = (config = localConfig()) => runPlatformProgram(config, { stack: "local", secretKeys: SECRETS });
const provider = (pkg: string) => {
  const [p] = resourcesOf(`pulumi:providers:${pkg}`);
  return p;
};
/** Provider inputs arrive JSON-encoded when they are not strings. */
const decoded = (v: unknown): unknown => {
  const plain = reveal(v);
  if (typeof plain !== "string") return plain;
  try {
    return JSON.parse(plain);
  } catch {
    return plain;
  }
};

describe("Pulumi.local.yaml under mocks (target local)", () => {
  let program: PlatformProgram;
  beforeAll(async () => {
    program = await run();
  }, 120_000);

  test("registers no AWS resource: only kafka, postgresql, random, their providers and the two components", () => {
    const types = [...new Set(recorded.map((r) => r.type))].sort();
    expect(types.filter((t) => t.startsWith("aws:"))).toEqual([]);
    expect(types.filter((t) => !/^(kafka|postgresql|random):/.test(t))).toEqual([
      "clinicmaster:platform:KafkaObjects",
      "clinicmaster:platform:WarehouseObjects",
      "pulumi:providers:kafka",
      "pulumi:providers:postgresql",
    ]);
  });

  test("creates every topic of the platform with RF 1 and min.insync.replicas 1", () => {
    const topics = resourcesOf("kafka:index/topic:Topic");
    expect(topics).toHaveLength(TOPICS);
    expect(topics.map((t) => t.inputs.replicationFactor)).toEqual(Array(TOPICS).fill(1));
    expect(topics.map((t) => (t.inputs.config as Record<string, string>)["min.insync.replicas"])).toEqual(
      Array(TOPICS).fill("1"),
    );
    expect(findResource("kafka:index/topic:Topic", `${P}-kafka-objects-data-visits`).inputs).toMatchObject({
      name: dataTopic("Visits"),
      partitions: 12,
    });
  });

  test("creates exactly the ACL matrix of the configured facilities (admin, sink, three facilities)", () => {
    const expected = aclMatrix(CODES).flatMap((g) => g.acls);
    expect(expected).toHaveLength(5 + 14 + 3 * 5);
    const acls = resourcesOf("kafka:index/acl:Acl");
    expect(acls.map((a) => a.name).sort()).toEqual(
      expected.map((a) => `${P}-kafka-objects-${aclKey(a)}`).sort(),
    );
    expect(program.kafkaAclCount).toBe(expected.length);
  });

  test("does not protect data topics: a throwaway loopback stack must be able to `pulumi destroy`", () => {
    const topics = recordedOptions.filter((o) => o.type === "kafka:index/topic:Topic");
    expect(topics).toHaveLength(TOPICS);
    expect(topics.filter((o) => o.protect || o.retainOnDelete)).toEqual([]);
  });

  test("the Kafka provider logs in as the super user over verified TLS with the CA file's content", () => {
    const inputs = provider("kafka").inputs;
    expect(decoded(inputs.bootstrapServers)).toEqual(["127.0.0.1:29092"]);
    expect(reveal(inputs.saslMechanism)).toBe("scram-sha512");
    expect(reveal(inputs.saslUsername)).toBe(ADMIN_PRINCIPAL);
    expect(isSecretInput(inputs.saslPassword)).toBe(true);
    expect(reveal(inputs.saslPassword)).toBe("kafka-admin-pw-not-shown");
    expect(decoded(inputs.tlsEnabled)).toBe(true);
    expect(decoded(inputs.skipTlsVerify)).toBe(false);
    expect(reveal(inputs.caCert)).toBe(PEM);
    expect(decoded(inputs.timeout)).toBe(60);
  });

  test("the PostgreSQL provider logs into the maintenance database as the loopback superuser", () => {
    const inputs = provider("postgresql").inputs;
    expect(reveal(inputs.host)).toBe("127.0.0.1");
    expect(decoded(inputs.port)).toBe(25432);
    expect(reveal(inputs.username)).toBe("postgres");
    expect(reveal(inputs.database)).toBe("postgres");
    expect(reveal(inputs.sslmode)).toBe("disable");
    expect(decoded(inputs.superuser)).toBe(true);
    expect(decoded(inputs.connectTimeout)).toBe(15);
    expect(isSecretInput(inputs.password)).toBe(true);
    expect(reveal(inputs.password)).toBe("pg-superuser-pw-not-shown");
  });

  test("every kafka and postgresql resource goes through the stack's explicit providers", () => {
    const providers = new Set(
      recordedOptions
        .filter((o) => /^(kafka|postgresql):index\//.test(o.type))
        .map((o) => o.provider.split("::").slice(2, 4).join("::")),
    );
    expect([...providers].sort()).toEqual([
      `pulumi:providers:kafka::${P}-kafka-admin`,
      `pulumi:providers:postgresql::${P}-warehouse-admin`,
    ]);
  });

  test("creates the warehouse database and its three roles, with generated passwords", () => {
    expect(findResource("postgresql:index/database:Database", `${P}-warehouse-objects`).inputs.name).toBe(
      "clinicmaster_warehouse",
    );
    expect(
      resourcesOf("postgresql:index/role:Role")
        .map((r) => r.inputs.name)
        .sort(),
    ).toEqual([WAREHOUSE_ROLES.readonly, WAREHOUSE_ROLES.reporting, WAREHOUSE_ROLES.sink].sort());
    expect(resourcesOf("random:index/randomPassword:RandomPassword")).toHaveLength(2);
  });

  test("exports the local outputs, passwords as secrets, and none of the AWS ones", async () => {
    expect(Object.keys(program).sort()).toEqual(
      [
        "environment",
        "kafkaAclCount",
        "kafkaAdminUsername",
        "kafkaBootstrapServers",
        "kafkaReplicationFactor",
        "kafkaTopicNames",
        "reportingPassword",
        "reportingRole",
        "sinkPassword",
        "sinkRole",
        "target",
        "topics",
        "warehouseDatabase",
      ].sort(),
    );
    expect(program.target).toBe("local");
    expect(program.sinkRole).toBe(WAREHOUSE_ROLES.sink);
    expect(program.reportingRole).toBe(WAREHOUSE_ROLES.reporting);
    expect(program.kafkaTopicNames).toHaveLength(TOPICS);
    expect(program.kafkaTopicNames).toEqual(expect.arrayContaining([HEARTBEAT_TOPIC, DLQ_TOPIC]));
    for (const key of ["sinkPassword", "reportingPassword"]) {
      const out = program[key] as pulumi.Output<string>;
      expect(await pulumi.isSecret(out)).toBe(true);
    }
    const db = program.warehouseDatabase as pulumi.Output<string>;
    expect(await new Promise((r) => db.apply(r))).toBe("clinicmaster_warehouse");
  });
});

describe("target local with three KRaft nodes", () => {
  test("creates every topic with RF 3 and min.insync.replicas 2", async () => {
    await run(
      localConfig({
        kafka: {
          bootstrapServers: ["127.0.0.1:29092", "127.0.0.1:29093", "localhost:29094"],
          caCertFile: caFile,
          replicationFactor: 3,
        },
      }),
    );
    const topics = resourcesOf("kafka:index/topic:Topic");
    expect(topics).toHaveLength(TOPICS);
    expect(new Set(topics.map((t) => t.inputs.replicationFactor))).toEqual(new Set([3]));
    expect(
      new Set(topics.map((t) => (t.inputs.config as Record<string, string>)["min.insync.replicas"])),
    ).toEqual(new Set(["2"]));
  });

  test("with no facility configured, creates only the admin's and the sink's ACLs", async () => {
    await run(localConfig({ facilities: [] }));
    expect(resourcesOf("kafka:index/acl:Acl")).toHaveLength(5 + 14);
  });
});

describe("target local refusals (before any resource is registered)", () => {
  test("fails if the CA file is missing, naming the key, the path and the fix", async () => {
    const config = localConfig({
      kafka: { bootstrapServers: ["127.0.0.1:29092"], caCertFile: path.join(dir, "nope.pem") },
    });
    await expect(run(config)).rejects.toThrow(
      /platform:local\.kafka\.caCertFile = ".*nope\.pem": cannot be read \(ENOENT at .*nope\.pem\); point it at the broker CA PEM/,
    );
    expect(recorded).toEqual([]);
  });

  test("fails if the CA file holds no certificate", async () => {
    const notPem = path.join(dir, "not.pem");
    fs.writeFileSync(notPem, "hello\n");
    const config = localConfig({ kafka: { bootstrapServers: ["127.0.0.1:29092"], caCertFile: notPem } });
    await expect(run(config)).rejects.toThrow("holds no PEM certificate");
    expect(recorded).toEqual([]);
  });
});
