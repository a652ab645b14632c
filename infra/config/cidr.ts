/** IPv4 and CIDR arithmetic used by config validation and the network components. Pure. */

/** An IPv4 range as inclusive unsigned 32-bit bounds. */
export interface Ipv4Range {
  cidr: string;
  first: number;
  last: number;
  prefix: number;
}

/** Parses a dotted-quad IPv4 address to an unsigned 32-bit integer, or undefined if it is not one. */
export function parseIpv4(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p, i) => p > 255 || (m[i + 1].length > 1 && m[i + 1].startsWith("0")))) return undefined;
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

/** Formats an unsigned 32-bit integer as dotted-quad. */
export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/**
 * Parses `a.b.c.d/p`. Returns undefined if malformed or if host bits are set
 * (`10.0.1.5/24` is almost always a typo for `10.0.1.0/24`, and AWS rejects it).
 */
export function parseCidr(text: string): Ipv4Range | undefined {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(text);
  if (!m) return undefined;
  const base = parseIpv4(m[1]);
  const prefix = Number(m[2]);
  if (base === undefined || prefix > 32) return undefined;
  const size = 2 ** (32 - prefix);
  if (base % size !== 0) return undefined;
  return { cidr: text, first: base, last: base + size - 1, prefix };
}

/** True when the two ranges share at least one address. */
export function overlaps(a: Ipv4Range, b: Ipv4Range): boolean {
  return a.first <= b.last && b.first <= a.last;
}

/** True when `ip` (integer) lies inside `range`. */
export function contains(range: Ipv4Range, ip: number): boolean {
  return ip >= range.first && ip <= range.last;
}

const NOT_PUBLIC = [
  "0.0.0.0/8",
  "10.0.0.0/8",
  "100.64.0.0/10",
  "127.0.0.0/8",
  "169.254.0.0/16",
  "172.16.0.0/12",
  "192.168.0.0/16",
  "224.0.0.0/4",
  "240.0.0.0/4",
].map((c) => parseCidr(c) as Ipv4Range);

/** True for an address a VPN customer gateway can use: not private, loopback, link-local or multicast. */
export function isPublicIpv4(text: string): boolean {
  const ip = parseIpv4(text);
  return ip !== undefined && !NOT_PUBLIC.some((r) => contains(r, ip));
}

/**
 * Splits `vpc` into `count` equal subnets of prefix `prefix`, in order.
 * Throws if they do not fit.
 */
export function subnetCidrs(vpc: string, prefix: number, count: number): string[] {
  const range = parseCidr(vpc);
  if (!range) throw new Error(`${vpc} is not a CIDR block (a.b.c.d/p with no host bits set)`);
  if (prefix < range.prefix) throw new Error(`subnet prefix /${prefix} is larger than the VPC ${vpc}`);
  const size = 2 ** (32 - prefix);
  const available = 2 ** (prefix - range.prefix);
  if (count > available) {
    throw new Error(`${vpc} holds ${available} subnets of /${prefix}, ${count} were asked for`);
  }
  return Array.from({ length: count }, (_, i) => `${formatIpv4(range.first + i * size)}/${prefix}`);
}
