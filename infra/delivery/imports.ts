import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { REPO_ROOT } from "../config/stackfiles";

/**
 * Relative module specifiers of a TypeScript source: `import … from`, `export … from`, bare
 * `import "…"`, `import("…")` and `require("…")`. A regular expression, not a parser: a match inside
 * a comment or string only makes the mapping preview more, never less.
 */
export function relativeSpecifiers(source: string): string[] {
  const re =
    /(?:\bimport|\bexport)\s[^'";]*?\bfrom\s*["']([^"']+)["']|\bimport\s*["']([^"']+)["']|\b(?:import|require)\s*\(\s*["']([^"']+)["']\s*\)/g;
  const out: string[] = [];
  for (const m of source.matchAll(re)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (spec.startsWith("./") || spec.startsWith("../")) out.push(spec);
  }
  return out;
}

/** The file a relative specifier names, as TypeScript resolves it (`.ts`, `.json`, `/index.ts`). */
function resolveSpecifier(fromFile: string, spec: string): string | undefined {
  const base = path.resolve(path.dirname(fromFile), spec);
  const stem = base.replace(/\.js$/, "");
  const candidates = [base, `${stem}.ts`, `${base}.ts`, `${base}.json`, path.join(base, "index.ts")];
  return candidates.find((c) => fs.existsSync(c) && fs.statSync(c).isFile());
}

/**
 * Every file a program loads from the repository, following relative imports from its entry point,
 * as paths relative to `root` with `/` separators. A missing entry gives an empty set.
 */
export function programFiles(entry: string, root = REPO_ROOT): Set<string> {
  const seen = new Set<string>();
  const queue = fs.existsSync(entry) ? [path.resolve(entry)] : [];
  while (queue.length > 0) {
    const file = queue.pop()!;
    const rel = path.relative(root, file).split(path.sep).join("/");
    if (seen.has(rel)) continue;
    seen.add(rel);
    if (!file.endsWith(".ts")) continue;
    for (const spec of relativeSpecifiers(fs.readFileSync(file, "utf8"))) {
      const target = resolveSpecifier(file, spec);
      if (target && !target.split(path.sep).includes("node_modules")) queue.push(target);
    }
  }
  return seen;
}

/** The entry point a Pulumi project file names with `main:` (default `index.ts` beside it). */
export function projectEntry(projectFile: string): string {
  const dir = path.dirname(projectFile);
  let main: unknown;
  try {
    main = (parseYaml(fs.readFileSync(projectFile, "utf8")) as { main?: unknown } | null)?.main;
  } catch {
    main = undefined;
  }
  const target = path.resolve(dir, typeof main === "string" && main.length > 0 ? main : ".");
  return fs.existsSync(target) && fs.statSync(target).isDirectory() ? path.join(target, "index.ts") : target;
}
