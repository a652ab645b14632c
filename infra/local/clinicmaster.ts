import { createHash } from "node:crypto";
import type { Client } from "pg";
import { FACILITY_FIELDS } from "../connect/names";

/**
 * A PostgreSQL database laid out like ClinicMasterMOH (schema `dbo`), the loopback stand-in for a
 * facility's SQL Server: DDL, deterministic sample data with IDs deliberately equal across
 * facilities, a change generator, and the source-vs-warehouse comparison used by every e2e test.
 */

/** A captured table: name, key columns and the DDL that creates it in schema dbo. */
export interface TableDef {
  name: string;
  key: string[];
  ddl: string;
}

/** The ClinicMaster-like tables of the stand-in. AuditTrail has no primary key on purpose. */
export const TABLES: TableDef[] = [
  {
    name: "Patients",
    key: ["PatientID"],
    ddl: `CREATE TABLE dbo."Patients" ("PatientID" integer PRIMARY KEY, "PatientNo" varchar(20) NOT NULL,
      "FirstName" varchar(60) NOT NULL, "LastName" varchar(60) NOT NULL, "Sex" char(1) NOT NULL,
      "DateOfBirth" date, "Phone" varchar(20), "Village" varchar(80), "RegisteredAt" timestamp NOT NULL)`,
  },
  {
    name: "Visits",
    key: ["VisitID"],
    ddl: `CREATE TABLE dbo."Visits" ("VisitID" integer PRIMARY KEY, "PatientID" integer NOT NULL,
      "VisitDate" timestamp NOT NULL, "VisitType" varchar(20) NOT NULL, "Complaint" text,
      "Diagnosis" varchar(120), "Temperature" numeric(4,1), "ClinicianID" integer)`,
  },
  {
    name: "Appointments",
    key: ["AppointmentID"],
    ddl: `CREATE TABLE dbo."Appointments" ("AppointmentID" integer PRIMARY KEY, "PatientID" integer NOT NULL,
      "AppointmentDate" timestamp NOT NULL, "Department" varchar(40) NOT NULL, "Status" varchar(20) NOT NULL)`,
  },
  {
    name: "Medications",
    key: ["MedicationID"],
    ddl: `CREATE TABLE dbo."Medications" ("MedicationID" integer PRIMARY KEY, "VisitID" integer NOT NULL,
      "DrugName" varchar(80) NOT NULL, "Dose" varchar(40), "Frequency" varchar(20),
      "DurationDays" integer, "Quantity" numeric(10,2))`,
  },
];

const FIRST = [
  "Nakato",
  "Okello",
  "Namubiru",
  "Mugisha",
  "Atim",
  "Ssempala",
  "Akello",
  "Byaruhanga",
  "Auma",
  "Kato",
];
const LAST = [
  "Nansubuga",
  "Opio",
  "Kyomuhendo",
  "Tumusiime",
  "Achieng",
  "Lubega",
  "Odongo",
  "Nabirye",
  "Were",
  "Mukasa",
];
const DRUGS = [
  "Amoxicillin",
  "Artemether/Lumefantrine",
  "Paracetamol",
  "Metformin",
  "Cotrimoxazole",
  "ORS",
  "Zinc",
];
const DIAG = [
  "Malaria",
  "URTI",
  "Hypertension",
  "Diabetes follow-up",
  "Diarrhoea",
  "Antenatal care",
  "Pneumonia",
];

/** Deterministic pseudo-random numbers (mulberry32), so every run seeds the same data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(r: () => number, xs: T[]): T => xs[Math.floor(r() * xs.length)];
const ts = (r: () => number) =>
  new Date(
    Date.UTC(
      2026,
      Math.floor(r() * 11),
      1 + Math.floor(r() * 28),
      Math.floor(r() * 24),
      Math.floor(r() * 60),
      Math.floor(r() * 60),
    ),
  )
    .toISOString()
    .replace("T", " ")
    .replace("Z", "");

/** One row of a table as column → value (SQL literal-safe primitives). */
export type Row = Record<string, string | number | null>;

