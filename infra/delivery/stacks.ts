import * as fs from "node:fs";
import * as path from "node:path";
import { FACILITY_NAMESPACE } from "../config/facility";
import {
  LOCAL_PLATFORM_STACK,
  REPO_ROOT,
  facilityStackFiles,
  namespaceValues,
  platformStackFiles,
  readStackFile,
} from "../config/stackfiles";
import { programFiles, projectEntry } from "./imports";

/** The two Pulumi projects of the repository. */
export type Project = "platform" | "facility";

/** Project folder relative to the repository root, as CI passes it to `pulumi --cwd`. */
export const PROJECT_DIRS: Record<Project, string> = { platform: ".", facility: "facilities" };

/** One stack of one project, found from its `Pulumi.<stack>.yaml`. */
export interface Stack {
  project: Project;
  /** Project folder relative to the repository root (`.` or `facilities`). */
  dir: string;
  stack: string;
  /** Stack config file relative to the repository root, with `/` separators. */
  file: string;
}

/**
 * What a change did to a stack's own config file. `deleted` stacks must be previewed with
 * `pulumi destroy --preview-only` from the file of the base commit; `added` ones do not exist in the
 * backend yet.
 */
export type StackStatus = "present" | "added" | "deleted";

/** A stack a change set touches, with why. */
export interface AffectedStack extends Stack {
  status: StackStatus;
  /** Changed paths that touch this stack, sorted. */
  reasons: string[];
}

/** One GitHub Actions matrix row. */
export interface MatrixEntry {
  project: Project;
  dir: string;
  stack: string;
  file: string;
  status: StackStatus;
}

/** GitHub Actions matrix: `strategy.matrix: ${{ fromJSON(...) }}`. */
export interface Matrix {
  include: MatrixEntry[];
}

/** Git's view of one changed path (`git diff --name-status`): A, M, D; renames arrive as D + A. */
export interface FileChange {
  path: string;
  status: "added" | "modified" | "deleted";
}

const STACK_FILE = /^Pulumi\.([^./]+)\.ya?ml$/;

const toPosix = (p: string) => p.split(path.sep).join("/");

/** Every stack with a config file on disk: platform stacks first, then facilities, each sorted by name. */
export function discoverStacks(root = REPO_ROOT): Stack[] {
  const facilitiesDir = path.join(root, PROJECT_DIRS.facility);
  const platform = platformStackFiles(root)
    .map((f) => stackFromFile("platform", path.relative(root, f)))
    // The loopback-only stack is run by the engine e2e test against processes it starts, never by CI.
    .filter((s) => s.stack !== LOCAL_PLATFORM_STACK);
  const facility = fs.existsSync(facilitiesDir)
    ? facilityStackFiles(facilitiesDir).map((f) => stackFromFile("facility", path.relative(root, f)))
    : [];
  return [...platform, ...facility];
}

function stackFromFile(project: Project, file: string): Stack {
  const posix = toPosix(file);
  const stack = STACK_FILE.exec(path.posix.basename(posix))![1];
  return { project, dir: PROJECT_DIRS[project], stack, file: posix };
}

/** The stack a path is the config file of (`Pulumi.dev.yaml`, `facilities/Pulumi.kayunga.yaml`), if any. */
export function stackOfFile(file: string): Stack | undefined {
  const dir = path.posix.dirname(file);
  const base = path.posix.basename(file);
  if (!STACK_FILE.test(base)) return undefined;
  if (dir === ".") return stackFromFile("platform", file);
  if (dir === PROJECT_DIRS.facility) return stackFromFile("facility", file);
  return undefined;
}

/**
 * Which stacks a path touches. Rules run top to bottom; the first match wins.
 * - `stack`: the stack whose config file this is.
 * - a project: every stack of that project; `all`: every stack; `none`: no stack.
 */
export type Scope = "all" | "none" | Project | "stack";

/** One mapping rule, exported so the documentation and tests can list them. */
export interface ChangeRule {
  /** Tested against the path relative to the repository root, `/` separators. */
  pattern: RegExp;
  scope: Scope;
  /** Why, in a few words; shown by `stacks rules`. */
  why: string;
}

/**
 * The change-mapping rules, in order. A path that matches none touches every stack. On top of its
 * rule, a path under `infra/` touches every project whose program imports it (directly or not).
 */
