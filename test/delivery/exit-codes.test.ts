import {
  PULUMI_EXIT,
  classifyDrift,
  classifyPreview,
  describeExitCode,
  parseExitCode,
  previewFails,
} from "../../infra/delivery/exit-codes";

describe("PULUMI_EXIT", () => {
  test("matches the documented CLI exit codes (pulumi.com/docs/iac/cli/exit-codes)", () => {
    expect(PULUMI_EXIT).toEqual({
      success: 0,
      generic: 1,
      configuration: 2,
      authentication: 3,
      resource: 4,
      policy: 5,
      stackNotFound: 6,
      changesFound: 7,
      cancelled: 8,
      timeout: 9,
      internal: 255,
    });
  });
});

describe("classifyDrift: refresh --preview-only --expect-no-changes", () => {
  test.each([
    [0, "", "clean"],
    [7, "", "drift"],
    [7, "error: no changes were expected but changes occurred", "drift"],
    // CLIs before v3.226.1 exit 255 for everything; their message still tells drift apart.
    [255, "error: no changes were expected but changes occurred", "drift"],
    [255, "panic: runtime error", "error"],
    [1, "", "error"],
    [2, "Stack 'dev' is missing configuration value", "error"],
    [3, "PULUMI_ACCESS_TOKEN must be set for login", "error"],
    [4, "error: reading RDS instance: AccessDenied", "error"],
    [5, "", "error"],
    [6, "no stack named 'ghost' found", "error"],
    [8, "", "error"],
    [9, "", "error"],
    [137, "", "error"],
  ])("exit %i %j → %s", (code, output, kind) => {
    expect(classifyDrift(code, output).kind).toBe(kind);
  });

  test("an error carries the exit code and what it means", () => {
    expect(classifyDrift(3)).toEqual({
      kind: "error",
      exitCode: 3,
      reason: "authentication or authorization error (check the CI secrets)",
    });
  });

  test("the legacy message does not turn other exit codes into drift", () => {
    expect(classifyDrift(4, "no changes were expected but changes occurred").kind).toBe("error");
  });
});

describe("classifyPreview", () => {
  test.each([
    [0, false, "ok", false],
    [0, true, "ok", false],
    [5, false, "policy-violation", true],
    [6, true, "nothing-to-destroy", false],
    [6, false, "error", true],
    [7, false, "error", true],
    [1, false, "error", true],
    [255, true, "error", true],
  ])("exit %i (deleted: %s) → %s, fails: %s", (code, deleted, kind, fails) => {
    const outcome = classifyPreview(code, deleted);
    expect(outcome.kind).toBe(kind);
    expect(previewFails(outcome)).toBe(fails);
  });

  // What v3.274.0 prints and returns for a mandatory violation (test/e2e/engine.test.ts sees it live).
  const refused = [
    "Policies:",
    "    ❌ clinicmaster-cdc@v0.1.0 (local: /work/main/policy)",
    "        - [mandatory] [severity: high]  kafka-topic-durability  (kafka:index:Topic: clinicmaster-local-kafka-objects-dlq)",
    "          Every topic must have replication factor >= 3 and min.insync.replicas >= 2.",
    "Diagnostics:",
    "  pulumi:pulumi:Stack (clinicmaster-platform-local):",
    "    error: preview failed",
  ].join("\n");

  test("exit 1 with a mandatory violation printed is a policy violation; exit 1 without one is an error", () => {
    expect(classifyPreview(1, false, refused)).toEqual({ kind: "policy-violation" });
    expect(classifyPreview(1, false, refused.replace("[mandatory]", "[advisory]")).kind).toBe("error");
    expect(classifyPreview(1, false, "error: could not load plugin").kind).toBe("error");
    expect(classifyPreview(255, false, refused).kind).toBe("error");
  });
});

describe("parseExitCode", () => {
  test.each([
    ["0", 0],
    ["7", 7],
    [" 255 ", 255],
  ])("reads %j", (raw, code) => {
    expect(parseExitCode(raw)).toBe(code);
  });

  test.each([[undefined], [""], ["-1"], ["256"], ["seven"], ["7.0"]])("rejects %j", (raw) => {
    expect(() => parseExitCode(raw)).toThrow(/is not a process exit code \(0–255\)/);
  });
});

test("describeExitCode names unknown codes", () => {
  expect(describeExitCode(42)).toBe("unexpected exit code 42");
  expect(describeExitCode(5)).toBe("policy violation");
});
