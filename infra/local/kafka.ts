import { randomUUID } from "crypto";
import { existsSync, readFileSync, statSync, writeFileSync } from "fs";
import { join } from "path";
import { Kafka, logLevel, type KafkaConfig } from "kafkajs";
import { renderProperties } from "../connect/properties";
import type { KafkaConnection } from "../connect/worker";
import { ADMIN_PRINCIPAL } from "../connect/names";
import type { Artifacts } from "./artifacts";
import { runJavaTool, startJava } from "./java";
import { freePorts, waitFor, type ManagedProcess } from "./proc";
import { generateTls, type TlsMaterial } from "./tls";
import { randomPassword, type Workspace } from "./workspace";

/** A SCRAM-SHA-512 login. */
export interface ScramUser {
  name: string;
  password: string;
}

/** Options of {@link startKafka}. */
export interface KafkaOptions {
  ws: Workspace;
  artifacts: Artifacts;
  /** Combined broker+controller nodes: 1, or 3 with RF 3 and `min.insync.replicas=2`. @default 1 */
  brokers?: 1 | 3;
  /** SCRAM users bootstrapped at format time besides the admin; more can be added later. */
  users?: ScramUser[];
  /** Broker heap. @default 512m */
  heap?: string;
  /** Bound on start-up of the whole cluster. @default 120 s */
  startTimeoutMs?: number;
}

/** One combined broker+controller node. */
export interface KafkaNode {
  nodeId: number;
  /** SASL_SSL client (and inter-broker) listener on 127.0.0.1. */
  port: number;
  /** Controller listener (SASL_PLAINTEXT, PLAIN, admin only) on 127.0.0.1. */
  controllerPort: number;
  configFile: string;
  dataDir: string;
  process?: ManagedProcess;
}

const STARTED = /Kafka Server started/;

/**
 * Kafka in KRaft mode on loopback, shaped like the production cluster where it matters to the data
 * plane: SASL/SCRAM-SHA-512 over TLS for every client, the standard authorizer denying by default,
 * one super user (the platform admin), `auto.create.topics.enable=false`.
 */
export class KafkaCluster {
  /** `127.0.0.1:<port>,…` of the client listeners. */
  readonly bootstrapServers: string;
  /** The super user. */
  readonly admin: ScramUser;
  readonly tls: TlsMaterial;
  readonly nodes: KafkaNode[];
  /** Replication factor for topics of this cluster (1 or 3). */
  readonly replicationFactor: number;
  /** `min.insync.replicas` of this cluster (1 or 2). */
  readonly minInsyncReplicas: number;
  /** Milliseconds the first start-up took (format excluded). */
  startupMs = 0;

  constructor(
    private readonly options: Required<Omit<KafkaOptions, "users">>,
    nodes: KafkaNode[],
    admin: ScramUser,
    tls: TlsMaterial,
  ) {
    this.nodes = nodes;
    this.admin = admin;
    this.tls = tls;
    this.bootstrapServers = nodes.map((n) => `127.0.0.1:${n.port}`).join(",");
    this.replicationFactor = nodes.length === 3 ? 3 : 1;
    this.minInsyncReplicas = nodes.length === 3 ? 2 : 1;
  }

  /** How Kafka Connect workers reach this cluster (the shape `infra/connect/worker.ts` takes). */
  connection(): KafkaConnection {
    return {
      bootstrapServers: this.bootstrapServers,
      securityProtocol: "SASL_SSL",
      truststore: { path: this.tls.truststorePath, type: this.tls.truststoreType },
    };
  }

