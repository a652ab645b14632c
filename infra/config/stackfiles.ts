import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { overlaps, parseCidr, parseIpv4 } from "./cidr";
import { FACILITY_NAMESPACE, FACILITY_SECRET_KEYS, type FacilityConfig, parseFacility } from "./facility";
import {
  PLATFORM_LOCAL_SECRET_KEYS,
  PLATFORM_NAMESPACE,
  type PlatformConfig,
  parsePlatform,
} from "./platform";
import { ConfigError, type ConfigProblem, renderValue } from "./problems";

/** Repository root (two levels above this file). */
export const REPO_ROOT = path.resolve(__dirname, "..", "..");
/** The one platform stack with `platform:target: local` (loopback data plane; never run by CI). */
export const LOCAL_PLATFORM_STACK = "local";
/** Folder holding the facility project and its stack files. */
export const FACILITIES_DIR = path.join(REPO_ROOT, "facilities");

/** A stack config file as read from disk: plain values by key, and which keys are Pulumi secrets. */
export interface StackFile {
  file: string;
  stack: string;
  /** `namespace:key` → value, for keys whose value is not a secret. */
  values: Record<string, unknown>;
  /** `namespace:key` of values stored as `{secure: …}`. */
  secureKeys: Set<string>;
}

/** Reads `Pulumi.<stack>.yaml`. Throws a one-line error if it is not YAML or has no `config:` map. */
export function readStackFile(file: string): StackFile {
  const stack = path
    .basename(file)
    .replace(/^Pulumi\./, "")
    .replace(/\.ya?ml$/, "");
  let doc: unknown;
  try {
    doc = parseYaml(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new ConfigError(`stack file ${path.relative(REPO_ROOT, file)}`, [
      {
        key: "(file)",
        value: "(unparseable)",
        message: `is not valid YAML: ${(e as Error).message.split("\n")[0]}`,
      },
    ]);
  }
  const config = (doc as { config?: unknown } | null)?.config ?? {};
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new ConfigError(`stack file ${path.relative(REPO_ROOT, file)}`, [
      { key: "config", value: renderValue(config), message: "must be a map of `namespace:key: value`" },
    ]);
  }
  const values: Record<string, unknown> = {};
  const secureKeys = new Set<string>();
  for (const [k, v] of Object.entries(config as Record<string, unknown>)) {
    if (v && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 1 && "secure" in v) {
      secureKeys.add(k);
    } else {
      values[k] = v;
    }
  }
  return { file, stack, values, secureKeys };
}

/** The keys of one namespace with the namespace stripped: `facility:name` → `name`. */
export function namespaceValues(values: Record<string, unknown>, namespace: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(values)) {
    if (k.startsWith(`${namespace}:`)) out[k.slice(namespace.length + 1)] = v;
  }
  return out;
}

/** Lists stack files `Pulumi.<stack>.yaml` in a folder, sorted. */
export function listStackFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /^Pulumi\.[^.]+\.ya?ml$/.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

/** A facility stack file, validated, with whether its secrets are set. */
export interface FacilityStack {
  file: string;
  stack: string;
  config: FacilityConfig;
  /** Secret keys still to be set with `pulumi config set --secret`. */
  missingSecrets: string[];
}

