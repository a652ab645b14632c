import { parseProperties } from "../../infra/connect/properties";
import { BROKER_SERVER_PROPERTIES, renderServerProperties } from "../../infra/platform/broker-config";
import { DEBEZIUM_CONNECT_IMAGE, WATCHDOG_NODE_IMAGE, isDigestPinned } from "../../infra/platform/images";
import {
  brokerDiskQueries,
  dlqGrowthQueries,
  perBrokerQueries,
  silenceMinutes,
  sinkLagQuery,
} from "../../infra/platform/metrics";
import { networkLayout } from "../../infra/platform/network";
import {
  assumeRolePolicy,
  keyPolicy,
  scramSecretPolicy,
  sinkExecutionPolicy,
} from "../../infra/platform/policies";
import { warehouseJdbcUrl } from "../../infra/platform/sink-runtime";
import {
  connectStartScript,
  secretsInitScript,
  sinkContainerDefinitions,
} from "../../infra/platform/sink-task";
import { platformTags } from "../../infra/platform/tags";

const scope = { accountId: "123456789012", region: "af-south-1", partition: "aws" };

describe("broker server properties", () => {
  test("render sorted, one per line, and parse back to the same map", () => {
    expect(renderServerProperties()).toBe(
      [
        "allow.everyone.if.no.acl.found=false",
        "auto.create.topics.enable=false",
        "default.replication.factor=3",
        "min.insync.replicas=2",
        "offsets.topic.replication.factor=3",
        "transaction.state.log.min.isr=2",
        "transaction.state.log.replication.factor=3",
        "unclean.leader.election.enable=false",
        "",
      ].join("\n"),
    );
    expect(parseProperties(renderServerProperties())).toEqual(BROKER_SERVER_PROPERTIES);
  });
});

describe("images", () => {
  test.each([
    [DEBEZIUM_CONNECT_IMAGE, true],
    [WATCHDOG_NODE_IMAGE, true],
    ["quay.io/debezium/connect:3.6.0.Final", false],
    ["node@sha256:abc", false],
  ])("%s pinned: %s", (image, pinned) => {
    expect(isDigestPinned(image)).toBe(pinned);
  });
});

describe("network layout", () => {
  test("three private /24s first, then three public /24s", () => {
    expect(networkLayout("10.40.0.0/16", 3)).toEqual({
      privateCidrs: ["10.40.0.0/24", "10.40.1.0/24", "10.40.2.0/24"],
      publicCidrs: ["10.40.3.0/24", "10.40.4.0/24", "10.40.5.0/24"],
    });
  });

  test("fails if the VPC cannot hold six /24s", () => {
    expect(() => networkLayout("10.40.0.0/23", 3)).toThrow(
      "10.40.0.0/23 holds 2 subnets of /24, 6 were asked for",
    );
  });
});

describe("policies", () => {
  test("every key lets the account administer it through IAM", () => {
    for (const purpose of ["data", "secrets", "logs"] as const) {
      expect(keyPolicy(purpose, scope).Statement[0]).toEqual({
        Sid: "AccountAdministersKeyThroughIam",
        Effect: "Allow",
        Principal: { AWS: "arn:aws:iam::123456789012:root" },
        Action: "kms:*",
        Resource: "*",
      });
    }
    expect(keyPolicy("data", scope).Statement).toHaveLength(1);
  });

  test("the logs key serves this account's log groups and the alarm topic only", () => {
    const [, logs, alarms] = keyPolicy("logs", scope).Statement;
    expect(logs.Principal).toEqual({ Service: "logs.af-south-1.amazonaws.com" });
    expect(logs.Condition).toEqual({
      ArnLike: { "kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:af-south-1:123456789012:log-group:*" },
    });
    expect(alarms.Principal).toEqual({ Service: "cloudwatch.amazonaws.com" });
    expect(alarms.Condition).toEqual({ StringEquals: { "aws:SourceAccount": "123456789012" } });
  });

  test("the secrets key is usable only through Secrets Manager in this account", () => {
    expect(keyPolicy("secrets", scope).Statement[1].Condition).toEqual({
      StringEquals: {
        "kms:CallerAccount": "123456789012",
        "kms:ViaService": "secretsmanager.af-south-1.amazonaws.com",
      },
    });
  });

  test("a SCRAM secret policy is MSK's own statement, for that secret only", () => {
    expect(scramSecretPolicy("arn:s")).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "AWSKafkaResourcePolicy",
          Effect: "Allow",
          Principal: { Service: "kafka.amazonaws.com" },
          Action: "secretsmanager:getSecretValue",
          Resource: "arn:s",
        },
      ],
    });
  });

  test("trust policies carry no Resource (IAM rejects one)", () => {
    expect(assumeRolePolicy("ecs-tasks.amazonaws.com").Statement[0]).toEqual({
      Sid: "ServiceAssumesRole",
      Effect: "Allow",
      Principal: { Service: "ecs-tasks.amazonaws.com" },
      Action: "sts:AssumeRole",
    });
  });

  test("the sink's execution role reads exactly its two secrets", () => {
    expect(sinkExecutionPolicy(["arn:a", "arn:b"], "arn:k").Statement).toEqual([
      {
        Sid: "ReadSinkSecrets",
        Effect: "Allow",
        Action: "secretsmanager:GetSecretValue",
        Resource: ["arn:a", "arn:b"],
      },
      { Sid: "DecryptSinkSecrets", Effect: "Allow", Action: "kms:Decrypt", Resource: "arn:k" },
    ]);
  });
});