  /** kafkajs client options for a SCRAM user (TLS with the cluster's CA). */
  kafkajsConfig(user: ScramUser, clientId = user.name): KafkaConfig {
    return {
      clientId,
      brokers: this.nodes.map((n) => `127.0.0.1:${n.port}`),
      ssl: { ca: [this.tls.caPem] },
      sasl: { mechanism: "scram-sha-512", username: user.name, password: user.password },
      logLevel: logLevel.NOTHING,
      connectionTimeout: 5000,
      requestTimeout: 15000,
      retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 2000 },
    };
  }

  /** A kafkajs client logged in as `user`. */
  kafkajs(user: ScramUser, clientId?: string): Kafka {
    return new Kafka(this.kafkajsConfig(user, clientId));
  }

  /** Java client properties for `user` with the password inline (for tools run by the harness only). */
  javaClientProperties(user: ScramUser): Record<string, string> {
    return {
      "bootstrap.servers": this.bootstrapServers,
      "security.protocol": "SASL_SSL",
      "sasl.mechanism": "SCRAM-SHA-512",
      "sasl.jaas.config": `org.apache.kafka.common.security.scram.ScramLoginModule required username="${user.name}" password="${user.password}";`,
      "ssl.truststore.location": this.tls.truststorePath,
      "ssl.truststore.type": this.tls.truststoreType,
    };
  }

  /** Starts node `index` (after a stop or kill) and waits until it serves. */
  async startNode(index: number, timeoutMs = this.options.startTimeoutMs): Promise<void> {
    const node = this.nodes[index];
    if (node.process?.running) return;
    const name = `kafka-${node.nodeId}`;
    const logFile = this.options.ws.logFile(name);
    const offset = existsSync(logFile) ? statSync(logFile).size : 0;
    node.process = startJava(this.options.ws, {
      name,
      mainClass: "kafka.Kafka",
      args: [node.configFile],
      classpath: this.options.artifacts.kafkaClasspath,
      heap: this.options.heap,
    });
    const proc = node.process;
    await waitFor(
      `Kafka node ${node.nodeId} to start (log ${logFile})`,
      () => STARTED.test(readFileSync(logFile, "utf8").slice(offset)),
      { timeoutMs, process: proc, intervalMs: 200 },
    );
  }

  /** Graceful stop of node `index`. */
  async stopNode(index: number): Promise<void> {
    await this.nodes[index].process?.stop(30_000);
  }

  /** `kill -9` of node `index`. */
  async killNode(index: number): Promise<void> {
    await this.nodes[index].process?.kill9();
  }

  /** Waits until the admin sees `count` brokers (default: every node). */
  async waitForBrokers(count = this.nodes.length, timeoutMs = 60_000): Promise<void> {
    await waitFor(
      `${count} Kafka broker(s) to be visible to the admin client`,
      async () => {
        const admin = this.kafkajs(this.admin, "harness-admin").admin();
        await admin.connect();
        try {
          const cluster = await admin.describeCluster();
          return cluster.brokers.length >= count;
        } finally {
          await admin.disconnect();
        }
      },
      { timeoutMs, intervalMs: 500 },
    );
  }

  /** Creates or updates a SCRAM-SHA-512 user (Kafka's config command, as the admin). */
  async upsertScramUser(user: ScramUser): Promise<void> {
    const commandConfig = join(this.options.ws.dir("secrets"), "admin-client.properties");
    writeFileSync(commandConfig, renderProperties(this.javaClientProperties(this.admin)), { mode: 0o600 });
    await runJavaTool(this.options.ws, {
      name: "kafka-configs",
      mainClass: "kafka.admin.ConfigCommand",
      classpath: this.options.artifacts.kafkaClasspath,
      args: [
        "--bootstrap-server",
        this.bootstrapServers,
        "--command-config",
        commandConfig,
        "--alter",
        "--add-config",
        `SCRAM-SHA-512=[iterations=4096,password=${user.password}]`,
        "--entity-type",
        "users",
        "--entity-name",
        user.name,
      ],
    });
  }

  /**
   * Authorization denials the brokers logged for `principal` (the standard authorizer logs each
   * denied operation at INFO), e.g. `Denied Operation = Describe … Group:LITERAL:<group>`.
   */
  denials(principal: string): string[] {
    const marker = `Principal = User:${principal} is Denied`;
    return this.nodes.flatMap((n) => {
      const file = this.options.ws.logFile(`kafka-${n.nodeId}`);
      return existsSync(file)
        ? readFileSync(file, "utf8")
            .split("\n")
            .filter((l) => l.includes(marker))
        : [];
    });
  }

  /** Graceful stop of every node. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((_, i) => this.stopNode(i)));
  }
}

function serverProperties(
  node: KafkaNode,
  nodes: KafkaNode[],
  admin: ScramUser,
  tls: TlsMaterial,
): Record<string, string> {
  const three = nodes.length === 3;
  const rf = three ? "3" : "1";
  const isr = three ? "2" : "1";
  const adminJaas = (module: string, extra = ""): string =>
    `org.apache.kafka.common.security.${module} required username="${admin.name}" password="${admin.password}"${extra};`;
  return {
    "process.roles": "broker,controller",
    "node.id": String(node.nodeId),
    "controller.quorum.voters": nodes.map((n) => `${n.nodeId}@127.0.0.1:${n.controllerPort}`).join(","),
    listeners: `CLIENT://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${node.controllerPort}`,
    "advertised.listeners": `CLIENT://127.0.0.1:${node.port}`,
    "listener.security.protocol.map": "CLIENT:SASL_SSL,CONTROLLER:SASL_PLAINTEXT",
    "inter.broker.listener.name": "CLIENT",
    "controller.listener.names": "CONTROLLER",
    // Clients and brokers: SCRAM-SHA-512 over TLS, as on MSK.
    "sasl.enabled.mechanisms": "SCRAM-SHA-512",
    "sasl.mechanism.inter.broker.protocol": "SCRAM-SHA-512",
    "listener.name.client.scram-sha-512.sasl.jaas.config": adminJaas("scram.ScramLoginModule"),
    // KRaft controllers cannot use SCRAM (its credentials live in the metadata they serve), so the
    // controller listener takes PLAIN with the admin as its only user.
    "sasl.mechanism.controller.protocol": "PLAIN",
    "listener.name.controller.sasl.enabled.mechanisms": "PLAIN",
    "listener.name.controller.plain.sasl.jaas.config": adminJaas(
      "plain.PlainLoginModule",
      ` user_${admin.name}="${admin.password}"`,
    ),
    "ssl.keystore.type": "PKCS12",
    "ssl.keystore.location": tls.keystorePath,
    "ssl.keystore.password": tls.keystorePassword,
    "ssl.key.password": tls.keystorePassword,
    "ssl.truststore.type": tls.truststoreType,
    "ssl.truststore.location": tls.truststorePath,
    "ssl.truststore.password": tls.truststorePassword,
    "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
    "allow.everyone.if.no.acl.found": "false",
    "super.users": `User:${admin.name}`,
    "auto.create.topics.enable": "false",
    "log.dirs": node.dataDir,
    "num.partitions": "1",
    "default.replication.factor": rf,
    "min.insync.replicas": isr,
    "offsets.topic.replication.factor": rf,
    "offsets.topic.num.partitions": "5",
    "transaction.state.log.replication.factor": rf,
    "transaction.state.log.min.isr": isr,
    "transaction.state.log.num.partitions": "5",
    "share.coordinator.state.topic.replication.factor": rf,
    "share.coordinator.state.topic.min.isr": isr,
    "group.initial.rebalance.delay.ms": "0",
    // Two cores for everything: keep the broker's thread pools small.
    "num.network.threads": "2",
    "num.io.threads": "4",
    "background.threads": "4",
    "num.recovery.threads.per.data.dir": "1",
  };
}

/**
 * Formats and starts a KRaft cluster on free loopback ports with TLS, SCRAM users and the standard
 * authorizer; resolves when every broker serves and the admin sees them all.
 */
