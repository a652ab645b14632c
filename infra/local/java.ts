import { spawn } from "child_process";
import { existsSync, writeFileSync } from "fs";
import { join } from "path";
import { ManagedProcess, withTimeout } from "./proc";
import type { Workspace } from "./workspace";

/** How to run one Java main class of the Kafka distribution. */
export interface JavaSpec {
  /** Process name (log file `<name>.log`). */
  name: string;
  mainClass: string;
  args: string[];
  /** Java classpath (`<cache>/kafka/libs/*`). */
  classpath: string;
  /** Maximum heap, e.g. `512m`. */
  heap: string;
  /** Extra JVM options. */
  jvmOptions?: string[];
  env?: Record<string, string>;
  /** Stop order in stopAll (see ProcessSpec.stopTier). @default 1 */
  stopTier?: number;
}

const LOG4J2 = `status = warn
appender.out.type = Console
appender.out.name = STDOUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = STDOUT
logger.noisy.name = org.apache.kafka.clients
logger.noisy.level = WARN
logger.reflections.name = org.reflections
logger.reflections.level = ERROR
`;

/** Writes the shared log4j2 config (console → the process's log file) once per workspace. */
function log4jConfig(ws: Workspace): string {
  const file = join(ws.root, "log4j2.properties");
  if (!existsSync(file)) writeFileSync(file, LOG4J2);
  return file;
}

function javaArgs(ws: Workspace, spec: JavaSpec): string[] {
  return [
    `-Xmx${spec.heap}`,
    "-Xms64m",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djava.awt.headless=true",
    `-Dlog4j2.configurationFile=${log4jConfig(ws)}`,
    `-Djava.io.tmpdir=${ws.dir("jvm-tmp")}`,
    ...(spec.jvmOptions ?? []),
    "-cp",
    spec.classpath,
    spec.mainClass,
    ...spec.args,
  ];
}

/** Starts a long-running Java server in its own process group, logging to the workspace. */
export function startJava(ws: Workspace, spec: JavaSpec): ManagedProcess {
  return new ManagedProcess({
    name: spec.name,
    command: "java",
    args: javaArgs(ws, spec),
    logFile: ws.logFile(spec.name),
    env: spec.env,
    stopTier: spec.stopTier,
  });
}

/**
 * Runs a short Java tool (storage format, config command) to completion within `timeoutMs`; throws
 * with its output when it fails. Tuned for start-up time: small heap, C1 only, serial GC.
 */
export async function runJavaTool(
  ws: Workspace,
  spec: Omit<JavaSpec, "heap">,
  timeoutMs = 60_000,
): Promise<string> {
  const args = javaArgs(ws, {
    ...spec,
    heap: "256m",
    jvmOptions: ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", ...(spec.jvmOptions ?? [])],
  });
  const child = spawn("java", args, {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...spec.env },
  });
  let output = "";
  child.stdout.on("data", (c: Buffer) => (output += c.toString("utf8")));
  child.stderr.on("data", (c: Buffer) => (output += c.toString("utf8")));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => resolve(code));
  });
  let code: number | null;
  try {
    code = await withTimeout(exited, timeoutMs, `${spec.name} (${spec.mainClass}) to finish`);
  } catch (err) {
    child.kill("SIGKILL");
    throw err;
  }
  writeFileSync(ws.logFile(spec.name), output, { flag: "a" });
  if (code !== 0) {
    throw new Error(
      `${spec.name} failed (exit ${code}): java ${spec.mainClass} ${spec.args.join(" ")}\n${output.slice(-3000)}`,
    );
  }
  return output;
}
