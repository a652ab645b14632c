import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { unknownCheckingProxy } from "@pulumi/policy";
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import {
  CONFIG_FILE,
  PACK_NAME,
  PackConfig,
  buildPolicies,
  configProblems,
  loadPolicyConfig,
  resolveRule,
} from "../../policy/pack";
import { RULES } from "../../policy/rules";
import { goodCluster, goodDatabase, goodParameterGroup } from "./fixtures";

const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const policyNamed = (name: string, config?: PackConfig) => {
  const p = buildPolicies(config).find((x) => x.name === name);
  if (!p) throw new Error(`no policy ${name}`);
  return p;
};

/** Calls a resource policy the way the policy server does and returns what it reported. */
function runResource(
  name: string,
  type: string,
  props: Record<string, unknown>,
  engineConfig: object = {},
  opts = {},
) {
  const policy = policyNamed(name) as ResourceValidationPolicy;
  const reported: string[] = [];
  const validate = policy.validateResource;
  if (typeof validate !== "function") throw new Error(`${name} has no single validateResource`);
  void validate(
    {
      type,
      name: "r",
      urn: `urn:pulumi:dev::clinicmaster::${type}::r`,
      props: unknownCheckingProxy(props) as Record<string, unknown>,
      opts: {
        protect: false,
        ignoreChanges: [],
        aliases: [],
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
        additionalSecretOutputs: [],
        ...opts,
      },
      stackTags: new Map(),
      isType: () => false,
      asType: () => undefined,
      getConfig: <T extends object>() => engineConfig as T,
      notApplicable: () => {
        throw new Error("not applicable");
      },
    },
    (m: string) => reported.push(m),
  );
  return reported;
}

const engineResource = (
  type: string,
  name: string,
  props: Record<string, unknown>,
  deps: Record<string, string[]> = {},
) => {
  const urn = `urn:pulumi:dev::clinicmaster::${type}::${name}`;
  return {
    type,
    name,
    urn,
    props: unknownCheckingProxy(props) as Record<string, unknown>,
    opts: {
      protect: false,
      ignoreChanges: [],
      aliases: [],
      customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
      additionalSecretOutputs: [],
    },
    dependencies: [],
    propertyDependencies: Object.fromEntries(
      Object.entries(deps).map(([k, v]) => [k, v.map((u) => ({ urn: u }) as PolicyResource)]),
    ),
    isType: () => false,
    asType: () => undefined,
  } as unknown as PolicyResource;
};

function runStack(name: string, resources: PolicyResource[]) {
  const policy = policyNamed(name) as StackValidationPolicy;
  const reported: { message: string; urn?: string }[] = [];
  void policy.validateStack(
    {
      resources,
      stackTags: new Map(),
      getConfig: <T extends object>() => ({}) as T,
      notApplicable: () => {
        throw new Error("not applicable");
      },
    },
    (message: string, urn?: string) => reported.push({ message, urn }),
  );
  return reported;
}

