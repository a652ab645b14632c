/**
 * Site-to-site IPsec between a facility and the platform's transit gateway, as data (pure).
 *
 * AWS terminates every VPN connection on two tunnels in different AZs; the facility side runs both,
 * route-based (one XFRM interface per tunnel, traffic selectors 0.0.0.0/0), so failover is a routing
 * decision and no policy has to list the platform's subnets.
 */

/** IKE versions offered: IKEv2 only (IKEv1 aggressive mode leaks the PSK hash). */
export const IKE_VERSIONS = ["ikev2"];
/** Phase 1 and phase 2 encryption: AES-256 only (CBC and GCM). */
export const ENCRYPTION_ALGORITHMS = ["AES256", "AES256-GCM-16"];
/** Phase 1 and phase 2 integrity: SHA-2 only. */
export const INTEGRITY_ALGORITHMS = ["SHA2-256", "SHA2-384", "SHA2-512"];
/** Diffie-Hellman groups: MODP 2048 and the NIST elliptic curves; nothing below group 14. */
export const DH_GROUPS = [14, 19, 20, 21];

/** IKE SA lifetime AWS uses by default (8 h); the facility rekeys a little earlier. */
export const PHASE1_LIFETIME_SECONDS = 28_800;
/** IPsec SA lifetime AWS uses by default (1 h). */
export const PHASE2_LIFETIME_SECONDS = 3_600;

/** AWS tunnel options of one tunnel (`tunnel1…`/`tunnel2…` of aws.ec2.VpnConnection), without its key. */
export type AwsTunnelOptions<I extends 1 | 2> = {
  [
    K in
      | "IkeVersions"
      | "Phase1EncryptionAlgorithms"
      | "Phase1IntegrityAlgorithms"
      | "Phase2EncryptionAlgorithms"
      | "Phase2IntegrityAlgorithms" as `tunnel${I}${K}`
  ]: string[];
} & {
  [K in "Phase1DhGroupNumbers" | "Phase2DhGroupNumbers" as `tunnel${I}${K}`]: number[];
} & {
  [K in "Phase1LifetimeSeconds" | "Phase2LifetimeSeconds" as `tunnel${I}${K}`]: number;
} & {
  [K in "DpdTimeoutAction" | "StartupAction" as `tunnel${I}${K}`]: string;
};

/**
 * The crypto and liveness options of tunnel `i`: IKEv2, AES-256, SHA-2, DH ≥ 14 in both phases, AWS's
 * default lifetimes, restart on dead peer. The facility initiates (it may sit behind NAT), so AWS only
 * waits (`add`).
 */
export function awsTunnelOptions<I extends 1 | 2>(i: I): AwsTunnelOptions<I> {
  return {
    [`tunnel${i}IkeVersions`]: IKE_VERSIONS,
    [`tunnel${i}Phase1EncryptionAlgorithms`]: ENCRYPTION_ALGORITHMS,
    [`tunnel${i}Phase1IntegrityAlgorithms`]: INTEGRITY_ALGORITHMS,
    [`tunnel${i}Phase1DhGroupNumbers`]: DH_GROUPS,
    [`tunnel${i}Phase1LifetimeSeconds`]: PHASE1_LIFETIME_SECONDS,
    [`tunnel${i}Phase2EncryptionAlgorithms`]: ENCRYPTION_ALGORITHMS,
    [`tunnel${i}Phase2IntegrityAlgorithms`]: INTEGRITY_ALGORITHMS,
    [`tunnel${i}Phase2DhGroupNumbers`]: DH_GROUPS,
    [`tunnel${i}Phase2LifetimeSeconds`]: PHASE2_LIFETIME_SECONDS,
    [`tunnel${i}DpdTimeoutAction`]: "restart",
    [`tunnel${i}StartupAction`]: "add",
  } as AwsTunnelOptions<I>;
}

/** Length of generated pre-shared keys: AWS's maximum. */
export const PSK_LENGTH = 64;
/** The only non-alphanumeric characters AWS accepts in a pre-shared key. */
export const PSK_SPECIAL_CHARACTERS = "._";

