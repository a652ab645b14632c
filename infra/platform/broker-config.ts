import type { AclEntry } from "../connect/acl";
import { renderProperties } from "../connect/properties";
import { MSK_DURABILITY } from "../connect/topics";

/**
 * Server properties of the MSK cluster configuration. Pure.
 *
 * `allow.everyone.if.no.acl.found=false` makes the cluster deny by default. MSK has no `super.users`,
 * so the admin principal's ACLs must exist before this setting takes effect, or nobody can create
 * ACLs any more: see docs/PLATFORM.md, "First deployment", for the order.
 */
export const BROKER_SERVER_PROPERTIES: Readonly<Record<string, string>> = {
  "auto.create.topics.enable": "false",
  "default.replication.factor": String(MSK_DURABILITY.replicationFactor),
  "min.insync.replicas": String(MSK_DURABILITY.minInsyncReplicas),
  "allow.everyone.if.no.acl.found": "false",
  // A replica that was out of sync must never become leader: that silently drops acknowledged writes.
  "unclean.leader.election.enable": "false",
  "offsets.topic.replication.factor": String(MSK_DURABILITY.replicationFactor),
  "transaction.state.log.replication.factor": String(MSK_DURABILITY.replicationFactor),
  "transaction.state.log.min.isr": String(MSK_DURABILITY.minInsyncReplicas),
};

/**
 * Server properties for the first deployment of a new cluster: everything as above except that a
 * resource without ACLs is open, so the admin principal can create its ACLs. Once they exist the
 * cluster resource and our topics have ACLs and are closed to everyone else; the next deployment
 * switches to deny by default.
 */
export function aclBootstrapServerProperties(): Readonly<Record<string, string>> {
  return { ...BROKER_SERVER_PROPERTIES, "allow.everyone.if.no.acl.found": "true" };
}

/** The `server.properties` text MSK expects in a configuration revision. */
export function renderServerProperties(
  props: Readonly<Record<string, string>> = BROKER_SERVER_PROPERTIES,
): string {
  return renderProperties({ ...props });
}

/**
 * ACLs MSK's brokers themselves need once the cluster resource has ACLs or denies by default. With
 * SASL/SCRAM clients and TLS inside the cluster, brokers replicate as `User:ANONYMOUS`; without an
 * allow for it on the cluster resource, replication stops with ClusterAuthorizationException (AWS
 * knowledge center, "Troubleshoot SASL/SCRAM issues with Amazon MSK", which grants ALL). No client can
 * be ANONYMOUS here: unauthenticated access is off and every client listener requires SCRAM.
 */
export function mskBrokerAcls(): AclEntry[] {
  return [
    {
      principal: "User:ANONYMOUS",
      resourceType: "Cluster",
      resourceName: "kafka-cluster",
      patternType: "Literal",
      operation: "All",
      permission: "Allow",
      host: "*",
    },
  ];
}
