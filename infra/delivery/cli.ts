/**
 * `npm run stacks -- <command>`: the one place CI learns which stacks exist and which a change touches.
 *
 *   list [--json]                      every stack with a config file
 *   rules                              the change-mapping rules, in order
 *   matrix [--all | --name-status F | --changed-files F] [--project P] [--follow-platform]
 *          [--github-output [--output-name N]]
 *                                      the CI matrix of affected stacks (F = file, or - for stdin); with
 *                                      --github-output also the step outputs N and N-count (N = matrix)
 *   pulumi-version                     the Pulumi CLI version CI installs (= @pulumi/pulumi in package.json)
 *   preview-report --project P --stack S --status ST --exit-code N --log F [--pr N --repo R] [--run-url U] [--sha C]
 *                                      classify a preview, post or update the stack's PR comment; exit 1 if it failed
 *   drift-report --project P --stack S --exit-code N --log F [--repo R --sync-issue] [--run-url U] [--github-output]
 *                                      classify a drift check, open/update/close the stack's issue; exit 1 on error
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { REPO_ROOT } from "../config/stackfiles";
import { MIN_PULUMI_CLI, classifyDrift, classifyPreview, parseExitCode, previewFails } from "./exit-codes";
import {
  type GhRunner,
  renderDriftIssue,
  renderPreviewComment,
  runGh,
  syncDriftIssue,
  upsertPrComment,
} from "./github";
import {
  CHANGE_RULES,
  type FileChange,
  type Project,
  type StackStatus,
  affectedStacks,
  allStacks,
  discoverStacks,
  parseChangedFiles,
  parseNameStatus,
  toMatrix,
} from "./stacks";

/** What the CLI touches outside its arguments; tests replace every part. */
export interface CliIo {
  root: string;
  env: NodeJS.ProcessEnv;
  out: (line: string) => void;
  err: (line: string) => void;
  /** Reads a file argument; `-` is stdin. */
  read: (file: string) => string;
  gh: GhRunner;
  now: () => Date;
}

const defaultIo: CliIo = {
  root: REPO_ROOT,
  env: process.env,
  out: (l) => process.stdout.write(l + "\n"),
  err: (l) => process.stderr.write(l + "\n"),
  read: (f) => fs.readFileSync(f === "-" ? 0 : f, "utf8"),
  gh: runGh,
  now: () => new Date(),
};

/** A usage error: the message says what was wrong and what to pass instead. */
class UsageError extends Error {}

const PROJECTS: readonly Project[] = ["platform", "facility"];
const STATUSES: readonly StackStatus[] = ["present", "added", "deleted"];

function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[]): T {
  if (value === undefined || !(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`--${name} ${JSON.stringify(value ?? null)} is not one of ${allowed.join(", ")}`);
  }
  return value as T;
}

function required(name: string, value: string | undefined): string {
  if (value === undefined || value === "") throw new UsageError(`--${name} is required`);
  return value;
}

/** Appends `key=value` lines to the file GitHub Actions reads step outputs from. */
function writeGithubOutput(io: CliIo, values: Record<string, string>): void {
  const file = io.env.GITHUB_OUTPUT;
  if (!file)
    throw new UsageError(
      "--github-output needs the GITHUB_OUTPUT environment variable (set by GitHub Actions)",
    );
  fs.appendFileSync(
    file,
    Object.entries(values)
      .map(([k, v]) => `${k}=${v}\n`)
      .join(""),
  );
}

