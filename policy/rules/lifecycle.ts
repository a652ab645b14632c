import { ResourceRule, T, q } from "./model";

/** The cluster and the database are protected from deletion and replacement. */
export const statefulProtected: ResourceRule = {
  kind: "resource",
  name: "stateful-resources-protected",
  description:
    "The MSK cluster and the RDS instance must be created with `protect`, because the engine then refuses any plan that deletes or replaces them, and a replacement would lose every buffered change or the warehouse.",
  remediation:
    "Pass { protect: true, retainOnDelete: true } in the resource options and never deleteBeforeReplace; to replace on purpose, unprotect in a reviewed change first.",
  defaultLevel: "mandatory",
  severity: "critical",
  defaults: {},
  types: [T.mskCluster, T.rdsInstance],
  needsOpts: true,
  check(r) {
    if (r.opts === undefined) return [];
    const kind = r.type === T.mskCluster ? "MSK cluster" : "RDS instance";
    const out: string[] = [];
    if (r.opts.protect !== true) {
      out.push(
        `${kind} ${q(r.name)} is not protected; set protect: true so no plan can delete or replace it.`,
      );
    }
    if (r.opts.deleteBeforeReplace === true) {
      out.push(`${kind} ${q(r.name)} sets deleteBeforeReplace; a replacement would delete the data first.`);
    }
    // The engine does not send retainOnDelete to packs; only callers that recorded it can check it.
    if (r.opts.retainOnDelete === false) {
      out.push(
        `${kind} ${q(r.name)} sets retainOnDelete: false; keep the cloud resource when it leaves the program.`,
      );
    }
    return out;
  },
};
