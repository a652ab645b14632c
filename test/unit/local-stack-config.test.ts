import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { REPO_ROOT, readStackFile } from "../../infra/config/stackfiles";
import { ADMIN_PRINCIPAL } from "../../infra/connect/names";
import { LOCAL_WAREHOUSE_DB, type LocalEndpoints, localStackConfig } from "../../infra/local/pipeline";
import { setupMocks } from "../helpers/mocks";

let dir: string;
let endpoints: LocalEndpoints;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "local-stack-config-"));
  const caCertFile = path.join(dir, "ca.pem");
  fs.writeFileSync(caCertFile, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
  endpoints = {
    kafka: {
      bootstrapServers: ["127.0.0.1:40001", "127.0.0.1:40002", "127.0.0.1:40003"],
      replicationFactor: 3,
      caCertFile,
      adminUsername: ADMIN_PRINCIPAL,
      adminPassword: "kafka-admin-secret",
    },
    warehouse: {
      host: "127.0.0.1",
      port: 41234,
      username: "postgres",
      password: "pg-superuser-secret",
      maintenanceDatabase: "postgres",
      databaseName: LOCAL_WAREHOUSE_DB,
    },
    facilities: ["12345", "67890"],
  };
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("localStackConfig (endpoints of a harness run → platform:* entries of the local stack)", () => {
  test("gives the loopback endpoints as plain values and exactly the two passwords as secrets", () => {
    expect(localStackConfig(endpoints)).toEqual([
      { key: "platform:target", value: "local", secret: false },
      { key: "platform:environment", value: "local", secret: false },
      {
        key: "platform:local",
        value: {
          kafka: {
            bootstrapServers: ["127.0.0.1:40001", "127.0.0.1:40002", "127.0.0.1:40003"],
            caCertFile: endpoints.kafka.caCertFile,
            replicationFactor: 3,
          },
          warehouse: {
            host: "127.0.0.1",
            port: 41234,
            username: "postgres",
            database: "postgres",
            sslmode: "disable",
          },
          facilities: ["12345", "67890"],
        },
        secret: false,
      },
      { key: "platform:warehouse", value: { databaseName: "clinicmaster_warehouse" }, secret: false },
      { key: "platform:localKafkaAdminPassword", value: "kafka-admin-secret", secret: true },
      { key: "platform:localWarehousePassword", value: "pg-superuser-secret", secret: true },
    ]);
  });

  test("never puts a password in a plain entry", () => {
    const plain = JSON.stringify(localStackConfig(endpoints).filter((e) => !e.secret));
    expect(plain).not.toContain("kafka-admin-secret");
    expect(plain).not.toContain("pg-superuser-secret");
  });

  test("over Pulumi.local.yaml, is a config the program's loader accepts as is", async () => {
    const values: Record<string, unknown> = readStackFile(path.join(REPO_ROOT, "Pulumi.local.yaml")).values;
    const secretKeys: string[] = [];
    for (const e of localStackConfig(endpoints)) {
      values[e.key] = e.value;
      if (e.secret) secretKeys.push(e.key);
    }
    const config: Record<string, string> = {};
    for (const [k, v] of Object.entries(values)) config[k] = typeof v === "string" ? v : JSON.stringify(v);
    setupMocks("clinicmaster-platform", "local");
    pulumi.runtime.setAllConfig(config, secretKeys);
    let mod: typeof import("../../infra/config/pulumi") | undefined;
    jest.isolateModules(() => {
      mod = require("../../infra/config/pulumi");
    });
    const loaded = mod!.loadPlatform();
    expect(loaded.target).toBe("local");
    if (loaded.target !== "local") return;
    expect(loaded.config.local.kafka).toEqual({
      bootstrapServers: endpoints.kafka.bootstrapServers,
      caCertFile: endpoints.kafka.caCertFile,
      replicationFactor: 3,
    });
    expect(loaded.config.local.warehouse.port).toBe(41234);
    expect(loaded.config.warehouse.databaseName).toBe(LOCAL_WAREHOUSE_DB);
    expect(loaded.caCert).toContain("BEGIN CERTIFICATE");
    expect(await pulumi.isSecret(loaded.kafkaAdminPassword)).toBe(true);
    const value = (o: pulumi.Output<string>) => new Promise<string>((r) => o.apply(r));
    expect(await value(loaded.kafkaAdminPassword)).toBe("kafka-admin-secret");
    expect(await value(loaded.warehousePassword)).toBe("pg-superuser-secret");
  });
});
