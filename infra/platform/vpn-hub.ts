import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** Arguments of {@link VpnHub}. */
export interface VpnHubArgs {
  /** VPC the hub routes into. */
  vpcId: pulumi.Input<string>;
  /** Private subnets (one per AZ) the hub attaches to. */
  subnetIds: pulumi.Input<string>[];
  /** BGP ASN of the AWS side (private range). @default 64512 */
  amazonSideAsn?: number;
  /** Tags on every resource. */
  tags: Record<string, string>;
}

/**
 * The hub facility tunnels attach to: a transit gateway attached to the VPC's private subnets.
 *
 * Why a transit gateway, not a virtual private gateway: a VGW takes 10 Site-to-Site VPN connections
 * by default and is tied to one VPC, and the ministry has many more facilities than that; a transit
 * gateway takes thousands of VPN attachments, routes per attachment in its own route table, and
 * supports ECMP over both tunnels of a connection. Each facility stack creates its customer gateway
 * and VPN connection with `transitGatewayId` = this hub, a static route for its LAN in the hub's
 * route table (or BGP), and a route for its LAN in each private route table of the VPC, pointing at
 * this hub.
 */
export class VpnHub extends pulumi.ComponentResource {
  /** Transit gateway id (facility VPN connections attach here). */
  readonly transitGatewayId: pulumi.Output<string>;
  /** Route table facility VPN attachments associate with and propagate to. */
  readonly routeTableId: pulumi.Output<string>;
  /** The VPC attachment id. */
  readonly vpcAttachmentId: pulumi.Output<string>;

  constructor(name: string, args: VpnHubArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("clinicmaster:platform:VpnHub", name, {}, opts);
    const asn = args.amazonSideAsn ?? 64512;
    if (!((asn >= 64512 && asn <= 65534) || (asn >= 4200000000 && asn <= 4294967294))) {
      throw new Error(
        `vpn hub ${name}: amazonSideAsn ${asn} is not a private ASN (64512–65534 or 4200000000–4294967294)`,
      );
    }
    const tgw = new aws.ec2transitgateway.TransitGateway(
      name,
      {
        description: "ClinicMaster VPN hub: facility site-to-site tunnels",
        amazonSideAsn: asn,
        autoAcceptSharedAttachments: "disable",
        defaultRouteTableAssociation: "enable",
        defaultRouteTablePropagation: "enable",
        dnsSupport: "enable",
        vpnEcmpSupport: "enable",
        tags: { ...args.tags, Name: name },
      },
      { parent: this },
    );
    const attachment = new aws.ec2transitgateway.VpcAttachment(
      name,
      {
        transitGatewayId: tgw.id,
        vpcId: args.vpcId,
        subnetIds: args.subnetIds,
        dnsSupport: "enable",
        tags: { ...args.tags, Name: name },
      },
      { parent: this },
    );
    this.transitGatewayId = tgw.id;
    this.routeTableId = tgw.associationDefaultRouteTableId;
    this.vpcAttachmentId = attachment.id;
    this.registerOutputs({ transitGatewayId: this.transitGatewayId, routeTableId: this.routeTableId });
  }
}
