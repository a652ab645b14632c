/**
 * `npm start`: the whole pipeline on loopback for the facilities in `facilities/` — Kafka, the sink,
 * the warehouse and one Debezium worker per facility — with sample data seeded and changed gently,
 * and a live status view. Ctrl-C (or `--for <seconds>` after start-up) stops every process.
 *
 *   npm start                 run until Ctrl-C
 *   npm start -- --for 60     run 60 s once every connector is RUNNING, then stop
 *   npm start -- --engine     the topics, ACLs and warehouse roles are made by the real Pulumi engine
 *                             (`pulumi up` of the local platform stack; toolchain built on first use)
 */
import { DataPlaneSetupError } from "./artifacts";
import { randomChanges } from "./clinicmaster";
import { join } from "path";
import { REPO_ROOT, loadPlatformStack } from "../config/stackfiles";
import { engineProvisioner, ensureToolchain } from "./engine";
import { Pipeline, type PipelineOptions } from "./pipeline";
import { Workspace } from "./workspace";
import { liveProcesses, stopAll } from "./proc";
import { parseStartArgs } from "./start-args";
import { renderStatus } from "./status";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function main(): Promise<number> {
  const args = parseStartArgs(process.argv.slice(2));
  const tty = process.stdout.isTTY === true;
  let pipeline: Pipeline | undefined;
  let stopping: Promise<void> | undefined;
  let done!: (code: number) => void;
  const finished = new Promise<number>((resolve) => (done = resolve));

  const shutdown = (why: string, code: number) => {
    if (stopping) return;
    console.log(`\n${why}: stopping every process…`);
    stopping = (pipeline ? pipeline.stop() : stopAll()).then(
      () => {
        const left = liveProcesses();
        if (left.length > 0) {
          console.error(`still running: ${left.map((p) => `${p.name} (pid ${p.pid})`).join(", ")}`);
          done(1);
        } else {
          console.log("stopped; nothing left running.");
          done(code);
        }
      },
      (err: unknown) => {
        console.error(`stop failed: ${(err as Error).message}`);
        done(1);
      },
    );
  };
  for (const sig of ["SIGINT", "SIGTERM"] as const)
    process.on(sig, () => shutdown(sig, sig === "SIGINT" ? 130 : 143));

  const options: PipelineOptions = { rowsPerTable: args.rowsPerTable };
  let engine: ReturnType<typeof engineProvisioner> | undefined;
  const engineWs = args.engine ? new Workspace() : undefined;
  if (engineWs) {
    console.log(
      "building or reusing the Pulumi toolchain (scripts/pulumi-toolchain.sh; 8–15 min the first time)…",
    );
    engine = engineProvisioner(
      engineWs,
      ensureToolchain((l) => console.log(l)),
      (l) => console.log(l),
    );
    options.platform = loadPlatformStack(join(REPO_ROOT, "Pulumi.local.yaml")).config;
    options.provision = engine.provision;
  }
  console.log(
    `starting Kafka, PostgreSQL 15, the sink and one Debezium worker per facility on 127.0.0.1${engine ? "; the local platform stack makes the topics, ACLs and roles with pulumi up" : ""}…`,
  );
  const started = Date.now();
  try {
    pipeline = await Pipeline.start(options);
  } catch (err) {
    if (stopping) return finished;
    throw err;
  }
  if (stopping) {
    // A signal arrived while starting and the start-up finished anyway: stop what it started.
    await stopping;
    await pipeline.stop();
    return 130;
  }
  const p = pipeline;
  try {
    await p.waitForRunning();
  } catch (err) {
    await p.stop(true);
    throw new Error(`${(err as Error).message}\nlogs kept in ${p.ws.logs}`);
  }
  if (engine) console.log(`local stack: ${engine.stack().describe()}`);
  const procs = liveProcesses().map((x) => `${x.name}=${x.pid}`);
  console.log(
    `running after ${Math.round((Date.now() - started) / 1000)} s; workspace ${p.ws.root}; processes ${procs.join(" ")}`,
  );
  if (args.forSeconds !== undefined) {
    setTimeout(() => shutdown(`--for ${args.forSeconds} s elapsed`, 0), args.forSeconds * 1000).unref();
  }

  const facilities = [...p.facilities.values()];
  let round = 0;
  const changer = (async () => {
    while (!stopping) {
      round++;
      await Promise.all(
        facilities.map((f, i) =>
          randomChanges(f.db, 500 + i, args.changesPerBatch, round * 7919 + i).catch(() => undefined),
        ),
      );
      await sleep(args.changeEveryMs);
    }
  })();
  const drawer = (async () => {
    while (!stopping) {
      let view: string;
      try {
        view = renderStatus(await p.snapshot());
      } catch (err) {
        view = `status unavailable: ${(err as Error).message}`;
      }
      if (stopping) break;
      process.stdout.write(tty ? `\x1b[2J\x1b[H${view}\n` : `${view}\n\n`);
      await sleep(args.refreshMs);
    }
  })();
  const code = await finished;
  await Promise.all([changer, drawer]);
  engineWs?.dispose();
  return code;
}

main().then(
  (code) => process.exit(code),
  async (err: unknown) => {
    // Setup problems (no Java, no Maven, a failed download) carry their own fix: no stack trace.
    const message =
      err instanceof DataPlaneSetupError
        ? err.message
        : `npm start failed: ${(err as Error).message ?? String(err)}`;
    console.error(message);
    await stopAll().catch(() => undefined);
    process.exit(1);
  },
);
