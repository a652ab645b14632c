import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { parseCidr, subnetCidrs } from "../config/cidr";
import { CONNECT_REST_PORT } from "../connect/names";
import { assumeRolePolicy, flowLogsRolePolicy } from "./policies";
import { HTTPS_PORT, KAFKA_SCRAM_PORT, POSTGRES_PORT } from "./ports";

/** Arguments of {@link Network}. */
export interface NetworkArgs {
  /** VPC range, /20 or larger. */
  vpcCidr: string;
  /** Availability zones to spread over. @default 3 */
  azCount?: number;
  /** AZ names to use, in order. @default the region's first `azCount` available zones */
  availabilityZones?: pulumi.Input<string[]>;
  /** Facility LAN ranges allowed to reach Kafka (9096) over the tunnels. @default none: facility stacks add their own rule */
  facilityCidrs?: string[];
  /** Ranges allowed to reach PostgreSQL for administration. @default none */
  adminCidrs?: string[];
  /** KMS key for the flow-log group. */
  logsKeyArn: pulumi.Input<string>;
  /** Days flow logs are kept. @default 30 */
  flowLogRetentionDays?: number;
  /** Tags on every resource. */
  tags: Record<string, string>;
}

/** Security groups the platform's services sit in. */
export interface PlatformSecurityGroups {
  /** MSK brokers: 9096 from the VPC and facility LANs only. */
  brokers: aws.ec2.SecurityGroup;
  /** RDS: 5432 from the sink runtime and admin ranges only. */
  warehouse: aws.ec2.SecurityGroup;
  /** Sink Connect tasks: no ingress but REST between workers; egress to Kafka, PostgreSQL and HTTPS. */
  sink: aws.ec2.SecurityGroup;
  /**
   * The `pulumi up` runner inside the VPC (CodeBuild, an ECS task or an instance in a private subnet):
   * no ingress; egress to Kafka as admin, to PostgreSQL as master, and HTTPS.
   */
  operator: aws.ec2.SecurityGroup;
}

/** Subnet layout of the VPC: /24 private subnets first, then /24 public ones, one of each per AZ. Pure. */
export function networkLayout(
  vpcCidr: string,
  azCount: number,
): { privateCidrs: string[]; publicCidrs: string[] } {
  const all = subnetCidrs(vpcCidr, 24, azCount * 2);
  return { privateCidrs: all.slice(0, azCount), publicCidrs: all.slice(azCount) };
}

/**
 * The platform's VPC: private subnets for MSK, RDS and the sink tasks, public subnets only for one
 * NAT gateway per AZ (the sink pulls its image and reaches AWS APIs through it; an AZ loss leaves
 * the other AZs' egress intact), VPC flow logs to an encrypted log group, the default security
 * group emptied, and the three service security groups with their rules. No ingress rule is ever
 * open to 0.0.0.0/0.
 */
export class Network extends pulumi.ComponentResource {
  /** VPC id. */
  readonly vpcId: pulumi.Output<string>;
  /** VPC range. */
  readonly vpcCidr: string;
  /** Private subnet ids, one per AZ, in AZ order. */
  readonly privateSubnetIds: pulumi.Output<string>[];
  /** AZ of each private subnet, in the same order. */
  readonly privateSubnetAzs: pulumi.Output<string>[];
  /** Route tables of the private subnets; facility stacks add their LAN routes to the VPN hub here. */
  readonly privateRouteTableIds: pulumi.Output<string>[];
  /** Service security groups. */
  readonly securityGroups: PlatformSecurityGroups;

