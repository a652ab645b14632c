/**
 * The facility program: one stack per facility (`facilities/Pulumi.<slug>.yaml`). Reads the platform
 * stack's outputs, then creates the tunnel and the Kafka principal, and — in `docker` mode — Kafka
 * Connect on the facility's Docker host. In `kit` mode the host is set up by a technician from the
 * offline kit (`npm run kit -- <slug>`), which reads this stack's outputs.
 */
import * as pulumi from "@pulumi/pulumi";
import { loadFacilityConfig } from "../config/pulumi";
import { CONNECT_REST_PORT, FACILITY_CONTAINER, facilityTopicPrefix, sourceConnectorName } from "../connect";
import { ConnectHost } from "./host";
import { platformDefaults } from "../config/platform";
import { PLATFORM_OUTPUTS, checkVpnHubType, facilityImages as resolveImages } from "./platform";
import { FacilityKafkaPrincipal } from "./principal";
import { FacilityTunnel } from "./tunnel";

const { config: facility, sqlServerPassword } = loadFacilityConfig();
const slug = facility.slug;
const platform = new pulumi.StackReference(`${slug}-platform`, { name: facility.platformStack });
const out = (key: keyof typeof PLATFORM_OUTPUTS) => platform.requireOutput(PLATFORM_OUTPUTS[key]);
const str = (key: keyof typeof PLATFORM_OUTPUTS) => out(key).apply((v) => String(v));

const bootstrapBrokers = str("bootstrapBrokers");
const images = platform
  .getOutput(PLATFORM_OUTPUTS.registryUrls)
  .apply((urls) => resolveImages(urls, facility.connectImage));
const hubId = pulumi.all([out("vpnHubType"), str("vpnHubId")]).apply(([type, id]) => {
  checkVpnHubType(type);
  return id;
});

const tunnel = new FacilityTunnel(`${slug}-tunnel`, {
  slug,
  publicIp: facility.tunnel.publicIp,
  lanCidrs: facility.tunnel.lanCidrs,
  bgpAsn: facility.tunnel.bgpAsn,
  transitGatewayId: hubId,
  transitGatewayRouteTableId: str("vpnHubRouteTableId"),
  remoteCidrs: str("vpcCidr").apply((c) => [c]),
  vpcRouteTableIds: out("privateRouteTableIds").apply((ids) => (ids as unknown[]).map(String)),
  vpcRouteTableCount: platformDefaults.network.availabilityZones,
  brokerSecurityGroupId: str("brokerSecurityGroupId"),
});

const principal = new FacilityKafkaPrincipal(`${slug}-kafka`, {
  dhis2Code: facility.dhis2Code,
  environment: str("environment"),
  kmsKeyArn: str("scramKmsKeyArn"),
  clusterArn: str("clusterArn"),
  bootstrapBrokers,
  adminUsername: str("kafkaAdminUsername"),
  adminPassword: pulumi.secret(str("kafkaAdminPassword")),
});

const host =
  facility.deployMode === "docker"
    ? new ConnectHost(`${slug}-connect`, {
        facility,
        images,
        bootstrapServers: bootstrapBrokers,
        kafkaPassword: principal.password,
        sqlServerPassword,
        vpn: facility.vpnEndpoint
          ? {
              endpoints: tunnel.endpoints,
              swanctlConf: tunnel.swanctlConf,
              swanctlSecrets: tunnel.swanctlSecrets,
            }
          : undefined,
      })
    : undefined;

/** The facility's identity and names. */
export const facilityCode = facility.dhis2Code;
export const facilitySlug = slug;
export const deployMode = facility.deployMode;
export const kafkaPrincipal = principal.username;
export const scramSecretName = principal.secret.name;
export const topicPrefix = facilityTopicPrefix(facility.dhis2Code);
export const connectorName = sourceConnectorName(facility.dhis2Code);
export const containerName = FACILITY_CONTAINER;
/** Where to look: the connector's status on the facility host, and the commands that show it. */
export const statusEndpoint = `http://localhost:${CONNECT_REST_PORT}/connectors/${connectorName}/status`;
export const statusCommands = [`curl -s ${statusEndpoint}`, `docker logs ${FACILITY_CONTAINER}`];
export const dockerHost = facility.dockerHost ?? null;
export const workerContainerId = host ? host.worker.id : null;
export const watchdogContainerId = host ? host.watchdog.id : null;
/** What the offline kit needs (`npm run kit -- <slug>` reads these). */
export const bootstrapServers = bootstrapBrokers;
export const facilityImages = images;
export const vpnConnectionId = tunnel.connection.id;
export const customerGatewayId = tunnel.customerGateway.id;
export const tunnelEndpoints = tunnel.endpoints;
export const swanctlConf = tunnel.swanctlConf;
/** Secrets for the technician of a kit site: `pulumi stack output --show-secrets <name>`. */
export const kafkaPassword = principal.password;
export const tunnelPresharedKeys = tunnel.presharedKeys;
