import { facilityAcls } from "../../infra/connect/acl";
import { DATA_TOPIC_PREFIX, facilityPrincipal } from "../../infra/connect/names";
import { RecordedLike } from "../../policy/normalize";
import { evaluatePolicies } from "../../policy/pack";
import { TAGS, aclResources, compliantStack, goodCluster, goodContainer, res } from "./fixtures";

type Mutation = (stack: RecordedLike[]) => RecordedLike[];
const replace =
  (name: string, change: (r: RecordedLike) => RecordedLike): Mutation =>
  (stack) =>
    stack.map((r) => (r.name === name ? change(r) : r));
const withInputs = (name: string, inputs: Record<string, unknown>) =>
  replace(name, (r) => ({ ...r, inputs: { ...r.inputs, ...inputs } }));

describe("evaluatePolicies", () => {
  test("a compliant platform and facility pass every rule", () => {
    const result = evaluatePolicies(compliantStack());
    expect(result.violations).toEqual([]);
    expect(result.unchecked).toEqual([]);
  });

  test.each<[string, Mutation, string[]]>([
    [
      "rejects a public, single-broker, unauthenticated cluster",
      withInputs("kafka", {
        numberOfBrokerNodes: 1,
        clientAuthentication: { unauthenticated: true },
        brokerNodeGroupInfo: {
          ...(goodCluster().brokerNodeGroupInfo as object),
          connectivityInfo: { publicAccess: { type: "SERVICE_PROVIDED_EIPS" } },
        },
      }),
      ["msk-no-public-access", "msk-authenticated-clients", "msk-min-brokers"],
    ],
    [
      "rejects a public, unencrypted database on the default parameter group",
      withInputs("warehouse", {
        publiclyAccessible: true,
        storageEncrypted: false,
        parameterGroupName: undefined,
      }),
      ["rds-encrypted-cmk", "rds-not-public", "rds-force-ssl"],
    ],
    [
      "rejects an exclusive SCRAM association",
      (s) => [
        ...s,
        res("aws:msk/scramSecretAssociation:ScramSecretAssociation", "all-users", {
          clusterArn: "c",
          secretArnLists: [],
        }),
      ],
      ["msk-no-exclusive-scram-association"],
    ],
    [
      "rejects a facility that can read the data topics",
      (s) => [...s, ...aclResources([{ ...facilityAcls("KAY001")[0], operation: "Read" }], "kayunga-read")],
      ["kafka-facility-no-read", "kafka-facility-acls-from-matrix"],
    ],
    [
      "rejects a privileged Connect container with a password in env",
      withInputs("kayunga-connect", {
        privileged: true,
        envs: [...(goodContainer().envs as string[]), "DB_PASS=hunter2"],
      }),
      ["docker-no-privileged-containers", "docker-no-secrets-in-env-or-labels"],
    ],
    [
      "rejects an unprotected cluster",
      replace("kafka", (r) => ({ ...r, opts: { protect: false } })),
      ["stateful-resources-protected"],
    ],
    [
      "rejects a VPC without flow logs",
      (s) => s.filter((r) => r.type !== "aws:ec2/flowLog:FlowLog"),
      ["vpc-flow-logs"],
    ],
    ["rejects an untagged key", withInputs("platform-key", { tags: {} }), ["required-tags"]],
  ])("%s", (_title, mutate, policies) => {
    const result = evaluatePolicies(mutate(compliantStack()));
    expect(Object.keys(result.byPolicy).sort()).toEqual([...policies].sort());
    expect(result.mandatory).toEqual(result.violations);
  });

  test("reports the level of an advisory rule and keeps it out of `mandatory`", () => {
    const stack = withInputs("kayunga-vpn", { tunnel1IkeVersions: ["ikev1"] })(compliantStack());
    const result = evaluatePolicies(stack);
    expect(result.violations).toEqual([
      {
        policy: "vpn-strong-tunnel-options",
        level: "advisory",
        resource: "kayunga-vpn",
        message: "VPN connection `kayunga-vpn`: tunnel1IkeVersions allows ikev1; allowed: ikev2.",
      },
    ]);
    expect(result.mandatory).toEqual([]);
  });

  test("skips a disabled rule and applies a changed threshold", () => {
    const stack = withInputs("warehouse", { backupRetentionPeriod: 3, multiAz: false })(compliantStack());
    const result = evaluatePolicies(stack, {
      "rds-multi-az": "disabled",
      "rds-backup-retention": { minDays: 2 },
    });
    expect(result.violations).toEqual([]);
  });

  test("lists the protection rule as unchecked when resource options were not recorded", () => {
    const stack = replace("kafka", (r) => ({ ...r, opts: undefined }))(compliantStack());
    expect(evaluatePolicies(stack).unchecked).toEqual([
      {
        policy: "stateful-resources-protected",
        resource: "kafka",
        reason: "resource options were not recorded",
      },
    ]);
  });

  test("takes defaultTags from the one recorded AWS provider", () => {
    const stack = compliantStack().map((r) => {
      const { tags: _tags, ...inputs } = r.inputs;
      return { ...r, inputs };
    });
    expect(evaluatePolicies(stack).byPolicy["required-tags"]?.length).toBeGreaterThan(0);
    const withProvider = [
      ...stack,
      res("pulumi:providers:aws", "aws", { defaultTags: JSON.stringify({ tags: TAGS }) }),
    ];
    // The provider supplies DataClassification; the facility tag stays the VPN connection's own job.
    expect(evaluatePolicies(withProvider).violations.map((v) => v.message)).toEqual([
      "VpnConnection `kayunga-vpn` is missing tag(s) facility; add them to tags or to the provider's defaultTags.",
    ]);
  });

  test("fails if the config has a problem", () => {
    expect(() => evaluatePolicies(compliantStack(), { "no-such-rule": "mandatory" })).toThrow(
      "no-such-rule: no such policy",
    );
  });

  test("checks facility principals from the names module", () => {
    const other = aclResources(
      [
        {
          principal: `User:${facilityPrincipal("YUM002")}`,
          resourceType: "Topic",
          resourceName: DATA_TOPIC_PREFIX,
          patternType: "Prefixed",
          operation: "Read",
          permission: "Allow",
          host: "*",
        },
      ],
      "yumbe",
    );
    const result = evaluatePolicies([...compliantStack(), ...other]);
    expect(result.byPolicy["kafka-facility-no-read"]?.map((v) => v.resource)).toEqual(["yumbe-0"]);
  });
});
