import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO_ROOT } from "../../infra/config/stackfiles";
import {
  type FileChange,
  type Stack,
  affectedStacks,
  allStacks,
  discoverStacks,
  parseChangedFiles,
  parseNameStatus,
  platformOfFacility,
  programsOf,
  ruleFor,
  stackOfFile,
  toMatrix,
} from "../../infra/delivery/stacks";

const platform = (stack: string): Stack => ({
  project: "platform",
  dir: ".",
  stack,
  file: `Pulumi.${stack}.yaml`,
});
const facility = (stack: string): Stack => ({
  project: "facility",
  dir: "facilities",
  stack,
  file: `facilities/Pulumi.${stack}.yaml`,
});

/** The stacks of the repository as the tables below assume them. */
const STACKS: Stack[] = [platform("dev"), facility("kayunga"), facility("luwero"), facility("yumbe")];
const ALL = ["platform/dev", "facility/kayunga", "facility/luwero", "facility/yumbe"];
const FACILITIES = ["facility/kayunga", "facility/luwero", "facility/yumbe"];

const M = (p: string): FileChange => ({ path: p, status: "modified" });
const A = (p: string): FileChange => ({ path: p, status: "added" });
const D = (p: string): FileChange => ({ path: p, status: "deleted" });

/** `project/stack` or `project/stack:status` when the status is not `present`. */
/** No program imports anything: the rules alone (the import graph has its own tests). */
const NO_IMPORTS = { platform: new Set<string>(), facility: new Set<string>() };

const keys = (changes: FileChange[], stacks = STACKS) =>
  affectedStacks(changes, stacks, { programs: NO_IMPORTS }).map(
    (s) => `${s.project}/${s.stack}${s.status === "present" ? "" : `:${s.status}`}`,
  );

