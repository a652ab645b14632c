/** Command line of `npm start` (kept apart from `start.ts`, which runs on import). */

/** Parsed command line of `npm start`. */
export interface StartArgs {
  /** Stop by itself this many seconds after every connector is RUNNING. */
  forSeconds?: number;
  /** Status redraw interval. @default 3000 ms */
  refreshMs: number;
  /** Interval between change batches at each facility. @default 4000 ms */
  changeEveryMs: number;
  /** Changes per batch and facility. @default 3 */
  changesPerBatch: number;
  /** Rows per table seeded at each facility. @default 50 */
  rowsPerTable: number;
  /**
   * Make the topics, ACLs and warehouse objects with the real Pulumi engine (the `local` platform
   * stack, Pulumi.local.yaml) instead of the harness. @default false
   */
  engine: boolean;
}

const USAGE = "usage: npm start [-- --for <seconds>] [--rows <rows per table>] [--engine]";

/** Parses `--for <seconds>`, `--rows <n>` and `--engine`; throws with the usage line on anything else. */
export function parseStartArgs(argv: readonly string[]): StartArgs {
  const args: StartArgs = {
    refreshMs: 3000,
    changeEveryMs: 4000,
    changesPerBatch: 3,
    rowsPerTable: 50,
    engine: false,
  };
  const positive = (flag: string, v: string | undefined): number => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n <= 0)
      throw new Error(
        `${flag} needs a positive number, got ${v === undefined ? "nothing" : `"${v}"`}; ${USAGE}`,
      );
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--for") args.forSeconds = positive(a, argv[++i]);
    else if (a === "--rows") args.rowsPerTable = Math.floor(positive(a, argv[++i]));
    else if (a === "--engine") args.engine = true;
    else throw new Error(`unknown argument "${a}"; ${USAGE}`);
  }
  return args;
}