/** A realistic row for `table` with primary key `id`; `salt` makes facilities' rows differ. */
export function makeRow(table: string, id: number, salt: number): Row {
  const r = rng(id * 7919 + salt * 104729 + table.length);
  switch (table) {
    case "Patients":
      return {
        PatientID: id,
        PatientNo: `P${salt}-${String(id).padStart(6, "0")}`,
        FirstName: pick(r, FIRST),
        LastName: pick(r, LAST),
        Sex: r() < 0.5 ? "F" : "M",
        DateOfBirth: `19${50 + Math.floor(r() * 49)}-0${1 + Math.floor(r() * 9)}-1${Math.floor(r() * 9)}`,
        Phone: `+2567${Math.floor(10000000 + r() * 89999999)}`,
        Village: `Village ${Math.floor(r() * 400)}`,
        RegisteredAt: ts(r),
      };
    case "Visits":
      return {
        VisitID: id,
        PatientID: 1 + Math.floor(r() * 1000),
        VisitDate: ts(r),
        VisitType: pick(r, ["OPD", "IPD", "ANC", "Review"]),
        Complaint: `Fever for ${1 + Math.floor(r() * 9)} days, ${pick(r, ["headache", "cough", "vomiting", "joint pains"])}`,
        Diagnosis: pick(r, DIAG),
        Temperature: Math.round((36 + r() * 4) * 10) / 10,
        ClinicianID: 1 + Math.floor(r() * 40),
      };
    case "Appointments":
      return {
        AppointmentID: id,
        PatientID: 1 + Math.floor(r() * 1000),
        AppointmentDate: ts(r),
        Department: pick(r, ["Maternity", "Paediatrics", "General OPD", "Dental", "Eye clinic"]),
        Status: pick(r, ["Booked", "Attended", "Missed"]),
      };
    case "Medications":
      return {
        MedicationID: id,
        VisitID: 1 + Math.floor(r() * 1000),
        DrugName: pick(r, DRUGS),
        Dose: `${pick(r, [250, 500, 1000])} mg`,
        Frequency: pick(r, ["OD", "BD", "TDS", "QID"]),
        DurationDays: 1 + Math.floor(r() * 14),
        Quantity: Math.round(r() * 10000) / 100,
      };
    default:
      throw new Error(`no sample rows for table ${table}`);
  }
}

const q = (id: string) => `"${id.replace(/"/g, '""')}"`;

/** Creates schema dbo and the tables (idempotent). Tables without a PK get REPLICA IDENTITY FULL. */
export async function createSchema(db: Client, tables: TableDef[] = TABLES): Promise<void> {
  await db.query("CREATE SCHEMA IF NOT EXISTS dbo");
  for (const t of tables) {
    const exists = await db.query(
      "SELECT 1 FROM information_schema.tables WHERE table_schema='dbo' AND table_name=$1",
      [t.name],
    );
    if (exists.rowCount === 0) await db.query(t.ddl);
  }
}

/** Inserts rows `from..to` (inclusive) of a table. */
export async function insertRows(
  db: Client,
  table: string,
  from: number,
  to: number,
  salt: number,
): Promise<void> {
  const rows: Row[] = [];
  for (let id = from; id <= to; id++) rows.push(makeRow(table, id, salt));
  await insertRowObjects(db, table, rows);
}

/** Inserts given row objects in batches of 500. */
export async function insertRowObjects(db: Client, table: string, rows: Row[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 500) {
    const batch = rows.slice(i, i + 500);
    const cols = Object.keys(batch[0]);
    const params: (string | number | null)[] = [];
    const tuples = batch.map(
      (row) => `(${cols.map((c) => (params.push(row[c]), `$${params.length}`)).join(",")})`,
    );
    await db.query(
      `INSERT INTO dbo.${q(table)} (${cols.map(q).join(",")}) VALUES ${tuples.join(",")}`,
      params,
    );
  }
}

/** Seeds `rowsPerTable` rows into every table, IDs 1..n (equal across facilities, content differs by salt). */
export async function seed(
  db: Client,
  salt: number,
  rowsPerTable: number,
  tables: TableDef[] = TABLES,
): Promise<void> {
  await createSchema(db, tables);
  for (const t of tables) await insertRows(db, t.name, 1, rowsPerTable, salt);
}

/** Stable digest of a set of rows: each row normalised to text, sorted by its key, then SHA-256. */
export function digestRows(rows: Record<string, unknown>[], key: string[], columns: string[]): string {
  const norm = (v: unknown): string => {
    if (v === null || v === undefined) return "\\N";
    if (v instanceof Date) return v.toISOString();
    if (typeof v === "number") return String(v);
    if (typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v)) return String(Number(v));
    return String(v);
  };
  const lines = rows.map((r) => ({
    k: key.map((c) => norm(r[c])).join("|"),
    line: columns.map((c) => norm(r[c])).join("\u0001"),
  }));
  lines.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
  const h = createHash("sha256");
  for (const l of lines) h.update(`${l.line}\n`);
  return h.digest("hex").slice(0, 16);
}

