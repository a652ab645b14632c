/**
 * `npm run render -- <slug> <what>`: prints a generated configuration for operators and support.
 * what = source | worker | acls | sink | sink-worker. Secrets are placeholders, never values.
 */
import * as path from "node:path";
import { ConfigError } from "../config/problems";
import { FACILITIES_DIR, REPO_ROOT, loadFacilityStack, loadPlatformStack } from "../config/stackfiles";
import { facilityAcls, sinkAcls } from "./acl";
import { WAREHOUSE_ROLES } from "./names";
import { renderProperties } from "./properties";
import { jdbcSinkConnector } from "./sink";
import { sqlServerSourceConnector } from "./source";
import { facilityWorkerProperties, sinkWorkerProperties } from "./worker";

const WHATS = ["source", "worker", "acls", "sink", "sink-worker"] as const;
const usage = `usage: npm run render -- <facility slug> <${WHATS.join("|")}> [--bootstrap host:9096,…]`;

function main(argv: string[]): number {
  const [slug, what] = argv.filter((a) => !a.startsWith("--"));
  const bi = argv.indexOf("--bootstrap");
  const bootstrap = bi >= 0 ? argv[bi + 1] : "${env:KAFKA_BOOTSTRAP_SERVERS}";
  if (!slug || !what || !(WHATS as readonly string[]).includes(what)) {
    console.error(usage);
    return 2;
  }
  const file = path.join(FACILITIES_DIR, `Pulumi.${slug}.yaml`);
  let facility;
  try {
    facility = loadFacilityStack(file).config;
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      return 1;
    }
    if ((e as NodeJS.ErrnoException).code === "ENOENT") {
      console.error(`no facility \`${slug}\`: ${path.relative(REPO_ROOT, file)} does not exist`);
      return 1;
    }
    throw e;
  }
  const kafka = { bootstrapServers: bootstrap };
  const platform = loadPlatformStack(
    path.join(REPO_ROOT, `Pulumi.${facility.platformStack.split("/")[2]}.yaml`),
  ).config;
  switch (what) {
    case "source":
      console.log(JSON.stringify(sqlServerSourceConnector(facility), null, 2));
      break;
    case "worker":
      process.stdout.write(renderProperties(facilityWorkerProperties(facility, kafka)));
      break;
    case "acls":
      console.log(JSON.stringify(facilityAcls(facility.dhis2Code), null, 2));
      break;
    case "sink":
      console.log(
        JSON.stringify(
          jdbcSinkConnector({
            jdbcUrl: `jdbc:postgresql://<warehouse endpoint>:5432/${platform.warehouse.databaseName}?sslmode=verify-full`,
            username: WAREHOUSE_ROLES.sink,
            tasks: platform.sink.tasks,
            batchSize: platform.sink.batchSize,
          }),
          null,
          2,
        ),
      );
      break;
    case "sink-worker":
      process.stdout.write(
        renderProperties(sinkWorkerProperties({ batchSize: platform.sink.batchSize }, kafka)),
      );
      console.log(JSON.stringify(sinkAcls(), null, 2));
      break;
  }
  return 0;
}

process.exitCode = main(process.argv.slice(2));
