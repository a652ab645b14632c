import { goodCluster, goodDatabase, res } from "../fixtures";
import { Case } from "./types";

const cluster = (opts: Record<string, unknown>) =>
  res("aws:msk/cluster:Cluster", "kafka", goodCluster(), { opts });
const db = (opts: Record<string, unknown>) =>
  res("aws:rds/instance:Instance", "warehouse", goodDatabase(), { opts });

export const lifecycleCases: Case[] = [
  {
    rule: "stateful-resources-protected",
    title: "accepts a protected cluster and database",
    resources: [cluster({ protect: true }), db({ protect: true, retainOnDelete: true })],
    expected: [],
  },
  {
    rule: "stateful-resources-protected",
    title: "rejects an unprotected cluster",
    resources: [cluster({ protect: false })],
    expected: [
      "MSK cluster `kafka` is not protected; set protect: true so no plan can delete or replace it.",
    ],
  },
  {
    rule: "stateful-resources-protected",
    title: "rejects deleteBeforeReplace and retainOnDelete false on the database",
    resources: [db({ protect: true, deleteBeforeReplace: true, retainOnDelete: false })],
    expected: [
      "RDS instance `warehouse` sets deleteBeforeReplace; a replacement would delete the data first.",
      "RDS instance `warehouse` sets retainOnDelete: false; keep the cloud resource when it leaves the program.",
    ],
  },
];
