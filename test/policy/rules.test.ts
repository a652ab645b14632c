import { fromRecorded } from "../../policy/normalize";
import { appliesTo, resolveRule } from "../../policy/pack";
import { RULES } from "../../policy/rules";
import { awsCases } from "./cases/aws";
import { containerCases } from "./cases/containers";
import { kafkaCases } from "./cases/kafka";
import { lifecycleCases } from "./cases/lifecycle";
import { mskCases } from "./cases/msk";
import { rdsCases } from "./cases/rds";
import { Case } from "./cases/types";

const CASES: Case[] = [
  ...mskCases,
  ...rdsCases,
  ...awsCases,
  ...kafkaCases,
  ...containerCases,
  ...lifecycleCases,
];

/** Messages one rule reports for the case's resources, the way the engine would run it. */
function messages(c: Case): string[] {
  const rule = RULES.find((r) => r.name === c.rule);
  if (!rule) throw new Error(`case "${c.title}" names unknown rule ${c.rule}`);
  const { settings } = resolveRule(rule, { [rule.name]: { ...(c.config ?? {}) } });
  const resources = c.resources.map(fromRecorded).filter((r) => appliesTo(rule, r.type));
  if (rule.kind === "stack") return rule.check(resources, settings).map((f) => f.message);
  return resources.flatMap((r) => rule.check(r, settings));
}

describe("every rule, table-driven", () => {
  test.each(CASES.map((c) => [c.rule, c.title, c] as const))("%s %s", (_rule, _title, c) => {
    expect(messages(c)).toEqual(c.expected);
  });
});

describe("case coverage", () => {
  test.each(RULES.map((r) => [r.name]))("%s has a passing and a failing case", (name) => {
    const mine = CASES.filter((c) => c.rule === name);
    expect(mine.filter((c) => c.expected.length === 0).length).toBeGreaterThanOrEqual(1);
    expect(mine.filter((c) => c.expected.length > 0).length).toBeGreaterThanOrEqual(1);
  });

  test("failing case titles start with rejects or fails if", () => {
    const bad = CASES.filter((c) => c.expected.length > 0 && !/^(rejects|fails if) /.test(c.title)).map(
      (c) => c.title,
    );
    expect(bad).toEqual([]);
  });
});
