import { DATA_TOPIC_PREFIX, FACILITY_FIELDS, facilityTopicPrefix } from "../../connect/names";
import { type Row, type TableDef, makeRow } from "../clinicmaster";

/**
 * Change events exactly as a facility worker produces them (JsonConverter with schemas, after the
 * unwrap SMT and the facility fields), built from a real record of each table so the benchmark
 * feeds the sink the bytes it sees in production.
 */

/** A JsonConverter field schema. */
export interface FieldSchema {
  type: string;
  optional: boolean;
  field: string;
  name?: string;
  parameters?: Record<string, string>;
}

/** A JsonConverter struct schema. */
export interface StructSchema {
  type: "struct";
  fields: FieldSchema[];
  optional: boolean;
  name: string;
}

/** One table's real record: its topic and key/value schemas. */
export interface EventTemplate {
  table: string;
  topic: string;
  keySchema: StructSchema;
  valueSchema: StructSchema;
  /** The facility code the template was captured from (its schema names carry it). */
  code: string;
}

/** A record to produce: topic, key JSON, value JSON. */
export interface KafkaLine {
  topic: string;
  key: string;
  value: string;
}

/** Reads one template per table from `topic TAB key TAB value` lines of the data topics. */
export function parseTemplates(lines: readonly string[]): Map<string, EventTemplate> {
  const out = new Map<string, EventTemplate>();
  for (const line of lines) {
    const [topic, key, value] = line.split("\t");
    if (!topic?.startsWith(DATA_TOPIC_PREFIX) || !key || !value || value === "null") continue;
    const table = topic.slice(DATA_TOPIC_PREFIX.length);
    if (out.has(table)) continue;
    const k = JSON.parse(key) as { schema: StructSchema };
    const v = JSON.parse(value) as { schema: StructSchema; payload: Record<string, unknown> };
    out.set(table, {
      table,
      topic,
      keySchema: k.schema,
      valueSchema: v.schema,
      code: String(v.payload[FACILITY_FIELDS.code]),
    });
  }
  return out;
}

/** Kafka Connect `Decimal`: the unscaled value as big-endian two's complement, base64. */
export function decimalBase64(value: number, scale: number): string {
  let x = BigInt(Math.round(value * 10 ** scale));
  const bytes: number[] = [];
  for (;;) {
    bytes.unshift(Number(x & 0xffn));
    x >>= 8n;
    const top = bytes[0] & 0x80;
    if ((x === 0n && top === 0) || (x === -1n && top !== 0)) break;
  }
  return Buffer.from(bytes).toString("base64");
}

const utcMs = (s: string) => {
  const ms = Date.parse(`${s.replace(" ", "T")}Z`);
  if (Number.isNaN(ms)) throw new Error(`not a timestamp: ${JSON.stringify(s)}`);
  return ms;
};

/** A stand-in column value as the Debezium PostgreSQL connector encodes it for this field schema. */
export function encodeField(f: FieldSchema, v: string | number | null): unknown {
  if (v === null || v === undefined) return null;
  switch (f.name) {
    case "io.debezium.time.MicroTimestamp":
      return utcMs(String(v)) * 1000;
    case "io.debezium.time.Timestamp":
      return utcMs(String(v));
    case "io.debezium.time.Date":
      return Math.round(utcMs(`${v} 00:00:00`) / 86_400_000);
    case "org.apache.kafka.connect.data.Decimal":
      return decimalBase64(Number(v), Number(f.parameters?.scale ?? 0));
  }
  if (f.type.startsWith("int") || f.type === "float" || f.type === "double") return Number(v);
  return String(v);
}

/** A facility's identity as stamped into every record. */
export interface FacilityIdentity {
  code: string;
  name: string;
}

/** The warehouse row an event leaves behind (column → value), as our reference writers insert it. */
export type WarehouseRow = Record<string, string | number | null>;

/** One change event in both forms: the Kafka record and the warehouse row it should produce. */
export interface ChangeEvent {
  table: string;
  op: "c" | "u";
  code: string;
  kafka: KafkaLine;
  row: WarehouseRow;
}

function renameSchema(s: StructSchema, from: string, to: string): StructSchema {
  const prefix = `${facilityTopicPrefix(from)}.`;
  return s.name.startsWith(prefix)
    ? { ...s, name: `${facilityTopicPrefix(to)}.${s.name.slice(prefix.length)}` }
    : s;
}

/** The event a facility worker produces for `row` (op `c` or `u`, committed at `tsMs`). */
export function buildEvent(
  t: EventTemplate,
  table: TableDef,
  facility: FacilityIdentity,
  row: Row,
  op: "c" | "u",
  tsMs: number,
): ChangeEvent {
  const whRow: WarehouseRow = {
    ...row,
    __op: op,
    __source_ts_ms: tsMs,
    [FACILITY_FIELDS.code]: facility.code,
    [FACILITY_FIELDS.name]: facility.name,
  };
  const payload = (s: StructSchema) => {
    const out: Record<string, unknown> = {};
    for (const f of s.fields) {
      if (!(f.field in whRow))
        throw new Error(`${table.name}: template field ${f.field} has no value in the row`);
      out[f.field] = encodeField(f, whRow[f.field]);
    }
    return out;
  };
  const keySchema = renameSchema(t.keySchema, t.code, facility.code);
  const valueSchema = renameSchema(t.valueSchema, t.code, facility.code);
  return {
    table: table.name,
    op,
    code: facility.code,
    kafka: {
      topic: t.topic,
      key: JSON.stringify({ schema: keySchema, payload: payload(keySchema) }),
      value: JSON.stringify({ schema: valueSchema, payload: payload(valueSchema) }),
    },
    row: whRow,
  };
}

/** Options of {@link changeEvents}. */
export interface ChangeEventsOptions {
  templates: Map<string, EventTemplate>;
  tables: TableDef[];
  facilities: FacilityIdentity[];
  /** Total events (rounded down to an even number): half inserts, then one update per inserted row. */
  events: number;
  /** First primary key value (every table, every facility); keep ranges of different sets apart. */
  firstId: number;
  /** Commit timestamp stamped into `__source_ts_ms`. */
  tsMs: number;
}

/**
 * `events` change events spread evenly over facilities and tables: every insert first (round-robin
 * over facility × table), then an update of each inserted row with different content, in the same
 * order — what a burst of new registrations followed by edits looks like.
 */
export function changeEvents(o: ChangeEventsOptions): ChangeEvent[] {
  const inserts: ChangeEvent[] = [];
  const updates: ChangeEvent[] = [];
  const half = Math.floor(o.events / 2);
  const next = new Map<string, number>();
  for (let i = 0; i < half; i++) {
    const facility = o.facilities[i % o.facilities.length];
    const table = o.tables[Math.floor(i / o.facilities.length) % o.tables.length];
    const t = o.templates.get(table.name);
    if (!t)
      throw new Error(
        `no template record for table ${table.name}; have ${[...o.templates.keys()].join(", ")}`,
      );
    const slot = `${table.name}/${facility.code}`;
    const id = next.get(slot) ?? o.firstId;
    next.set(slot, id + 1);
    const salt = Number.parseInt(facility.code, 36) % 100_000;
    inserts.push(buildEvent(t, table, facility, makeRow(table.name, id, salt), "c", o.tsMs));
    updates.push(buildEvent(t, table, facility, makeRow(table.name, id, salt + 1), "u", o.tsMs + 1));
  }
  return [...inserts, ...updates];
}
