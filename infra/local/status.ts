/** The live status view of `npm start`: a pure renderer over one snapshot of the data plane. */

/** One facility's line in the status view. */
export interface FacilityStatus {
  slug: string;
  code: string;
  connector: string;
  tasks: string[];
  /** Last heartbeat seen on the shared heartbeat topic, ms since epoch. */
  lastHeartbeatAt?: number;
  /** Change events this facility produced to the data topics. */
  eventsCaptured: number;
  /** Restarts the facility's watchdog made. */
  watchdogRestarts: number;
  /** First line of the last failure, if any. */
  lastError?: string;
}

/** A snapshot of the whole data plane. */
export interface PipelineSnapshot {
  at: number;
  facilities: FacilityStatus[];
  sink: { connector: string; tasks: string[]; watchdogRestarts: number; lastError?: string };
  /** Warehouse rows per table per facility code. */
  warehouse: Record<string, Record<string, number>>;
  dlqRecords: number;
  /** Sink consumer lag, records. */
  consumerLag: number;
}

const pad = (s: string, n: number) => (s.length >= n ? s.slice(0, n) : s + " ".repeat(n - s.length));
const ago = (at: number, t?: number) =>
  t === undefined ? "never" : `${Math.max(0, Math.round((at - t) / 1000))} s ago`;
const state = (connector: string, tasks: string[]) =>
  tasks.length === 0 ? connector : `${connector} / ${tasks.map((t, i) => `${i}:${t}`).join(" ")}`;

/** Renders the snapshot as fixed-width text for a terminal. */
export function renderStatus(s: PipelineSnapshot): string {
  const lines: string[] = [];
  lines.push(`ClinicMaster CDC on loopback — ${new Date(s.at).toISOString()}   (Ctrl-C stops everything)`);
  lines.push("");
  lines.push(
    `${pad("facility", 12)}${pad("code", 8)}${pad("connector / tasks", 30)}${pad("heartbeat", 12)}${pad("events", 9)}restarts`,
  );
  for (const f of s.facilities) {
    lines.push(
      `${pad(f.slug, 12)}${pad(f.code, 8)}${pad(state(f.connector, f.tasks), 30)}${pad(ago(s.at, f.lastHeartbeatAt), 12)}${pad(String(f.eventsCaptured), 9)}${f.watchdogRestarts}`,
    );
    if (f.lastError) lines.push(`    last error: ${f.lastError}`);
  }
  lines.push("");
  lines.push(
    `sink: ${state(s.sink.connector, s.sink.tasks)}   lag ${s.consumerLag}   DLQ ${s.dlqRecords}   restarts ${s.sink.watchdogRestarts}`,
  );
  if (s.sink.lastError) lines.push(`    last error: ${s.sink.lastError}`);
  lines.push("");
  const codes = s.facilities.map((f) => f.code);
  lines.push(`${pad("warehouse table", 18)}${codes.map((c) => pad(c, 10)).join("")}`);
  for (const table of Object.keys(s.warehouse).sort()) {
    lines.push(`${pad(table, 18)}${codes.map((c) => pad(String(s.warehouse[table][c] ?? 0), 10)).join("")}`);
  }
  return lines.join("\n");
}
