import { renderStatus } from "../../infra/local/status";

test("status view shows connector state, heartbeat age, rows per facility, DLQ and lag", () => {
  const text = renderStatus({
    at: Date.UTC(2026, 11, 4, 12, 0, 30),
    facilities: [
      {
        slug: "kayunga",
        code: "12345",
        connector: "RUNNING",
        tasks: ["RUNNING"],
        lastHeartbeatAt: Date.UTC(2026, 11, 4, 12, 0, 0),
        eventsCaptured: 120,
        watchdogRestarts: 0,
      },
      {
        slug: "luwero",
        code: "67890",
        connector: "RUNNING",
        tasks: ["FAILED"],
        eventsCaptured: 3,
        watchdogRestarts: 2,
        lastError: "PSQLException: password authentication failed",
      },
    ],
    sink: { connector: "RUNNING", tasks: ["RUNNING", "RUNNING"], watchdogRestarts: 1 },
    warehouse: { Visits: { "12345": 40, "67890": 1 }, Patients: { "12345": 80 } },
    dlqRecords: 1,
    consumerLag: 7,
  });
  expect(text).toContain("kayunga     12345   RUNNING / 0:RUNNING           30 s ago    120      0");
  expect(text).toContain("luwero      67890   RUNNING / 0:FAILED            never       3        2");
  expect(text).toContain("    last error: PSQLException: password authentication failed");
  expect(text).toContain("sink: RUNNING / 0:RUNNING 1:RUNNING   lag 7   DLQ 1   restarts 1");
  expect(text).toContain("Patients          80        0         ");
  expect(text).toContain("Visits            40        1         ");
});
