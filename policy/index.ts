import { PolicyPack, PolicyPackConfig } from "@pulumi/policy";
import { PACK_NAME, buildPolicies, loadPolicyConfig } from "./pack";

// Levels and thresholds come from policy-config.json; `--policy-pack-config <file>` overrides them.
const config = loadPolicyConfig();

new PolicyPack(
  PACK_NAME,
  {
    description:
      "ClinicMaster CDC: AWS posture of MSK, RDS, KMS and networks; Kafka topic durability and facility ACL privacy; facility container hygiene.",
    policies: buildPolicies(config),
  },
  config as PolicyPackConfig,
);
