import { ResourceInput, ResourceOpts, UNKNOWN } from "./rules/model";

// Wire signatures of the Pulumi property protocol: a secret is `{ [SIG_KEY]: SECRET_SIG, value }`.
// The Pulumi mocks keep this wrapper in recorded inputs; the policy server strips it before rules run.
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

// Sentinels the policy server leaves in place of values unknown during preview.
const UNKNOWN_SENTINELS = new Set([
  "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
  "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
  "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
  "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
  "030794c1-ac77-496b-92df-f27374a8bd58",
  "e48ece36-62e2-4504-bad9-02848725956a",
  "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
]);

function isSecretWrapper(v: unknown): v is { value: unknown } {
  return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

function isUnknownValue(v: unknown): boolean {
  if (typeof v === "string") return UNKNOWN_SENTINELS.has(v);
  // The SDK's `Unknown` (what the mocks record during preview) marks itself with this field.
  return typeof v === "object" && v !== null && (v as Record<string, unknown>).__pulumiUnknown === true;
}

/**
 * Plain props from raw ones: secrets unwrapped (their paths remembered), unknowns turned into UNKNOWN.
 */
export function normalizeProps(raw: unknown): { props: Record<string, unknown>; secretPaths: string[] } {
  const secretPaths: string[] = [];
  const walk = (v: unknown, path: string): unknown => {
    if (isSecretWrapper(v)) {
      secretPaths.push(path);
      return walk(v.value, path);
    }
    if (isUnknownValue(v)) return UNKNOWN;
    if (Array.isArray(v)) return v.map((e, i) => walk(e, path ? `${path}.${i}` : String(i)));
    if (typeof v === "object" && v !== null && Object.getPrototypeOf(v) === Object.prototype) {
      const out: Record<string, unknown> = {};
      for (const [k, e] of Object.entries(v)) out[k] = walk(e, path ? `${path}.${k}` : k);
      return out;
    }
    return v;
  };
  const props = walk(raw ?? {}, "");
  return {
    props: typeof props === "object" && props !== null ? (props as Record<string, unknown>) : {},
    secretPaths,
  };
}

/**
 * `defaultTags.tags` of a provider's props. Provider inputs arrive JSON-encoded for nested objects,
 * so both shapes are accepted.
 */
export function providerDefaultTags(providerProps: unknown): Record<string, string> | undefined {
  if (typeof providerProps !== "object" || providerProps === null) return undefined;
  let dt = (providerProps as Record<string, unknown>).defaultTags;
  if (typeof dt === "string") {
    try {
      dt = JSON.parse(dt);
    } catch {
      return undefined;
    }
  }
  const tags = typeof dt === "object" && dt !== null ? (dt as Record<string, unknown>).tags : undefined;
  if (typeof tags !== "object" || tags === null) return undefined;
  return Object.fromEntries(
    Object.entries(tags).filter((e): e is [string, string] => typeof e[1] === "string"),
  );
}

/** A resource as recorded by test/helpers/mocks.ts (or any caller that has type, name and inputs). */
export interface RecordedLike {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  id?: string;
  urn?: string;
  opts?: ResourceOpts;
  providerTags?: Record<string, string>;
}

/** ResourceInput from a recorded resource; the props keep track of which values were secrets. */
export function fromRecorded(r: RecordedLike): ResourceInput {
  const { props, secretPaths } = normalizeProps(r.inputs);
  return {
    type: r.type,
    name: r.name,
    props,
    secretPaths,
    id: r.id,
    urn: r.urn,
    opts: r.opts,
    providerTags: r.providerTags,
  };
}

// The policy server wraps props in a proxy that throws on unknown values; this key returns the
// plain object so rules can treat unknowns themselves (see @pulumi/policy proxy.js).
const PROXY_TARGET = "__getSpecialProxyTarget";

/** Raw props behind the policy server's unknown-checking proxy. */
export function unproxy(props: unknown): unknown {
  if (typeof props !== "object" || props === null) return props;
  const target = (props as Record<string, unknown>)[PROXY_TARGET];
  return target ?? props;
}

/** What the policy server hands a resource validation, reduced to the fields used here. */
export interface EngineResourceLike {
  type: string;
  name: string;
  urn: string;
  props: Record<string, unknown>;
  opts: { protect: boolean; deleteBeforeReplace?: boolean };
  provider?: { props: Record<string, unknown> };
  propertyDependencies?: Record<string, { urn: string }[]>;
}

/** ResourceInput from the policy server's arguments (resource or stack validation). */
export function fromEngine(r: EngineResourceLike): ResourceInput {
  const { props } = normalizeProps(unproxy(r.props));
  const deps: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(r.propertyDependencies ?? {})) deps[k] = v.map((d) => d.urn);
  return {
    type: r.type,
    name: r.name,
    urn: r.urn,
    props,
    opts: { protect: r.opts.protect, deleteBeforeReplace: r.opts.deleteBeforeReplace },
    providerTags: r.provider ? providerDefaultTags(unproxy(r.provider.props)) : undefined,
    propertyDependencies: deps,
  };
}
