import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { type AddressInfo } from "node:net";
import {
  type ConnectorStatus,
  DEFAULT_POLICY,
  failureSummary,
  firstLine,
  plan,
  watchdogScript,
} from "../../infra/watchdog";

const failedTask = (
  trace = "org.apache.kafka.connect.errors.ConnectException: write failed\n\tat x",
): ConnectorStatus => ({
  name: "sink",
  connector: { state: "RUNNING" },
  tasks: [
    { id: 0, state: "RUNNING" },
    { id: 1, state: "FAILED", trace },
  ],
});
const healthy: ConnectorStatus = {
  name: "sink",
  connector: { state: "RUNNING" },
  tasks: [
    { id: 0, state: "RUNNING" },
    { id: 1, state: "RUNNING" },
  ],
};

describe("watchdog back-off", () => {
  test("restarts a failed task at once, with the trace's first line", () => {
    const { actions, memory } = plan([failedTask()], {}, 1000);
    expect(actions).toEqual([
      {
        connector: "sink",
        tasks: [1],
        reason: "org.apache.kafka.connect.errors.ConnectException: write failed",
        attempt: 1,
      },
    ]);
    expect(memory.sink).toMatchObject({
      streak: 1,
      total: 1,
      notBefore: 1000 + DEFAULT_POLICY.initialDelayMs,
    });
  });

  test("waits a growing, capped delay between restarts of one streak", () => {
    let memory = {};
    const times: number[] = [];
    for (let now = 0; now <= 2_000_000; now += 1000) {
      const r = plan([failedTask()], memory, now);
      memory = r.memory;
      if (r.actions.length > 0) times.push(now);
    }
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    expect(gaps.slice(0, 7)).toEqual([5000, 10000, 20000, 40000, 80000, 160000, 300000]);
    expect(Math.max(...gaps)).toBe(300000);
  });

  test("forgets the streak after a healthy period, not before", () => {
    let m = plan([failedTask()], {}, 0).memory;
    m = plan([failedTask()], m, 6000).memory; // second restart, streak 2
    expect(m.sink.streak).toBe(2);
    m = plan([healthy], m, 10_000).memory;
    m = plan([healthy], m, 10_000 + DEFAULT_POLICY.resetAfterMs - 1).memory;
    expect(m.sink.streak).toBe(2);
    m = plan([healthy], m, 10_000 + DEFAULT_POLICY.resetAfterMs).memory;
    expect(m.sink.streak).toBe(0);
    expect(m.sink.total).toBe(2);
  });

  test("restarts a failed connector (no task failed)", () => {
    const s: ConnectorStatus = {
      name: "src",
      connector: { state: "FAILED", trace: "java.sql.SQLException: Login failed" },
      tasks: [],
    };
    expect(plan([s], {}, 0).actions).toEqual([
      { connector: "src", tasks: [], reason: "java.sql.SQLException: Login failed", attempt: 1 },
    ]);
  });

  test("leaves paused and healthy connectors alone", () => {
    const paused: ConnectorStatus = {
      name: "p",
      connector: { state: "PAUSED" },
      tasks: [{ id: 0, state: "PAUSED" }],
    };
    expect(plan([paused, healthy], {}, 0).actions).toEqual([]);
  });

  test("names the root cause of a wrapped failure", () => {
    const trace = [
      "org.apache.kafka.connect.errors.ConnectException: Exiting WorkerSinkTask due to unrecoverable exception.",
      "\tat org.apache.kafka.connect.runtime.WorkerSinkTask.deliverMessages(WorkerSinkTask.java:636)",
      "Caused by: org.hibernate.exception.JDBCConnectionException: unable to obtain isolated JDBC connection",
      "\t... 12 more",
      "Caused by: org.postgresql.util.PSQLException: Connection to 127.0.0.1:5432 refused.",
    ].join("\n");
    expect(failureSummary(trace)).toBe(
      "org.apache.kafka.connect.errors.ConnectException: Exiting WorkerSinkTask due to unrecoverable exception. | root cause: org.postgresql.util.PSQLException: Connection to 127.0.0.1:5432 refused.",
    );
    expect(plan([failedTask(trace)], {}, 0).actions[0].reason).toBe(failureSummary(trace));
    expect(failureSummary("java.sql.SQLException: Login failed\n\tat x")).toBe(
      "java.sql.SQLException: Login failed",
    );
  });

  test("trims long traces", () => {
    expect(firstLine("x".repeat(400))).toHaveLength(300);
    expect(firstLine(undefined)).toBe("(no trace)");
  });
});

describe("watchdog script against a Connect REST endpoint", () => {
  test("the shipped script polls, restarts only failed work, and logs the reason", async () => {
    const restarts: string[] = [];
    let state = "FAILED";
    const server = http.createServer((req, res) => {
      if (req.method === "GET" && req.url === "/connectors?expand=status") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            sink: {
              status: {
                name: "sink",
                connector: { state: "RUNNING" },
                tasks: [{ id: 0, state, trace: "boom: db down\n at y" }],
              },
            },
          }),
        );
      } else if (req.method === "POST" && req.url?.startsWith("/connectors/sink/restart")) {
        restarts.push(req.url);
        state = "RUNNING";
        res.writeHead(202);
        res.end();
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "watchdog-"));
    const script = path.join(dir, "watchdog.js");
    fs.writeFileSync(script, watchdogScript());
    const child = spawn(process.execPath, [script], {
      env: { PATH: process.env.PATH, CONNECT_URL: `http://127.0.0.1:${port}`, WATCHDOG_INTERVAL_MS: "500" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    try {
      const deadline = Date.now() + 15_000;
      while (restarts.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      await new Promise((r) => setTimeout(r, 1500));
      expect(restarts).toEqual(["/connectors/sink/restart?includeTasks=true&onlyFailed=true"]);
      expect(out).toMatch(/watchdog restart sink tasks 0 \(attempt 1\): boom: db down/);
    } finally {
      child.kill("SIGKILL");
      server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
