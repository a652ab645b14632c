import { CONNECT_REST_PORT, SECRETS_DIR, VPN_CONTAINER } from "../../infra/connect/names";
import {
  ResourceInput,
  ResourceRule,
  RuleConfig,
  T,
  at,
  cfgStrings,
  isUnknown,
  list,
  num,
  q,
  str,
} from "./model";

const NO_ESCALATION_MODES = ["pidMode", "ipcMode", "usernsMode"] as const;

/** No container with host-level powers. */
export const noPrivilegedContainers: ResourceRule = {
  kind: "resource",
  name: "docker-no-privileged-containers",
  description:
    "No container on a facility host may run privileged, share the host's PID/IPC/user namespaces or drop seccomp/AppArmor, because it sits next to the facility's patient database.",
  remediation:
    'Remove privileged, pidMode/ipcMode/usernsMode "host" and unconfined securityOpts; grant single capabilities instead (VPN endpoint only).',
  defaultLevel: "mandatory",
  severity: "critical",
  defaults: {},
  types: [T.container],
  check(r) {
    const out: string[] = [];
    if (r.props.privileged === true)
      out.push(`Container ${q(r.name)} runs privileged; remove privileged: true.`);
    for (const mode of NO_ESCALATION_MODES) {
      if (r.props[mode] === "host") out.push(`Container ${q(r.name)} uses ${mode} "host"; remove it.`);
    }
    const opts = list(r.props.securityOpts);
    if (!isUnknown(opts)) {
      for (const o of opts) {
        if (typeof o === "string" && /unconfined/.test(o)) {
          out.push(
            `Container ${q(r.name)} sets securityOpt ${q(o)}; keep the default seccomp and AppArmor profiles.`,
          );
        }
      }
    }
    return out;
  },
};

/** Whether a container is the facility's VPN endpoint (by its container name). */
export function isVpnEndpoint(r: ResourceInput, config: RuleConfig): boolean {
  const name = str(r.props.name);
  return name !== undefined && cfgStrings(config, "vpnEndpointNames").includes(name);
}

/** Capabilities only for the tunnel. */
export const capabilitiesVpnOnly: ResourceRule = {
  kind: "resource",
  name: "docker-capabilities-vpn-endpoint-only",
  description:
    "Only the VPN endpoint container may add Linux capabilities, and only the ones it needs, so the Kafka Connect worker holding the facility's credentials has no extra powers.",
  remediation:
    "Remove capabilities.adds from every container except the VPN endpoint (named in vpnEndpointNames); give it only allowedVpnCapabilities (policy config).",
  defaultLevel: "mandatory",
  severity: "high",
  defaults: {
    // The facility program names its VPN endpoint container after the Connect container.
    vpnEndpointNames: [VPN_CONTAINER],
    // XFRM interfaces and routes (NET_ADMIN), raw sockets (NET_RAW), IKE on UDP 500/4500 (NET_BIND_SERVICE).
    allowedVpnCapabilities: ["NET_ADMIN", "NET_RAW", "NET_BIND_SERVICE"],
  },
  types: [T.container],
  check(r, config) {
    const adds = list(at(r.props, "capabilities.adds"));
    if (isUnknown(adds) || adds.length === 0) return [];
    const names = adds.map((c) => String(c).toUpperCase().replace(/^CAP_/, ""));
    if (!isVpnEndpoint(r, config)) {
      return [
        `Container ${q(r.name)} adds capabilities ${names.join(", ")}; only the VPN endpoint container may add capabilities.`,
      ];
    }
    const allowed = cfgStrings(config, "allowedVpnCapabilities");
    const extra = names.filter((c) => !allowed.includes(c));
    return extra.length === 0
      ? []
      : [
          `VPN endpoint container ${q(r.name)} adds ${extra.join(", ")}; it may only add ${allowed.join(", ")}.`,
        ];
  },
};

const SECRET_WORDS = new Set([
  "PASS",
  "PASSWORD",
  "PASSWD",
  "PWD",
  "SECRET",
  "SECRETS",
  "TOKEN",
  "CREDENTIAL",
  "CREDENTIALS",
  "PSK",
  "APIKEY",
  "PRIVATEKEY",
]);
// A variable naming where a secret is, not the secret itself (`KAFKA_PASS_FILE=/run/secrets/...`).
const POINTER_WORDS = new Set(["FILE", "FILES", "PATH", "DIR"]);

