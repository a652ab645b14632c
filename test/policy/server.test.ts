import { ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import * as analyzer from "@pulumi/pulumi/proto/analyzer_pb";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import { RULES } from "../../policy/rules";
import { goodDatabase, goodParameterGroup } from "./fixtures";

// The pack as the Pulumi CLI runs it: policy/index.ts in its own process, serving the analyzer
// gRPC protocol on a loopback port it prints on stdout. The requests below are what the engine sends.
const POLICY_DIR = path.resolve(__dirname, "../../policy");
const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const SECRET = (value: unknown) => ({
  "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
  value,
});

let child: ChildProcess | undefined;
let client: AnalyzerClient;

function startPack(timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ["--import", "tsx", "index.ts"], {
      cwd: POLICY_DIR,
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = proc;
    let out = "";
    let err = "";
    const timer = setTimeout(
      () => reject(new Error(`policy pack did not print its port within ${timeoutMs} ms; stderr: ${err}`)),
      timeoutMs,
    );
    proc.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /^(\d+)\s*$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    proc.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    proc.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`policy pack exited with ${code} before serving; stderr: ${err}`));
    });
  });
}

function done<T>(resolve: (v: T) => void, reject: (e: Error) => void) {
  return (e: grpc.ServiceError | null, r: T) => (e ? reject(e) : resolve(r));
}
const getInfo = () =>
  new Promise<analyzer.AnalyzerInfo>((ok, no) => client.getAnalyzerInfo(new Empty(), done(ok, no)));
const analyze = (req: analyzer.AnalyzeRequest) =>
  new Promise<analyzer.AnalyzeResponse>((ok, no) => client.analyze(req, done(ok, no)));
const analyzeStack = (req: analyzer.AnalyzeStackRequest) =>
  new Promise<analyzer.AnalyzeResponse>((ok, no) => client.analyzeStack(req, done(ok, no)));

function options(protect = false): analyzer.AnalyzerResourceOptions {
  return new analyzer.AnalyzerResourceOptions().setProtect(protect);
}

function analyzeRequest(type: string, name: string, props: Record<string, unknown>, protect = false) {
  return new analyzer.AnalyzeRequest()
    .setType(type)
    .setName(name)
    .setUrn(`urn:pulumi:dev::clinicmaster::${type}::${name}`)
    .setProperties(Struct.fromJavaScript(props as never))
    .setOptions(options(protect));
}

const diagnostics = (res: analyzer.AnalyzeResponse) =>
  res
    .getDiagnosticsList()
    .map((d) => ({ policy: d.getPolicyname(), level: d.getEnforcementlevel(), message: d.getMessage() }));

beforeAll(async () => {
  const port = await startPack(60_000);
  client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}, 70_000);

afterAll(() => {
  client?.close();
  if (child?.pid !== undefined && child.exitCode === null) process.kill(child.pid, "SIGTERM");
});

describe("the pack in the policy server", () => {
  test("describes every policy and sends policy-config.json as its initial config", async () => {
    const info = await getInfo();
    expect(info.getName()).toBe("clinicmaster-cdc");
    expect(info.getPoliciesList().map((p) => p.getName())).toEqual(RULES.map((r) => r.name));
    expect(info.getPoliciesList().every((p) => p.getRemediationSteps().length > 0)).toBe(true);
    const initial = info.getInitialconfigMap();
    expect(initial.get("rds-backup-retention")?.getProperties()?.toJavaScript()).toEqual({ minDays: 7 });
    expect(initial.get("vpn-strong-tunnel-options")?.getEnforcementlevel()).toBe(
      analyzer.EnforcementLevel.ADVISORY,
    );
  });

  test("rejects a single-AZ database whose key ARN is not known yet, without a can't-run advisory", async () => {
    const props = { ...goodDatabase(), multiAz: false, kmsKeyId: UNKNOWN_STRING };
    const res = await analyze(analyzeRequest("aws:rds/instance:Instance", "warehouse", props, true));
    expect(diagnostics(res)).toEqual([
      {
        policy: "rds-multi-az",
        level: analyzer.EnforcementLevel.MANDATORY,
        message: expect.stringContaining("RDS instance `warehouse` is single-AZ; set multiAz: true."),
      },
    ]);
  });

  test("fails if the database is not protected (resource options reach the pack)", async () => {
    const res = await analyze(
      analyzeRequest("aws:rds/instance:Instance", "warehouse", goodDatabase(), false),
    );
    expect(diagnostics(res).map((d) => d.policy)).toEqual(["stateful-resources-protected"]);
  });

  test("rejects a secret password in a container env even after the server unwrapped the secret", async () => {
    const props = { image: "connect@sha256:0", envs: SECRET(["DB_PASS=hunter2"]) };
    const res = await analyze(analyzeRequest("docker:index/container:Container", "kayunga-connect", props));
    expect(diagnostics(res)).toEqual([
      {
        policy: "docker-no-secrets-in-env-or-labels",
        level: analyzer.EnforcementLevel.MANDATORY,
        message: expect.stringContaining("env DB_PASS looks like a secret"),
      },
    ]);
  });

  test("reports an advisory VPN finding as advisory", async () => {
    const res = await analyze(
      analyzeRequest("aws:ec2/vpnConnection:VpnConnection", "vpn", {
        type: "ipsec.1",
        tags: { DataClassification: "restricted-health-data", facility: "kayunga" },
      }),
    );
    const levels = new Set(diagnostics(res).map((d) => `${d.policy}:${d.level}`));
    expect([...levels]).toEqual([`vpn-strong-tunnel-options:${analyzer.EnforcementLevel.ADVISORY}`]);
  });

  test("the stack policy finds a parameter group without rds.force_ssl", async () => {
    const resource = (type: string, name: string, props: Record<string, unknown>) =>
      new analyzer.AnalyzerResource()
        .setType(type)
        .setName(name)
        .setUrn(`urn:pulumi:dev::clinicmaster::${type}::${name}`)
        .setProperties(Struct.fromJavaScript(props as never))
        .setOptions(options(true));
    const req = new analyzer.AnalyzeStackRequest().setResourcesList([
      resource("aws:rds/instance:Instance", "warehouse", goodDatabase()),
      resource("aws:rds/parameterGroup:ParameterGroup", "warehouse-pg", {
        ...goodParameterGroup(),
        parameters: [],
      }),
    ]);
    const res = await analyzeStack(req);
    expect(diagnostics(res)).toEqual([
      {
        policy: "rds-force-ssl",
        level: analyzer.EnforcementLevel.MANDATORY,
        message: expect.stringContaining(
          "parameter group `warehouse-pg` has rds.force_ssl=unset; set it to 1.",
        ),
      },
    ]);
  });
});
