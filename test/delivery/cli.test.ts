import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO_ROOT } from "../../infra/config/stackfiles";
import { type CliIo, run } from "../../infra/delivery/cli";
import type { GhRunner } from "../../infra/delivery/github";
import { allStacks, discoverStacks, toMatrix } from "../../infra/delivery/stacks";

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "stacks-cli-"));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Runs the CLI against the real repository with in-memory files, a fake gh and captured output. */
function cli(
  argv: string[],
  files: Record<string, string> = {},
  ghAnswers: Record<string, string> = {},
  root = REPO_ROOT,
) {
  const out: string[] = [];
  const err: string[] = [];
  const gh: string[][] = [];
  const ghRunner: GhRunner = (args) => {
    gh.push(args);
    return ghAnswers[args.slice(0, 2).join(" ")] ?? "";
  };
  const githubOutput = path.join(tmp, "github-output");
  const io: CliIo = {
    root,
    env: { GITHUB_OUTPUT: githubOutput, GITHUB_REPOSITORY: "moh/cdc" },
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    read: (f) => {
      if (!(f in files)) throw new Error(`ENOENT: ${f}`);
      return files[f];
    },
    gh: ghRunner,
    now: () => new Date("2026-12-04T03:17:00Z"),
  };
  const code = run(argv, io);
  const outputs = fs.existsSync(githubOutput) ? fs.readFileSync(githubOutput, "utf8") : "";
  return { code, out, err, gh, outputs };
}

describe("stacks matrix", () => {
  test("--all is exactly the discovered stacks: the workflows have no list of their own", () => {
    const { code, out } = cli(["matrix", "--all"]);
    expect(code).toBe(0);
    expect(JSON.parse(out[0])).toEqual(toMatrix(allStacks(discoverStacks())));
    expect(JSON.parse(out[0]).include).toHaveLength(4);
  });

  test("--name-status maps a pull request's changes and writes the step outputs", () => {
    const { code, out, err, outputs } = cli(["matrix", "--name-status", "changes.txt", "--github-output"], {
      "changes.txt":
        "M\tfacilities/Pulumi.kayunga.yaml\nD\tfacilities/Pulumi.yumbe.yaml\nM\tdocs/DELIVERY.md\n",
    });
    expect(code).toBe(0);
    const matrix = JSON.parse(out[0]);
    expect(matrix.include.map((e: { stack: string; status: string }) => `${e.stack}:${e.status}`)).toEqual([
      "kayunga:present",
      "yumbe:deleted",
    ]);
    expect(outputs).toBe(`matrix=${out[0]}\nmatrix-count=2\n`);
    expect(err).toContain("facility/yumbe (deleted): facilities/Pulumi.yumbe.yaml");
  });

  test("docs-only changes give an empty matrix and a zero count", () => {
    const { out, outputs } = cli(["matrix", "--changed-files", "-", "--github-output"], {
      "-": "README.md\ndocs/x.md\n",
    });
    expect(out[0]).toBe('{"include":[]}');
    expect(outputs).toContain("matrix-count=0\n");
  });

  test("deploy: --project and --output-name split platform from facilities, which follow the platform", () => {
    const files = { c: "M\tPulumi.dev.yaml\n" };
    const platform = cli(
      ["matrix", "--name-status", "c", "--follow-platform", "--project", "platform"],
      files,
    );
    const facilities = cli(
      [
        "matrix",
        "--name-status",
        "c",
        "--follow-platform",
        "--project",
        "facility",
        "--github-output",
        "--output-name",
        "facility",
      ],
      files,
    );
    expect(JSON.parse(platform.out[0]).include.map((e: { stack: string }) => e.stack)).toEqual(["dev"]);
    expect(JSON.parse(facilities.out[0]).include.map((e: { stack: string }) => e.stack)).toEqual([
      "kayunga",
      "luwero",
      "yumbe",
    ]);
    expect(facilities.outputs).toMatch(/^facility=\{.*\}\nfacility-count=3\n$/);
  });

  test.each([
    [["matrix"], /exactly one of --all, --name-status <file> or --changed-files <file>/],
    [["matrix", "--all", "--name-status", "x"], /exactly one of/],
    [["matrix", "--all", "--project", "central"], /--project "central" is not one of platform, facility/],
    [["matrix", "--all", "--bogus"], /Unknown option '--bogus'/],
    [["matrix", "--all", "--github-output", "--output-name", "Bad Name"], /--output-name "Bad Name"/],
    [["deploy"], /unknown command "deploy"/],
  ])("rejects %j with exit 2", (argv, message) => {
    const { code, err } = cli(argv as string[]);
    expect(code).toBe(2);
    expect(err.join("\n")).toMatch(message);
  });

  test("a bad name-status file is an error naming the line", () => {
    const { code, err } = cli(["matrix", "--name-status", "c"], { c: "Q\tfoo\n" });
    expect(code).toBe(1);
    expect(err[0]).toMatch(/unknown status "Q"/);
  });
});

