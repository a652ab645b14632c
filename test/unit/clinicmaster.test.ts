import { TABLES, digestRows, makeRow } from "../../infra/local/clinicmaster";

describe("stand-in ClinicMasterMOH data", () => {
  test("rows are deterministic, keyed by ID, and differ between facilities", () => {
    expect(makeRow("Patients", 7, 12345)).toEqual(makeRow("Patients", 7, 12345));
    expect(makeRow("Patients", 7, 12345).PatientID).toBe(7);
    expect(makeRow("Patients", 7, 12345)).not.toEqual(makeRow("Patients", 7, 67890));
  });

  test.each(TABLES.map((t) => [t.name, t.key[0]]))("%s rows carry key column %s", (table, key) => {
    expect(makeRow(table, 42, 1)[key]).toBe(42);
  });

  test("digest ignores row order and value representation, and sees any content change", () => {
    const a = [
      { id: 1, n: "x", d: new Date("2026-01-01T00:00:00Z"), v: "36.60" },
      { id: 2, n: "y", d: null, v: 37 },
    ];
    const b = [
      { id: 2, n: "y", d: null, v: "37.0" },
      { id: 1, n: "x", d: new Date("2026-01-01T00:00:00Z"), v: 36.6 },
    ];
    const cols = ["id", "n", "d", "v"];
    expect(digestRows(a, ["id"], cols)).toBe(digestRows(b, ["id"], cols));
    expect(digestRows([{ ...a[0], n: "z" }, a[1]], ["id"], cols)).not.toBe(digestRows(a, ["id"], cols));
  });
});
