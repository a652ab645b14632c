import { evaluatePolicies } from "../../policy/pack";
import { recorded } from "../helpers/mocks";
import { recordedOptions } from "../helpers/resource-options";
import { SEEDS, runFacilityProgram } from "./facility-harness";
import { devConfig, runPlatformProgram } from "./platform-harness";

/** What the mocks recorded, with each resource's options, as the policy engine would see it. */
function registered() {
  return recorded.map((r) => {
    const o = recordedOptions.find((x) => x.type === r.type && x.name === r.name);
    return { ...r, opts: o ? { protect: o.protect, deleteBeforeReplace: o.deleteBeforeReplace } : undefined };
  });
}

const summary = (e: ReturnType<typeof evaluatePolicies>) =>
  e.mandatory.map((v) => `${v.policy} ${v.resource ?? ""}: ${v.message}`);

describe("the programs pass every mandatory policy", () => {
  test("platform program with Pulumi.dev.yaml", async () => {
    await runPlatformProgram();
    expect(recorded.length).toBeGreaterThan(100);
    const e = evaluatePolicies(registered());
    expect(summary(e)).toEqual([]);
    expect(e.unchecked).toEqual([]);
  });

  test.each(SEEDS)("facility program %s", async (slug) => {
    await runFacilityProgram(slug);
    expect(recorded.length).toBeGreaterThan(5);
    expect(summary(evaluatePolicies(registered()))).toEqual([]);
  });
});

describe("deliberately broken programs fail the rules they should", () => {
  test("a platform with two brokers, a public database and short backups fails exactly those three rules", async () => {
    // The config schema refuses these values, so the broken variant edits the recorded inputs the
    // way a hand-edited program would.
    await runPlatformProgram(devConfig());
    const resources = registered().map((r) => {
      if (r.type === "aws:msk/cluster:Cluster")
        return { ...r, inputs: { ...r.inputs, numberOfBrokerNodes: 2 } };
      if (r.type === "aws:rds/instance:Instance")
        return { ...r, inputs: { ...r.inputs, backupRetentionPeriod: 1, publiclyAccessible: true } };
      return r;
    });
    const failed = [...new Set(evaluatePolicies(resources).mandatory.map((v) => v.policy))].sort();
    expect(failed).toEqual(["msk-min-brokers", "rds-backup-retention", "rds-not-public"]);
  });

  test("a facility whose worker runs privileged and carries a password in env fails the container rules", async () => {
    await runFacilityProgram("kayunga");
    const resources = registered().map((r) =>
      r.type === "docker:index/container:Container" &&
      !String(r.inputs.name).endsWith("-vpn") &&
      !String(r.inputs.name).endsWith("-watchdog")
        ? {
            ...r,
            inputs: {
              ...r.inputs,
              privileged: true,
              envs: [...((r.inputs.envs as string[]) ?? []), "DB_PASS=hunter2"],
            },
          }
        : r,
    );
    const e = evaluatePolicies(resources);
    expect([...new Set(e.mandatory.map((v) => v.policy))].sort()).toEqual([
      "docker-no-privileged-containers",
      "docker-no-secrets-in-env-or-labels",
    ]);
    expect(summary(e).join("\n")).toMatch(/DB_PASS/);
    expect(summary(e).join("\n")).not.toMatch(/hunter2/);
  });
});
