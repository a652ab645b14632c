/** Reads the facility stack outputs the offline kit needs (pure). */
import type { TunnelEndpoints } from "./ipsec";
import { type FacilityImages, isPinnedImage } from "./platform";

/** The kit's inputs that come from the facility stack rather than its config file. */
export interface KitOutputs {
  bootstrapServers: string;
  images: FacilityImages;
  tunnel: TunnelEndpoints;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/**
 * Validates `pulumi stack output --json` of a facility stack: `bootstrapServers`, `facilityImages` and
 * `tunnelEndpoints` (the names the facility program exports). Throws one message listing what is wrong.
 */
export function parseKitOutputs(raw: unknown, slug: string): KitOutputs {
  const o = (raw ?? {}) as Record<string, unknown>;
  const problems: string[] = [];
  const bootstrap = o.bootstrapServers;
  if (typeof bootstrap !== "string" || !/^[A-Za-z0-9.-]+:\d+(,[A-Za-z0-9.-]+:\d+)*$/.test(bootstrap)) {
    problems.push(`bootstrapServers ${JSON.stringify(bootstrap)} is not a list host:port,…`);
  }
  const images = (o.facilityImages ?? {}) as Partial<Record<keyof FacilityImages, unknown>>;
  for (const key of ["connect", "watchdog"] as const) {
    if (typeof images[key] !== "string" || !isPinnedImage(images[key] as string)) {
      problems.push(`facilityImages.${key} ${JSON.stringify(images[key])} is not an image pinned by digest`);
    }
  }
  if (images.vpnEndpoint !== undefined && typeof images.vpnEndpoint !== "string") {
    problems.push(
      `facilityImages.vpnEndpoint ${JSON.stringify(images.vpnEndpoint)} is not an image reference`,
    );
  }
  const t = o.tunnelEndpoints as Partial<TunnelEndpoints> | undefined;
  const addresses =
    t?.tunnels?.flatMap((x) => [x?.outsideAddress, x?.cgwInsideAddress, x?.awsInsideAddress]) ?? [];
  if (
    !t ||
    typeof t.facilityPublicIp !== "string" ||
    !Array.isArray(t.remoteCidrs) ||
    t.tunnels?.length !== 2 ||
    addresses.some((a) => typeof a !== "string" || !IPV4.test(a))
  ) {
    problems.push(`tunnelEndpoints ${JSON.stringify(t)} lacks the two tunnels' addresses`);
  }
  if (problems.length > 0) {
    throw new Error(`outputs of facility stack \`${slug}\` cannot make a kit: ${problems.join("; ")}`);
  }
  return {
    bootstrapServers: bootstrap as string,
    images: images as FacilityImages,
    tunnel: t as TunnelEndpoints,
  };
}
