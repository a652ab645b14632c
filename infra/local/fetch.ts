/**
 * `npm run dataplane:fetch`: fetches the loopback data plane's jars (Kafka, Kafka Connect, the
 * Debezium plugins) into the cache once, so tests and `npm start` start without waiting for Maven.
 */
import { DataPlaneSetupError, directorySize, ensureArtifacts } from "./artifacts";

async function main(): Promise<void> {
  const started = Date.now();
  const a = await ensureArtifacts({ log: (line) => console.log(line) });
  console.log(
    `dataplane: ready in ${((Date.now() - started) / 1000).toFixed(1)}s — Kafka ${a.versions.kafka}, Debezium ${a.versions.debezium} (JDBC sink ${a.versions.debeziumJdbcSink}), ${(directorySize(a.root) / 1e6).toFixed(0)} MB in ${a.root}`,
  );
}

main().catch((err: unknown) => {
  console.error(err instanceof DataPlaneSetupError ? `dataplane: ${err.message}` : err);
  process.exit(1);
});
