import { execFileSync } from "node:child_process";
import type { DriftOutcome, PreviewOutcome } from "./exit-codes";
import type { Project, StackStatus } from "./stacks";

/** Runs the GitHub CLI with arguments and optional stdin; returns its stdout. Tests pass a fake. */
export type GhRunner = (args: string[], input?: string) => string;

/** The real `gh`, authenticated by `GH_TOKEN` in the workflow. Throws with gh's stderr if it fails. */
export const runGh: GhRunner = (args, input) => {
  try {
    return execFileSync("gh", args, { encoding: "utf8", input, stdio: ["pipe", "pipe", "pipe"] });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`gh ${args.slice(0, 2).join(" ")} failed: ${(err.stderr || err.message).trim()}`);
  }
};

/** GitHub rejects issue and comment bodies over 65,536 characters. */
export const GITHUB_BODY_LIMIT = 65_536;
/** Room left in a body for the text around the log. */
const LOG_BUDGET = GITHUB_BODY_LIMIT - 4_000;

/** Identifies one stack in comments, issues and labels. */
export interface StackId {
  project: Project;
  stack: string;
}

const stackName = (s: StackId) => `${s.project}/${s.stack}`;

/** Hidden marker that finds a stack's PR comment again, so each stack has exactly one. */
export const previewMarker = (s: StackId) => `<!-- clinicmaster-preview: ${stackName(s)} -->`;

/** Labels of a stack's drift tracking issue: all drift issues share `drift`, each stack has its own. */
export const driftLabels = (s: StackId): [string, string] => ["drift", `stack:${stackName(s)}`];

const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;

/**
 * Makes CLI output fit a GitHub body: strips colour codes and, if too long, keeps the head (the diff
 * starts there) and the tail (the summary and any error), saying how many lines were left out.
 */
export function fitLog(log: string, budget = LOG_BUDGET): string {
  const clean = log.replace(ANSI, "").replace(/\r\n/g, "\n").trimEnd();
  if (clean.length <= budget) return clean;
  const lines = clean.split("\n");
  const markerRoom = 120;
  const head: string[] = [];
  let used = 0;
  for (const line of lines) {
    if (used + line.length + 1 > budget / 3) break;
    head.push(line);
    used += line.length + 1;
  }
  const tail: string[] = [];
  for (let k = lines.length - 1; k >= head.length; k--) {
    if (used + lines[k].length + 1 > budget - markerRoom) break;
    tail.unshift(lines[k]);
    used += lines[k].length + 1;
  }
  const omitted = lines.length - head.length - tail.length;
  const marker = `… ${omitted} line${omitted === 1 ? "" : "s"} left out; the full log is in the workflow run …`;
  // Lines longer than the budget: show the start of the output rather than only the marker.
  if (head.length === 0)
    return `${clean.slice(0, Math.max(0, budget - marker.length - 1))}\n${marker}`.slice(0, budget);
  return [...head, marker, ...tail].join("\n").slice(0, budget);
}