describe("the pack", () => {
  test("registers at least 25 policies with unique names, a description and a remediation", () => {
    const policies = buildPolicies();
    expect(policies.length).toBeGreaterThanOrEqual(25);
    expect(new Set(policies.map((p) => p.name)).size).toBe(policies.length);
    for (const p of policies) {
      expect(p.description).toMatch(/^[A-Z`].*\.$/);
      // One sentence: no full stop followed by a new sentence inside.
      expect(p.description).not.toMatch(/\.\s+[A-Z]/);
      expect(p.remediationSteps?.length ?? 0).toBeGreaterThan(10);
      expect(["mandatory", "advisory", "disabled"]).toContain(p.enforcementLevel);
    }
  });

  test("index.ts creates one PolicyPack with every policy and the config file as initial config", () => {
    const created: { name: string; args: { policies: { name: string }[] }; config: unknown }[] = [];
    jest.isolateModules(() => {
      jest.doMock("@pulumi/policy", () => ({
        PolicyPack: class {
          constructor(name: string, args: { policies: { name: string }[] }, config: unknown) {
            created.push({ name, args, config });
          }
        },
      }));
      require("../../policy/index");
    });
    jest.dontMock("@pulumi/policy");
    expect(created).toHaveLength(1);
    expect(created[0].name).toBe(PACK_NAME);
    expect(created[0].args.policies.map((p) => p.name)).toEqual(RULES.map((r) => r.name));
    expect(created[0].config).toEqual(JSON.parse(fs.readFileSync(CONFIG_FILE, "utf8")));
  });

  test("PulumiPolicy.yaml and package.json pin the runtime and the SDK versions", () => {
    const dir = path.dirname(CONFIG_FILE);
    expect(fs.readFileSync(path.join(dir, "PulumiPolicy.yaml"), "utf8")).toMatch(/^runtime: nodejs$/m);
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
    expect(pkg.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(pkg.dependencies).toEqual({ "@pulumi/policy": "1.21.0", "@pulumi/pulumi": "3.270.0" });
  });
});

describe("policy-config.json", () => {
  const file = loadPolicyConfig();

  test("has one entry per policy, with a level and every threshold spelled out", () => {
    expect(Object.keys(file).sort()).toEqual(RULES.map((r) => r.name).sort());
    for (const rule of RULES) {
      const entry = file[rule.name];
      expect(typeof entry).toBe("object");
      expect(Object.keys(entry).sort()).toEqual(["enforcementLevel", ...Object.keys(rule.defaults)].sort());
    }
  });

  test("keeps the VPN tunnel rule advisory and everything else mandatory", () => {
    const levels = RULES.map((r) => [r.name, resolveRule(r, file).level]);
    expect(levels.filter(([, l]) => l !== "mandatory")).toEqual([["vpn-strong-tunnel-options", "advisory"]]);
  });

  test.each<[string, PackConfig, string[]]>([
    ["an unknown policy", { "msk-is-nice": "mandatory" }, ["msk-is-nice: no such policy; policies are "]],
    [
      "an unknown setting",
      { "rds-backup-retention": { minDayz: 7 } },
      ["rds-backup-retention.minDayz: unknown setting; known: minDays"],
    ],
    [
      "a setting on a policy without settings",
      { "rds-multi-az": { replicas: 2 } },
      ["rds-multi-az.replicas: unknown setting; this policy has none"],
    ],
    [
      "a bad level",
      { "rds-multi-az": "strict" as never },
      ['rds-multi-az: enforcementLevel "strict" is not one of mandatory, advisory, disabled'],
    ],
    [
      "a threshold of the wrong type",
      { "msk-min-brokers": { minBrokers: "3" } },
      ['msk-min-brokers.minBrokers: "3" does not have the type of the default 3'],
    ],
    [
      "a list of the wrong item type",
      { "no-world-open-sensitive-ports": { ports: ["22"] } },
      [
        'no-world-open-sensitive-ports.ports: ["22"] does not have the type of the default [22,3389,5432,2181,9092,9094,9096,9098,9194,9196,9198,8083]',
      ],
    ],
  ])("rejects %s", (_what, config, expected) => {
    const problems = configProblems(config);
    expect(problems).toHaveLength(expected.length);
    problems.forEach((p, i) => expect(p.startsWith(expected[i])).toBe(true));
  });

  test("accepts the file and an `all` entry", () => {
    expect(configProblems(file)).toEqual([]);
    expect(configProblems({ all: "advisory" })).toEqual([]);
  });

  test("loadPolicyConfig fails if the file has a problem", () => {
    const tmp = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "policy-")), "bad.json");
    fs.writeFileSync(tmp, JSON.stringify({ "rds-backup-retention": { minDays: "seven" } }));
    expect(() => loadPolicyConfig(tmp)).toThrow(
      'rds-backup-retention.minDays: "seven" does not have the type of the default 7',
    );
  });

  test("resolves a policy entry over `all` over the rule default", () => {
    const rule = RULES.find((r) => r.name === "rds-backup-retention")!;
    expect(resolveRule(rule, {})).toEqual({ level: "mandatory", settings: { minDays: 7 } });
    expect(resolveRule(rule, { all: "advisory" })).toEqual({ level: "advisory", settings: { minDays: 7 } });
    expect(
      resolveRule(rule, {
        all: "advisory",
        "rds-backup-retention": { enforcementLevel: "disabled", minDays: 35 },
      }),
    ).toEqual({
      level: "disabled",
      settings: { minDays: 35 },
    });
  });

  test("a changed level and threshold reach the CrossGuard policy and its config schema", () => {
    const p = policyNamed("rds-backup-retention", {
      "rds-backup-retention": { enforcementLevel: "advisory", minDays: 21 },
    });
    expect(p.enforcementLevel).toBe("advisory");
    expect(p.configSchema).toEqual({ properties: { minDays: { type: "number", default: 21 } } });
  });
});

describe("policies inside the policy server", () => {
  test("a resource policy reports the rule's messages", () => {
    expect(
      runResource("rds-multi-az", "aws:rds/instance:Instance", { ...goodDatabase(), multiAz: false }),
    ).toEqual(["RDS instance `r` is single-AZ; set multiAz: true."]);
  });

  test("a resource policy ignores other resource types", () => {
    expect(runResource("rds-multi-az", "aws:kms/key:Key", { multiAz: false })).toEqual([]);
  });

  test("an unknown CMK ARN during preview counts as set instead of throwing", () => {
    const props = { ...goodCluster(), encryptionInfo: { encryptionAtRestKmsKeyArn: UNKNOWN_STRING } };
    expect(runResource("msk-encryption-at-rest-cmk", "aws:msk/cluster:Cluster", props)).toEqual([]);
  });

  test("fails if the engine's config raises a threshold", () => {
    expect(
      runResource("msk-min-brokers", "aws:msk/cluster:Cluster", goodCluster(), { minBrokers: 6 }),
    ).toEqual(["MSK cluster `r` has 3 brokers; at least 6 are required."]);
  });

  test("the protection rule reads the engine's resource options", () => {
    const type = "aws:msk/cluster:Cluster";
    expect(runResource("stateful-resources-protected", type, goodCluster(), {}, { protect: true })).toEqual(
      [],
    );
    expect(runResource("stateful-resources-protected", type, goodCluster(), {}, { protect: false })).toEqual([
      "MSK cluster `r` is not protected; set protect: true so no plan can delete or replace it.",
    ]);
  });

  test("required tags come from the provider's defaultTags (JSON-encoded like provider inputs)", () => {
    const policy = policyNamed("required-tags") as ResourceValidationPolicy;
    const reported: string[] = [];
    const validate = policy.validateResource as (a: unknown, r: (m: string) => void) => void;
    const base = {
      type: "aws:kms/key:Key",
      name: "k",
      urn: "urn:k",
      props: unknownCheckingProxy({ enableKeyRotation: true }),
      opts: { protect: false },
      getConfig: () => ({}),
    };
    validate(
      { ...base, provider: { props: { defaultTags: JSON.stringify({ tags: { Environment: "dev" } }) } } },
      (m) => reported.push(m),
    );
    expect(reported).toEqual([
      "Key `k` is missing tag(s) DataClassification; add them to tags or to the provider's defaultTags.",
    ]);
  });

  test("rds-force-ssl follows propertyDependencies when names are unknown in preview", () => {
    const pg = engineResource("aws:rds/parameterGroup:ParameterGroup", "pg", {
      ...goodParameterGroup(),
      name: UNKNOWN_STRING,
    });
    const db = engineResource(
      "aws:rds/instance:Instance",
      "warehouse",
      { ...goodDatabase(), parameterGroupName: UNKNOWN_STRING },
      { parameterGroupName: [pg.urn] },
    );
    expect(runStack("rds-force-ssl", [db, pg])).toEqual([]);
    const weak = engineResource("aws:rds/parameterGroup:ParameterGroup", "pg", {
      ...goodParameterGroup(),
      name: UNKNOWN_STRING,
      parameters: [],
    });
    expect(runStack("rds-force-ssl", [db, weak])).toEqual([
      {
        message: "RDS instance `warehouse`: parameter group `pg` has rds.force_ssl=unset; set it to 1.",
        urn: db.urn,
      },
    ]);
  });

  test("vpc-flow-logs links a flow log to its VPC by property dependency", () => {
    const vpc = engineResource("aws:ec2/vpc:Vpc", "vpc", { cidrBlock: "10.40.0.0/16" });
    const fl = engineResource(
      "aws:ec2/flowLog:FlowLog",
      "fl",
      { vpcId: UNKNOWN_STRING, trafficType: "ALL" },
      { vpcId: [vpc.urn] },
    );
    expect(runStack("vpc-flow-logs", [vpc, fl])).toEqual([]);
    expect(runStack("vpc-flow-logs", [vpc])).toEqual([
      { message: "VPC `vpc` has no flow log; add an aws.ec2.FlowLog for it.", urn: vpc.urn },
    ]);
  });
});

describe("docs/POLICY.md", () => {
  const doc = fs.readFileSync(path.resolve(__dirname, "../../docs/POLICY.md"), "utf8");

  test("lists every policy with its default level and states the rule count", () => {
    for (const rule of RULES) {
      expect(doc).toMatch(
        new RegExp(`^\\| \`${rule.name}\` \\| ${rule.kind} \\| ${rule.defaultLevel} \\|`, "m"),
      );
    }
    expect(doc).toContain(`${RULES.length} rules;`);
  });

  test("shows the local run command with the config file", () => {
    expect(doc).toContain(
      "pulumi preview --policy-pack policy --policy-pack-config policy/policy-config.json",
    );
  });
});