function matrixCommand(args: string[], io: CliIo): number {
  const { values } = parseArgs({
    args,
    options: {
      all: { type: "boolean", default: false },
      "name-status": { type: "string" },
      "changed-files": { type: "string" },
      project: { type: "string" },
      "follow-platform": { type: "boolean", default: false },
      "github-output": { type: "boolean", default: false },
      "output-name": { type: "string", default: "matrix" },
    },
  });
  const sources = [values.all, values["name-status"] !== undefined, values["changed-files"] !== undefined];
  if (sources.filter(Boolean).length !== 1) {
    throw new UsageError("matrix needs exactly one of --all, --name-status <file> or --changed-files <file>");
  }
  const project = values.project === undefined ? undefined : oneOf("project", values.project, PROJECTS);
  const stacks = discoverStacks(io.root);
  let changes: FileChange[] = [];
  if (values["name-status"] !== undefined) changes = parseNameStatus(io.read(values["name-status"]));
  if (values["changed-files"] !== undefined)
    changes = parseChangedFiles(io.read(values["changed-files"]), io.root);
  const affected = values.all
    ? allStacks(stacks)
    : affectedStacks(changes, stacks, { followPlatform: values["follow-platform"] }, io.root);
  const matrix = toMatrix(affected, project);
  const json = JSON.stringify(matrix);
  for (const s of affected.filter((a) => project === undefined || a.project === project)) {
    io.err(`${s.project}/${s.stack} (${s.status}): ${s.reasons.join(", ")}`);
  }
  if (!values.all && affected.length === 0)
    io.err(`no stack is touched by ${changes.length} changed path(s)`);
  if (values["github-output"]) {
    const name = values["output-name"];
    if (!/^[a-z][a-z0-9-]*$/.test(name))
      throw new UsageError(
        `--output-name ${JSON.stringify(name)} must be lower-case letters, digits and dashes`,
      );
    writeGithubOutput(io, { [name]: json, [`${name}-count`]: String(matrix.include.length) });
  }
  io.out(json);
  return 0;
}

function listCommand(args: string[], io: CliIo): number {
  const { values } = parseArgs({ args, options: { json: { type: "boolean", default: false } } });
  const stacks = discoverStacks(io.root);
  if (values.json) io.out(JSON.stringify(stacks));
  else for (const s of stacks) io.out(`${s.project}\t${s.stack}\t${s.file}`);
  return 0;
}

function rulesCommand(io: CliIo): number {
  for (const r of CHANGE_RULES) io.out(`${r.pattern.source}\t${r.scope}\t${r.why}`);
  io.out(`(anything else)\tall\tunknown paths preview every stack`);
  return 0;
}

function pulumiVersionCommand(io: CliIo): number {
  const pkg = JSON.parse(fs.readFileSync(path.join(io.root, "package.json"), "utf8")) as {
    dependencies?: Record<string, string>;
  };
  const v = pkg.dependencies?.["@pulumi/pulumi"];
  if (!v || !/^\d+\.\d+\.\d+$/.test(v)) {
    throw new UsageError(
      `package.json pins @pulumi/pulumi to ${JSON.stringify(v ?? null)}; CI installs the same CLI version, so pin an exact x.y.z`,
    );
  }
  const [major, minor, patch] = v.split(".").map(Number);
  const [minMajor, minMinor, minPatch] = MIN_PULUMI_CLI.split(".").map(Number);
  if (major !== minMajor || minor < minMinor || (minor === minMinor && patch < minPatch)) {
    throw new UsageError(
      `package.json pins @pulumi/pulumi ${v}; CI installs the same CLI version and needs ${MIN_PULUMI_CLI} or a later 3.x ` +
        "(exit code 7 for drift, no stack lock for refresh --preview-only)",
    );
  }
  io.out(v);
  return 0;
}

const stackOptions = {
  project: { type: "string" },
  stack: { type: "string" },
  "exit-code": { type: "string" },
  log: { type: "string" },
  repo: { type: "string" },
  "run-url": { type: "string" },
  "github-output": { type: "boolean", default: false },
} as const;

