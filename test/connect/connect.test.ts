import * as path from "node:path";
import { FACILITIES_DIR, loadFacilityStack } from "../../infra/config/stackfiles";
import type { FacilityConfig } from "../../infra/config/facility";
import {
  DLQ_TOPIC,
  HEARTBEAT_TOPIC,
  aclMatrix,
  dataTopic,
  facilityAcls,
  facilityPrincipal,
  facilityStateFiles,
  facilityTopicPrefix,
  facilityWorkerProperties,
  findSecretValues,
  isFacilityPrincipal,
  jdbcSinkConnector,
  mskBootstrapProblems,
  parseProperties,
  postgresStandInFlavor,
  renderProperties,
  sinkAcls,
  sinkWorkerProperties,
  sourceConnector,
  sourceConnectorName,
  sqlServerSourceConnector,
} from "../../infra/connect";

const SLUGS = ["kayunga", "luwero", "yumbe"] as const;
const facility = (slug: string): FacilityConfig =>
  loadFacilityStack(path.join(FACILITIES_DIR, `Pulumi.${slug}.yaml`)).config;
const kafka = {
  bootstrapServers:
    "b-1.mock.kafka.af-south-1.amazonaws.com:9096,b-2.mock.kafka.af-south-1.amazonaws.com:9096",
};
const sink = () =>
  jdbcSinkConnector({
    jdbcUrl: "jdbc:postgresql://warehouse.internal:5432/clinicmaster_warehouse?sslmode=verify-full",
    username: "clinicmaster_sink",
    tasks: 2,
    batchSize: 2000,
  });

/** Java regex semantics we rely on are the same in JS for these patterns (no lookbehind, no flags). */
const javaRegex = (re: string) => new RegExp(`^(?:${re})$`);
const applyRouter = (config: Record<string, string>, name: string, topic: string) => {
  const m = javaRegex(config[`transforms.${name}.regex`]).exec(topic);
  return m
    ? config[`transforms.${name}.replacement`].replace(/\$(\d)/g, (_s, i: string) => m[Number(i)])
    : topic;
};

describe("golden configs of the seed facilities", () => {
  test.each(SLUGS)("%s source connector", (slug) => {
    expect(sqlServerSourceConnector(facility(slug))).toMatchSnapshot();
  });
  test.each(SLUGS)("%s worker properties", (slug) => {
    expect(renderProperties(facilityWorkerProperties(facility(slug), kafka))).toMatchSnapshot();
  });
  test("central sink connector and worker", () => {
    expect(sink()).toMatchSnapshot();
    expect(renderProperties(sinkWorkerProperties({ batchSize: 2000 }, kafka))).toMatchSnapshot();
  });
});