/** Count and content digest of one table at one facility. */
export interface TableState {
  rows: number;
  digest: string;
}

/** Reads a table's source state (all its columns). */
export async function sourceState(db: Client, table: TableDef): Promise<TableState & { columns: string[] }> {
  const cols = await db.query(
    "SELECT column_name FROM information_schema.columns WHERE table_schema='dbo' AND table_name=$1 ORDER BY ordinal_position",
    [table.name],
  );
  const columns = cols.rows.map((r: { column_name: string }) => r.column_name);
  const rows = (await db.query(`SELECT * FROM dbo.${q(table.name)}`)).rows;
  return { rows: rows.length, digest: digestRows(rows, table.key, columns), columns };
}

/** Reads the warehouse rows of one facility for a table, over the source's columns. */
export async function warehouseState(
  wh: Client,
  table: TableDef,
  code: string,
  columns: string[],
): Promise<TableState> {
  const exists = await wh.query(
    "SELECT 1 FROM information_schema.tables WHERE table_schema='public' AND table_name=$1",
    [table.name],
  );
  if (exists.rowCount === 0) return { rows: 0, digest: digestRows([], table.key, columns) };
  const present = await wh.query(
    "SELECT column_name FROM information_schema.columns WHERE table_schema='public' AND table_name=$1",
    [table.name],
  );
  const have = new Set(present.rows.map((r: { column_name: string }) => r.column_name));
  const select = columns.map((c) => (have.has(c) ? q(c) : `NULL AS ${q(c)}`)).join(",");
  const rows = (
    await wh.query(`SELECT ${select} FROM public.${q(table.name)} WHERE ${q(FACILITY_FIELDS.code)} = $1`, [
      code,
    ])
  ).rows;
  return { rows: rows.length, digest: digestRows(rows, table.key, columns) };
}

/** Source vs warehouse for one table at one facility. */
export interface Comparison {
  table: string;
  facility: string;
  source: TableState;
  warehouse: TableState;
  match: boolean;
}

/** Compares every table of one facility with its rows in the warehouse. */
export async function compareFacility(
  src: Client,
  wh: Client,
  code: string,
  tables: TableDef[] = TABLES,
): Promise<Comparison[]> {
  const out: Comparison[] = [];
  for (const t of tables) {
    const s = await sourceState(src, t);
    const w = await warehouseState(wh, t, code, s.columns);
    out.push({
      table: t.name,
      facility: code,
      source: { rows: s.rows, digest: s.digest },
      warehouse: w,
      match: s.rows === w.rows && s.digest === w.digest,
    });
  }
  return out;
}

/** A random mix of inserts, updates and deletes against the stand-in (for streams of changes). */
export async function randomChanges(
  db: Client,
  salt: number,
  count: number,
  seedValue: number,
  tables: TableDef[] = TABLES,
): Promise<void> {
  const r = rng(seedValue);
  for (let i = 0; i < count; i++) {
    const t = pick(r, tables);
    const k = q(t.key[0]);
    const max = (await db.query(`SELECT coalesce(max(${k}),0) AS m FROM dbo.${q(t.name)}`)).rows[0]
      .m as number;
    const roll = r();
    if (roll < 0.5 || max === 0) {
      await insertRowObjects(db, t.name, [makeRow(t.name, Number(max) + 1, salt + i)]);
    } else if (roll < 0.85) {
      const id = 1 + Math.floor(r() * Number(max));
      const row = makeRow(t.name, id, salt + 1000 + i);
      const cols = Object.keys(row).filter((c) => !t.key.includes(c));
      await db.query(
        `UPDATE dbo.${q(t.name)} SET ${cols.map((c, j) => `${q(c)} = $${j + 2}`).join(",")} WHERE ${k} = $1`,
        [id, ...cols.map((c) => row[c])],
      );
    } else {
      const id = 1 + Math.floor(r() * Number(max));
      await db.query(`DELETE FROM dbo.${q(t.name)} WHERE ${k} = $1`, [id]);
    }
  }
}
