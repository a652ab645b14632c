import type { DriftOutcome } from "../../infra/delivery/exit-codes";
import {
  GITHUB_BODY_LIMIT,
  type GhRunner,
  driftLabels,
  driftTitle,
  fitLog,
  planDriftIssue,
  previewMarker,
  renderDriftIssue,
  renderPreviewComment,
  syncDriftIssue,
  upsertPrComment,
} from "../../infra/delivery/github";

/** A fake `gh`: records every call and answers from a table keyed by the first two arguments. */
function fakeGh(answers: Record<string, string> = {}) {
  const calls: { args: string[]; input?: string }[] = [];
  const gh: GhRunner = (args, input) => {
    calls.push({ args, input });
    return answers[args.slice(0, 2).join(" ")] ?? answers[args[0]] ?? "";
  };
  return { gh, calls, verbs: () => calls.map((c) => c.args.slice(0, 3).join(" ")) };
}

const kayunga = { project: "facility" as const, stack: "kayunga" };

describe("fitLog", () => {
  test("leaves a short log alone, minus colour codes and trailing space", () => {
    expect(fitLog("\u001b[32m+ create\u001b[0m bucket\r\n\n")).toBe("+ create bucket");
  });

  test("keeps the head and the tail of a long log within the budget and says what it left out", () => {
    const lines = Array.from({ length: 5000 }, (_, i) => `line ${i} ${"x".repeat(40)}`);
    const fitted = fitLog(lines.join("\n"), 10_000);
    expect(fitted.length).toBeLessThanOrEqual(10_000);
    expect(fitted.startsWith("line 0 ")).toBe(true);
    expect(fitted.endsWith(`line 4999 ${"x".repeat(40)}`)).toBe(true);
    const omitted = Number(/… (\d+) lines left out/.exec(fitted)?.[1]);
    const kept = fitted.split("\n").length - 1;
    expect(omitted + kept).toBe(5000);
  });

  test("cuts a single line longer than the budget, keeping its start", () => {
    const fitted = fitLog("y".repeat(500), 100);
    expect(fitted.length).toBeLessThanOrEqual(100);
    expect(fitted.startsWith("y".repeat(20))).toBe(true);
    expect(fitted).toContain("left out");
  });
});

describe("renderPreviewComment", () => {
  test("starts with the stack's marker and shows the log in a diff block", () => {
    const body = renderPreviewComment({
      ...kayunga,
      status: "present",
      outcome: { kind: "ok" },
      log: "~ aws:ec2:VpnConnection tunnel update",
      runUrl: "https://github.com/o/r/actions/runs/1",
      sha: "0123456789abcdef0123",
    });
    expect(body.split("\n")[0]).toBe("<!-- clinicmaster-preview: facility/kayunga -->");
    expect(body).toContain("### ✅ Pulumi preview: `facility/kayunga`");
    expect(body).toContain("```diff\n~ aws:ec2:VpnConnection tunnel update\n```");
    expect(body).toContain("commit 0123456789ab · [workflow run](https://github.com/o/r/actions/runs/1)");
  });

  test.each([
    [{ kind: "policy-violation" } as const, "present", "❌", "mandatory policy violation"],
    [
      { kind: "error", exitCode: 3, reason: "auth" } as const,
      "present",
      "❌",
      "preview failed**: auth (exit 3)",
    ],
    [{ kind: "ok" } as const, "deleted", "✅", "merging destroys everything below"],
    [{ kind: "nothing-to-destroy" } as const, "deleted", "✅", "nothing to destroy"],
  ] as const)("%j on a %s stack", (outcome, status, icon, text) => {
    const body = renderPreviewComment({ ...kayunga, status, outcome, log: "" });
    expect(body).toContain(`### ${icon} Pulumi ${status === "deleted" ? "destroy preview" : "preview"}`);
    expect(body).toContain(text);
  });

  test("a log with backtick fences cannot close the code block", () => {
    const body = renderPreviewComment({
      ...kayunga,
      status: "added",
      outcome: { kind: "ok" },
      log: "a\n```\nb",
    });
    expect(body).toContain("(new stack)");
    expect(body).toContain("````diff\na\n```\nb\n````");
  });

  test("stays under GitHub's body limit for a huge log", () => {
    const body = renderPreviewComment({
      ...kayunga,
      status: "present",
      outcome: { kind: "ok" },
      log: "z\n".repeat(100_000),
    });
    expect(body.length).toBeLessThan(GITHUB_BODY_LIMIT);
  });
});

