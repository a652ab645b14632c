/**
 * The platform stack outputs a facility stack reads through its StackReference, and the images a
 * facility host runs (pure: names, constants and checks only).
 */
import {
  DEBEZIUM_CONNECT_IMAGE,
  PLATFORM_REPOSITORIES,
  WATCHDOG_NODE_IMAGE,
  isDigestPinned,
} from "../platform/images";

export { WATCHDOG_NODE_IMAGE };

/** Output names of the platform program (infra/platform/index.ts) that facility stacks consume. */
export const PLATFORM_OUTPUTS = {
  /** MSK SASL/SCRAM bootstrap brokers, `host:9096,…`. */
  bootstrapBrokers: "bootstrapBrokersSaslScram",
  /** Kind of VPN hub; facilities support `transit-gateway`. */
  vpnHubType: "vpnHubType",
  /** Transit gateway the facility VPN connections attach to. */
  vpnHubId: "vpnHubId",
  /** Transit gateway route table that holds the facility LAN routes (static routing). */
  vpnHubRouteTableId: "vpnHubRouteTableId",
  /** Route tables of the VPC's private subnets: each gets a route to the facility LAN via the hub. */
  privateRouteTableIds: "privateRouteTableIds",
  /** Security group of the brokers: each facility opens 9096 for its LAN. */
  brokerSecurityGroupId: "brokerSecurityGroupId",
  /** Customer-managed KMS key for the `AmazonMSK_*` SCRAM secrets. */
  scramKmsKeyArn: "scramSecretKmsKeyArn",
  /** MSK cluster the SCRAM secrets are associated with. */
  clusterArn: "kafkaClusterArn",
  /** SCRAM user of the platform admin (manages ACLs). */
  kafkaAdminUsername: "kafkaAdminUsername",
  /** SCRAM password of the platform admin (secret). */
  kafkaAdminPassword: "kafkaAdminPassword",
  /** Environment name (part of the SCRAM secret names). */
  environment: "environment",
  /** VPC range reached through the tunnels. */
  vpcCidr: "vpcCidr",
  /** Platform registry repository URLs by key (ECR, immutable tags). */
  registryUrls: "registryUrls",
} as const;

/** The only VPN hub kind facility tunnels attach to. */
export const SUPPORTED_VPN_HUB = "transit-gateway";

/** Key of the strongSwan repository in the platform registry's `registryUrls`. */
export const STRONGSWAN_REPOSITORY_KEY: keyof typeof PLATFORM_REPOSITORIES = "strongswan";
/** strongSwan image tag; the platform registry's repositories are immutable, so a tag names one image. */
export const STRONGSWAN_IMAGE_TAG = "6.0.2";

/** Images a facility host runs. */
export interface FacilityImages {
  /** Kafka Connect with the Debezium plugins, pinned by digest. */
  connect: string;
  /** Node.js runtime of the watchdog sidecar, pinned by digest. */
  watchdog: string;
  /** strongSwan for the optional VPN endpoint container; absent when the platform registry has none. */
  vpnEndpoint?: string;
}

/** Whether an image reference is pinned by digest (`registry/repo[:tag]@sha256:<64 hex>`). */
export const isPinnedImage = isDigestPinned;

/**
 * The images of one facility: the Connect image (the platform's pinned Debezium Connect image, or the
 * facility's override for air-gapped sites with a local registry), the pinned Node.js image of the
 * watchdog, and strongSwan from the platform registry when it has that repository.
 */
export function facilityImages(registryUrls: unknown, connectOverride?: string): FacilityImages {
  const connect = connectOverride ?? DEBEZIUM_CONNECT_IMAGE;
  if (!isPinnedImage(connect)) {
    throw new Error(
      `Connect image ${JSON.stringify(connect)} is not pinned by digest; set facility:connectImage to registry/repo@sha256:<64 hex>`,
    );
  }
  const urls = (registryUrls ?? {}) as Record<string, unknown>;
  const strongswan = urls[STRONGSWAN_REPOSITORY_KEY];
  return {
    connect,
    watchdog: WATCHDOG_NODE_IMAGE,
    ...(typeof strongswan === "string" && strongswan !== ""
      ? { vpnEndpoint: `${strongswan}:${STRONGSWAN_IMAGE_TAG}` }
      : {}),
  };
}

/** Refuses a VPN hub facility tunnels cannot attach to. */
export function checkVpnHubType(type: unknown): string {
  if (type !== SUPPORTED_VPN_HUB) {
    throw new Error(
      `platform output \`${PLATFORM_OUTPUTS.vpnHubType}\` is ${JSON.stringify(type)}; facility tunnels attach to a ${SUPPORTED_VPN_HUB} only`,
    );
  }
  return type;
}

/** Splits the bootstrap broker string into `host:port` entries. */
export function brokerList(bootstrap: string): string[] {
  return bootstrap
    .split(",")
    .map((b) => b.trim())
    .filter((b) => b !== "");
}
