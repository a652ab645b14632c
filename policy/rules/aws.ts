import {
  ResourceInput,
  ResourceRule,
  StackFinding,
  StackRule,
  T,
  at,
  cfgNumber,
  cfgNumbers,
  cfgStrings,
  isSet,
  isUnknown,
  list,
  num,
  q,
  str,
} from "./model";

/** Key rotation on every symmetric KMS key. */
export const kmsKeyRotation: ResourceRule = {
  kind: "resource",
  name: "kms-key-rotation",
  description:
    "Customer-managed symmetric KMS keys must rotate automatically, limiting how much patient data one key version protects.",
  remediation: "Set enableKeyRotation: true on the aws.kms.Key.",
  defaultLevel: "mandatory",
  severity: "medium",
  defaults: {},
  types: [T.kmsKey],
  check(r) {
    const spec = str(r.props.customerMasterKeySpec) ?? "SYMMETRIC_DEFAULT";
    // AWS rotates only symmetric encryption keys; asymmetric and HMAC keys cannot enable rotation.
    if (spec !== "SYMMETRIC_DEFAULT") return [];
    if (r.props.enableKeyRotation === true || isUnknown(r.props.enableKeyRotation)) return [];
    return [`KMS key ${q(r.name)} does not rotate; set enableKeyRotation: true.`];
  },
};

/** A waiting period before a key is gone. */
export const kmsDeletionWindow: ResourceRule = {
  kind: "resource",
  name: "kms-deletion-window",
  description:
    "A KMS key scheduled for deletion must wait long enough to be cancelled, because deleting it makes the encrypted cluster, database and secrets unreadable.",
  remediation: "Set deletionWindowInDays to at least minDays (AWS default 30) or leave it unset.",
  defaultLevel: "mandatory",
  severity: "medium",
  defaults: { minDays: 30 },
  types: [T.kmsKey],
  check(r, config) {
    const min = cfgNumber(config, "minDays");
    const days = num(r.props.deletionWindowInDays);
    return days !== undefined && days < min
      ? [`KMS key ${q(r.name)} has a deletion window of ${days} days; at least ${min} are required.`]
      : [];
  },
};

/** Secrets encrypted with our key. */
export const secretsManagerCmk: ResourceRule = {
  kind: "resource",
  name: "secretsmanager-cmk",
  description:
    "Secrets Manager secrets must be encrypted with a customer-managed KMS key, so access to the key is controlled and audited with the rest of the platform.",
  remediation: "Set kmsKeyId on the aws.secretsmanager.Secret to the platform KMS key ARN.",
  defaultLevel: "mandatory",
  severity: "high",
  defaults: {},
  types: [T.secret],
  check(r) {
    const key = r.props.kmsKeyId;
    if (isSet(key) && !/alias\/aws\/secretsmanager/.test(String(key))) return [];
    return [
      `Secret ${q(str(r.props.name) ?? r.name)} uses the AWS managed key; set kmsKeyId to the platform KMS key.`,
    ];
  },
};

interface Ingress {
  protocol: unknown;
  fromPort: unknown;
  toPort: unknown;
  cidrs: unknown[];
}

function ingressesOf(r: ResourceInput): Ingress[] {
  const cidrs = (...vs: unknown[]) =>
    vs.flatMap((v) => {
      const l = list(v);
      return isUnknown(l) ? [] : l;
    });
  switch (r.type) {
    case T.securityGroup: {
      const rules = list(r.props.ingress);
      if (isUnknown(rules)) return [];
      return rules.map((i) => ({
        protocol: at(i, "protocol"),
        fromPort: at(i, "fromPort"),
        toPort: at(i, "toPort"),
        cidrs: cidrs(at(i, "cidrBlocks"), at(i, "ipv6CidrBlocks")),
      }));
    }
    case T.securityGroupRule:
      if (r.props.type !== "ingress") return [];
      return [
        {
          protocol: r.props.protocol,
          fromPort: r.props.fromPort,
          toPort: r.props.toPort,
          cidrs: cidrs(r.props.cidrBlocks, r.props.ipv6CidrBlocks),
        },
      ];
    case T.vpcIngressRule:
      return [
        {
          protocol: r.props.ipProtocol,
          fromPort: r.props.fromPort,
          toPort: r.props.toPort,
          cidrs: [r.props.cidrIpv4, r.props.cidrIpv6].filter((c) => c !== undefined),
        },
      ];
    default:
      return [];
  }
}