describe("upsertPrComment: one comment per stack", () => {
  test("edits the existing comment in place", () => {
    const { gh, calls } = fakeGh({ "api --paginate": "1111\n2222\n" });
    expect(upsertPrComment(gh, "moh/cdc", 42, kayunga, "new body")).toBe("updated");
    expect(calls[0].args).toEqual([
      "api",
      "--paginate",
      "repos/moh/cdc/issues/42/comments",
      "--jq",
      `.[] | select(.body | contains("${previewMarker(kayunga)}")) | .id`,
    ]);
    expect(calls[1]).toEqual({
      args: ["api", "-X", "PATCH", "repos/moh/cdc/issues/comments/1111", "--input", "-"],
      input: JSON.stringify({ body: "new body" }),
    });
    expect(calls).toHaveLength(2);
  });

  test("creates the comment when the stack has none yet", () => {
    const { gh, calls } = fakeGh({ "api --paginate": "\n" });
    expect(upsertPrComment(gh, "moh/cdc", 42, kayunga, "b")).toBe("created");
    expect(calls[1].args).toEqual(["api", "-X", "POST", "repos/moh/cdc/issues/42/comments", "--input", "-"]);
  });

  test("markers of different stacks never match each other", () => {
    expect(previewMarker({ project: "platform", stack: "dev" })).not.toContain(previewMarker(kayunga));
    expect(previewMarker({ project: "facility", stack: "kayunga-2" })).not.toBe(previewMarker(kayunga));
  });
});

describe("planDriftIssue", () => {
  const drift: DriftOutcome = { kind: "drift" };
  const clean: DriftOutcome = { kind: "clean" };
  const error: DriftOutcome = { kind: "error", exitCode: 3, reason: "auth" };
  test.each([
    [drift, undefined, "create"],
    [drift, 12, "update"],
    [clean, 12, "close"],
    [clean, undefined, "none"],
    [error, 12, "none"],
    [error, undefined, "none"],
  ] as const)("%j with open issue %s → %s", (outcome, open, action) => {
    expect(planDriftIssue(outcome, open)).toBe(action);
  });
});

describe("syncDriftIssue: one tracking issue per stack", () => {
  const labels = ["--label", "drift", "--label", "stack:facility/kayunga"];

  test("drift without an open issue creates the labels and the issue", () => {
    const { gh, calls, verbs } = fakeGh({
      "issue list": "",
      "issue create": "https://github.com/moh/cdc/issues/77\n",
    });
    expect(syncDriftIssue(gh, "moh/cdc", kayunga, { kind: "drift" }, "BODY", "https://run")).toEqual({
      action: "create",
      issue: 77,
    });
    expect(calls[0].args).toEqual([
      "issue",
      "list",
      "--repo",
      "moh/cdc",
      "--state",
      "open",
      ...labels,
      "--json",
      "number",
      "--jq",
      ".[].number",
    ]);
    expect(verbs()).toEqual([
      "issue list --repo",
      "label create drift",
      "label create stack:facility/kayunga",
      "issue create --repo",
    ]);
    expect(calls[3].args).toEqual([
      "issue",
      "create",
      "--repo",
      "moh/cdc",
      "--title",
      driftTitle(kayunga),
      ...labels,
      "--body-file",
      "-",
    ]);
    expect(calls[3].input).toBe("BODY");
  });

  test("drift with an open issue rewrites its body and comments", () => {
    const { gh, calls, verbs } = fakeGh({ "issue list": "31\n19\n" });
    expect(syncDriftIssue(gh, "moh/cdc", kayunga, { kind: "drift" }, "BODY", "https://run")).toEqual({
      action: "update",
      issue: 19,
    });
    expect(verbs()).toEqual(["issue list --repo", "issue edit 19", "issue comment 19"]);
    expect(calls[1].input).toBe("BODY");
    expect(calls[2].args).toContain("Still drifting ([workflow run](https://run)).");
  });

  test("a clean stack closes its open issue", () => {
    const { gh, verbs } = fakeGh({ "issue list": "19\n" });
    expect(syncDriftIssue(gh, "moh/cdc", kayunga, { kind: "clean" }, "BODY")).toEqual({
      action: "close",
      issue: 19,
    });
    expect(verbs()).toEqual(["issue list --repo", "issue close 19"]);
  });

  test("a clean stack without an issue does nothing", () => {
    const { gh, verbs } = fakeGh();
    expect(syncDriftIssue(gh, "moh/cdc", kayunga, { kind: "clean" }, "BODY").action).toBe("none");
    expect(verbs()).toEqual(["issue list --repo"]);
  });

  test("an error never touches issues: a failed check proves nothing about drift", () => {
    const { gh, calls } = fakeGh({ "issue list": "19\n" });
    const error: DriftOutcome = { kind: "error", exitCode: 4, reason: "resource" };
    expect(syncDriftIssue(gh, "moh/cdc", kayunga, error, "BODY").action).toBe("none");
    expect(calls).toHaveLength(0);
  });

  test("labels: one shared, one per stack", () => {
    expect(driftLabels({ project: "platform", stack: "dev" })).toEqual(["drift", "stack:platform/dev"]);
  });
});

test("renderDriftIssue shows the diff and how to reproduce it in the facility project", () => {
  const body = renderDriftIssue({
    ...kayunga,
    log: "~ docker:Container connect update",
    checkedAt: "2026-12-04T03:17:00Z",
  });
  expect(body).toContain("```diff\n~ docker:Container connect update\n```");
  expect(body).toContain("pulumi refresh --preview-only --diff --stack kayunga --cwd facilities");
  expect(body).toContain("last checked 2026-12-04T03:17:00Z");
});