export const CHANGE_RULES: readonly ChangeRule[] = [
  {
    pattern: /^Pulumi\.local\.ya?ml$/,
    scope: "none",
    why: "the loopback-only platform stack, run by the engine e2e test, not by CI",
  },
  { pattern: /^(facilities\/)?Pulumi\.[^./]+\.ya?ml$/, scope: "stack", why: "a stack's own config" },
  { pattern: /^Pulumi\.ya?ml$/, scope: "platform", why: "the platform project file" },
  { pattern: /^facilities\/Pulumi\.ya?ml$/, scope: "facility", why: "the facility project file" },
  { pattern: /\.md$/i, scope: "none", why: "documentation" },
  { pattern: /^docs\//, scope: "none", why: "documentation" },
  { pattern: /^infra\/delivery\//, scope: "none", why: "CI tooling, imported by no program" },
  { pattern: /^infra\/local\//, scope: "none", why: "loopback data plane for tests, imported by no program" },
  { pattern: /^infra\/facility\//, scope: "facility", why: "the facility program" },
  // Facility stacks read the *deployed* platform outputs through a StackReference, so a facility
  // preview cannot show the effect of unmerged platform code; deploy follows platform stacks with
  // their facilities instead (see `followPlatform`). A platform file the facility program imports
  // touches the facilities too: every rule is widened by the import graph (see `affectedStacks`).
  { pattern: /^infra\/platform\//, scope: "platform", why: "the platform program" },
  { pattern: /^infra\//, scope: "all", why: "code shared by both programs" },
  { pattern: /^policy\//, scope: "all", why: "the policy pack runs in every preview" },
  {
    pattern: /^(package\.json|package-lock\.json|tsconfig(\.[^/]+)?\.json)$/,
    scope: "all",
    why: "dependencies and compiler",
  },
  { pattern: /^test\//, scope: "none", why: "tests" },
  { pattern: /^\.github\//, scope: "none", why: "workflows (linted by actionlint)" },
  { pattern: /^(\.ci|scripts)\//, scope: "none", why: "CI and developer scripts" },
  {
    pattern:
      /^(\.gitignore|\.prettierrc(\.json)?|\.prettierignore|eslint\.config\.mjs|jest\.config\.js|LICENSE)$/,
    scope: "none",
    why: "tooling that no program reads",
  },
];

/** The rule a path falls under; `undefined` means no rule matched and the path touches every stack. */
export function ruleFor(file: string): ChangeRule | undefined {
  return CHANGE_RULES.find((r) => r.pattern.test(file));
}

/** Options of {@link affectedStacks}. */
export interface AffectOptions {
  /**
   * Also touch every facility stack whose `facility:platformStack` names an affected platform stack.
   * Deploy sets this: a platform update can change the outputs the facilities read.
   * @default off, as previews of facilities would still read the old, deployed outputs
   */
  followPlatform?: boolean;
  /** Reads a facility's platform stack name; tests replace it. @default reads the stack file */
  platformOf?: (facility: Stack, root: string) => string | undefined;
  /**
   * Files each project's program loads, repository-relative.
   * @default follows the imports from the `main:` of `Pulumi.yaml` and `facilities/Pulumi.yaml`
   */
  programs?: Record<Project, Set<string>>;
}

/** The files each project's program loads, from the `main:` of its `Pulumi.yaml`. */
export function programsOf(root = REPO_ROOT): Record<Project, Set<string>> {
  return {
    platform: programFiles(projectEntry(path.join(root, PROJECT_DIRS.platform, "Pulumi.yaml")), root),
    facility: programFiles(projectEntry(path.join(root, PROJECT_DIRS.facility, "Pulumi.yaml")), root),
  };
}

/** The platform stack a facility streams to: the last part of `facility:platformStack`, if readable. */
export function platformOfFacility(facility: Stack, root = REPO_ROOT): string | undefined {
  try {
    const values = namespaceValues(readStackFile(path.join(root, facility.file)).values, FACILITY_NAMESPACE);
    const ref = values.platformStack;
    return typeof ref === "string" && ref.length > 0 ? ref.split("/").pop() : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The stacks a set of changed paths touches, in matrix order (platform first, then facilities).
 * `stacks` are those with a config file in the checked-out tree; stacks whose file a change deletes
 * are added with status `deleted`.
 */
export function affectedStacks(
  changes: FileChange[],
  stacks: Stack[],
  options: AffectOptions = {},
  root = REPO_ROOT,
): AffectedStack[] {
  const hit = new Map<string, AffectedStack>();
  const key = (s: Pick<Stack, "project" | "stack">) => `${s.project}/${s.stack}`;
  const touch = (s: Stack, reason: string, status: StackStatus = "present") => {
    const k = key(s);
    const prev = hit.get(k);
    if (prev) {
      if (!prev.reasons.includes(reason)) prev.reasons.push(reason);
      if (status !== "present") prev.status = status;
    } else {
      hit.set(k, { ...s, status, reasons: [reason] });
    }
  };

  let programs = options.programs;
  const importedBy = (file: string): Project[] => {
    programs ??= programsOf(root);
    return (Object.keys(programs) as Project[]).filter((p) => programs![p].has(file));
  };

  for (const change of changes) {
    const rule = ruleFor(change.path);
    const scope: Scope = rule ? rule.scope : "all";
    if (scope === "stack") {
      const own = stackOfFile(change.path)!;
      const status: StackStatus =
        change.status === "deleted" ? "deleted" : change.status === "added" ? "added" : "present";
      // Git's status wins over the tree: the workflow diffs against the commit it checked out.
      touch(stacks.find((s) => key(s) === key(own)) ?? own, change.path, status);
      continue;
    }
    const projects = new Set<Project>(
      scope === "all" ? ["platform", "facility"] : scope === "none" ? [] : [scope],
    );
    if (projects.size < 2 && change.path.startsWith("infra/")) {
      for (const p of importedBy(change.path)) projects.add(p);
    }
    for (const s of stacks) {
      if (projects.has(s.project)) touch(s, change.path);
    }
  }

  if (options.followPlatform) {
    const platformOf = options.platformOf ?? platformOfFacility;
    const platforms = [...hit.values()].filter((s) => s.project === "platform");
    for (const p of platforms) {
      for (const f of stacks.filter((s) => s.project === "facility")) {
        const target = platformOf(f, root);
        // An unreadable reference follows every platform stack: deploying too much is safe, too little is not.
        if (target === undefined || target === p.stack) touch(f, `platform stack ${p.stack}`);
      }
    }
  }

  const order = (s: AffectedStack) => (s.project === "platform" ? 0 : 1);
  return [...hit.values()]
    .map((s) => ({ ...s, reasons: [...s.reasons].sort() }))
    .sort((a, b) => order(a) - order(b) || a.stack.localeCompare(b.stack));
}

/** Every stack, as affected stacks with status `present` (nightly drift, manual deploys). */
export function allStacks(stacks: Stack[]): AffectedStack[] {
  return stacks.map((s) => ({ ...s, status: "present", reasons: ["all stacks"] }));
}

/** The CI matrix for a list of stacks, optionally of one project only. */
export function toMatrix(stacks: AffectedStack[], project?: Project): Matrix {
  return {
    include: stacks
      .filter((s) => project === undefined || s.project === project)
      .map(({ project: p, dir, stack, file, status }) => ({ project: p, dir, stack, file, status })),
  };
}

/**
 * Parses `git diff --name-status` output. Renames (`R100\told\tnew`) and copies become a deletion of
 * the old path and an addition of the new one; type changes count as modifications.
 */
export function parseNameStatus(text: string): FileChange[] {
  const out: FileChange[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) continue;
    const [code, ...paths] = line.split("\t");
    const letter = code.charAt(0);
    if (paths.length === 0 || paths.some((p) => p.length === 0)) {
      throw new Error(
        `cannot read git name-status line ${JSON.stringify(raw)}; expected "<status>\\t<path>"`,
      );
    }
    switch (letter) {
      case "A":
        out.push({ path: paths[0], status: "added" });
        break;
      case "D":
        out.push({ path: paths[0], status: "deleted" });
        break;
      case "M":
      case "T":
        out.push({ path: paths[0], status: "modified" });
        break;
      case "R":
        out.push({ path: paths[0], status: "deleted" }, { path: paths[1], status: "added" });
        break;
      case "C":
        out.push({ path: paths[1], status: "added" });
        break;
      default:
        throw new Error(
          `cannot read git name-status line ${JSON.stringify(raw)}: unknown status ${JSON.stringify(code)} ` +
            "(expected A, C, D, M, R or T; run git diff without --diff-filter or with -M)",
        );
    }
  }
  return out;
}

/**
 * Parses a plain list of changed paths (one per line, as `git diff --name-only` prints). A path that
 * is not in the checked-out tree was deleted; the rest count as modified.
 */
export function parseChangedFiles(text: string, root = REPO_ROOT): FileChange[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .map((p) => ({ path: p, status: fs.existsSync(path.join(root, p)) ? "modified" : "deleted" }));
}