/** Ports of `ports` an ingress opens (all of them for protocol -1/all). */
export function exposedPorts(
  ing: { protocol: unknown; fromPort: unknown; toPort: unknown },
  ports: number[],
): number[] {
  const proto = String(ing.protocol ?? "").toLowerCase();
  if (proto === "-1" || proto === "all") return ports;
  if (proto !== "tcp" && proto !== "6") return [];
  const from = num(ing.fromPort);
  const to = num(ing.toPort) ?? from;
  if (from === undefined || to === undefined) return [];
  // AWS treats fromPort/toPort -1 with TCP as every port.
  if (from === -1) return ports;
  return ports.filter((p) => p >= from && p <= to);
}

/** Admin, Kafka and PostgreSQL ports not open to the world. */
export const noOpenSensitivePorts: ResourceRule = {
  kind: "resource",
  name: "no-world-open-sensitive-ports",
  description:
    "No security group may open admin, Kafka, Kafka Connect or PostgreSQL ports to 0.0.0.0/0 or ::/0, because those services guard patient data.",
  remediation:
    "Allow only the VPC CIDR, facility LAN CIDRs over the tunnels, named admin CIDRs or a source security group.",
  defaultLevel: "mandatory",
  severity: "critical",
  defaults: { ports: [22, 3389, 5432, 2181, 9092, 9094, 9096, 9098, 9194, 9196, 9198, 8083] },
  types: [T.securityGroup, T.securityGroupRule, T.vpcIngressRule],
  check(r, config) {
    const ports = cfgNumbers(config, "ports");
    const out: string[] = [];
    for (const ing of ingressesOf(r)) {
      const world = ing.cidrs.filter((c) => typeof c === "string" && /\/0$/.test(c));
      if (world.length === 0) continue;
      const open = exposedPorts(ing, ports);
      if (open.length > 0) {
        out.push(
          `Security group ${q(r.name)} opens port(s) ${open.join(", ")} to ${world.join(", ")}; restrict the source to known CIDRs or a security group.`,
        );
      }
    }
    return out;
  },
};

/** Does this flow log record traffic of that VPC? */
function flowLogCovers(fl: ResourceInput, vpc: ResourceInput): boolean {
  const deps = fl.propertyDependencies?.vpcId ?? [];
  if (vpc.urn !== undefined && deps.includes(vpc.urn)) return true;
  const vpcId = fl.props.vpcId;
  const ids = [vpc.id, str(vpc.props.id)].filter((x): x is string => x !== undefined);
  return typeof vpcId === "string" && ids.includes(vpcId);
}

/** Every VPC has flow logs. */
export const vpcFlowLogs: StackRule = {
  kind: "stack",
  name: "vpc-flow-logs",
  description:
    "Every VPC of the stack must have a flow log recording all traffic, so access to the brokers and the database can be reconstructed after an incident.",
  remediation: 'Add an aws.ec2.FlowLog with vpcId set to the VPC and trafficType "ALL".',
  defaultLevel: "mandatory",
  severity: "medium",
  defaults: { trafficTypes: ["ALL"] },
  types: [T.vpc, T.flowLog],
  check(resources, config) {
    const allowed = cfgStrings(config, "trafficTypes");
    const logs = resources.filter((r) => r.type === T.flowLog);
    const out: StackFinding[] = [];
    for (const vpc of resources.filter((r) => r.type === T.vpc)) {
      const mine = logs.filter((fl) => flowLogCovers(fl, vpc));
      if (mine.length === 0) {
        out.push({
          message: `VPC ${q(vpc.name)} has no flow log; add an aws.ec2.FlowLog for it.`,
          resource: vpc.urn ?? vpc.name,
        });
      } else if (
        !mine.some((fl) => isUnknown(fl.props.trafficType) || allowed.includes(String(fl.props.trafficType)))
      ) {
        out.push({
          message: `VPC ${q(vpc.name)} has flow logs only for ${mine.map((fl) => String(fl.props.trafficType)).join(", ")} traffic; record ${allowed.join(" or ")}.`,
          resource: vpc.urn ?? vpc.name,
        });
      }
    }
    return out;
  },
};

