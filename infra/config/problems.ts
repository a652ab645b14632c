import { z } from "zod";

/** One thing wrong with a configuration: the key, the value found, what is wrong and how to fix it. */
export interface ConfigProblem {
  /** Full config key as the user types it, e.g. `facility:sqlServer.port`. */
  key: string;
  /** The value found (already rendered for display), or `(not set)`. */
  value: string;
  /** What is wrong and how to fix it, in one sentence. */
  message: string;
}

/** Thrown when a configuration is invalid; its message lists every problem, one per line. */
export class ConfigError extends Error {
  constructor(
    /** Who the config belongs to, e.g. "facility `kayunga`" or "platform stack `dev`". */
    readonly subject: string,
    readonly problems: ConfigProblem[],
  ) {
    super(formatProblems(subject, problems));
    this.name = "ConfigError";
  }
}

/** Renders problems as the user sees them: one header line, then one line per problem. */
export function formatProblems(subject: string, problems: ConfigProblem[]): string {
  const n = problems.length;
  const lines = problems.map((p) => `  - ${p.key} = ${p.value}: ${p.message}`);
  return `${subject}: ${n} configuration problem${n === 1 ? "" : "s"}\n${lines.join("\n")}`;
}

/** Renders a value for an error message; secrets are never rendered. */
export function renderValue(value: unknown, secret = false): string {
  if (value === undefined) return "(not set)";
  if (secret) return "(secret)";
  if (typeof value === "string") return JSON.stringify(value);
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let cur: unknown = input;
  for (const part of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[part];
  }
  return cur;
}

/** Joins a zod issue path into the dotted suffix of a config key (`sqlServer.port`, `tables[2]`). */
export function pathToKey(path: PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out;
}

/**
 * Converts zod issues into problems. `namespace` is the config namespace (`facility`, `platform`);
 * `secretKeys` are top-level keys whose values must never be rendered.
 */
export function problemsFromZod(
  error: z.ZodError,
  input: unknown,
  namespace: string,
  secretKeys: ReadonlySet<string> = new Set(),
): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const k of issue.keys) {
        const path = [...issue.path, k];
        out.push({
          key: `${namespace}:${pathToKey(path)}`,
          value: renderValue(valueAt(input, path), secretKeys.has(String(path[0]))),
          message: `unknown key (misspelt?); remove it or use one of the keys listed in the README's config reference`,
        });
      }
      continue;
    }
    const top = String(issue.path[0] ?? "");
    out.push({
      key: `${namespace}:${pathToKey(issue.path)}`,
      value: renderValue(valueAt(input, issue.path), secretKeys.has(top)),
      message: issue.message,
    });
  }
  return out;
}
