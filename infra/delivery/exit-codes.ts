/**
 * Pulumi CLI exit codes, as documented at https://www.pulumi.com/docs/iac/cli/exit-codes/ (stable
 * since CLI v3.226.1; older CLIs exit 255 for every failure, including unmet `--expect-no-changes`).
 */
export const PULUMI_EXIT = {
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
} as const;

/** Oldest CLI whose exit codes this module relies on: v3.226.1 mapped exit codes, v3.229.0 stopped
 * `refresh --preview-only` from taking the DIY backend's stack lock. */
export const MIN_PULUMI_CLI = "3.229.0";

/** The message older CLIs print when `--expect-no-changes` finds changes. */
const LEGACY_CHANGES_MESSAGE = "no changes were expected but changes occurred";

/** Outcome of `pulumi refresh --preview-only --expect-no-changes` for one stack. */
export type DriftOutcome =
  { kind: "clean" } | { kind: "drift" } | { kind: "error"; exitCode: number; reason: string };

/** A short description of a non-zero Pulumi exit code, for logs and comments. */
export function describeExitCode(code: number): string {
  switch (code) {
    case PULUMI_EXIT.generic:
      return "generic error";
    case PULUMI_EXIT.configuration:
      return "configuration or validation error";
    case PULUMI_EXIT.authentication:
      return "authentication or authorization error (check the CI secrets)";
    case PULUMI_EXIT.resource:
      return "resource or deployment error";
    case PULUMI_EXIT.policy:
      return "policy violation";
    case PULUMI_EXIT.stackNotFound:
      return "stack not found in the backend";
    case PULUMI_EXIT.changesFound:
      return "changes found where none were expected";
    case PULUMI_EXIT.cancelled:
      return "cancelled";
    case PULUMI_EXIT.timeout:
      return "timed out";
    case PULUMI_EXIT.internal:
      return "internal CLI error";
    default:
      return `unexpected exit code ${code}`;
  }
}

/** Parses an exit code argument (`"7"`); throws with the value on anything else. */
export function parseExitCode(raw: string | undefined): number {
  if (raw === undefined || !/^\d{1,3}$/.test(raw.trim()) || Number(raw) > 255) {
    throw new Error(
      `exit code ${JSON.stringify(raw)} is not a process exit code (0–255); pass --exit-code <n>`,
    );
  }
  return Number(raw);
}

/**
 * Classifies a drift check: 0 is clean, 7 is drift, anything else is an error that must not be
 * mistaken for either (a failed login says nothing about the infrastructure). `output` lets a
 * pre-3.226.1 CLI's exit 255 count as drift when it printed the "changes occurred" message.
 */
export function classifyDrift(exitCode: number, output = ""): DriftOutcome {
  if (exitCode === PULUMI_EXIT.success) return { kind: "clean" };
  if (exitCode === PULUMI_EXIT.changesFound) return { kind: "drift" };
  if (exitCode === PULUMI_EXIT.internal && output.includes(LEGACY_CHANGES_MESSAGE)) return { kind: "drift" };
  return { kind: "error", exitCode, reason: describeExitCode(exitCode) };
}

/** Outcome of a PR preview (`pulumi preview`, or `pulumi destroy --preview-only` for a deleted stack). */
export type PreviewOutcome =
  | { kind: "ok" }
  | { kind: "nothing-to-destroy" }
  | { kind: "policy-violation" }
  | { kind: "error"; exitCode: number; reason: string };

/**
 * A mandatory policy violation as the CLI prints it under `Policies:`
 * (`- [mandatory] [severity: high]  kafka-topic-durability  (kafka:index:Topic: …)`).
 */
const MANDATORY_VIOLATION = /^\s*- \[mandatory\]/m;

/**
 * Classifies a preview: 0 passes; a mandatory policy violation fails as such; for a deleted stack, 6
 * (the stack was never created in the backend) means there is nothing to destroy; anything else
 * fails. Exit code 5 is documented for policy violations, but the CLI (checked with v3.274.0, whose
 * `ExitCodeFor` has no case for it) exits 1 after printing the violations, so exit 1 with a
 * mandatory violation in `output` is a policy violation too.
 */
export function classifyPreview(exitCode: number, deleted: boolean, output = ""): PreviewOutcome {
  if (exitCode === PULUMI_EXIT.success) return { kind: "ok" };
  if (exitCode === PULUMI_EXIT.policy) return { kind: "policy-violation" };
  if (exitCode === PULUMI_EXIT.generic && MANDATORY_VIOLATION.test(output))
    return { kind: "policy-violation" };
  if (deleted && exitCode === PULUMI_EXIT.stackNotFound) return { kind: "nothing-to-destroy" };
  return { kind: "error", exitCode, reason: describeExitCode(exitCode) };
}

/** Whether the CI job should fail for a preview outcome. */
export function previewFails(outcome: PreviewOutcome): boolean {
  return outcome.kind === "policy-violation" || outcome.kind === "error";
}