  constructor(name: string, args: NetworkArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("clinicmaster:platform:Network", name, {}, opts);
    const azCount = args.azCount ?? 3;
    const vpc = parseCidr(args.vpcCidr);
    if (!vpc)
      throw new Error(
        `network ${name}: vpcCidr ${args.vpcCidr} is not a CIDR block; set platform:network.vpcCidr`,
      );
    for (const c of [...(args.facilityCidrs ?? []), ...(args.adminCidrs ?? [])]) {
      if (parseCidr(c) === undefined || parseCidr(c)?.prefix === 0) {
        throw new Error(
          `network ${name}: ${c} is not an allowed source range (a CIDR block narrower than /0); name the network`,
        );
      }
    }
    const { privateCidrs, publicCidrs } = networkLayout(args.vpcCidr, azCount);
    const azs =
      args.availabilityZones !== undefined
        ? pulumi.output(args.availabilityZones)
        : aws.getAvailabilityZonesOutput({ state: "available" }, { parent: this }).names;
    const tags = (extra: Record<string, string>) => ({ ...args.tags, ...extra });
    const p = { parent: this };

    const vpcRes = new aws.ec2.Vpc(
      name,
      {
        cidrBlock: args.vpcCidr,
        enableDnsHostnames: true,
        enableDnsSupport: true,
        tags: tags({ Name: name }),
      },
      p,
    );
    new aws.ec2.DefaultSecurityGroup(
      `${name}-default`,
      { vpcId: vpcRes.id, tags: tags({ Name: `${name}-default-unused` }) },
      p,
    );
    const igw = new aws.ec2.InternetGateway(
      `${name}-igw`,
      { vpcId: vpcRes.id, tags: tags({ Name: `${name}-igw` }) },
      p,
    );
    const publicRt = new aws.ec2.RouteTable(
      `${name}-public`,
      { vpcId: vpcRes.id, tags: tags({ Name: `${name}-public` }) },
      p,
    );
    new aws.ec2.Route(
      `${name}-public-default`,
      { routeTableId: publicRt.id, destinationCidrBlock: "0.0.0.0/0", gatewayId: igw.id },
      p,
    );

    this.privateSubnetIds = [];
    this.privateSubnetAzs = [];
    this.privateRouteTableIds = [];
    for (let i = 0; i < azCount; i++) {
      const az = azs.apply((names) => {
        if (names.length < azCount) {
          throw new Error(
            `network ${name}: the region offers ${names.length} availability zones, ${azCount} are needed`,
          );
        }
        return names[i];
      });
      const pub = new aws.ec2.Subnet(
        `${name}-public-${i}`,
        {
          vpcId: vpcRes.id,
          cidrBlock: publicCidrs[i],
          availabilityZone: az,
          mapPublicIpOnLaunch: false,
          tags: tags({ Name: `${name}-public-${i}`, Tier: "public" }),
        },
        p,
      );
      new aws.ec2.RouteTableAssociation(
        `${name}-public-${i}`,
        { subnetId: pub.id, routeTableId: publicRt.id },
        p,
      );
      const eip = new aws.ec2.Eip(
        `${name}-nat-${i}`,
        { domain: "vpc", tags: tags({ Name: `${name}-nat-${i}` }) },
        p,
      );
      const nat = new aws.ec2.NatGateway(
        `${name}-nat-${i}`,
        { subnetId: pub.id, allocationId: eip.id, tags: tags({ Name: `${name}-nat-${i}` }) },
        { parent: this, dependsOn: [igw] },
      );
      const priv = new aws.ec2.Subnet(
        `${name}-private-${i}`,
        {
          vpcId: vpcRes.id,
          cidrBlock: privateCidrs[i],
          availabilityZone: az,
          mapPublicIpOnLaunch: false,
          tags: tags({ Name: `${name}-private-${i}`, Tier: "private" }),
        },
        p,
      );
      const rt = new aws.ec2.RouteTable(
        `${name}-private-${i}`,
        { vpcId: vpcRes.id, tags: tags({ Name: `${name}-private-${i}` }) },
        p,
      );
      new aws.ec2.Route(
        `${name}-private-${i}-default`,
        { routeTableId: rt.id, destinationCidrBlock: "0.0.0.0/0", natGatewayId: nat.id },
        p,
      );
      new aws.ec2.RouteTableAssociation(
        `${name}-private-${i}`,
        { subnetId: priv.id, routeTableId: rt.id },
        p,
      );
      this.privateSubnetIds.push(priv.id);
      this.privateSubnetAzs.push(priv.availabilityZone);
      this.privateRouteTableIds.push(rt.id);
    }

    createFlowLogs(name, vpcRes.id, args, this);
    this.securityGroups = createSecurityGroups(name, vpcRes.id, args, this);
    this.vpcId = vpcRes.id;
    this.vpcCidr = args.vpcCidr;
    this.registerOutputs({
      vpcId: this.vpcId,
      privateSubnetIds: this.privateSubnetIds,
      privateRouteTableIds: this.privateRouteTableIds,
    });
  }
}