/** True when a variable or label name says it holds a secret (`DB_PASS`, `API_KEY`, `x.token`). */
export function isSecretName(name: string): boolean {
  const tokens = name
    .toUpperCase()
    .split(/[^A-Z0-9]+/)
    .filter(Boolean);
  if (tokens.length === 0) return false;
  if (POINTER_WORDS.has(tokens[tokens.length - 1])) return false;
  // KEY counts only as the last word: API_KEY is a secret, KEY_CONVERTER is not.
  return tokens.some((t) => SECRET_WORDS.has(t)) || tokens[tokens.length - 1] === "KEY";
}

/** True when a value only points at a secret: a config-provider reference or a file under SECRETS_DIR. */
export function isSecretReference(value: string): boolean {
  const v = value.trim();
  return v === "" || /^\$\{(file|directory):/.test(v) || v === SECRETS_DIR || v.startsWith(`${SECRETS_DIR}/`);
}

/** Why a value looks like it carries a secret inline, or undefined. */
export function inlineSecret(value: string): string | undefined {
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(value)) return "a private key";
  // `password=...` (properties, JAAS) and `"...password": "..."` (connector JSON).
  const m = /password"?\s*[:=]\s*"?([^"\s;,}]*)/i.exec(value);
  if (m && m[1] !== "" && !m[1].startsWith("${")) return "a literal password";
  return undefined;
}

/** No secrets where `docker inspect` shows them. */
export const noSecretsInContainerEnv: ResourceRule = {
  kind: "resource",
  name: "docker-no-secrets-in-env-or-labels",
  description:
    "Containers must not carry secrets in environment variables or labels, because `docker inspect`, the REST API and logs show them; workers read secrets from read-only files.",
  remediation:
    "Mount the secret as a file under SECRETS_DIR and reference it with a config provider (`${file:...}`) or a *_FILE variable.",
  defaultLevel: "mandatory",
  severity: "critical",
  defaults: {},
  types: [T.container],
  check(r) {
    const out: string[] = [];
    const secretPaths = r.secretPaths ?? [];
    for (const field of ["envs", "labels"]) {
      if (secretPaths.some((p) => p === field || p.startsWith(`${field}.`))) {
        out.push(
          `Container ${q(r.name)} has a Pulumi secret in ${field}; secrets in ${field} are readable with docker inspect.`,
        );
      }
    }
    const envs = list(r.props.envs);
    if (!isUnknown(envs)) {
      for (const e of envs) {
        if (typeof e !== "string") continue;
        const i = e.indexOf("=");
        const key = i < 0 ? e : e.slice(0, i);
        const value = i < 0 ? "" : e.slice(i + 1);
        const inline = inlineSecret(value);
        if (isSecretName(key) && !isSecretReference(value)) {
          out.push(`Container ${q(r.name)}: env ${key} looks like a secret; pass a file reference instead.`);
        } else if (inline) {
          out.push(`Container ${q(r.name)}: env ${key} contains ${inline}; use \${file:...} instead.`);
        }
      }
    }
    const labels = list(r.props.labels);
    if (!isUnknown(labels)) {
      for (const l of labels) {
        const key = String(at(l, "label") ?? "");
        const value = str(at(l, "value")) ?? "";
        const inline = inlineSecret(value);
        if (isSecretName(key) && !isSecretReference(value)) {
          out.push(`Container ${q(r.name)}: label ${key} looks like a secret; labels are public metadata.`);
        } else if (inline) {
          out.push(`Container ${q(r.name)}: label ${key} contains ${inline}.`);
        }
      }
    }
    return out;
  },
};

/** Secret files are read-only mounts or private uploads. */
export const secretFilesProtected: ResourceRule = {
  kind: "resource",
  name: "docker-secret-files-protected",
  description:
    "Secret files under SECRETS_DIR must be mounted read-only or uploaded without world access, so no other process or user on the host can read or replace the credentials.",
  remediation:
    'Set readOnly: true on mounts and volumes under SECRETS_DIR (infra/connect/names.ts) and give uploads there permissions like "0400".',
  defaultLevel: "mandatory",
  severity: "high",
  defaults: {},
  types: [T.container],
  check(r) {
    const out: string[] = [];
    const under = (p: unknown) =>
      typeof p === "string" && (p === SECRETS_DIR || p.startsWith(`${SECRETS_DIR}/`));
    for (const [field, targetKey] of [
      ["mounts", "target"],
      ["volumes", "containerPath"],
    ] as const) {
      const items = list(r.props[field]);
      if (isUnknown(items)) continue;
      for (const m of items) {
        const target = at(m, targetKey);
        if (under(target) && at(m, "readOnly") !== true) {
          out.push(
            `Container ${q(r.name)} mounts ${q(target)} writable; set readOnly: true on secret mounts.`,
          );
        }
      }
    }
    const uploads = list(r.props.uploads);
    if (!isUnknown(uploads)) {
      for (const u of uploads) {
        const file = at(u, "file");
        if (!under(file)) continue;
        const mode = str(at(u, "permissions"));
        // Docker's default for an upload is 0644: readable by every user of the container.
        if (mode === undefined || !/^0?[0-7]{2}0$/.test(mode)) {
          out.push(
            `Container ${q(r.name)} uploads ${q(file)} with permissions ${mode ?? "unset (0644)"}; use 0400 or 0440 for secret files.`,
          );
        }
      }
    }
    return out;
  },
};

const LOOPBACK = ["127.0.0.1", "::1", "localhost"];

/** The Connect REST API stays on the host. */
export const connectRestNotExposed: ResourceRule = {
  kind: "resource",
  name: "docker-connect-rest-loopback-only",
  description:
    "The Kafka Connect REST port has no authentication and returns connector configs, so a container may publish it only on the loopback address.",
  remediation: `Publish port ${CONNECT_REST_PORT} with ip "127.0.0.1" (the troubleshooting commands use localhost) or not at all.`,
  defaultLevel: "mandatory",
  severity: "high",
  defaults: {},
  types: [T.container],
  check(r) {
    const ports = list(r.props.ports);
    if (isUnknown(ports)) return [];
    const out: string[] = [];
    for (const p of ports) {
      if (num(at(p, "internal")) !== CONNECT_REST_PORT) continue;
      const ip = str(at(p, "ip")) ?? "0.0.0.0";
      if (!LOOPBACK.includes(ip)) {
        out.push(
          `Container ${q(r.name)} publishes the Connect REST port ${CONNECT_REST_PORT} on ${ip}; bind it to 127.0.0.1.`,
        );
      }
    }
    if (r.props.publishAllPorts === true) {
      out.push(`Container ${q(r.name)} publishes all ports; publish only what is needed, on 127.0.0.1.`);
    }
    return out;
  },
};

/** Environment entries `{ name, value }` of every container in an ECS task definition's JSON. */
function ecsEnvironment(defs: unknown): { container: string; name: string; value: string }[] | undefined {
  let parsed: unknown = defs;
  if (typeof defs === "string") {
    try {
      parsed = JSON.parse(defs);
    } catch {
      return undefined;
    }
  }
  if (!Array.isArray(parsed)) return undefined;
  return parsed.flatMap((c) => {
    const env = list(at(c, "environment"));
    if (isUnknown(env)) return [];
    return env.map((e) => ({
      container: String(at(c, "name") ?? "?"),
      name: String(at(e, "name") ?? ""),
      value: str(at(e, "value")) ?? "",
    }));
  });
}

/** No secrets in the central sink's task environment. */
export const noSecretsInEcsEnvironment: ResourceRule = {
  kind: "resource",
  name: "ecs-no-secrets-in-task-environment",
  description:
    "ECS task definitions must take secrets from `secrets` (Secrets Manager references), never from `environment`, because anyone who can describe the task definition reads its environment.",
  remediation:
    "Move the value to Secrets Manager and list it under the container's `secrets` with valueFrom, or reference a file with ${file:...}.",
  defaultLevel: "mandatory",
  severity: "critical",
  defaults: {},
  types: [T.ecsTaskDefinition],
  check(r) {
    const env = ecsEnvironment(r.props.containerDefinitions);
    if (env === undefined) return [];
    const out: string[] = [];
    for (const e of env) {
      if (isSecretName(e.name) && !isSecretReference(e.value)) {
        out.push(
          `Task definition ${q(r.name)}, container ${e.container}: environment ${e.name} looks like a secret; use secrets/valueFrom.`,
        );
      } else {
        const why = inlineSecret(e.value);
        if (why)
          out.push(
            `Task definition ${q(r.name)}, container ${e.container}: environment ${e.name} contains ${why}.`,
          );
      }
    }
    return out;
  },
};
