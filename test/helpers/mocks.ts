import * as pulumi from "@pulumi/pulumi";

/** One resource registered with the mock engine. */
export interface RecordedResource {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  id: string;
  parent?: string;
}

/** Every resource registered since the last `setupMocks()`, in registration order. */
export const recorded: RecordedResource[] = [];

/** Tokens of `invoke` calls the mocks answer; any other throws so a test never passes on a silent stub. */
const invokes: Record<string, (args: Record<string, unknown>) => Record<string, unknown>> = {
  "aws:index/getAvailabilityZones:getAvailabilityZones": () => ({
    names: ["af-south-1a", "af-south-1b", "af-south-1c"],
    zoneIds: ["afs1-az1", "afs1-az2", "afs1-az3"],
  }),
  "aws:index/getCallerIdentity:getCallerIdentity": () => ({
    accountId: "123456789012",
    arn: "arn:aws:iam::123456789012:user/ci",
    userId: "AIDA",
  }),
  "aws:index/getRegion:getRegion": () => ({ name: "af-south-1", region: "af-south-1", id: "af-south-1" }),
  "aws:index/getPartition:getPartition": () => ({ partition: "aws", dnsSuffix: "amazonaws.com" }),
  "aws:iam/getPolicyDocument:getPolicyDocument": (args) => ({ json: JSON.stringify(args) }),
  "aws:secretsmanager/getSecretVersion:getSecretVersion": (args) => ({
    arn: String(args.secretId),
    secretString: JSON.stringify({ username: "clinicmaster_admin", password: "mock-rds-master-Passw0rd" }),
    versionId: "v1",
  }),
};

/**
 * Outputs of referenced stacks, by fully qualified stack name: a test sets them before importing a
 * program that holds a `pulumi.StackReference`.
 */
export const stackOutputs: Record<string, Record<string, unknown>> = {};

/** Realistic computed outputs for the resource types our programs create. */
function computed(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  const arn = (svc: string, res: string) => `arn:aws:${svc}:af-south-1:123456789012:${res}`;
  switch (type) {
    case "aws:msk/cluster:Cluster":
      return {
        arn: arn("kafka", `cluster/${name}/abcd-1234`),
        bootstrapBrokersSaslScram:
          "b-1.mock.kafka.af-south-1.amazonaws.com:9096,b-2.mock.kafka.af-south-1.amazonaws.com:9096,b-3.mock.kafka.af-south-1.amazonaws.com:9096",
        bootstrapBrokersTls:
          "b-1.mock.kafka.af-south-1.amazonaws.com:9094,b-2.mock.kafka.af-south-1.amazonaws.com:9094,b-3.mock.kafka.af-south-1.amazonaws.com:9094",
        currentVersion: "K3AEGXETSR30VB",
        zookeeperConnectString: "",
      };
    case "aws:msk/configuration:Configuration":
      return { arn: arn("kafka", `configuration/${name}/abcd`), latestRevision: 1 };
    case "aws:kms/key:Key":
      return { arn: arn("kms", `key/${name}-0000`), keyId: `${name}-0000` };
    case "aws:rds/instance:Instance":
      return {
        address: `${name}.abc.af-south-1.rds.amazonaws.com`,
        endpoint: `${name}.abc.af-south-1.rds.amazonaws.com:5432`,
        port: 5432,
        arn: arn("rds", `db:${name}`),
        masterUserSecrets: [
          {
            secretArn: arn("secretsmanager", `secret:rds!db-${name}`),
            kmsKeyId: "k",
            secretStatus: "active",
          },
        ],
      };
    case "aws:ec2/vpc:Vpc":
      return { arn: arn("ec2", `vpc/${name}`) };
    case "aws:ec2transitgateway/transitGateway:TransitGateway":
      return { arn: arn("ec2", `transit-gateway/${name}`), associationDefaultRouteTableId: "tgw-rtb-1" };
    case "aws:ec2/vpnConnection:VpnConnection":
      return {
        tunnel1Address: "13.244.10.1",
        tunnel2Address: "13.244.10.2",
        tunnel1CgwInsideAddress: "169.254.10.2",
        tunnel1VgwInsideAddress: "169.254.10.1",
        tunnel2CgwInsideAddress: "169.254.11.2",
        tunnel2VgwInsideAddress: "169.254.11.1",
        tunnel1PresharedKey: inputs.tunnel1PresharedKey ?? "mockpsk1",
        tunnel2PresharedKey: inputs.tunnel2PresharedKey ?? "mockpsk2",
        transitGatewayAttachmentId: `tgw-attach-${name}`,
      };
    case "aws:secretsmanager/secret:Secret":
      return { arn: arn("secretsmanager", `secret:${String(inputs.name ?? name)}-AbCdEf`) };
    case "random:index/randomId:RandomId":
      return { hex: "0a1b2c3d", b64Std: "ChssPQ==", b64Url: "ChssPQ", dec: "169552957" };
    case "random:index/randomPassword:RandomPassword":
      return { result: `mock-${name}-Passw0rd-0123456789abcdef` };
    case "pulumi:pulumi:StackReference": {
      const outputs = stackOutputs[String(inputs.name)];
      if (!outputs)
        throw new Error(`no mock outputs for stack ${String(inputs.name)}: set stackOutputs in the test`);
      return { outputs };
    }
    case "docker:index/remoteImage:RemoteImage":
      // The daemon's image id stands for the pulled reference, so tests can follow an image into containers.
      return { imageId: `id-of:${String(inputs.name)}`, repoDigest: String(inputs.name) };
    default:
      return { arn: arn("mock", `${type.split(":")[1]}/${name}`) };
  }
}