describe("facilities never collide", () => {
  const pairs = SLUGS.flatMap((a, i) => SLUGS.slice(i + 1).map((b) => [a, b] as const));
  test.each(pairs)(
    "%s and %s differ in prefix, principal, connector, offsets and history, and share data topics",
    (a, b) => {
      const fa = facility(a);
      const fb = facility(b);
      const ids = (f: FacilityConfig) => ({
        prefix: facilityTopicPrefix(f.dhis2Code),
        principal: facilityPrincipal(f.dhis2Code),
        connector: sourceConnectorName(f.dhis2Code),
        ...facilityStateFiles(f.dhis2Code),
      });
      const ia = ids(fa);
      const ib = ids(fb);
      for (const k of Object.keys(ia) as (keyof typeof ia)[]) expect(ia[k]).not.toBe(ib[k]);
      const sa = sqlServerSourceConnector(fa).config;
      const sb = sqlServerSourceConnector(fb).config;
      expect(sa["topic.prefix"]).not.toBe(sb["topic.prefix"]);
      const routedA = applyRouter(sa, "routeData", `${sa["topic.prefix"]}.ClinicMasterMOH.dbo.Visits`);
      const routedB = applyRouter(sb, "routeData", `${sb["topic.prefix"]}.ClinicMasterMOH.dbo.Visits`);
      expect(routedA).toBe(dataTopic("Visits"));
      expect(routedB).toBe(routedA);
      expect(applyRouter(sa, "routeHeartbeat", `__debezium-heartbeat.${sa["topic.prefix"]}`)).toBe(
        HEARTBEAT_TOPIC,
      );
      expect(applyRouter(sb, "routeHeartbeat", `__debezium-heartbeat.${sb["topic.prefix"]}`)).toBe(
        HEARTBEAT_TOPIC,
      );
      // One facility's router must not touch another facility's topics.
      expect(applyRouter(sa, "routeData", `${sb["topic.prefix"]}.ClinicMasterMOH.dbo.Visits`)).toBe(
        `${sb["topic.prefix"]}.ClinicMasterMOH.dbo.Visits`,
      );
    },
  );

  test("the stand-in flavour routes to the same shared topic as SQL Server", () => {
    const f = facility("kayunga");
    const standIn = sourceConnector(
      f,
      postgresStandInFlavor(f, {
        host: "127.0.0.1",
        port: 5432,
        database: "kayunga",
        user: "cdc",
        slotName: "cm_12345",
      }),
    ).config;
    const prod = sqlServerSourceConnector(f).config;
    expect(applyRouter(standIn, "routeData", "clinicmaster.12345.dbo.Visits")).toBe(dataTopic("Visits"));
    // Everything but the connection and the topic regex is identical.
    const shared = (c: Record<string, string>) =>
      Object.fromEntries(
        Object.entries(c).filter(([k]) => k.startsWith("transforms") && k !== "transforms.routeData.regex"),
      );
    expect(shared(standIn)).toEqual(shared(prod));
    for (const k of [
      "topic.prefix",
      "snapshot.mode",
      "heartbeat.interval.ms",
      "include.schema.changes",
      "table.include.list",
    ]) {
      expect(standIn[k]).toBe(prod[k]);
    }
  });
});

