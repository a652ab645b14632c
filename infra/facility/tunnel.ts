import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { KAFKA_SCRAM_PORT } from "../platform/ports";
import { DATA_CLASSIFICATION } from "../platform/tags";
import {
  PSK_LENGTH,
  PSK_SPECIAL_CHARACTERS,
  type TunnelEndpoints,
  awsPresharedKey,
  awsTunnelOptions,
  renderSwanctlConf,
  renderSwanctlSecrets,
} from "./ipsec";

/** Arguments of FacilityTunnel. */
export interface FacilityTunnelArgs {
  /** Facility slug, for tags and the customer gateway's device name. */
  slug: string;
  /** Public IPv4 address of the facility's internet router. */
  publicIp: pulumi.Input<string>;
  /** Facility LAN ranges routed to the VPN attachment (static routing). */
  lanCidrs: string[];
  /** BGP ASN of the facility router; set, routes are exchanged by BGP. @default static routes */
  bgpAsn?: number;
  /** Platform transit gateway the connection attaches to. */
  transitGatewayId: pulumi.Input<string>;
  /** Transit gateway route table for the facility LAN routes (static routing only). */
  transitGatewayRouteTableId: pulumi.Input<string>;
  /** Platform ranges the facility reaches through the tunnels. */
  remoteCidrs: pulumi.Input<string[]>;
  /** Route tables of the platform VPC's private subnets; each gets a route to the LAN via the hub. */
  vpcRouteTableIds: pulumi.Input<string[]>;
  /** How many private route tables the platform VPC has (one per AZ). */
  vpcRouteTableCount: number;
  /** Security group of the MSK brokers; the LAN is allowed in on the SCRAM port. */
  brokerSecurityGroupId: pulumi.Input<string>;
}

/**
 * The facility's site-to-site VPN to the platform hub: a customer gateway for its public IP, a VPN
 * connection to the transit gateway with IKEv2 and AES-256/SHA-2/DH ≥ 14 on both tunnels, generated
 * pre-shared keys (secret), static LAN routes in the hub (or BGP), the return routes in the platform
 * VPC, the broker security group rule for the LAN, and the facility-side strongSwan config.
 */
export class FacilityTunnel extends pulumi.ComponentResource {
  /** The customer gateway. */
  public readonly customerGateway: aws.ec2.CustomerGateway;
  /** The VPN connection. */
  public readonly connection: aws.ec2.VpnConnection;
  /** What the facility endpoint needs: outside and inside addresses of both tunnels (non-secret). */
  public readonly endpoints: pulumi.Output<TunnelEndpoints>;
  /** strongSwan `swanctl.conf` for both tunnels (non-secret). */
  public readonly swanctlConf: pulumi.Output<string>;
  /** strongSwan secrets fragment with both pre-shared keys (secret). */
  public readonly swanctlSecrets: pulumi.Output<string>;
  /** Pre-shared keys of tunnel 1 and 2 (secret). */
  public readonly presharedKeys: pulumi.Output<[string, string]>;