/** A fenced block that a log containing backticks cannot break out of. */
function fence(text: string, lang = "diff"): string {
  const longest = Math.max(2, ...(text.match(/`+/g) ?? []).map((m) => m.length));
  const f = "`".repeat(longest + 1);
  return `${f}${lang}\n${text}\n${f}`;
}

/** Inputs of a PR comment for one stack. */
export interface PreviewCommentInput extends StackId {
  status: StackStatus;
  outcome: PreviewOutcome;
  log: string;
  /** Link to the workflow run with the full log. */
  runUrl?: string;
  /** Commit the preview ran on. */
  sha?: string;
}

/** The PR comment body for one stack's preview. */
export function renderPreviewComment(input: PreviewCommentInput): string {
  const { outcome } = input;
  const verb = input.status === "deleted" ? "destroy preview" : "preview";
  const headline =
    outcome.kind === "ok"
      ? input.status === "deleted"
        ? "the stack's config file is deleted; merging destroys everything below"
        : "preview passed; no mandatory policy violations"
      : outcome.kind === "nothing-to-destroy"
        ? "the stack's config file is deleted and the stack was never created; nothing to destroy"
        : outcome.kind === "policy-violation"
          ? "**mandatory policy violation**: fix the resources named below before merging"
          : `**preview failed**: ${outcome.reason} (exit ${outcome.exitCode})`;
  const icon = outcome.kind === "ok" || outcome.kind === "nothing-to-destroy" ? "✅" : "❌";
  const lines = [
    previewMarker(input),
    `### ${icon} Pulumi ${verb}: \`${stackName(input)}\`${input.status === "added" ? " (new stack)" : ""}`,
    "",
    headline,
    "",
    fence(fitLog(input.log)),
    "",
    [
      input.sha ? `commit ${input.sha.slice(0, 12)}` : "",
      input.runUrl ? `[workflow run](${input.runUrl})` : "",
    ]
      .filter(Boolean)
      .join(" · "),
  ];
  return lines.join("\n").trimEnd() + "\n";
}

/** Creates the stack's PR comment, or edits it in place when it exists. Returns what it did. */
export function upsertPrComment(
  gh: GhRunner,
  repo: string,
  pr: number,
  id: StackId,
  body: string,
): "created" | "updated" {
  const marker = previewMarker(id);
  const found = gh([
    "api",
    "--paginate",
    `repos/${repo}/issues/${pr}/comments`,
    "--jq",
    `.[] | select(.body | contains(${JSON.stringify(marker)})) | .id`,
  ])
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  const payload = JSON.stringify({ body });
  if (found.length > 0) {
    gh(["api", "-X", "PATCH", `repos/${repo}/issues/comments/${found[0]}`, "--input", "-"], payload);
    return "updated";
  }
  gh(["api", "-X", "POST", `repos/${repo}/issues/${pr}/comments`, "--input", "-"], payload);
  return "created";
}

/** What to do with a stack's drift tracking issue. */
export type IssueAction = "create" | "update" | "close" | "none";

/**
 * Drift opens an issue or updates the open one; a clean stack closes it; an error leaves it alone,
 * because a failed check says nothing about whether the drift was fixed.
 */
export function planDriftIssue(outcome: DriftOutcome, openIssue: number | undefined): IssueAction {
  switch (outcome.kind) {
    case "drift":
      return openIssue === undefined ? "create" : "update";
    case "clean":
      return openIssue === undefined ? "none" : "close";
    case "error":
      return "none";
  }
}

/** Title of a stack's drift tracking issue. */
export const driftTitle = (s: StackId) =>
  `Drift: ${s.project} stack \`${s.stack}\` differs from its Pulumi state`;

/** Body of a stack's drift tracking issue, rewritten on every nightly run that still finds drift. */
export function renderDriftIssue(
  input: StackId & { log: string; runUrl?: string; checkedAt?: string },
): string {
  const cwd = input.project === "facility" ? " --cwd facilities" : "";
  return [
    `The nightly drift check found resources of \`${stackName(input)}\` that no longer match the stack's state:`,
    "someone or something changed them outside Pulumi.",
    "",
    fence(fitLog(input.log)),
    "",
    "To fix: either bring the code in line and deploy, or revert the manual change. To inspect:",
    "",
    fence(`pulumi refresh --preview-only --diff --stack ${input.stack}${cwd}`, "sh"),
    "",
    "This issue closes itself when the stack is clean again.",
    "",
    [
      input.checkedAt ? `last checked ${input.checkedAt}` : "",
      input.runUrl ? `[workflow run](${input.runUrl})` : "",
    ]
      .filter(Boolean)
      .join(" · "),
  ]
    .join("\n")
    .trimEnd()
    .concat("\n");
}

/** Opens, updates or closes the stack's drift issue as {@link planDriftIssue} says; returns the action. */
export function syncDriftIssue(
  gh: GhRunner,
  repo: string,
  id: StackId,
  outcome: DriftOutcome,
  body: string,
  runUrl?: string,
): { action: IssueAction; issue?: number } {
  if (outcome.kind === "error") return { action: "none" };
  const [all, own] = driftLabels(id);
  const open = gh([
    "issue",
    "list",
    "--repo",
    repo,
    "--state",
    "open",
    "--label",
    all,
    "--label",
    own,
    "--json",
    "number",
    "--jq",
    ".[].number",
  ])
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .map(Number)
    .sort((a, b) => a - b);
  const issue = open[0];
  const action = planDriftIssue(outcome, issue);
  const run = runUrl ? ` ([workflow run](${runUrl}))` : "";
  switch (action) {
    case "create": {
      gh([
        "label",
        "create",
        all,
        "--repo",
        repo,
        "--color",
        "D93F0B",
        "--description",
        "Infrastructure drift",
        "--force",
      ]);
      gh([
        "label",
        "create",
        own,
        "--repo",
        repo,
        "--color",
        "FBCA04",
        "--description",
        `Pulumi stack ${stackName(id)}`,
        "--force",
      ]);
      const url = gh(
        [
          "issue",
          "create",
          "--repo",
          repo,
          "--title",
          driftTitle(id),
          "--label",
          all,
          "--label",
          own,
          "--body-file",
          "-",
        ],
        body,
      ).trim();
      const n = Number(/\/issues\/(\d+)/.exec(url)?.[1]);
      return { action, issue: Number.isFinite(n) ? n : undefined };
    }
    case "update":
      gh(["issue", "edit", String(issue), "--repo", repo, "--body-file", "-"], body);
      gh(["issue", "comment", String(issue), "--repo", repo, "--body", `Still drifting${run}.`]);
      return { action, issue };
    case "close":
      gh(["issue", "close", String(issue), "--repo", repo, "--comment", `The stack is clean again${run}.`]);
      return { action, issue };
    default:
      return { action };
  }
}