describe("corrections to the original design note (DESIGN §4)", () => {
  const f = () => facility("kayunga");

  test("4.1 fails on the note's shared topic.prefix: each facility has its own", () => {
    const prefixes = SLUGS.map((s) => sqlServerSourceConnector(facility(s)).config["topic.prefix"]);
    expect(new Set(prefixes).size).toBe(3);
    expect(prefixes).not.toContain("clinicmasterwarehouse-sqlserver");
    expect(sqlServerSourceConnector(f()).config["include.schema.changes"]).toBe("false");
  });

  test("4.2 standalone facility workers: no group.id or internal topics on the central cluster", () => {
    const w = facilityWorkerProperties(f(), kafka);
    expect(w["group.id"]).toBeUndefined();
    expect(Object.keys(w).filter((k) => k.endsWith(".storage.topic"))).toEqual([]);
    expect(w["offset.storage.file.filename"]).toBe("/kafka/data/connect-offsets-12345.dat");
    expect(sqlServerSourceConnector(f()).config["schema.history.internal"]).toBe(
      "io.debezium.storage.file.history.FileSchemaHistory",
    );
  });

  test.each([
    ["auto.create", "schema.evolution"],
    ["auto.evolve", "schema.evolution"],
    ["pk.mode", "primary.key.mode"],
    ["table.name.format", "collection.name.format"],
    ["connection.user", "connection.username"],
  ])("4.3 fails on the Confluent sink name %s: the Debezium sink uses %s", (confluent, debezium) => {
    const c = sink().config;
    expect(c[confluent]).toBeUndefined();
    expect(c[debezium]).toBeDefined();
    expect(c["connector.class"]).toBe("io.debezium.connector.jdbc.JdbcSinkConnector");
  });

  test("4.3 upsert by record key with deletes and quoted identifiers", () => {
    const c = sink().config;
    expect([c["insert.mode"], c["primary.key.mode"], c["delete.enabled"], c["quote.identifiers"]]).toEqual([
      "upsert",
      "record_key",
      "true",
      "true",
    ]);
  });

  test("4.4 fails on the note's `public.${topic}` without routing: the table would be the whole topic", () => {
    const c = sink().config;
    const routed = applyRouter(c, "tableFromTopic", dataTopic("Visits"));
    expect(routed).toBe("Visits");
    // Debezium's default naming replaces dots in the topic with underscores before formatting.
    const table = (topic: string) =>
      c["collection.name.format"].replace("${topic}", topic.replace(/\./g, "_"));
    expect(table(routed)).toBe("public.Visits");
    expect(table(dataTopic("Visits"))).toBe(
      "public.clinicmasterwarehouse-sqlserver_ClinicMasterMOH_dbo_Visits",
    );
  });

  test("4.5 fails on optional facility fields: the SMTs mark them required", () => {
    const c = sqlServerSourceConnector(f()).config;
    for (const t of ["addFacilityCodeValue", "addFacilityNameValue", "addFacilityCodeKey"]) {
      expect(c[`transforms.${t}.static.field`]).toMatch(/!$/);
    }
    expect(c["transforms.addFacilityNameValue.static.value"]).toBe("Kayunga Regional Referral Hospital");
    expect(c.transforms.split(",")[0]).toBe("unwrap");
    expect(c["transforms.unwrap.delete.tombstone.handling.mode"]).toBe("tombstone");
  });

  test("4.6 converter errors go to sink-dlq with context headers and RF 3, not the note's RF 1", () => {
    const c = sink().config;
    expect(c["errors.tolerance"]).toBe("all");
    expect(c["errors.deadletterqueue.topic.name"]).toBe(DLQ_TOPIC);
    expect(c["errors.deadletterqueue.context.headers.enable"]).toBe("true");
    expect(c["errors.deadletterqueue.topic.replication.factor"]).toBe("3");
    // Patient data must not be copied into logs.
    expect(c["errors.log.include.messages"]).toBe("false");
  });

  test("4.7 fails on the note's port 9093: clients use SASL/SCRAM-SHA-512 over TLS", () => {
    const w = facilityWorkerProperties(f(), kafka);
    for (const p of ["", "producer.", "admin."]) {
      expect(w[`${p}security.protocol`]).toBe("SASL_SSL");
      expect(w[`${p}sasl.mechanism`]).toBe("SCRAM-SHA-512");
    }
    expect(mskBootstrapProblems("central-kafka-1.example.com:9093")).toEqual([
      "central-kafka-1.example.com:9093 uses port 9093; MSK serves SASL/SCRAM on 9096 (take the cluster's bootstrapBrokersSaslScram output)",
    ]);
    expect(mskBootstrapProblems(kafka.bootstrapServers)).toEqual([]);
  });

  test("4.8 tables without a primary key get message.key.columns", () => {
    expect(sqlServerSourceConnector(facility("luwero")).config["message.key.columns"]).toBe(
      "dbo\\.AuditTrail:AuditDate,UserID,TableName",
    );
    expect(sqlServerSourceConnector(facility("kayunga")).config["message.key.columns"]).toBeUndefined();
  });

  test("4.9 passwords are config-provider placeholders restricted to the secrets folder", () => {
    const s = sqlServerSourceConnector(f()).config;
    const w = facilityWorkerProperties(f(), kafka);
    expect(s["database.password"]).toBe("${directory:/run/secrets/clinicmaster:database-password}");
    expect(w["sasl.jaas.config"]).toContain(
      'password="${directory:/run/secrets/clinicmaster:kafka-password}"',
    );
    expect(w["config.providers.directory.param.allowed.paths"]).toBe("/run/secrets/clinicmaster");
  });

  test("a chosen table list is quoted as regex, and TLS settings reach the driver", () => {
    const c = sqlServerSourceConnector({ ...f(), tables: ["Visits", "Patients"] }).config;
    expect(c["table.include.list"]).toBe("dbo\\.Visits,dbo\\.Patients");
    expect(c["database.encrypt"]).toBe("true");
    expect(c["database.trustServerCertificate"]).toBe("true");
  });

  test("compression is zstd for the slow facility uplink", () => {
    expect(facilityWorkerProperties(f(), kafka)["producer.compression.type"]).toBe("zstd");
  });
});

