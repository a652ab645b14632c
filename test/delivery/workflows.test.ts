/**
 * Structural checks of the workflows that actionlint cannot know: pinned actions, least privilege,
 * the stack list coming only from `npm run stacks`, drift never writing state.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { REPO_ROOT } from "../../infra/config/stackfiles";
import { discoverStacks } from "../../infra/delivery/stacks";

const DIR = path.join(REPO_ROOT, ".github", "workflows");
const NAMES = ["preview", "drift", "deploy"] as const;

interface Step {
  id?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  if?: string;
}
interface Job {
  permissions?: Record<string, string>;
  strategy?: { matrix?: unknown };
  concurrency?: { group: string };
  environment?: string;
  needs?: string | string[];
  if?: string;
  steps?: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}

const text = (name: string) => fs.readFileSync(path.join(DIR, `${name}.yml`), "utf8");
const workflow = (name: string) => parse(text(name)) as Workflow;
const steps = (wf: Workflow) => Object.values(wf.jobs).flatMap((j) => j.steps ?? []);
const runs = (wf: Workflow) =>
  steps(wf)
    .map((s) => s.run ?? "")
    .join("\n");

describe.each(NAMES)("%s.yml", (name) => {
  const wf = workflow(name);

  test("pins every action to a full commit SHA with its version in a comment", () => {
    const uses = text(name)
      .split("\n")
      .filter((l) => /^\s*(- )?uses:/.test(l));
    expect(uses.length).toBeGreaterThan(0);
    for (const line of uses) {
      expect(line).toMatch(/uses: [\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
    }
  });

  test("grants nothing by default and declares each job's permissions", () => {
    expect(wf.permissions).toEqual({});
    for (const [id, job] of Object.entries(wf.jobs)) {
      expect([id, job.permissions]).toEqual([id, expect.any(Object)]);
    }
  });

  test("takes its stacks from `npm run stacks -- matrix`, never from a list of its own", () => {
    expect(runs(wf)).toMatch(/npm run stacks -- matrix /);
    const body = text(name);
    for (const s of discoverStacks()) expect(body).not.toMatch(new RegExp(`\\b${s.stack}\\b`));
    for (const job of Object.values(wf.jobs).filter((j) => j.strategy?.matrix !== undefined)) {
      expect(job.strategy!.matrix).toMatch(/^\$\{\{ fromJSON\(needs\.plan\.outputs\.[a-z-]+\) \}\}$/);
      expect(job.concurrency?.group).toMatch(/\$\{\{ matrix\.project \}\}-\$\{\{ matrix\.stack \}\}$/);
    }
  });

  test("calls only npm scripts that exist", () => {
    const scripts = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")).scripts;
    const called = [...text(name).matchAll(/npm run (?:--silent )?([\w:-]+)/g)].map((m) => m[1]);
    expect(called.length).toBeGreaterThan(0);
    for (const s of called) expect(Object.keys(scripts)).toContain(s);
  });

  test("uses pulumi/actions only to install the CLI, at the version of package.json", () => {
    const pulumi = steps(wf).filter((s) => s.uses?.startsWith("pulumi/actions@"));
    expect(pulumi.length).toBeGreaterThan(0);
    for (const s of pulumi) {
      expect(s.with).toEqual({ "pulumi-version": "${{ needs.plan.outputs.pulumi-version }}" });
    }
  });

  test("reads AWS credentials through OIDC, never stored keys", () => {
    const aws = steps(wf).filter((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"));
    expect(aws.length).toBeGreaterThan(0);
    for (const s of aws) {
      expect(s.with?.["role-to-assume"]).toMatch(/^\$\{\{ secrets\.AWS_[A-Z_]+_ROLE_ARN \}\}$/);
      expect(Object.keys(s.with ?? {})).not.toContain("aws-access-key-id");
    }
    for (const job of Object.values(wf.jobs).filter((j) =>
      j.steps?.some((s) => s.uses?.startsWith("aws-actions/")),
    )) {
      expect(job.permissions?.["id-token"]).toBe("write");
    }
  });
});

describe("preview.yml", () => {
  const wf = workflow("preview");
  test("runs on pull requests, previews with refresh, diff and the policy pack and its config", () => {
    expect(Object.keys(wf.on)).toEqual(["pull_request"]);
    expect(runs(wf)).toMatch(/pulumi preview --refresh "\$\{common\[@\]\}"/);
    expect(runs(wf)).toContain('--policy-pack "$GITHUB_WORKSPACE/policy"');
    expect(runs(wf)).toContain('--policy-pack-config "$GITHUB_WORKSPACE/policy/policy-config.json"');
    expect(runs(wf)).toMatch(/common=\(.*--diff/);
    expect(runs(wf)).toContain("pulumi destroy --preview-only");
  });
  test("comments once per stack through preview-report, which fails the job on violations", () => {
    expect(runs(wf)).toMatch(/npm run stacks -- preview-report/);
    expect(wf.jobs.preview.permissions).toEqual({
      contents: "read",
      "id-token": "write",
      "pull-requests": "write",
    });
  });
});

describe("drift.yml", () => {
  const wf = workflow("drift");
  test("runs nightly and on demand", () => {
    expect(Object.keys(wf.on).sort()).toEqual(["schedule", "workflow_dispatch"]);
  });
  test("checks every stack with a preview-only refresh that expects no changes, and never writes state", () => {
    expect(runs(wf)).toMatch(/npm run stacks -- matrix --all/);
    expect(runs(wf)).toMatch(/pulumi refresh --preview-only --expect-no-changes/);
    expect(runs(wf)).not.toMatch(/pulumi (up|refresh (?!--preview-only))/);
    expect(runs(wf)).toMatch(/npm run stacks -- drift-report[\s\S]*--sync-issue/);
    expect(wf.jobs.drift.permissions).toEqual({ contents: "read", "id-token": "write", issues: "write" });
  });
});

describe("deploy.yml", () => {
  const wf = workflow("deploy");
  test("deploys on push to main, platform first, then facilities, behind a protected environment", () => {
    expect(wf.on).toEqual({ push: { branches: ["main"] }, workflow_dispatch: null });
    expect(wf.jobs.facilities.needs).toEqual(["plan", "platform"]);
    expect(wf.jobs.facilities.if).toMatch(
      /needs\.platform\.result == 'success' \|\| needs\.platform\.result == 'skipped'/,
    );
    expect(wf.jobs.platform.environment).toBe("infrastructure");
    expect(wf.jobs.facilities.environment).toBe("infrastructure");
    expect(wf.jobs.platform.strategy!.matrix).toContain("needs.plan.outputs.platform");
    expect(wf.jobs.facilities.strategy!.matrix).toContain("needs.plan.outputs.facility");
  });
  test("facilities follow changed platform stacks", () => {
    expect(runs(wf)).toContain("--follow-platform");
  });
});

describe("the pulumi steps' shell scripts, run with a fake pulumi", () => {
  /** Runs a step's `run:` script under bash as Actions does, with `pulumi` replaced by a recorder. */
  function runStep(script: string, env: Record<string, string>, fakeExit: number) {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "wf-step-"));
    try {
      const bin = path.join(tmp, "bin");
      fs.mkdirSync(bin);
      const calls = path.join(tmp, "calls");
      fs.writeFileSync(
        path.join(bin, "pulumi"),
        `#!/usr/bin/env bash\nprintf '%s\\n' "$*" >> "${calls}"\necho "fake pulumi output: $1"\necho "to stderr" >&2\n` +
          `[ "$1 $2" = "stack select" ] && exit 0\nexit ${fakeExit}\n`,
        { mode: 0o755 },
      );
      const output = path.join(tmp, "output");
      fs.writeFileSync(output, "");
      const res = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", script], {
        encoding: "utf8",
        env: {
          PATH: `${bin}:${process.env.PATH}`,
          RUNNER_TEMP: tmp,
          GITHUB_OUTPUT: output,
          GITHUB_WORKSPACE: "/ws",
          ...env,
        },
      });
      const outputs = Object.fromEntries(
        fs
          .readFileSync(output, "utf8")
          .split("\n")
          .filter(Boolean)
          .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
      );
      const log = outputs.log && fs.existsSync(outputs.log) ? fs.readFileSync(outputs.log, "utf8") : "";
      return { status: res.status, outputs, log, calls: fs.readFileSync(calls, "utf8").trim().split("\n") };
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
  const stepById = (name: string, id: string) => {
    const step = steps(workflow(name)).find((s) => s.id === id);
    if (!step?.run) throw new Error(`${name}.yml has no step with id ${id}`);
    return step.run;
  };

  test.each([0, 5, 255])("preview: pulumi exit %i is captured, not fatal, with the log", (code) => {
    const r = runStep(
      stepById("preview", "pulumi"),
      { STACK: "s1", DIR: "facilities", STATUS: "present" },
      code,
    );
    expect(r.status).toBe(0);
    expect(r.outputs["exit-code"]).toBe(String(code));
    expect(r.log).toContain("fake pulumi output: preview");
    expect(r.log).toContain("to stderr");
    expect(r.calls[0]).toBe("stack select --create s1 --cwd facilities --non-interactive");
    expect(r.calls[1]).toBe(
      "preview --refresh --stack s1 --cwd facilities --non-interactive --color never --diff --suppress-progress " +
        "--suppress-outputs --policy-pack /ws/policy --policy-pack-config /ws/policy/policy-config.json",
    );
  });

  test("preview: a deleted stack gets a destroy preview and no stack creation", () => {
    const r = runStep(
      stepById("preview", "pulumi"),
      { STACK: "s1", DIR: "facilities", STATUS: "deleted" },
      0,
    );
    expect(r.calls).toEqual([
      "destroy --preview-only --stack s1 --cwd facilities --non-interactive --color never --diff --suppress-progress --suppress-outputs",
    ]);
  });

  test.each([0, 7, 3])("drift: refresh exit %i reaches drift-report", (code) => {
    const r = runStep(stepById("drift", "refresh"), { STACK: "s1", DIR: "." }, code);
    expect(r.status).toBe(0);
    expect(r.outputs["exit-code"]).toBe(String(code));
    expect(r.calls).toEqual([
      "refresh --preview-only --expect-no-changes --diff --stack s1 --cwd . --non-interactive --color never " +
        "--suppress-progress --suppress-outputs",
    ]);
    expect(r.log).toContain("fake pulumi output: refresh");
  });
});