  constructor(name: string, args: FacilityTunnelArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("clinicmaster:facility:FacilityTunnel", name, {}, opts);
    if (args.lanCidrs.length === 0) {
      throw new Error(`facility \`${args.slug}\`: tunnel.lanCidrs is empty; set facility:tunnel.lanCidrs`);
    }
    const staticRouting = args.bgpAsn === undefined;
    const tags = { facility: args.slug, DataClassification: DATA_CLASSIFICATION };

    const psk = (i: 1 | 2) =>
      new random.RandomPassword(
        `${name}-psk${i}`,
        {
          length: PSK_LENGTH,
          special: true,
          overrideSpecial: PSK_SPECIAL_CHARACTERS,
          minNumeric: 4,
          minUpper: 4,
          minLower: 4,
        },
        { parent: this },
      ).result.apply(awsPresharedKey);
    const psk1 = pulumi.secret(psk(1));
    const psk2 = pulumi.secret(psk(2));

    this.customerGateway = new aws.ec2.CustomerGateway(
      `${name}-cgw`,
      {
        type: "ipsec.1",
        ipAddress: args.publicIp,
        // AWS requires an ASN on every customer gateway; 65000 is its documented placeholder for static routing.
        bgpAsn: String(args.bgpAsn ?? 65000),
        deviceName: `clinicmaster-${args.slug}`,
        tags: { ...tags, Name: `clinicmaster-${args.slug}` },
      },
      { parent: this },
    );

    this.connection = new aws.ec2.VpnConnection(
      `${name}-vpn`,
      {
        type: "ipsec.1",
        customerGatewayId: this.customerGateway.id,
        transitGatewayId: args.transitGatewayId,
        staticRoutesOnly: staticRouting,
        ...awsTunnelOptions(1),
        ...awsTunnelOptions(2),
        tunnel1PresharedKey: psk1,
        tunnel2PresharedKey: psk2,
        tags: { ...tags, Name: `clinicmaster-${args.slug}` },
      },
      { parent: this, additionalSecretOutputs: ["tunnel1PresharedKey", "tunnel2PresharedKey"] },
    );

    if (staticRouting) {
      // A transit gateway does not learn static VPN routes: each LAN range is added to its route table.
      for (const cidr of args.lanCidrs) {
        new aws.ec2transitgateway.Route(
          `${name}-route-${cidr.replace(/[./]/g, "-")}`,
          {
            destinationCidrBlock: cidr,
            transitGatewayAttachmentId: this.connection.transitGatewayAttachmentId,
            transitGatewayRouteTableId: args.transitGatewayRouteTableId,
          },
          { parent: this },
        );
      }
    }

    // Return path: the VPC's private subnets send facility-bound traffic to the hub.
    const routeTables = pulumi.output(args.vpcRouteTableIds).apply((ids) => {
      if (ids.length !== args.vpcRouteTableCount) {
        throw new Error(
          `facility \`${args.slug}\`: the platform exports ${ids.length} private route tables, expected ${args.vpcRouteTableCount} (one per AZ)`,
        );
      }
      return ids;
    });
    for (const cidr of args.lanCidrs) {
      const key = cidr.replace(/[./]/g, "-");
      for (let i = 0; i < args.vpcRouteTableCount; i++) {
        new aws.ec2.Route(
          `${name}-vpc-route-${i}-${key}`,
          {
            routeTableId: routeTables.apply((ids) => ids[i]),
            destinationCidrBlock: cidr,
            transitGatewayId: args.transitGatewayId,
          },
          { parent: this },
        );
      }
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-kafka-${key}`,
        {
          securityGroupId: args.brokerSecurityGroupId,
          cidrIpv4: cidr,
          ipProtocol: "tcp",
          fromPort: KAFKA_SCRAM_PORT,
          toPort: KAFKA_SCRAM_PORT,
          description: `Kafka SASL/SCRAM from facility ${args.slug}`,
          tags,
        },
        { parent: this },
      );
    }

    const c = this.connection;
    this.endpoints = pulumi
      .all([
        args.publicIp,
        args.remoteCidrs,
        c.tunnel1Address,
        c.tunnel1CgwInsideAddress,
        c.tunnel1VgwInsideAddress,
        c.tunnel2Address,
        c.tunnel2CgwInsideAddress,
        c.tunnel2VgwInsideAddress,
      ])
      .apply(([ip, remote, a1, c1, v1, a2, c2, v2]) => ({
        facilityPublicIp: ip,
        remoteCidrs: remote,
        tunnels: [
          { outsideAddress: a1, cgwInsideAddress: c1, awsInsideAddress: v1 },
          { outsideAddress: a2, cgwInsideAddress: c2, awsInsideAddress: v2 },
        ] as TunnelEndpoints["tunnels"],
      }));
    this.swanctlConf = this.endpoints.apply(renderSwanctlConf);
    this.presharedKeys = pulumi.secret(
      pulumi.all([psk1, psk2]).apply(([a, b]) => [a, b] as [string, string]),
    );
    this.swanctlSecrets = pulumi.secret(
      pulumi.all([this.endpoints, this.presharedKeys]).apply(([ep, keys]) => renderSwanctlSecrets(ep, keys)),
    );

    this.registerOutputs({
      customerGatewayId: this.customerGateway.id,
      vpnConnectionId: this.connection.id,
      endpoints: this.endpoints,
    });
  }
}