describe("alarm metrics", () => {
  test("DLQ growth sums MessagesInPerSec of the DLQ over every broker, times the 5-minute window", () => {
    const q = dlqGrowthQueries("c", 3, "sink-dlq");
    expect(q.map((x) => x.id)).toEqual(["b1", "b2", "b3", "total"]);
    expect(q[1].metric).toEqual({
      namespace: "AWS/Kafka",
      metricName: "MessagesInPerSec",
      dimensions: { "Cluster Name": "c", "Broker ID": "2", Topic: "sink-dlq" },
      period: 300,
      stat: "Average",
    });
    expect(q[3]).toEqual({
      id: "total",
      expression: "SUM(METRICS())*300",
      label: "records into sink-dlq per 5 min",
      returnData: true,
    });
    expect(q.slice(0, 3).every((x) => x.returnData === false)).toBe(true);
  });

  test("broker disk takes the fullest broker", () => {
    const q = brokerDiskQueries("c", 6);
    expect(q).toHaveLength(7);
    expect(q[6].expression).toBe("MAX(METRICS())");
    expect(q[5].metric?.dimensions).toEqual({ "Cluster Name": "c", "Broker ID": "6" });
  });

  test("fails if more brokers than one alarm may combine", () => {
    expect(() =>
      perBrokerQueries({
        metricName: "m",
        clusterName: "c",
        brokerCount: 12,
        stat: "Maximum",
        period: 60,
        expression: "x",
        label: "l",
      }),
    ).toThrow("m: 12 brokers exceed the 10 metrics a CloudWatch alarm may combine; split the alarm");
  });

  test("sink lag is one Metrics Insights query over the group, with quotes escaped", () => {
    expect(sinkLagQuery("clinic'master", "connect-clinicmaster-warehouse-sink")).toBe(
      `SELECT SUM(SumOffsetLag) FROM SCHEMA("AWS/Kafka", "Cluster Name", "Consumer Group", Topic) WHERE "Cluster Name" = 'clinic''master' AND "Consumer Group" = 'connect-clinicmaster-warehouse-sink'`,
    );
  });

  test.each([
    [10, 30_000, 5],
    [3, 30_000, 2],
    [2, 1_000, 1],
  ])("%i heartbeats of %i ms are %i minutes of silence", (n, ms, minutes) => {
    expect(silenceMinutes(n, ms)).toBe(minutes);
  });
});

