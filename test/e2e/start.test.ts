import { spawn, execFileSync } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT, facilityStackFiles, loadFacilityStack } from "../../infra/config/stackfiles";
import { TABLES } from "../../infra/local/clinicmaster";
import { parseStartArgs } from "../../infra/local/start-args";

// `npm start` brings up Kafka, PostgreSQL, the sink and three facility workers by itself.
jest.setTimeout(15 * 60_000);

const RUN_SECONDS = 60;

/** Process groups (and their members) still alive whose group leader is one of `pids`. */
function survivors(pids: number[], workspace: string): string[] {
  const ps = execFileSync("ps", ["-eo", "pid=,pgid=,args="], { encoding: "utf8" });
  return ps
    .split("\n")
    .map((l) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .filter((m) => pids.includes(Number(m[1])) || pids.includes(Number(m[2])) || m[3].includes(workspace))
    .map((m) => `${m[1]} ${m[3].slice(0, 120)}`);
}

describe("npm start", () => {
  test("parses --for and --engine and rejects anything else with the usage line", () => {
    expect(parseStartArgs(["--for", "60"]).forSeconds).toBe(60);
    expect(parseStartArgs(["--for", "60"]).engine).toBe(false);
    expect(parseStartArgs(["--engine", "--for", "5"])).toMatchObject({ engine: true, forSeconds: 5 });
    expect(parseStartArgs([]).forSeconds).toBeUndefined();
    expect(() => parseStartArgs(["--for", "soon"])).toThrow(
      /--for needs a positive number, got "soon"; usage/,
    );
    expect(() => parseStartArgs(["--forever"])).toThrow(/unknown argument "--forever"; usage/);
  });

  test(`npm start -- --for ${RUN_SECONDS} shows every facility RUNNING with warehouse rows, then leaves nothing running`, async () => {
    const started = Date.now();
    const facilities = facilityStackFiles().map((f) => loadFacilityStack(f).config);
    expect(facilities).toHaveLength(3);
    const child = spawn("npm", ["start", "--silent", "--", "--for", String(RUN_SECONDS)], {
      cwd: REPO_ROOT,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, CLINICMASTER_KEEP_DATAPLANE: "" },
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (err += c.toString("utf8")));
    const code = await new Promise<number | string>((resolve) => {
      const timer = setTimeout(() => {
        // Bounded: kill the whole npm → tsx → node tree, then fail below with the output.
        try {
          process.kill(-child.pid!, "SIGINT");
        } catch {
          // already gone
        }
        resolve("timed out after 10 min waiting for npm start to stop by itself");
      }, 10 * 60_000);
      child.once("exit", (c, sig) => {
        clearTimeout(timer);
        resolve(c ?? sig ?? "unknown");
      });
    });
    process.stderr.write(
      `npm start -- --for ${RUN_SECONDS}: ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );
    const context = `exit ${code}\nstdout tail:\n${out.slice(-3000)}\nstderr tail:\n${err.slice(-2000)}`;
    expect({ code, context }).toEqual({ code: 0, context });

    const running = /running after \d+ s; workspace (\S+); processes (.*)$/m.exec(out);
    expect(running).not.toBeNull();
    const workspace = running![1];
    const pids = running![2].split(" ").map((x) => Number(x.split("=")[1]));
    expect(pids.length).toBeGreaterThanOrEqual(2 + 2 * facilities.length);
    expect(out).toContain("stopped; nothing left running.");

    // The last status block printed before the stop.
    const blocks = out.split("ClinicMaster CDC on loopback").slice(1);
    expect(blocks.length).toBeGreaterThan(3);
    const last = blocks[blocks.length - 1];
    for (const f of facilities) {
      const line = last.split("\n").find((l) => l.startsWith(f.slug));
      expect(line).toBeDefined();
      expect(line).toContain(f.dhis2Code);
      expect(line).toMatch(/RUNNING \/ 0:RUNNING\s+\d+ s ago\s/);
    }
    expect(last).toMatch(/sink: RUNNING \/ 0:RUNNING/);
    const codes = facilities.map((f) => f.dhis2Code);
    for (const t of TABLES) {
      const row = last.split("\n").find((l) => l.startsWith(`${t.name} `));
      expect(row).toBeDefined();
      const counts = row!.trim().split(/\s+/).slice(1).map(Number);
      expect(counts).toHaveLength(codes.length);
      for (const n of counts) expect(n).toBeGreaterThan(0);
    }
    // No secret reaches the output.
    expect(out + err).not.toMatch(/password\s*[=:]\s*\S{8,}/i);

    expect(survivors(pids, workspace)).toEqual([]);
    expect(survivors([], join(workspace, ""))).toEqual([]);
  });
});
