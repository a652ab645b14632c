import { RecordedLike } from "../../../policy/normalize";

/** One table row: resources given to one rule, and the exact messages expected (none = passes). */
export interface Case {
  rule: string;
  title: string;
  resources: RecordedLike[];
  /** Settings overriding the rule's defaults. */
  config?: Record<string, unknown>;
  expected: string[];
}

/** A deep copy of `obj` with `path` (dotted) set to `value`, or removed when `value` is undefined. */
export function withPath(
  obj: Record<string, unknown>,
  path: string,
  value: unknown,
): Record<string, unknown> {
  const copy = structuredClone(obj);
  const keys = path.split(".");
  let cur: Record<string, unknown> = copy;
  for (const k of keys.slice(0, -1)) {
    if (typeof cur[k] !== "object" || cur[k] === null) cur[k] = {};
    cur = cur[k] as Record<string, unknown>;
  }
  const last = keys[keys.length - 1];
  if (value === undefined) delete cur[last];
  else cur[last] = value;
  return copy;
}