describe("sink task", () => {
  const input = {
    connectImage: DEBEZIUM_CONNECT_IMAGE,
    watchdogImage: WATCHDOG_NODE_IMAGE,
    workerProperties: "bootstrap.servers=b:9096\n",
    connectorConfig: { "connection.password": "${directory:/run/secrets/clinicmaster:database-password}" },
    kafkaPasswordFrom: "arn:k:password::",
    databasePasswordFrom: "arn:d",
    logGroup: "/lg",
    region: "af-south-1",
    heapMiB: 1228,
    watchdogEnvironment: { WATCHDOG_INTERVAL_MS: "10000" },
  };

  test("the init script writes the secrets as files only the Kafka user reads", () => {
    expect(secretsInitScript(false)).toBe(
      [
        "set -eu",
        "umask 0277",
        `printf '%s' "$KAFKA_PASSWORD" > '/run/secrets/clinicmaster/kafka-password'`,
        `printf '%s' "$DATABASE_PASSWORD" > '/run/secrets/clinicmaster/database-password'`,
        `printf '%s\\n' "$WORKER_PROPERTIES" > '/etc/clinicmaster/connect-distributed.properties'`,
        "chown -R 1001:1001 '/run/secrets/clinicmaster' '/etc/clinicmaster'",
        "chmod 0500 '/run/secrets/clinicmaster' '/etc/clinicmaster'",
      ].join("\n"),
    );
  });

  test("the worker advertises its own address, registers the connector idempotently and runs distributed", () => {
    expect(connectStartScript()).toBe(
      [
        "set -eu",
        "cp '/etc/clinicmaster/connect-distributed.properties' /tmp/worker.properties",
        `echo "rest.advertised.host.name=$(hostname -i | cut -d' ' -f1)" >> /tmp/worker.properties`,
        `( until curl -fsS -o /dev/null -X PUT -H 'Content-Type: application/json' --data "$SINK_CONNECTOR_CONFIG" "http://localhost:8083/connectors/$SINK_CONNECTOR_NAME/config"; do sleep 10; done ) &`,
        "exec /kafka/bin/connect-distributed.sh /tmp/worker.properties",
      ].join("\n"),
    );
  });

  test("only the init container has secrets; the worker mounts them read-only; the watchdog gets none", () => {
    const [init, connect, watchdog] = sinkContainerDefinitions(input);
    expect(init.secrets).toEqual([
      { name: "DATABASE_PASSWORD", valueFrom: "arn:d" },
      { name: "KAFKA_PASSWORD", valueFrom: "arn:k:password::" },
    ]);
    expect(connect.secrets).toBeUndefined();
    expect(connect.mountPoints).toEqual([
      { sourceVolume: "secrets", containerPath: "/run/secrets/clinicmaster", readOnly: true },
      { sourceVolume: "worker-config", containerPath: "/etc/clinicmaster", readOnly: true },
    ]);
    expect(connect.dependsOn).toEqual([{ containerName: "secrets-init", condition: "SUCCESS" }]);
    expect(watchdog.mountPoints).toEqual([]);
    expect(watchdog.environment).toEqual([
      { name: "CONNECT_URL", value: "http://localhost:8083" },
      { name: "WATCHDOG_INTERVAL_MS", value: "10000" },
    ]);
  });

  test("with a watchdog script, the init container writes it and the watchdog mounts it read-only", () => {
    const [init, , watchdog] = sinkContainerDefinitions({ ...input, watchdogScript: "console.log(1)" });
    expect(init.environment).toContainEqual({ name: "WATCHDOG_SCRIPT", value: "console.log(1)" });
    expect(init.command?.[0]).toContain(`printf '%s\\n' "$WATCHDOG_SCRIPT" > '/opt/watchdog/watchdog.js'`);
    expect(watchdog.mountPoints).toEqual([
      { sourceVolume: "watchdog", containerPath: "/opt/watchdog", readOnly: true },
    ]);
    expect(watchdog.dependsOn).toEqual([
      { containerName: "connect", condition: "START" },
      { containerName: "secrets-init", condition: "SUCCESS" },
    ]);
  });

  test("every container logs to CloudWatch under its own prefix", () => {
    expect(sinkContainerDefinitions(input).map((c) => c.logConfiguration)).toEqual(
      ["secrets-init", "connect", "watchdog"].map((p) => ({
        logDriver: "awslogs",
        options: { "awslogs-group": "/lg", "awslogs-region": "af-south-1", "awslogs-stream-prefix": p },
      })),
    );
  });

  test("the JDBC URL requires TLS", () => {
    expect(warehouseJdbcUrl("db.example", 5432, "wh")).toBe(
      "jdbc:postgresql://db.example:5432/wh?sslmode=require",
    );
  });
});

describe("tags", () => {
  test("name the environment and the data classification", () => {
    expect(platformTags("prod")).toEqual({
      Project: "clinicmaster",
      Environment: "prod",
      DataClassification: "restricted-health-data",
      Stack: "platform",
    });
  });
});