/** Strong IPsec parameters for the facility tunnels. */
export const vpnStrongTunnels: ResourceRule = {
  kind: "resource",
  name: "vpn-strong-tunnel-options",
  description:
    "Facility VPN tunnels must pin IKEv2 and strong ciphers, integrity algorithms and DH groups, because AWS otherwise also accepts IKEv1, AES128, SHA1 and DH group 2.",
  remediation:
    "Set tunnelN{IkeVersions,Phase1/Phase2EncryptionAlgorithms,IntegrityAlgorithms,DhGroupNumbers} on both tunnels to the allowed values in the policy config.",
  defaultLevel: "advisory",
  severity: "medium",
  defaults: {
    ikeVersions: ["ikev2"],
    encryptionAlgorithms: ["AES256", "AES256-GCM-16"],
    integrityAlgorithms: ["SHA2-256", "SHA2-384", "SHA2-512"],
    dhGroupNumbers: [14, 15, 16, 19, 20, 21],
  },
  types: [T.vpnConnection],
  check(r, config) {
    const out: string[] = [];
    const allowed: Record<string, unknown[]> = {
      IkeVersions: cfgStrings(config, "ikeVersions"),
      Phase1EncryptionAlgorithms: cfgStrings(config, "encryptionAlgorithms"),
      Phase2EncryptionAlgorithms: cfgStrings(config, "encryptionAlgorithms"),
      Phase1IntegrityAlgorithms: cfgStrings(config, "integrityAlgorithms"),
      Phase2IntegrityAlgorithms: cfgStrings(config, "integrityAlgorithms"),
      Phase1DhGroupNumbers: cfgNumbers(config, "dhGroupNumbers"),
      Phase2DhGroupNumbers: cfgNumbers(config, "dhGroupNumbers"),
    };
    for (const tunnel of ["tunnel1", "tunnel2"]) {
      for (const [suffix, ok] of Object.entries(allowed)) {
        const key = `${tunnel}${suffix}`;
        const v = list(r.props[key]);
        if (isUnknown(v)) continue;
        if (v.length === 0) {
          out.push(
            `VPN connection ${q(r.name)}: ${key} is unset, so AWS accepts weak values; set it to ${JSON.stringify(ok)}.`,
          );
          continue;
        }
        const weak = v.filter((x) => !ok.includes(x));
        if (weak.length > 0) {
          out.push(
            `VPN connection ${q(r.name)}: ${key} allows ${weak.join(", ")}; allowed: ${ok.join(", ")}.`,
          );
        }
      }
    }
    return out;
  },
};

/** Tags every taggable resource must carry. */
export const requiredTags: ResourceRule = {
  kind: "resource",
  name: "required-tags",
  description:
    "Taggable AWS resources must carry the required tags (data classification everywhere, the facility on facility resources), so patient-data handling, ownership and cost can be traced.",
  remediation:
    "Add the tags to the resource or to the AWS provider's defaultTags; the lists are requiredTags and facilityTags in the policy config.",
  defaultLevel: "mandatory",
  severity: "low",
  defaults: {
    requiredTags: ["DataClassification"],
    resourceTypes: [
      T.mskCluster,
      T.rdsInstance,
      T.rdsParameterGroup,
      T.kmsKey,
      T.secret,
      T.securityGroup,
      T.vpc,
      T.flowLog,
      T.vpnConnection,
      "aws:ec2/subnet:Subnet",
      "aws:ec2/customerGateway:CustomerGateway",
      "aws:ec2transitgateway/transitGateway:TransitGateway",
      "aws:rds/subnetGroup:SubnetGroup",
      "aws:cloudwatch/logGroup:LogGroup",
      "aws:cloudwatch/metricAlarm:MetricAlarm",
      "aws:sns/topic:Topic",
      "aws:ecs/cluster:Cluster",
      "aws:ecs/service:Service",
    ],
    facilityTags: ["facility"],
    facilityResourceTypes: [T.vpnConnection, "aws:ec2/customerGateway:CustomerGateway"],
  },
  // Every type could be listed in config; the check filters by `resourceTypes`.
  types: ["*"],
  check(r, config) {
    const wanted = [
      ...(cfgStrings(config, "resourceTypes").includes(r.type) ? cfgStrings(config, "requiredTags") : []),
      ...(cfgStrings(config, "facilityResourceTypes").includes(r.type)
        ? cfgStrings(config, "facilityTags")
        : []),
    ];
    if (wanted.length === 0 || isUnknown(r.props.tags)) return [];
    const own = (typeof r.props.tags === "object" && r.props.tags !== null ? r.props.tags : {}) as Record<
      string,
      unknown
    >;
    const tags: Record<string, unknown> = { ...(r.providerTags ?? {}), ...own };
    const missing = [...new Set(wanted)].filter((t) => !isSet(tags[t]));
    return missing.length === 0
      ? []
      : [
          `${r.type.split(":").pop()} ${q(r.name)} is missing tag(s) ${missing.join(", ")}; add them to tags or to the provider's defaultTags.`,
        ];
  },
};