/** Installs the mocks. Call before importing a program or component module. */
export function setupMocks(project = "test", stack = "test"): void {
  recorded.length = 0;
  pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs): {
        id: string | undefined;
        state: Record<string, unknown>;
      } {
        const id = `${args.name}-id`;
        recorded.push({ type: args.type, name: args.name, inputs: args.inputs, id });
        return { id, state: { ...args.inputs, ...computed(args.type, args.name, args.inputs) } };
      },
      call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
        const fn = invokes[args.token];
        if (!fn) throw new Error(`unmocked call ${args.token}: add it to test/helpers/mocks.ts`);
        return fn(args.inputs);
      },
    },
    project,
    stack,
    true,
  );
}

/** Resolves an Output (or plain value) to its value in a test. */
export function unwrap<T>(value: pulumi.Input<T> | undefined): Promise<T> {
  return new Promise((resolve) => pulumi.output(value as pulumi.Input<T>).apply((v) => resolve(v as T)));
}

/** Whether an Output is marked secret. */
export async function isSecret(value: pulumi.Output<unknown>): Promise<boolean> {
  return pulumi.isSecret(value);
}

/** The recorded resources of one type. */
export function resourcesOf(type: string): RecordedResource[] {
  return recorded.filter((r) => r.type === type);
}

/** The one recorded resource with this type and name; throws with the names found otherwise. */
export function findResource(type: string, name: string): RecordedResource {
  const hits = recorded.filter((r) => r.type === type && r.name === name);
  if (hits.length !== 1) {
    const names = resourcesOf(type).map((r) => r.name);
    throw new Error(
      `expected one ${type} named ${name}, found ${hits.length}; names of that type: ${names.join(", ")}`,
    );
  }
  return hits[0];
}

/** Lets every pending registration settle. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

/** Waits until no resource has been registered for several rounds (registrations wait on outputs). */
export async function settleAll(): Promise<void> {
  let last = -1;
  let stable = 0;
  for (let round = 0; round < 400 && stable < 5; round++) {
    await settle();
    await new Promise((r) => setTimeout(r, 2));
    stable = recorded.length === last ? stable + 1 : 0;
    last = recorded.length;
  }
}

const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";

/** Whether a recorded input value arrived at the engine as a Pulumi secret. */
export function isSecretInput(v: unknown): boolean {
  return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SECRET_SIG] === SECRET_VALUE;
}

/** A recorded input with every secret wrapper removed (deeply). */
export function reveal<T = unknown>(v: unknown): T {
  if (isSecretInput(v)) return reveal<T>((v as { value: unknown }).value);
  if (Array.isArray(v)) return v.map((x) => reveal(x)) as T;
  if (typeof v === "object" && v !== null) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, reveal(x)])) as T;
  }
  return v as T;
}
