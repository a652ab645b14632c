import { SECRETS_DIR, SECRET_FILES } from "./names";

/**
 * Secrets reach workers only as files mounted read-only; configs name them with Kafka's
 * DirectoryConfigProvider (`${directory:<dir>:<file>}`), resolved inside the worker at the moment a
 * connection is made. The value never appears in connector JSON, the REST API, env vars or logs.
 */

/** Name under which workers register the directory config provider. */
export const DIRECTORY_PROVIDER = "directory";

/** Worker properties that enable the directory config provider, restricted to the secrets folder. */
export function configProviderProperties(secretsDir = SECRETS_DIR): Record<string, string> {
  return {
    "config.providers": DIRECTORY_PROVIDER,
    [`config.providers.${DIRECTORY_PROVIDER}.class`]:
      "org.apache.kafka.common.config.provider.DirectoryConfigProvider",
    // KIP-993: refuse to read any file outside the mounted secrets folder.
    [`config.providers.${DIRECTORY_PROVIDER}.param.allowed.paths`]: secretsDir,
  };
}

/** Placeholder that a worker resolves to the content of `<secretsDir>/<file>`. */
export function secretRef(
  file: (typeof SECRET_FILES)[keyof typeof SECRET_FILES],
  secretsDir = SECRETS_DIR,
): string {
  return `\${${DIRECTORY_PROVIDER}:${secretsDir}:${file}}`;
}

/**
 * Returns the places where any of `secretValues` occurs in `text` (JSON or properties), so tests can
 * prove generated configuration carries placeholders only. Values shorter than 4 characters are
 * ignored (they would match by chance).
 */
export function findSecretValues(text: string, secretValues: readonly string[]): string[] {
  return secretValues.filter((s) => s.length >= 4 && text.includes(s));
}