/** Validates one facility stack file, including that no secret is stored in plain text. */
export function loadFacilityStack(file: string): FacilityStack {
  const sf = readStackFile(file);
  const raw = namespaceValues(sf.values, FACILITY_NAMESPACE);
  const problems: ConfigProblem[] = [];
  for (const key of FACILITY_SECRET_KEYS) {
    if (key in raw) {
      problems.push({
        key: `${FACILITY_NAMESPACE}:${key}`,
        value: "(plain text)",
        message: `is a secret stored in plain text; remove it and run \`pulumi config set --secret ${FACILITY_NAMESPACE}:${key}\``,
      });
      delete raw[key];
    }
  }
  let config: FacilityConfig | undefined;
  try {
    config = parseFacility(raw, sf.stack);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    problems.push(...e.problems);
  }
  if (config && config.slug !== sf.stack) {
    problems.push({
      key: `${FACILITY_NAMESPACE}:slug`,
      value: renderValue(config.slug),
      message: `must equal the stack name \`${sf.stack}\` of ${path.basename(file)}; rename the file or fix the slug`,
    });
  }
  if (problems.length > 0 || !config) throw new ConfigError(`facility \`${sf.stack}\``, problems);
  const missingSecrets = [...FACILITY_SECRET_KEYS].filter(
    (k) => !sf.secureKeys.has(`${FACILITY_NAMESPACE}:${k}`),
  );
  return { file, stack: sf.stack, config, missingSecrets };
}

/**
 * Validates the platform stack file `Pulumi.<stack>.yaml` at the repository root, including that no
 * secret of a `local` stack is stored in plain text.
 */
export function loadPlatformStack(file: string): { stack: string; config: PlatformConfig } {
  const sf = readStackFile(file);
  const raw = namespaceValues(sf.values, PLATFORM_NAMESPACE);
  const problems: ConfigProblem[] = [];
  for (const key of PLATFORM_LOCAL_SECRET_KEYS) {
    if (key in raw) {
      problems.push({
        key: `${PLATFORM_NAMESPACE}:${key}`,
        value: "(plain text)",
        message: `is a secret stored in plain text; remove it and run \`pulumi config set --secret ${PLATFORM_NAMESPACE}:${key}\``,
      });
      delete raw[key];
    }
  }
  let config: PlatformConfig | undefined;
  try {
    config = parsePlatform(raw, sf.stack);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    problems.push(...e.problems);
  }
  // CI skips the stack named `local` (infra/delivery), so the name and the target must agree.
  if (config && (config.target === "local") !== (sf.stack === LOCAL_PLATFORM_STACK)) {
    problems.push({
      key: `${PLATFORM_NAMESPACE}:target`,
      value: renderValue(config.target),
      message:
        config.target === "local"
          ? `is only allowed in Pulumi.${LOCAL_PLATFORM_STACK}.yaml (CI previews and deploys every other platform stack); rename the file or set target aws`
          : `must be local in Pulumi.${LOCAL_PLATFORM_STACK}.yaml (CI skips that stack); set \`platform:target: local\``,
    });
  }
  if (problems.length > 0 || !config) throw new ConfigError(`platform stack \`${sf.stack}\``, problems);
  return { stack: sf.stack, config };
}

/** Platform stack files at the repository root (the root `Pulumi.yaml` project). */
export function platformStackFiles(root = REPO_ROOT): string[] {
  return listStackFiles(root);
}

/** Facility stack files under `facilities/`. */
export function facilityStackFiles(dir = FACILITIES_DIR): string[] {
  return listStackFiles(dir);
}

/**
 * Rules across facilities: unique DHIS2 codes, slugs and names; LAN CIDRs that overlap neither each
 * other nor the VPC of the platform stack they stream to; SQL Server hosts inside the facility LAN.
 */