export async function startKafka(options: KafkaOptions): Promise<KafkaCluster> {
  const opts = { brokers: 1 as const, heap: "512m", startTimeoutMs: 120_000, ...options };
  const { ws } = opts;
  const admin: ScramUser = { name: ADMIN_PRINCIPAL, password: randomPassword() };
  const tls = await generateTls(ws, randomPassword());
  const ports = await freePorts(opts.brokers * 2);
  const nodes: KafkaNode[] = Array.from({ length: opts.brokers }, (_, i) => ({
    nodeId: i + 1,
    port: ports[2 * i],
    controllerPort: ports[2 * i + 1],
    configFile: join(ws.dir("kafka"), `server-${i + 1}.properties`),
    dataDir: ws.dir("kafka", `data-${i + 1}`),
  }));
  // Kafka's cluster id is a UUID in URL-safe base64 (22 characters). One in 64 starts with "-", which
  // kafka-storage's argument parser reads as an option (`--cluster-id: expected one argument`): draw again.
  let clusterId = "-";
  while (clusterId.startsWith("-"))
    clusterId = Buffer.from(randomUUID().replace(/-/g, ""), "hex").toString("base64url");
  const users = [admin, ...(options.users ?? [])];
  for (const node of nodes) {
    writeFileSync(node.configFile, renderProperties(serverProperties(node, nodes, admin, tls)), {
      mode: 0o600,
    });
  }
  await Promise.all(
    nodes.map((node) =>
      runJavaTool(ws, {
        name: `kafka-storage-${node.nodeId}`,
        mainClass: "kafka.tools.StorageTool",
        classpath: opts.artifacts.kafkaClasspath,
        args: [
          "format",
          "--cluster-id",
          clusterId,
          "--config",
          node.configFile,
          "--ignore-formatted",
          ...users.flatMap((u) => [
            "--add-scram",
            `SCRAM-SHA-512=[name=${u.name},iterations=4096,password=${u.password}]`,
          ]),
        ],
      }),
    ),
  );
  const cluster = new KafkaCluster(opts, nodes, admin, tls);
  const started = Date.now();
  await Promise.all(nodes.map((_, i) => cluster.startNode(i)));
  await cluster.waitForBrokers(nodes.length, opts.startTimeoutMs);
  cluster.startupMs = Date.now() - started;
  return cluster;
}
