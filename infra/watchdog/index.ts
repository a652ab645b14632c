import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";

/** Path of the watchdog's TypeScript source. */
export const WATCHDOG_SOURCE = path.join(__dirname, "watchdog.ts");

/**
 * The watchdog as one plain JavaScript file (CommonJS, Node.js built-ins only), for the facility
 * kit, the facility sidecar container and the sink runtime. Deterministic for a given source.
 */
export function watchdogScript(): string {
  const out = ts.transpileModule(fs.readFileSync(WATCHDOG_SOURCE, "utf8"), {
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      removeComments: false,
    },
    fileName: "watchdog.ts",
  });
  return `// Kafka Connect watchdog (generated from infra/watchdog/watchdog.ts; edit that file).\n${out.outputText}`;
}

export { DEFAULT_POLICY, failureSummary, firstLine, plan } from "./watchdog";
export type {
  ConnectorMemory,
  ConnectorStatus,
  RestartAction,
  WatchdogPolicy,
  WatchdogReport,
} from "./watchdog";