export function crossFacilityProblems(
  facilities: FacilityStack[],
  platforms: Map<string, PlatformConfig>,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const unique = (what: "dhis2Code" | "slug" | "name", norm: (s: string) => string) => {
    const seen = new Map<string, string>();
    for (const f of facilities) {
      const v = norm(f.config[what]);
      const other = seen.get(v);
      if (other !== undefined) {
        problems.push({
          key: `${FACILITY_NAMESPACE}:${what}`,
          value: renderValue(f.config[what]),
          message: `in ${f.stack} is already used by facility ${other}; each facility needs its own ${what}`,
        });
      } else seen.set(v, f.stack);
    }
  };
  unique("dhis2Code", (s) => s.toLowerCase());
  unique("slug", (s) => s);
  unique("name", (s) => s.trim().toLowerCase());

  const lans = facilities.flatMap((f) =>
    f.config.tunnel.lanCidrs.map((c) => ({ stack: f.stack, range: parseCidr(c)! })),
  );
  for (let i = 0; i < lans.length; i++) {
    for (let j = i + 1; j < lans.length; j++) {
      if (lans[i].stack !== lans[j].stack && overlaps(lans[i].range, lans[j].range)) {
        problems.push({
          key: `${FACILITY_NAMESPACE}:tunnel.lanCidrs`,
          value: renderValue(lans[j].range.cidr),
          message: `in ${lans[j].stack} overlaps ${lans[i].range.cidr} of ${lans[i].stack}; VPN routes need distinct LANs (re-address one LAN or NAT it)`,
        });
      }
    }
  }
  for (const f of facilities) {
    const platformStack = f.config.platformStack.split("/")[2];
    const platform = platforms.get(platformStack);
    if (!platform) {
      problems.push({
        key: `${FACILITY_NAMESPACE}:platformStack`,
        value: renderValue(f.config.platformStack),
        message: `in ${f.stack} names stack \`${platformStack}\`, but there is no Pulumi.${platformStack}.yaml at the repository root`,
      });
      continue;
    }
    if (platform.target !== "aws") {
      problems.push({
        key: `${FACILITY_NAMESPACE}:platformStack`,
        value: renderValue(f.config.platformStack),
        message: `in ${f.stack} names stack \`${platformStack}\`, a loopback-only (target local) stack no facility can stream to; name an aws platform stack`,
      });
      continue;
    }
    const vpc = parseCidr(platform.network.vpcCidr)!;
    for (const c of f.config.tunnel.lanCidrs) {
      if (overlaps(parseCidr(c)!, vpc)) {
        problems.push({
          key: `${FACILITY_NAMESPACE}:tunnel.lanCidrs`,
          value: renderValue(c),
          message: `in ${f.stack} overlaps the platform VPC ${platform.network.vpcCidr} of stack ${platformStack}; choose a LAN range outside it`,
        });
      }
    }
    const ip = parseIpv4(f.config.sqlServer.host);
    if (ip !== undefined) {
      const inLan = f.config.tunnel.lanCidrs.some((c) => {
        const r = parseCidr(c)!;
        return ip >= r.first && ip <= r.last;
      });
      if (!inLan) {
        problems.push({
          key: `${FACILITY_NAMESPACE}:sqlServer.host`,
          value: renderValue(f.config.sqlServer.host),
          message: `in ${f.stack} is outside its tunnel.lanCidrs ${f.config.tunnel.lanCidrs.join(", ")}; fix the address or add its LAN`,
        });
      }
    }
  }
  return problems;
}

/** Result of validating every stack file of the repository. */
export interface ValidationReport {
  platforms: Map<string, PlatformConfig>;
  facilities: FacilityStack[];
  /** Every problem found, with the stack it belongs to. */
  errors: string[];
}

/** Validates all platform and facility stack files and the rules across facilities. Never throws on bad config. */
export function validateRepository(
  root = REPO_ROOT,
  facilitiesDir = path.join(root, "facilities"),
): ValidationReport {
  const errors: string[] = [];
  const platforms = new Map<string, PlatformConfig>();
  for (const file of platformStackFiles(root)) {
    try {
      const p = loadPlatformStack(file);
      platforms.set(p.stack, p.config);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      errors.push(e.message);
    }
  }
  const facilities: FacilityStack[] = [];
  for (const file of facilityStackFiles(facilitiesDir)) {
    try {
      facilities.push(loadFacilityStack(file));
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      errors.push(e.message);
    }
  }
  const cross = crossFacilityProblems(facilities, platforms);
  if (cross.length > 0) errors.push(new ConfigError("facilities", cross).message);
  return { platforms, facilities, errors };
}