function previewReportCommand(args: string[], io: CliIo): number {
  const { values } = parseArgs({
    args,
    options: { ...stackOptions, status: { type: "string" }, pr: { type: "string" }, sha: { type: "string" } },
  });
  const project = oneOf("project", values.project, PROJECTS);
  const stack = required("stack", values.stack);
  const status = oneOf("status", values.status, STATUSES);
  const exitCode = parseExitCode(values["exit-code"]);
  const log = io.read(required("log", values.log));
  const outcome = classifyPreview(exitCode, status === "deleted", log);
  const body = renderPreviewComment({
    project,
    stack,
    status,
    outcome,
    log,
    runUrl: values["run-url"],
    sha: values.sha,
  });
  if (values.pr !== undefined) {
    const pr = Number(values.pr);
    if (!Number.isInteger(pr) || pr <= 0)
      throw new UsageError(`--pr ${JSON.stringify(values.pr)} is not a pull request number`);
    const action = upsertPrComment(
      io.gh,
      required("repo", values.repo ?? io.env.GITHUB_REPOSITORY),
      pr,
      { project, stack },
      body,
    );
    io.err(`PR #${pr}: ${action} the comment for ${project}/${stack}`);
  } else {
    io.out(body);
  }
  if (values["github-output"]) writeGithubOutput(io, { outcome: outcome.kind });
  io.err(`${project}/${stack}: ${outcome.kind}${outcome.kind === "error" ? ` (${outcome.reason})` : ""}`);
  return previewFails(outcome) ? 1 : 0;
}

function driftReportCommand(args: string[], io: CliIo): number {
  const { values } = parseArgs({
    args,
    options: { ...stackOptions, "sync-issue": { type: "boolean", default: false } },
  });
  const project = oneOf("project", values.project, PROJECTS);
  const stack = required("stack", values.stack);
  const exitCode = parseExitCode(values["exit-code"]);
  const log = io.read(required("log", values.log));
  const outcome = classifyDrift(exitCode, log);
  const id = { project, stack };
  if (values["sync-issue"]) {
    const repo = required("repo", values.repo ?? io.env.GITHUB_REPOSITORY);
    const body = renderDriftIssue({
      ...id,
      log,
      runUrl: values["run-url"],
      checkedAt: io.now().toISOString(),
    });
    const { action, issue } = syncDriftIssue(io.gh, repo, id, outcome, body, values["run-url"]);
    io.err(`${project}/${stack}: drift issue ${action}${issue === undefined ? "" : ` #${issue}`}`);
  }
  if (values["github-output"]) writeGithubOutput(io, { outcome: outcome.kind });
  switch (outcome.kind) {
    case "clean":
      io.out(`${project}/${stack}: clean`);
      return 0;
    case "drift":
      // A workflow annotation makes drift visible on the run page without failing the nightly job.
      io.out(
        `::warning title=Drift in ${project}/${stack}::resources differ from the stack's state; see the drift issue`,
      );
      return 0;
    case "error":
      io.out(
        `::error title=Drift check failed for ${project}/${stack}::${outcome.reason} (exit ${outcome.exitCode})`,
      );
      return 1;
  }
}

/** Runs one CLI command; returns the process exit code (2 for usage errors). */
export function run(argv: string[], io: CliIo = defaultIo): number {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "list":
        return listCommand(rest, io);
      case "rules":
        return rulesCommand(io);
      case "matrix":
        return matrixCommand(rest, io);
      case "pulumi-version":
        return pulumiVersionCommand(io);
      case "preview-report":
        return previewReportCommand(rest, io);
      case "drift-report":
        return driftReportCommand(rest, io);
      default:
        throw new UsageError(
          `unknown command ${JSON.stringify(command ?? "")}; use list, rules, matrix, pulumi-version, preview-report or drift-report`,
        );
    }
  } catch (e) {
    const usage = e instanceof UsageError || (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
    io.err(`stacks ${command ?? ""}: ${(e as Error).message}`);
    return usage ? 2 : 1;
  }
}

if (require.main === module) {
  process.exitCode = run(process.argv.slice(2));
}
