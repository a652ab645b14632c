import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { FACILITIES_DIR, readStackFile } from "../../infra/config/stackfiles";
import { setupMocks } from "../helpers/mocks";

/** Loads the program-side config reader with the given config, as `pulumi up -s <stack>` would. */
function load(stack: string, values: Record<string, unknown>, secretKeys: string[] = []) {
  setupMocks("clinicmaster-facility", stack);
  const config: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) config[k] = typeof v === "string" ? v : JSON.stringify(v);
  pulumi.runtime.setAllConfig(config, secretKeys);
  let mod: typeof import("../../infra/config/pulumi") | undefined;
  jest.isolateModules(() => {
    mod = require("../../infra/config/pulumi");
  });
  return mod!;
}

const kayunga = () => readStackFile(path.join(FACILITIES_DIR, "Pulumi.kayunga.yaml")).values;

describe("loadFacilityConfig (the program's config reader)", () => {
  test("reads the seed stack with its secret as a secret output", async () => {
    const mod = load("kayunga", { ...kayunga(), "facility:sqlServerPassword": "pw-not-shown" }, [
      "facility:sqlServerPassword",
    ]);
    const loaded = mod.loadFacilityConfig();
    expect(loaded.config.dhis2Code).toBe("12345");
    expect(loaded.config.sqlServer.port).toBe(1433);
    expect(await pulumi.isSecret(loaded.sqlServerPassword)).toBe(true);
  });

  test("rejects a missing SQL Server password with the command that fixes it", () => {
    const mod = load("kayunga", kayunga());
    expect(() => mod.loadFacilityConfig()).toThrow(
      "facility:sqlServerPassword = (not set): required secret; set it with `pulumi config set --secret facility:sqlServerPassword` in facilities/ (stack kayunga)",
    );
  });

  test("rejects port 67897 and the missing secret in one message, as a RunError (no stack trace)", () => {
    const values = kayunga();
    values["facility:sqlServer"] = { ...(values["facility:sqlServer"] as object), port: 67897 };
    const mod = load("kayunga", values);
    let err: unknown;
    try {
      mod.loadFacilityConfig();
    } catch (e) {
      err = e;
    }
    expect(pulumi.RunError.isInstance(err)).toBe(true);
    expect((err as Error).message).toContain("facility `kayunga`: 2 configuration problems");
    expect((err as Error).message).toContain("facility:sqlServer.port = 67897: is not a TCP port (1–65535)");
  });

  test("rejects a stack whose slug differs from the selected stack", () => {
    const mod = load("luwero", { ...kayunga(), "facility:sqlServerPassword": "x" }, [
      "facility:sqlServerPassword",
    ]);
    expect(() => mod.loadFacilityConfig()).toThrow(
      'facility:slug = "kayunga": must equal the stack name `luwero`',
    );
  });

  test("keeps a numeric-looking DHIS2 code a string", () => {
    const mod = load("kayunga", { ...kayunga(), "facility:sqlServerPassword": "x" }, [
      "facility:sqlServerPassword",
    ]);
    expect(typeof mod.loadFacilityConfig().config.dhis2Code).toBe("string");
  });
});

describe("loadPlatformConfig", () => {
  test("reads Pulumi.dev.yaml", () => {
    setupMocks("clinicmaster-platform", "dev");
    const values = readStackFile(path.join(__dirname, "..", "..", "Pulumi.dev.yaml")).values;
    const config: Record<string, string> = {};
    for (const [k, v] of Object.entries(values)) config[k] = typeof v === "string" ? v : JSON.stringify(v);
    pulumi.runtime.setAllConfig(config);
    let mod: typeof import("../../infra/config/pulumi") | undefined;
    jest.isolateModules(() => {
      mod = require("../../infra/config/pulumi");
    });
    const p = mod!.loadPlatformConfig();
    expect(p.kafka.brokerCount).toBe(3);
    expect(p.tables).toHaveLength(12);
  });
});