describe("discoverStacks", () => {
  test("finds the repository's stacks, platform first: the list every workflow matrix comes from", () => {
    expect(discoverStacks().map((s) => `${s.project}/${s.stack}`)).toEqual(ALL);
    expect(discoverStacks()).toEqual(STACKS);
  });

  test("reads stack files only, in both projects, from any root", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "stacks-"));
    try {
      fs.mkdirSync(path.join(root, "facilities"));
      for (const f of [
        "Pulumi.yaml",
        "Pulumi.prod.yaml",
        "Pulumi.dev.yml",
        "README.md",
        "facilities/Pulumi.yaml",
        "facilities/Pulumi.arua.yaml",
        "facilities/notes.yaml",
      ]) {
        fs.writeFileSync(path.join(root, f), "config: {}\n");
      }
      expect(discoverStacks(root)).toEqual([
        { project: "platform", dir: ".", stack: "dev", file: "Pulumi.dev.yml" },
        { project: "platform", dir: ".", stack: "prod", file: "Pulumi.prod.yaml" },
        facility("arua"),
      ]);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("stackOfFile", () => {
  test.each([
    ["Pulumi.dev.yaml", "platform/dev"],
    ["Pulumi.prod.yml", "platform/prod"],
    ["facilities/Pulumi.kayunga.yaml", "facility/kayunga"],
    ["Pulumi.yaml", undefined],
    ["facilities/Pulumi.yaml", undefined],
    ["infra/Pulumi.dev.yaml", undefined],
    ["facilities/kits/Pulumi.kayunga.yaml", undefined],
  ])("%s → %s", (file, expected) => {
    const s = stackOfFile(file);
    expect(s ? `${s.project}/${s.stack}` : undefined).toBe(expected);
  });
});

describe("affectedStacks maps changed files to stacks", () => {
  test.each<[string, FileChange[], string[]]>([
    ["a facility file touches its stack", [M("facilities/Pulumi.kayunga.yaml")], ["facility/kayunga"]],
    ["a platform stack file touches that platform stack", [M("Pulumi.dev.yaml")], ["platform/dev"]],
    ["a new facility file adds its stack", [A("facilities/Pulumi.arua.yaml")], ["facility/arua:added"]],
    [
      "a deleted facility file marks its stack deleted",
      [D("facilities/Pulumi.yumbe.yaml")],
      ["facility/yumbe:deleted"],
    ],
    [
      "a renamed facility file deletes the old stack and adds the new one",
      [D("facilities/Pulumi.luwero.yaml"), A("facilities/Pulumi.luweero.yaml")],
      ["facility/luweero:added", "facility/luwero:deleted"],
    ],
    ["a deleted platform stack file marks it deleted", [D("Pulumi.dev.yaml")], ["platform/dev:deleted"]],
    ["shared infra code touches all", [M("infra/connect/names.ts")], ALL],
    ["config schemas touch all", [M("infra/config/facility.ts")], ALL],
    ["a new shared module touches all", [A("infra/connect/smt.ts")], ALL],
    ["package.json touches all", [M("package.json")], ALL],
    ["package-lock.json touches all", [M("package-lock.json")], ALL],
    ["tsconfig.json touches all", [M("tsconfig.json")], ALL],
    ["the policy pack touches all", [M("policy/rules/msk.ts")], ALL],
    ["the policy config touches all", [M("policy/policy-config.json")], ALL],
    ["the facility program touches every facility stack", [M("infra/facility/tunnel.ts")], FACILITIES],
    ["the facility project file touches every facility stack", [M("facilities/Pulumi.yaml")], FACILITIES],
    [
      "the platform program touches the platform stacks only",
      [M("infra/platform/kafka.ts")],
      ["platform/dev"],
    ],
    ["the platform project file touches the platform stacks", [M("Pulumi.yaml")], ["platform/dev"]],
    ["docs touch none", [M("docs/DELIVERY.md")], []],
    ["the README touches none", [M("README.md")], []],
    ["markdown next to a stack touches none", [A("facilities/README.md")], []],
    ["test-only changes touch none", [M("test/unit/kafka.test.ts"), A("test/delivery/new.test.ts")], []],
    ["workflows touch none", [M(".github/workflows/preview.yml")], []],
    ["the loopback test data plane touches none", [M("infra/local/kafka.ts")], []],
    [
      "CI tooling touches none",
      [M("infra/delivery/stacks.ts"), M("scripts/actionlint.sh"), M(".ci/run")],
      [],
    ],
    [
      "linter and test config touch none",
      [M("eslint.config.mjs"), M("jest.config.js"), M(".prettierrc.json")],
      [],
    ],
    ["an unknown path touches all, to be safe", [A("Makefile")], ALL],
    ["no changes touch none", [], []],
    [
      "docs plus one facility touch that facility only",
      [M("docs/DELIVERY.md"), M("facilities/Pulumi.luwero.yaml")],
      ["facility/luwero"],
    ],
    [
      "a deleted facility stays deleted when shared code changes too",
      [M("infra/connect/names.ts"), D("facilities/Pulumi.yumbe.yaml")],
      ["platform/dev", "facility/kayunga", "facility/luwero", "facility/yumbe:deleted"],
    ],
  ])("%s", (_name, changes, expected) => {
    // The deleted stacks' files are gone from the checkout, as they are in CI.
    const gone = new Set(changes.filter((c) => c.status === "deleted").map((c) => c.path));
    expect(
      keys(
        changes,
        STACKS.filter((s) => !gone.has(s.file)),
      ),
    ).toEqual(expected);
  });

  test("every path a stack is touched by is listed as its reason, sorted", () => {
    const [s] = affectedStacks(
      [M("infra/facility/index.ts"), M("facilities/Pulumi.kayunga.yaml")],
      [facility("kayunga")],
    );
    expect(s.reasons).toEqual(["facilities/Pulumi.kayunga.yaml", "infra/facility/index.ts"]);
  });

  test("rules are tried in order: a stack file under facilities/ is not the facility project file", () => {
    expect(ruleFor("facilities/Pulumi.kayunga.yaml")?.scope).toBe("stack");
    expect(ruleFor("facilities/Pulumi.yaml")?.scope).toBe("facility");
    expect(ruleFor("infra/platform/index.ts")?.scope).toBe("platform");
    expect(ruleFor("infra/delivery/cli.ts")?.scope).toBe("none");
    expect(ruleFor("Makefile")).toBeUndefined();
  });
});

describe("followPlatform (deploy): facilities follow the platform stack they read", () => {
  const stacks = [
    platform("dev"),
    platform("prod"),
    facility("kayunga"),
    facility("luwero"),
    facility("yumbe"),
  ];
  const refs: Record<string, string | undefined> = { kayunga: "dev", luwero: "prod", yumbe: undefined };
  const platformOf = (f: Stack) => refs[f.stack];

  test("a platform change deploys the facilities of that platform stack, and unreadable ones", () => {
    const got = affectedStacks([M("Pulumi.dev.yaml")], stacks, { followPlatform: true, platformOf });
    expect(got.map((s) => `${s.project}/${s.stack}`)).toEqual([
      "platform/dev",
      "facility/kayunga",
      "facility/yumbe",
    ]);
    expect(got[1].reasons).toEqual(["platform stack dev"]);
  });

  test("without followPlatform a platform change touches no facility", () => {
    const got = affectedStacks([M("infra/platform/kafka.ts")], stacks, { platformOf, programs: NO_IMPORTS });
    expect(got.map((s) => s.stack)).toEqual(["dev", "prod"]);
  });

  test("reads facility:platformStack from the real stack files", () => {
    for (const s of ["kayunga", "luwero", "yumbe"])
      expect(platformOfFacility(facility(s), REPO_ROOT)).toBe("dev");
    expect(platformOfFacility(facility("nowhere"), REPO_ROOT)).toBeUndefined();
  });

  test("the real repository: the dev platform stack pulls in every facility", () => {
    const got = affectedStacks([M("infra/platform/kafka.ts")], discoverStacks(), { followPlatform: true });
    expect(got.map((s) => `${s.project}/${s.stack}`)).toEqual(ALL);
  });
});

describe("toMatrix", () => {
  test("emits the GitHub Actions include list, platform first", () => {
    const affected = affectedStacks(
      [M("Pulumi.dev.yaml"), D("facilities/Pulumi.yumbe.yaml"), M("facilities/Pulumi.kayunga.yaml")],
      STACKS.filter((s) => s.stack !== "yumbe"),
    );
    expect(JSON.stringify(toMatrix(affected))).toBe(
      JSON.stringify({
        include: [
          { project: "platform", dir: ".", stack: "dev", file: "Pulumi.dev.yaml", status: "present" },
          {
            project: "facility",
            dir: "facilities",
            stack: "kayunga",
            file: "facilities/Pulumi.kayunga.yaml",
            status: "present",
          },
          {
            project: "facility",
            dir: "facilities",
            stack: "yumbe",
            file: "facilities/Pulumi.yumbe.yaml",
            status: "deleted",
          },
        ],
      }),
    );
    expect(toMatrix(affected, "platform").include.map((e) => e.stack)).toEqual(["dev"]);
    expect(toMatrix(affected, "facility").include.map((e) => e.stack)).toEqual(["kayunga", "yumbe"]);
  });

  test("all stacks, for drift and manual deploys", () => {
    expect(toMatrix(allStacks(STACKS)).include.map((e) => `${e.project}/${e.stack}:${e.status}`)).toEqual(
      ALL.map((k) => `${k}:present`),
    );
  });
});

describe("parseNameStatus", () => {
  test.each<[string, string, FileChange[]]>([
    ["modification", "M\tinfra/connect/names.ts", [M("infra/connect/names.ts")]],
    ["addition", "A\tfacilities/Pulumi.arua.yaml", [A("facilities/Pulumi.arua.yaml")]],
    ["deletion", "D\tfacilities/Pulumi.yumbe.yaml", [D("facilities/Pulumi.yumbe.yaml")]],
    ["type change", "T\tscripts/x.sh", [M("scripts/x.sh")]],
    [
      "rename",
      "R087\tfacilities/Pulumi.luwero.yaml\tfacilities/Pulumi.luweero.yaml",
      [D("facilities/Pulumi.luwero.yaml"), A("facilities/Pulumi.luweero.yaml")],
    ],
    [
      "copy",
      "C100\tfacilities/Pulumi.kayunga.yaml\tfacilities/Pulumi.arua.yaml",
      [A("facilities/Pulumi.arua.yaml")],
    ],
    ["blank lines and CRLF", "\r\nM\tpackage.json\r\n\n", [M("package.json")]],
  ])("%s", (_name, text, expected) => {
    expect(parseNameStatus(text)).toEqual(expected);
  });

  test.each([
    ["an unknown status", "X\tfoo", /unknown status "X"/],
    ["a line without a path", "M", /expected "<status>\\t<path>"/],
    ["a path list passed as name-status", "infra/connect/names.ts", /expected "<status>\\t<path>"/],
  ])("rejects %s", (_name, text, message) => {
    expect(() => parseNameStatus(text)).toThrow(message);
  });
});

describe("parseChangedFiles", () => {
  test("a path missing from the checkout was deleted; the rest were modified", () => {
    expect(parseChangedFiles("facilities/Pulumi.kayunga.yaml\n\nfacilities/Pulumi.gone.yaml\n")).toEqual([
      M("facilities/Pulumi.kayunga.yaml"),
      D("facilities/Pulumi.gone.yaml"),
    ]);
  });
});

describe("the import graph widens the rules", () => {
  test("a platform file the facility program imports touches the facilities too", () => {
    const programs = {
      platform: new Set(["infra/platform/index.ts", "infra/platform/ports.ts"]),
      facility: new Set(["infra/facility/index.ts", "infra/platform/ports.ts"]),
    };
    const got = (p: string) =>
      affectedStacks([M(p)], STACKS, { programs }).map((s) => `${s.project}/${s.stack}`);
    expect(got("infra/platform/ports.ts")).toEqual(ALL);
    expect(got("infra/platform/index.ts")).toEqual(["platform/dev"]);
  });

  test('code under a "none" rule counts once a program imports it', () => {
    const programs = { platform: new Set(["infra/local/tls.ts"]), facility: new Set<string>() };
    expect(affectedStacks([M("infra/local/tls.ts")], STACKS, { programs }).map((s) => s.stack)).toEqual([
      "dev",
    ]);
    expect(affectedStacks([M("infra/local/kafka.ts")], STACKS, { programs })).toEqual([]);
  });

  test("only paths under infra/ consult the graph", () => {
    const programs = { platform: new Set(["docs/x.md"]), facility: new Set<string>() };
    expect(affectedStacks([M("docs/x.md")], STACKS, { programs })).toEqual([]);
  });

  test("the real repository: every file the facility program loads touches every facility stack", () => {
    const programs = programsOf(REPO_ROOT);
    expect(programs.facility.has("infra/facility/index.ts")).toBe(true);
    for (const file of [...programs.facility].filter((f) => f.startsWith("infra/"))) {
      const got = affectedStacks([M(file)], discoverStacks()).map((s) => `${s.project}/${s.stack}`);
      expect([file, FACILITIES.every((f) => got.includes(f))]).toEqual([file, true]);
    }
  });
});