/** AWS rule for tunnel pre-shared keys: 8–64 characters, letters, digits, `.` and `_`, not starting with `0`. */
export function isValidPresharedKey(key: string): boolean {
  return /^[A-Za-z0-9._]{8,64}$/.test(key) && !key.startsWith("0");
}

/**
 * Fits a random string to AWS's pre-shared key rules: characters outside AWS's alphabet are dropped
 * (none are, with the generator settings above), the result is cut to 64, and a leading `0` — which
 * AWS rejects and a random generator cannot rule out — becomes `Z`. Throws if fewer than 8 remain.
 */
export function awsPresharedKey(random: string): string {
  const kept = random.replace(/[^A-Za-z0-9._]/g, "").slice(0, PSK_LENGTH);
  const key = kept.startsWith("0") ? `Z${kept.slice(1)}` : kept;
  if (!isValidPresharedKey(key)) {
    throw new Error(
      `generated pre-shared key does not fit AWS's rules (8–64 of A-Z a-z 0-9 . _, not starting with 0): ${key.length} usable characters; check the RandomPassword settings`,
    );
  }
  return key;
}

/** What the facility side needs to know about one AWS tunnel (all non-secret). */
export interface TunnelEndpoint {
  /** Outside IP address of the AWS end. */
  outsideAddress: string;
  /** Inside (link-local /30) address of the facility end. */
  cgwInsideAddress: string;
  /** Inside address of the AWS end. */
  awsInsideAddress: string;
}

/** Both tunnels of a VPN connection plus what routes over them. */
export interface TunnelEndpoints {
  /** The facility router's public IPv4 address (its IKE identity). */
  facilityPublicIp: string;
  tunnels: [TunnelEndpoint, TunnelEndpoint];
  /** Platform ranges reached through the tunnels (the VPC CIDR). */
  remoteCidrs: string[];
}

/** Name of tunnel `i` (1 or 2) in the strongSwan configuration and of its XFRM interface. */
export function tunnelName(i: 1 | 2): string {
  return `aws-tunnel-${i}`;
}

/** XFRM interface id / name of tunnel `i`. */
export function xfrmInterface(i: 1 | 2): { id: number; name: string } {
  return { id: i, name: `xfrm-aws${i}` };
}

const ikeProposals = "aes256gcm16-prfsha256-ecp256,aes256-sha256-modp2048,aes256-sha384-ecp384";
const espProposals = "aes256gcm16-ecp256,aes256-sha256-modp2048,aes256-sha384-ecp384";

/**
 * strongSwan `swanctl.conf` for both tunnels, route-based: each tunnel's SAs are bound to an XFRM
 * interface by `if_id_in`/`if_id_out`, with 0.0.0.0/0 traffic selectors; routes over the interfaces
 * decide what goes through (see renderVpnUpScript). Holds no secret: the pre-shared keys are read from
 * `conf.d/*.conf` (renderSwanctlSecrets), kept in a separate file with its own permissions.
 */
export function renderSwanctlConf(ep: TunnelEndpoints): string {
  const conn = (i: 1 | 2) => {
    const t = ep.tunnels[i - 1];
    const name = tunnelName(i);
    const ifId = xfrmInterface(i).id;
    return [
      `  ${name} {`,
      `    version = 2`,
      `    local_addrs = %any`,
      `    remote_addrs = ${t.outsideAddress}`,
      `    proposals = ${ikeProposals}`,
      `    rekey_time = ${PHASE1_LIFETIME_SECONDS - 900}s`,
      `    dpd_delay = 10s`,
      `    mobike = no`,
      `    local {`,
      `      auth = psk`,
      `      id = ${ep.facilityPublicIp}`,
      `    }`,
      `    remote {`,
      `      auth = psk`,
      `      id = ${t.outsideAddress}`,
      `    }`,
      `    children {`,
      `      ${name} {`,
      `        local_ts = 0.0.0.0/0`,
      `        remote_ts = 0.0.0.0/0`,
      `        esp_proposals = ${espProposals}`,
      `        rekey_time = ${PHASE2_LIFETIME_SECONDS - 300}s`,
      `        if_id_in = ${ifId}`,
      `        if_id_out = ${ifId}`,
      `        dpd_action = restart`,
      `        close_action = start`,
      `        start_action = start`,
      `      }`,
      `    }`,
      `  }`,
    ].join("\n");
  };
  return [
    `# strongSwan configuration of the facility's two tunnels to the platform (route-based, IKEv2).`,
    `# Pre-shared keys are not here: they are in conf.d/clinicmaster-psk.conf.`,
    `connections {`,
    conn(1),
    conn(2),
    `}`,
    `include conf.d/*.conf`,
    ``,
  ].join("\n");
}

