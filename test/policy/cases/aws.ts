import { TAGS, goodVpn, res } from "../fixtures";
import { Case, withPath } from "./types";

const KEY = "aws:kms/key:Key";
const SG = "aws:ec2/securityGroup:SecurityGroup";
const SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule";
const VPC_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const VPC = "aws:ec2/vpc:Vpc";
const FLOW = "aws:ec2/flowLog:FlowLog";
const VPN = "aws:ec2/vpnConnection:VpnConnection";
const vpc = (name = "vpc") => res(VPC, name, { cidrBlock: "10.40.0.0/16" }, { id: `${name}-id` });
const vpn = (path?: string, value?: unknown) =>
  res(VPN, "kayunga-vpn", path === undefined ? goodVpn() : withPath(goodVpn(), path, value));
const ingress = (fromPort: number, toPort: number, cidrBlocks: string[], protocol = "tcp") => ({
  protocol,
  fromPort,
  toPort,
  cidrBlocks,
});

export const awsCases: Case[] = [
  {
    rule: "kms-key-rotation",
    title: "accepts a rotating key",
    resources: [res(KEY, "k", { enableKeyRotation: true })],
    expected: [],
  },
  {
    rule: "kms-key-rotation",
    title: "accepts an asymmetric key, which cannot rotate",
    resources: [res(KEY, "k", { customerMasterKeySpec: "RSA_2048", keyUsage: "SIGN_VERIFY" })],
    expected: [],
  },
  {
    rule: "kms-key-rotation",
    title: "rejects a symmetric key without rotation",
    resources: [res(KEY, "k", {})],
    expected: ["KMS key `k` does not rotate; set enableKeyRotation: true."],
  },
  {
    rule: "kms-deletion-window",
    title: "accepts the default window",
    resources: [res(KEY, "k", {})],
    expected: [],
  },
  {
    rule: "kms-deletion-window",
    title: "rejects a 7-day deletion window",
    resources: [res(KEY, "k", { deletionWindowInDays: 7 })],
    expected: ["KMS key `k` has a deletion window of 7 days; at least 30 are required."],
  },
  {
    rule: "secretsmanager-cmk",
    title: "accepts a secret with a CMK",
    resources: [
      res("aws:secretsmanager/secret:Secret", "s", { name: "sink-db", kmsKeyId: "arn:aws:kms:r:1:key/k" }),
    ],
    expected: [],
  },
  {
    rule: "secretsmanager-cmk",
    title: "rejects a secret on the AWS managed key",
    resources: [res("aws:secretsmanager/secret:Secret", "s", { name: "sink-db" })],
    expected: ["Secret `sink-db` uses the AWS managed key; set kmsKeyId to the platform KMS key."],
  },
  {
    rule: "no-world-open-sensitive-ports",
    title: "accepts SCRAM open to the VPC and a facility LAN",
    resources: [res(SG, "kafka-sg", { ingress: [ingress(9096, 9096, ["10.40.0.0/16", "192.168.10.0/24"])] })],
    expected: [],
  },
  {
    rule: "no-world-open-sensitive-ports",
    title: "accepts HTTPS open to the world",
    resources: [res(SG, "web-sg", { ingress: [ingress(443, 443, ["0.0.0.0/0"])] })],
    expected: [],
  },
  {
    rule: "no-world-open-sensitive-ports",
    title: "rejects Kafka ports open to 0.0.0.0/0 in an inline rule",
    resources: [res(SG, "kafka-sg", { ingress: [ingress(9092, 9098, ["0.0.0.0/0"])] })],
    expected: [
      "Security group `kafka-sg` opens port(s) 9092, 9094, 9096, 9098 to 0.0.0.0/0; restrict the source to known CIDRs or a security group.",
    ],
  },
  {
    rule: "no-world-open-sensitive-ports",
    title: "rejects all protocols open to ::/0",
    resources: [
      res(SG, "any-sg", { ingress: [{ protocol: "-1", fromPort: 0, toPort: 0, ipv6CidrBlocks: ["::/0"] }] }),
    ],
    expected: [
      "Security group `any-sg` opens port(s) 22, 3389, 5432, 2181, 9092, 9094, 9096, 9098, 9194, 9196, 9198, 8083 to ::/0; restrict the source to known CIDRs or a security group.",
    ],
  },
  {
    rule: "no-world-open-sensitive-ports",
    title: "rejects PostgreSQL open to the world in a SecurityGroupRule",
    resources: [
      res(SG_RULE, "pg-rule", {
        type: "ingress",
        protocol: "tcp",
        fromPort: 5432,
        toPort: 5432,
        cidrBlocks: ["0.0.0.0/0"],
        securityGroupId: "sg",
      }),
    ],
    expected: [
      "Security group `pg-rule` opens port(s) 5432 to 0.0.0.0/0; restrict the source to known CIDRs or a security group.",
    ],
  },
  {
    rule: "no-world-open-sensitive-ports",
    title: "accepts an egress SecurityGroupRule to the world",
    resources: [
      res(SG_RULE, "egress", {
        type: "egress",
        protocol: "-1",
        fromPort: 0,
        toPort: 0,
        cidrBlocks: ["0.0.0.0/0"],
        securityGroupId: "sg",
      }),
    ],
    expected: [],
  },
  {
    rule: "no-world-open-sensitive-ports",
    title: "rejects SSH open to the world in a vpc.SecurityGroupIngressRule",
    resources: [
      res(VPC_RULE, "ssh", {
        ipProtocol: "tcp",
        fromPort: 22,
        toPort: 22,
        cidrIpv4: "0.0.0.0/0",
        securityGroupId: "sg",
      }),
    ],
    expected: [
      "Security group `ssh` opens port(s) 22 to 0.0.0.0/0; restrict the source to known CIDRs or a security group.",
    ],
  },
  {
    rule: "vpc-flow-logs",
    title: "accepts a VPC with an ALL-traffic flow log",
    resources: [vpc(), res(FLOW, "fl", { vpcId: "vpc-id", trafficType: "ALL" })],
    expected: [],
  },
  {
    rule: "vpc-flow-logs",
    title: "rejects a VPC without flow logs",
    resources: [vpc(), vpc("other"), res(FLOW, "fl", { vpcId: "other-id", trafficType: "ALL" })],
    expected: ["VPC `vpc` has no flow log; add an aws.ec2.FlowLog for it."],
  },
  {
    rule: "vpc-flow-logs",
    title: "rejects a flow log of rejected traffic only",
    resources: [vpc(), res(FLOW, "fl", { vpcId: "vpc-id", trafficType: "REJECT" })],
    expected: ["VPC `vpc` has flow logs only for REJECT traffic; record ALL."],
  },
  {
    rule: "vpn-strong-tunnel-options",
    title: "accepts IKEv2, AES256-GCM, SHA2-256, DH 20",
    resources: [vpn()],
    expected: [],
  },
  {
    rule: "vpn-strong-tunnel-options",
    title: "rejects IKEv1 and DH group 2 on tunnel 1",
    resources: [
      res(VPN, "kayunga-vpn", {
        ...goodVpn(),
        tunnel1IkeVersions: ["ikev1", "ikev2"],
        tunnel1Phase1DhGroupNumbers: [2, 20],
      }),
    ],
    expected: [
      "VPN connection `kayunga-vpn`: tunnel1IkeVersions allows ikev1; allowed: ikev2.",
      "VPN connection `kayunga-vpn`: tunnel1Phase1DhGroupNumbers allows 2; allowed: 14, 15, 16, 19, 20, 21.",
    ],
  },
  {
    rule: "vpn-strong-tunnel-options",
    title: "rejects unset tunnel 2 encryption (AWS would accept AES128)",
    resources: [vpn("tunnel2Phase2EncryptionAlgorithms", undefined)],
    expected: [
      'VPN connection `kayunga-vpn`: tunnel2Phase2EncryptionAlgorithms is unset, so AWS accepts weak values; set it to ["AES256","AES256-GCM-16"].',
    ],
  },
  {
    rule: "required-tags",
    title: "accepts resource tags",
    resources: [res(KEY, "k", { enableKeyRotation: true, tags: TAGS })],
    expected: [],
  },
  {
    rule: "required-tags",
    title: "accepts tags from the provider's defaultTags",
    resources: [res(KEY, "k", { enableKeyRotation: true }, { providerTags: TAGS })],
    expected: [],
  },
  {
    rule: "required-tags",
    title: "ignores types outside resourceTypes",
    resources: [res("aws:msk/configuration:Configuration", "c", { serverProperties: "" })],
    expected: [],
  },
  {
    rule: "required-tags",
    title: "rejects a key without DataClassification",
    resources: [res(KEY, "k", { tags: { Environment: "dev" } })],
    expected: [
      "Key `k` is missing tag(s) DataClassification; add them to tags or to the provider's defaultTags.",
    ],
  },
  {
    rule: "required-tags",
    title: "fails if a configured tag is missing",
    resources: [res(KEY, "k", { tags: TAGS })],
    config: { requiredTags: ["DataClassification", "owner"] },
    expected: ["Key `k` is missing tag(s) owner; add them to tags or to the provider's defaultTags."],
  },
  {
    rule: "required-tags",
    title: "rejects a VPN connection without the facility tag",
    resources: [vpn("tags", TAGS)],
    expected: [
      "VpnConnection `kayunga-vpn` is missing tag(s) facility; add them to tags or to the provider's defaultTags.",
    ],
  },
];