test("stacks list prints every stack with its file", () => {
  expect(cli(["list"]).out).toEqual([
    "platform\tdev\tPulumi.dev.yaml",
    "facility\tkayunga\tfacilities/Pulumi.kayunga.yaml",
    "facility\tluwero\tfacilities/Pulumi.luwero.yaml",
    "facility\tyumbe\tfacilities/Pulumi.yumbe.yaml",
  ]);
});

test("stacks pulumi-version is the SDK pin of package.json, at least the CLI the exit codes need", () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8"));
  const { out } = cli(["pulumi-version"]);
  expect(out).toEqual([pkg.dependencies["@pulumi/pulumi"]]);
  const [, minor] = out[0].split(".").map(Number);
  expect(minor).toBeGreaterThanOrEqual(229);
});

test.each([
  ["3.200.0", /needs 3\.229\.0 or a later 3\.x/],
  ["^3.270.0", /pin an exact x\.y\.z/],
  [undefined, /pins @pulumi\/pulumi to null/],
])("stacks pulumi-version rejects the SDK pin %j", (version, message) => {
  fs.writeFileSync(
    path.join(tmp, "package.json"),
    JSON.stringify({ dependencies: version === undefined ? {} : { "@pulumi/pulumi": version } }),
  );
  const { code, err } = cli(["pulumi-version"], {}, {}, tmp);
  expect(code).toBe(2);
  expect(err[0]).toMatch(message);
});

describe("stacks drift-report", () => {
  const base = ["drift-report", "--project", "facility", "--stack", "kayunga", "--log", "log"];

  test("exit 7 is drift: opens the issue, annotates, and does not fail the job", () => {
    const { code, out, gh, outputs } = cli(
      [...base, "--exit-code", "7", "--sync-issue", "--run-url", "https://run", "--github-output"],
      { log: "~ docker:Container connect update" },
      { "issue create": "https://github.com/moh/cdc/issues/5" },
    );
    expect(code).toBe(0);
    expect(out[0]).toMatch(/^::warning title=Drift in facility\/kayunga::/);
    expect(gh.map((a) => a.slice(0, 2).join(" "))).toEqual([
      "issue list",
      "label create",
      "label create",
      "issue create",
    ]);
    expect(gh[0]).toContain("moh/cdc");
    expect(outputs).toBe("outcome=drift\n");
  });

  test("exit 0 is clean and closes an open issue", () => {
    const { code, out, gh } = cli(
      [...base, "--exit-code", "0", "--sync-issue"],
      { log: "" },
      { "issue list": "9\n" },
    );
    expect(code).toBe(0);
    expect(out).toEqual(["facility/kayunga: clean"]);
    expect(gh[1].slice(0, 3)).toEqual(["issue", "close", "9"]);
  });

  test("any other exit code fails the job and leaves the issue alone", () => {
    const { code, out, gh } = cli([...base, "--exit-code", "3", "--sync-issue"], { log: "login required" });
    expect(code).toBe(1);
    expect(out[0]).toMatch(/^::error title=Drift check failed for facility\/kayunga::authentication/);
    expect(gh).toHaveLength(0);
  });

  test("without --sync-issue it only classifies", () => {
    const { code, gh } = cli([...base, "--exit-code", "7"], { log: "" });
    expect(code).toBe(0);
    expect(gh).toHaveLength(0);
  });

  test("rejects a missing exit code", () => {
    const { code, err } = cli(base, { log: "" });
    expect(code).toBe(1);
    expect(err[0]).toMatch(/pass --exit-code <n>/);
  });
});

describe("stacks preview-report", () => {
  const base = ["preview-report", "--project", "facility", "--stack", "yumbe", "--log", "log"];

  test("a policy violation posts the comment and fails the job", () => {
    const { code, gh, err } = cli([...base, "--status", "present", "--exit-code", "5", "--pr", "12"], {
      log: "mandatory",
    });
    expect(code).toBe(1);
    expect(gh.map((a) => a.slice(0, 3).join(" "))).toEqual([
      "api --paginate repos/moh/cdc/issues/12/comments",
      "api -X POST",
    ]);
    expect(err).toContain("PR #12: created the comment for facility/yumbe");
  });

  test("a deleted stack never created in the backend passes", () => {
    const { code } = cli([...base, "--status", "deleted", "--exit-code", "6", "--pr", "12"], {
      log: "no stack named",
    });
    expect(code).toBe(0);
  });

  test("without --pr it prints the comment body", () => {
    const { code, out, gh } = cli([...base, "--status", "present", "--exit-code", "0"], { log: "+ create" });
    expect(code).toBe(0);
    expect(out[0]).toContain("<!-- clinicmaster-preview: facility/yumbe -->");
    expect(gh).toHaveLength(0);
  });

  test.each([
    [["--status", "gone", "--exit-code", "0"], /--status "gone" is not one of present, added, deleted/],
    [["--status", "present", "--exit-code", "0", "--pr", "abc"], /--pr "abc" is not a pull request number/],
  ])("rejects %j", (extra, message) => {
    const { code, err } = cli([...base, ...extra], { log: "" });
    expect(code).toBe(2);
    expect(err[0]).toMatch(message);
  });
});
