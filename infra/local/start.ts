/**
 * `npm start`: the whole pipeline on loopback for the facilities in `facilities/` — Kafka, the sink,
 * the warehouse and one Debezium worker per facility — with sample data seeded and changed gently,
 * and a live status view. Ctrl-C (or `--for <seconds>` after start-up) stops every process.
 *
 *   npm start                 run until Ctrl-C
 *   npm start -- --for 60     run 60 s once every connector is RUNNING, then stop
 */
import { DataPlaneSetupError } from "./artifacts";
import { randomChanges } from "./clinicmaster";
import { Pipeline } from "./pipeline";
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

  console.log("starting Kafka, PostgreSQL 15, the sink and one Debezium worker per facility on 127.0.0.1…");
  const started = Date.now();
  try {
    pipeline = await Pipeline.start({ rowsPerTable: args.rowsPerTable });
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
