import { facilityAcls, sinkAcls } from "../../../infra/connect/acl";
import {
  DATA_TOPIC_PREFIX,
  DLQ_TOPIC,
  HEARTBEAT_TOPIC,
  dataTopic,
  facilityPrincipal,
} from "../../../infra/connect/names";
import { aclResources, res, topic } from "../fixtures";
import { Case } from "./types";

const ACL = "kafka:index/acl:Acl";
const FAC = `User:${facilityPrincipal("KAY001")}`;
const acl = (
  name: string,
  principal: string,
  resourceName: string,
  operation: string,
  patternType = "Literal",
  permission = "Allow",
  resourceType = "Topic",
) =>
  res(ACL, name, {
    aclPrincipal: principal,
    aclHost: "*",
    aclResourceType: resourceType,
    aclResourceName: resourceName,
    resourcePatternTypeFilter: patternType,
    aclOperation: operation,
    aclPermissionType: permission,
  });

export const kafkaCases: Case[] = [
  {
    rule: "kafka-topic-durability",
    title: "accepts RF 3 with min.insync.replicas 2",
    resources: [topic(dataTopic("Visits"))],
    expected: [],
  },
  {
    rule: "kafka-topic-durability",
    title: "rejects RF 1 without min.insync.replicas",
    resources: [topic(dataTopic("Visits"), 1, null)],
    expected: [
      `Topic \`${dataTopic("Visits")}\` has replicationFactor 1; at least 3 is required.`,
      `Topic \`${dataTopic("Visits")}\` has min.insync.replicas unset; set config["min.insync.replicas"] to at least 2.`,
    ],
  },
  {
    rule: "kafka-topic-durability",
    title: "rejects min.insync.replicas 1",
    resources: [topic(DLQ_TOPIC, 3, "1")],
    expected: [
      `Topic \`${DLQ_TOPIC}\` has min.insync.replicas 1; set config["min.insync.replicas"] to at least 2.`,
    ],
  },
  {
    rule: "kafka-topic-durability",
    title: "rejects min.insync.replicas equal to RF",
    resources: [topic(HEARTBEAT_TOPIC, 3, "3")],
    expected: [
      `Topic \`${HEARTBEAT_TOPIC}\` has min.insync.replicas 3 with replicationFactor 3; it must be below the replication factor or one broker loss stops writes.`,
    ],
  },
  {
    rule: "kafka-facility-no-read",
    title: "accepts the facility's matrix ACLs",
    resources: aclResources(facilityAcls("KAY001"), "kayunga"),
    expected: [],
  },
  {
    rule: "kafka-facility-no-read",
    title: "accepts the sink's READ on the data topics",
    resources: aclResources(sinkAcls(), "sink"),
    expected: [],
  },
  {
    rule: "kafka-facility-no-read",
    title: "rejects facility READ on the data-topic prefix",
    resources: [acl("leak", FAC, DATA_TOPIC_PREFIX, "Read", "Prefixed")],
    expected: [
      `ACL \`leak\` gives facility principal \`${FAC}\` READ on the shared data topics; facilities may only write.`,
    ],
  },
  {
    rule: "kafka-facility-no-read",
    title: "rejects facility READ on one data topic",
    resources: [acl("leak", FAC, dataTopic("Patients"), "Read")],
    expected: [
      `ACL \`leak\` gives facility principal \`${FAC}\` READ on the shared data topics; facilities may only write.`,
    ],
  },
  {
    rule: "kafka-facility-no-read",
    title: "rejects facility ALL on a prefix covering data topics and the DLQ",
    resources: [acl("leak", FAC, "", "All", "Prefixed")],
    expected: [
      `ACL \`leak\` gives facility principal \`${FAC}\` ALL on the shared data topics and the DLQ \`${DLQ_TOPIC}\`; facilities may only write.`,
    ],
  },
  {
    rule: "kafka-facility-no-read",
    title: "rejects facility READ on the DLQ",
    resources: [acl("leak", FAC, DLQ_TOPIC, "Read")],
    expected: [
      `ACL \`leak\` gives facility principal \`${FAC}\` READ on the DLQ \`${DLQ_TOPIC}\`; facilities may only write.`,
    ],
  },
  {
    rule: "kafka-facility-no-read",
    title: "accepts a facility DENY READ",
    resources: [acl("deny", FAC, DLQ_TOPIC, "Read", "Literal", "Deny")],
    expected: [],
  },
  {
    rule: "kafka-no-wildcard-acl",
    title: "accepts named principals and resources",
    resources: [...aclResources(sinkAcls(), "sink"), ...aclResources(facilityAcls("KAY001"), "kayunga")],
    expected: [],
  },
  {
    rule: "kafka-no-wildcard-acl",
    title: "rejects the wildcard principal",
    resources: [acl("everyone", "User:*", HEARTBEAT_TOPIC, "Write")],
    expected: ["ACL `everyone` applies to every principal (`User:*`); name one principal."],
  },
  {
    rule: "kafka-no-wildcard-acl",
    title: "rejects the wildcard topic",
    resources: [acl("all-topics", "User:warehouse-sink", "*", "Read")],
    expected: ["ACL `all-topics` applies to every topic (literal `*`); name the resource or a prefix."],
  },
  {
    rule: "kafka-no-wildcard-acl",
    title: "rejects an empty prefix",
    resources: [acl("empty-prefix", "User:warehouse-sink", "", "Read", "Prefixed")],
    expected: ["ACL `empty-prefix` applies to every topic (prefixed ``); name the resource or a prefix."],
  },
  {
    rule: "kafka-facility-acls-from-matrix",
    title: "accepts exactly the matrix",
    resources: aclResources(facilityAcls("KAY001"), "kayunga"),
    expected: [],
  },
  {
    rule: "kafka-facility-acls-from-matrix",
    title: "rejects a facility ACL that is not in the matrix",
    resources: [acl("extra", FAC, "clinicmaster-sink-connect-", "Write", "Prefixed")],
    expected: [
      `ACL \`extra\` (WRITE on topic prefixed \`clinicmaster-sink-connect-\` for \`${FAC}\`) is not in the facility ACL matrix.`,
    ],
  },
  {
    rule: "kafka-facility-acls-from-matrix",
    title: "rejects another facility's grant under this principal",
    resources: [acl("group", FAC, "clinicmaster", "Read", "Prefixed", "Allow", "Group")],
    expected: [
      `ACL \`group\` (READ on group prefixed \`clinicmaster\` for \`${FAC}\`) is not in the facility ACL matrix.`,
    ],
  },
];
