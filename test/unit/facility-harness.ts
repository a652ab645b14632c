/** Runs the facility program under mocks for a seed facility's stack file. */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { FacilityConfig } from "../../infra/config/facility";
import { FACILITIES_DIR, loadFacilityStack, readStackFile } from "../../infra/config/stackfiles";
import {
  type FacilityImages,
  STRONGSWAN_IMAGE_TAG,
  WATCHDOG_NODE_IMAGE,
} from "../../infra/facility/platform";
import { DEBEZIUM_CONNECT_IMAGE } from "../../infra/platform/images";
import { settleAll, setupMocks, stackOutputs } from "../helpers/mocks";

export { isSecretInput, reveal, settleAll } from "../helpers/mocks";

/** The seed facilities and their deploy modes. */
export const SEEDS = ["kayunga", "luwero", "yumbe"] as const;
export type Seed = (typeof SEEDS)[number];

export const PLATFORM_STACK = "organization/clinicmaster-platform/dev";

const REGISTRY = "123456789012.dkr.ecr.af-south-1.amazonaws.com";
/** The images the program resolves from the platform outputs below. */
export const IMAGES: Required<FacilityImages> = {
  connect: DEBEZIUM_CONNECT_IMAGE,
  watchdog: WATCHDOG_NODE_IMAGE,
  vpnEndpoint: `${REGISTRY}/clinicmaster/strongswan:${STRONGSWAN_IMAGE_TAG}`,
};

export const BROKERS =
  "b-1.dev.kafka.af-south-1.amazonaws.com:9096,b-2.dev.kafka.af-south-1.amazonaws.com:9096,b-3.dev.kafka.af-south-1.amazonaws.com:9096";

/** Secret values handed to the program; none may appear anywhere but in secret places. */
export const SQL_PASSWORD = "Sql-Secret-Value-4242";
export const ADMIN_PASSWORD = "Admin-Secret-Value-9898";

/** Outputs of the platform stack, as the platform program exports them. */
export const PLATFORM = {
  environment: "dev",
  vpcCidr: "10.40.0.0/16",
  privateRouteTableIds: ["rtb-private-a", "rtb-private-b", "rtb-private-c"],
  brokerSecurityGroupId: "sg-brokers",
  kafkaClusterArn: "arn:aws:kafka:af-south-1:123456789012:cluster/clinicmaster-dev/abcd-1234",
  bootstrapBrokersSaslScram: BROKERS,
  scramSecretKmsKeyArn: "arn:aws:kms:af-south-1:123456789012:key/scram-0000",
  kafkaAdminUsername: "platform-admin",
  kafkaAdminPassword: ADMIN_PASSWORD,
  vpnHubType: "transit-gateway",
  vpnHubId: "tgw-0123456789abcdef0",
  vpnHubRouteTableId: "tgw-rtb-0123456789abcdef0",
  registryUrls: {
    watchdog: `${REGISTRY}/clinicmaster/watchdog`,
    strongswan: `${REGISTRY}/clinicmaster/strongswan`,
  },
};

/** The validated config of a seed facility. */
export function seedConfig(slug: Seed): FacilityConfig {
  return loadFacilityStack(path.join(FACILITIES_DIR, `Pulumi.${slug}.yaml`)).config;
}

/** Exports of the facility program. */
export type FacilityProgram = Record<string, pulumi.Output<unknown> | unknown>;

/**
 * Installs the mocks with the platform outputs, sets the stack's config from its file plus the
 * SQL Server password secret, and imports the program fresh.
 */
export async function runFacilityProgram(
  slug: Seed,
  overrides: Record<string, unknown> = {},
  platform: Record<string, unknown> = PLATFORM,
): Promise<FacilityProgram> {
  setupMocks("clinicmaster-facility", slug);
  stackOutputs[PLATFORM_STACK] = platform;
  const file = readStackFile(path.join(FACILITIES_DIR, `Pulumi.${slug}.yaml`));
  const values: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...file.values, ...overrides })) {
    values[k] = typeof v === "string" ? v : JSON.stringify(v);
  }
  values["facility:sqlServerPassword"] = SQL_PASSWORD;
  pulumi.runtime.setAllConfig(values, ["facility:sqlServerPassword"]);
  let program: FacilityProgram = {};
  jest.isolateModules(() => {
    program = require("../../infra/facility/index") as FacilityProgram;
  });
  await settleAll();
  return program;
}
