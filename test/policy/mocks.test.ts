import * as pulumi from "@pulumi/pulumi";
import { recorded, settle, setupMocks } from "../helpers/mocks";
import { facilityAcls } from "../../infra/connect/acl";
import { DATA_TOPIC_PREFIX, SECRETS_DIR, facilityPrincipal } from "../../infra/connect/names";
import { evaluatePolicies } from "../../policy/pack";
import { TAGS, goodCluster } from "./fixtures";

// Resources are created through the real SDKs so the test sees exactly what the mocks record
// (secret wrappers, JSON-encoded provider inputs), not hand-built objects.
beforeAll(() => setupMocks("clinicmaster", "dev"));

async function record(build: () => void) {
  recorded.length = 0;
  build();
  await settle();
  return [...recorded];
}

describe("rules over resources recorded by the Pulumi mocks", () => {
  test("fails if a container gets a Pulumi secret in its env", async () => {
    const docker = await import("@pulumi/docker");
    const resources = await record(() => {
      new docker.Container("kayunga-connect", {
        image: "connect@sha256:0123",
        envs: [pulumi.interpolate`KAFKA_SASL=${pulumi.secret("s3cret")}`, "FACILITY_DHIS2_CODE=KAY001"],
        mounts: [{ type: "bind", source: "/srv/s", target: SECRETS_DIR, readOnly: true }],
      });
    });
    const result = evaluatePolicies(resources);
    expect(result.byPolicy["docker-no-secrets-in-env-or-labels"]?.map((v) => v.message)).toEqual([
      "Container `kayunga-connect` has a Pulumi secret in envs; secrets in envs are readable with docker inspect.",
    ]);
  });

  test("fails if a facility ACL reads the data topics, and passes the matrix", async () => {
    const kafka = await import("@pulumi/kafka");
    const principal = `User:${facilityPrincipal("KAY001")}`;
    const resources = await record(() => {
      facilityAcls("KAY001").forEach(
        (a, i) =>
          new kafka.Acl(`kayunga-${i}`, {
            aclPrincipal: a.principal,
            aclHost: a.host,
            aclResourceType: a.resourceType,
            aclResourceName: a.resourceName,
            resourcePatternTypeFilter: a.patternType,
            aclOperation: a.operation,
            aclPermissionType: a.permission,
          }),
      );
      new kafka.Acl("kayunga-read", {
        aclPrincipal: principal,
        aclHost: "*",
        aclResourceType: "Topic",
        aclResourceName: DATA_TOPIC_PREFIX,
        resourcePatternTypeFilter: "Prefixed",
        aclOperation: "Read",
        aclPermissionType: "Allow",
      });
    });
    const result = evaluatePolicies(resources);
    expect(result.violations.map((v) => [v.policy, v.resource])).toEqual([
      ["kafka-facility-no-read", "kayunga-read"],
      ["kafka-facility-acls-from-matrix", "kayunga-read"],
    ]);
  });

  test("passes a compliant MSK cluster and applies an explicit provider's defaultTags", async () => {
    const aws = await import("@pulumi/aws");
    const resources = await record(() => {
      const provider = new aws.Provider("aws", { region: "af-south-1", defaultTags: { tags: TAGS } });
      const { tags: _tags, ...inputs } = goodCluster();
      new aws.msk.Cluster("kafka", inputs as unknown as import("@pulumi/aws").msk.ClusterArgs, {
        provider,
        protect: true,
      });
    });
    const result = evaluatePolicies(resources);
    expect(result.violations).toEqual([]);
    // The mocks do not record resource options, so the protection rule is reported as unchecked.
    expect(result.unchecked.map((u) => u.policy)).toEqual(["stateful-resources-protected"]);
  });
});