function createSecurityGroups(
  name: string,
  vpcId: pulumi.Output<string>,
  args: NetworkArgs,
  parent: pulumi.Resource,
): PlatformSecurityGroups {
  const p = { parent };
  const sg = (key: string, description: string) =>
    new aws.ec2.SecurityGroup(
      `${name}-${key}`,
      { vpcId, description, revokeRulesOnDelete: true, tags: { ...args.tags, Name: `${name}-${key}` } },
      p,
    );
  const brokers = sg("brokers", "MSK brokers: SASL/SCRAM 9096 from the VPC and facility LANs");
  const warehouse = sg(
    "warehouse",
    "RDS PostgreSQL: 5432 from the sink runtime, the Pulumi runner and admin ranges",
  );
  const sink = sg("sink", "Sink Kafka Connect tasks");
  const operator = sg("operator", "Pulumi runner inside the VPC: Kafka and PostgreSQL administration");

  const ingressCidr = (
    key: string,
    group: aws.ec2.SecurityGroup,
    port: number,
    cidr: string,
    description: string,
  ) =>
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-${key}`,
      {
        securityGroupId: group.id,
        ipProtocol: "tcp",
        fromPort: port,
        toPort: port,
        cidrIpv4: cidr,
        description,
        tags: args.tags,
      },
      p,
    );
  ingressCidr(
    "brokers-from-vpc",
    brokers,
    KAFKA_SCRAM_PORT,
    args.vpcCidr,
    "Kafka SASL/SCRAM from inside the VPC (sink, operators' runner)",
  );
  (args.facilityCidrs ?? []).forEach((c, i) =>
    ingressCidr(
      `brokers-from-facility-${i}`,
      brokers,
      KAFKA_SCRAM_PORT,
      c,
      `Kafka SASL/SCRAM from facility LAN ${c} over its tunnel`,
    ),
  );
  new aws.vpc.SecurityGroupIngressRule(
    `${name}-warehouse-from-sink`,
    {
      securityGroupId: warehouse.id,
      ipProtocol: "tcp",
      fromPort: POSTGRES_PORT,
      toPort: POSTGRES_PORT,
      referencedSecurityGroupId: sink.id,
      description: "PostgreSQL from the sink runtime",
      tags: args.tags,
    },
    p,
  );
  new aws.vpc.SecurityGroupIngressRule(
    `${name}-warehouse-from-operator`,
    {
      securityGroupId: warehouse.id,
      ipProtocol: "tcp",
      fromPort: POSTGRES_PORT,
      toPort: POSTGRES_PORT,
      referencedSecurityGroupId: operator.id,
      description: "PostgreSQL from the Pulumi runner (warehouse roles and grants)",
      tags: args.tags,
    },
    p,
  );
  (args.adminCidrs ?? []).forEach((c, i) =>
    ingressCidr(
      `warehouse-from-admin-${i}`,
      warehouse,
      POSTGRES_PORT,
      c,
      `PostgreSQL administration from ${c}`,
    ),
  );
  new aws.vpc.SecurityGroupIngressRule(
    `${name}-sink-rest-between-workers`,
    {
      securityGroupId: sink.id,
      ipProtocol: "tcp",
      fromPort: CONNECT_REST_PORT,
      toPort: CONNECT_REST_PORT,
      referencedSecurityGroupId: sink.id,
      description: "Kafka Connect REST between sink workers (requests are forwarded to the leader)",
      tags: args.tags,
    },
    p,
  );
  const egress = (
    key: string,
    group: aws.ec2.SecurityGroup,
    port: number,
    target: { cidrIpv4?: string; referencedSecurityGroupId?: pulumi.Input<string> },
    description: string,
  ) =>
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-${key}`,
      {
        securityGroupId: group.id,
        ipProtocol: "tcp",
        fromPort: port,
        toPort: port,
        ...target,
        description,
        tags: args.tags,
      },
      p,
    );
  egress(
    "sink-to-brokers",
    sink,
    KAFKA_SCRAM_PORT,
    { referencedSecurityGroupId: brokers.id },
    "Kafka SASL/SCRAM",
  );
  egress("sink-to-warehouse", sink, POSTGRES_PORT, { referencedSecurityGroupId: warehouse.id }, "PostgreSQL");
  egress(
    "sink-to-workers",
    sink,
    CONNECT_REST_PORT,
    { referencedSecurityGroupId: sink.id },
    "Kafka Connect REST between workers",
  );
  // Image pulls, Secrets Manager, CloudWatch Logs and Metrics are HTTPS endpoints reached through NAT.
  egress("sink-to-https", sink, HTTPS_PORT, { cidrIpv4: "0.0.0.0/0" }, "HTTPS to registries and AWS APIs");
  egress(
    "operator-to-brokers",
    operator,
    KAFKA_SCRAM_PORT,
    { referencedSecurityGroupId: brokers.id },
    "Kafka admin",
  );
  egress(
    "operator-to-warehouse",
    operator,
    POSTGRES_PORT,
    { referencedSecurityGroupId: warehouse.id },
    "PostgreSQL admin",
  );
  egress(
    "operator-to-https",
    operator,
    HTTPS_PORT,
    { cidrIpv4: "0.0.0.0/0" },
    "HTTPS to AWS APIs and the state backend",
  );
  return { brokers, warehouse, sink, operator };
}

/** VPC flow logs (all traffic) into a log group encrypted with the logs CMK, through a role that may write only there. */
function createFlowLogs(
  name: string,
  vpcId: pulumi.Output<string>,
  args: NetworkArgs,
  parent: pulumi.Resource,
): void {
  const p = { parent };
  const flowLogGroup = new aws.cloudwatch.LogGroup(
    `${name}-flow-logs`,
    {
      name: `/clinicmaster/${name}/flow-logs`,
      kmsKeyId: args.logsKeyArn,
      retentionInDays: args.flowLogRetentionDays ?? 30,
      tags: args.tags,
    },
    p,
  );
  const flowRole = new aws.iam.Role(
    `${name}-flow-logs`,
    { assumeRolePolicy: JSON.stringify(assumeRolePolicy("vpc-flow-logs.amazonaws.com")), tags: args.tags },
    p,
  );
  new aws.iam.RolePolicy(
    `${name}-flow-logs`,
    { role: flowRole.id, policy: flowLogGroup.arn.apply((arn) => JSON.stringify(flowLogsRolePolicy(arn))) },
    p,
  );
  new aws.ec2.FlowLog(
    `${name}-flow-logs`,
    {
      vpcId,
      trafficType: "ALL",
      logDestinationType: "cloud-watch-logs",
      logDestination: flowLogGroup.arn,
      iamRoleArn: flowRole.arn,
      maxAggregationInterval: 60,
      tags: args.tags,
    },
    p,
  );
}
