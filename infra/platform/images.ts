/** Container images of the platform. Pure. */

/**
 * Debezium Connect 3.6.0.Final (Kafka Connect with the Debezium JDBC sink), pinned by digest so a
 * moved tag never changes what runs. Re-check the digest against the registry before an upgrade
 * (`docker buildx imagetools inspect quay.io/debezium/connect:<tag>`).
 */
export const DEBEZIUM_CONNECT_IMAGE =
  "quay.io/debezium/connect:3.6.0.Final@sha256:698f0559e667a242f962221079e75917b2b7a3ad4de62661e977628da0e33b45";

/**
 * Node.js runtime of the sink's watchdog sidecar (the watchdog uses Node.js built-ins only and is
 * written into the task at start), pinned by digest; the same image facility hosts run. Re-check
 * before an upgrade: `docker buildx imagetools inspect node:22-alpine`.
 */
export const WATCHDOG_NODE_IMAGE =
  "node:22-alpine@sha256:8094c002d08262dba12645a3b4a15cd6cd627d30bc782f53229a2ec13ee22a00";

/**
 * Repositories of the platform registry (ECR, immutable tags), by key. Facility stacks read
 * `registryUrls.strongswan` for the optional VPN endpoint container.
 */
export const PLATFORM_REPOSITORIES = {
  strongswan: "clinicmaster/strongswan",
} as const;

/** True when an image reference is pinned by a sha256 digest (`registry/repo[:tag]@sha256:<64 hex>`). */
export function isDigestPinned(image: string): boolean {
  return /^[^\s@]+@sha256:[a-f0-9]{64}$/.test(image);
}