describe("no secret in any generated configuration", () => {
  test("scan of every config for every seed facility", () => {
    const secrets = ["S3cr3t-SQL-Passw0rd", "kafka-scram-secret-value", "warehouse-db-passw0rd"];
    const texts: string[] = [];
    for (const slug of SLUGS) {
      const f = facility(slug);
      texts.push(JSON.stringify(sqlServerSourceConnector(f)));
      texts.push(renderProperties(facilityWorkerProperties(f, kafka)));
      texts.push(JSON.stringify(facilityAcls(f.dhis2Code)));
    }
    texts.push(JSON.stringify(sink()), renderProperties(sinkWorkerProperties({ batchSize: 1 }, kafka)));
    for (const t of texts) {
      expect(findSecretValues(t, secrets)).toEqual([]);
      expect(t).not.toMatch(/password"?\s*[:=]\s*"(?!\$\{directory:)[^"]+"/i);
    }
  });

  test("the scanner finds a planted secret", () => {
    expect(findSecretValues('{"database.password":"S3cr3t-SQL-Passw0rd"}', ["S3cr3t-SQL-Passw0rd"])).toEqual([
      "S3cr3t-SQL-Passw0rd",
    ]);
  });
});

describe("ACL matrix", () => {
  const codes = SLUGS.map((s) => facility(s).dhis2Code);
  const matrix = aclMatrix(codes);

  test("no facility principal can READ anything", () => {
    for (const p of matrix.filter((m) => m.role === "facility")) {
      expect(p.acls.filter((a) => a.operation === "Read" || a.operation === "All")).toEqual([]);
    }
  });

  test("a facility's ACLs name only itself and the shared topics, never the DLQ or other principals", () => {
    for (const code of codes) {
      const acls = facilityAcls(code);
      expect(new Set(acls.map((a) => a.principal))).toEqual(new Set([`User:facility-${code}`]));
      expect(acls.map((a) => a.resourceName)).not.toContain(DLQ_TOPIC);
      expect(acls.every((a) => a.resourceType === "Topic")).toBe(true);
      expect(acls.map((a) => `${a.operation} ${a.patternType} ${a.resourceName}`).sort()).toEqual([
        "Create Prefixed clinicmasterwarehouse-sqlserver.ClinicMasterMOH.dbo.",
        "Describe Literal clinicmaster-heartbeats",
        "Describe Prefixed clinicmasterwarehouse-sqlserver.ClinicMasterMOH.dbo.",
        "Write Literal clinicmaster-heartbeats",
        "Write Prefixed clinicmasterwarehouse-sqlserver.ClinicMasterMOH.dbo.",
      ]);
    }
  });

  test("the sink reads data topics with its own group and writes only the DLQ", () => {
    const acls = sinkAcls();
    const writes = acls.filter((a) => a.operation === "Write").map((a) => a.resourceName);
    expect(writes).toEqual([DLQ_TOPIC, "clinicmaster-sink-connect-"]);
    expect(
      acls.some(
        (a) =>
          a.operation === "Read" && a.resourceName === "clinicmasterwarehouse-sqlserver.ClinicMasterMOH.dbo.",
      ),
    ).toBe(true);
  });

  test("no wildcard principal or resource anywhere; admin listed first", () => {
    expect(matrix[0].role).toBe("admin");
    for (const a of matrix.flatMap((m) => m.acls)) {
      expect(a.principal).not.toBe("User:*");
      expect(a.resourceName).not.toBe("*");
    }
  });

  test("principal classification", () => {
    expect(isFacilityPrincipal("User:facility-12345")).toBe(true);
    expect(isFacilityPrincipal("User:warehouse-sink")).toBe(false);
  });
});

describe("properties rendering", () => {
  test("round-trips keys and values with special characters", () => {
    const props = {
      "a.b": "x=y:z",
      "sasl.jaas.config": 'Login required username="u" password="${directory:/d:f}";',
      "x y": "#1",
    };
    expect(parseProperties(renderProperties(props, "header"))).toEqual(props);
  });
});