/** Path of the pre-shared key file relative to the swanctl directory. */
export const SWANCTL_SECRETS_FILE = "conf.d/clinicmaster-psk.conf";

/** The `secrets` section with both pre-shared keys. Its result is a secret: keep it in a secret output. */
export function renderSwanctlSecrets(ep: TunnelEndpoints, presharedKeys: [string, string]): string {
  const block = (i: 1 | 2) =>
    [
      `  ike-${tunnelName(i)} {`,
      `    id-1 = ${ep.facilityPublicIp}`,
      `    id-2 = ${ep.tunnels[i - 1].outsideAddress}`,
      `    secret = "${presharedKeys[i - 1]}"`,
      `  }`,
    ].join("\n");
  return [`secrets {`, block(1), block(2), `}`, ``].join("\n");
}

/**
 * Shell script that creates the two XFRM interfaces, gives them their inside addresses and routes
 * the platform ranges over them (tunnel 1 preferred, tunnel 2 as fallback), then starts the IKE
 * daemon and loads the configuration. Traffic leaves with the host's LAN address as source (`src`),
 * because AWS routes the facility LAN back, not the link-local inside addresses.
 */
export function renderVpnUpScript(ep: TunnelEndpoints, lanProbeAddress: string): string {
  const lines = [
    `#!/bin/sh`,
    `# Brings up the route-based tunnels of this facility (generated; do not edit).`,
    `set -eu`,
    `lan_src=$(ip -4 route get ${lanProbeAddress} | sed -n 's/.* src \\([0-9.]*\\).*/\\1/p')`,
    `[ -n "$lan_src" ] || { echo "vpn: cannot find this host's LAN address (route to ${lanProbeAddress})" >&2; exit 1; }`,
    `dev=$(ip -4 route get ${lanProbeAddress} | sed -n 's/.* dev \\([^ ]*\\).*/\\1/p')`,
  ];
  for (const i of [1, 2] as const) {
    const x = xfrmInterface(i);
    const t = ep.tunnels[i - 1];
    lines.push(
      `ip link show ${x.name} >/dev/null 2>&1 || ip link add ${x.name} type xfrm dev "$dev" if_id ${x.id}`,
      `ip addr replace ${t.cgwInsideAddress}/30 dev ${x.name}`,
      `ip link set ${x.name} up mtu 1400`,
    );
    for (const cidr of ep.remoteCidrs) {
      lines.push(`ip route replace ${cidr} dev ${x.name} src "$lan_src" metric ${i * 100}`);
    }
  }
  lines.push(
    `for charon in /usr/libexec/ipsec/charon /usr/lib/ipsec/charon /usr/libexec/strongswan/charon /usr/sbin/charon; do`,
    `  [ -x "$charon" ] && break`,
    `done`,
    `"$charon" &`,
    `pid=$!`,
    `for _ in 1 2 3 4 5 6 7 8 9 10; do swanctl --stats >/dev/null 2>&1 && break; sleep 1; done`,
    `swanctl --load-all`,
    `wait "$pid"`,
    ``,
  );
  return lines.join("\n");
}
