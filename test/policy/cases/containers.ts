import { CONNECT_REST_PORT, FACILITY_CONTAINER, SECRETS_DIR } from "../../../infra/connect/names";
import { goodContainer, res } from "../fixtures";
import { Case } from "./types";

const C = "docker:index/container:Container";
const container = (over: Record<string, unknown> = {}, name = "kayunga-connect") =>
  res(C, name, { ...goodContainer(), ...over });
const vpnEndpoint = (adds: string[], over: Record<string, unknown> = {}) =>
  res(C, "kayunga-vpn", {
    name: `${FACILITY_CONTAINER}-vpn`,
    image: "sha256:abcd",
    networkMode: "host",
    capabilities: { adds, drops: ["ALL"] },
    ...over,
  });

const task = (environment: { name: string; value: string }[]) =>
  res("aws:ecs/taskDefinition:TaskDefinition", "sink-task", {
    family: "sink",
    containerDefinitions: JSON.stringify([
      {
        name: "connect",
        image: "connect@sha256:0",
        environment,
        secrets: [{ name: "DATABASE_PASSWORD", valueFrom: "arn:aws:secretsmanager:r:1:secret:db" }],
      },
    ]),
  });

export const containerCases: Case[] = [
  {
    rule: "docker-no-privileged-containers",
    title: "accepts the Connect container",
    resources: [container()],
    expected: [],
  },
  {
    rule: "docker-no-privileged-containers",
    title: "rejects a privileged Connect container",
    resources: [container({ privileged: true })],
    expected: ["Container `kayunga-connect` runs privileged; remove privileged: true."],
  },
  {
    rule: "docker-no-privileged-containers",
    title: "rejects host PID and unconfined seccomp",
    resources: [container({ pidMode: "host", securityOpts: ["seccomp=unconfined"] })],
    expected: [
      'Container `kayunga-connect` uses pidMode "host"; remove it.',
      "Container `kayunga-connect` sets securityOpt `seccomp=unconfined`; keep the default seccomp and AppArmor profiles.",
    ],
  },
  {
    rule: "docker-capabilities-vpn-endpoint-only",
    title: "accepts NET_ADMIN, NET_RAW and NET_BIND_SERVICE on the VPN endpoint",
    resources: [container(), vpnEndpoint(["NET_ADMIN", "NET_RAW", "NET_BIND_SERVICE"])],
    expected: [],
  },
  {
    rule: "docker-capabilities-vpn-endpoint-only",
    title: "rejects capabilities on the Connect container",
    resources: [container({ capabilities: { adds: ["NET_ADMIN", "SYS_PTRACE"] } })],
    expected: [
      "Container `kayunga-connect` adds capabilities NET_ADMIN, SYS_PTRACE; only the VPN endpoint container may add capabilities.",
    ],
  },
  {
    rule: "docker-capabilities-vpn-endpoint-only",
    title: "rejects SYS_ADMIN on the VPN endpoint",
    resources: [vpnEndpoint(["NET_ADMIN", "CAP_SYS_ADMIN"])],
    expected: [
      "VPN endpoint container `kayunga-vpn` adds SYS_ADMIN; it may only add NET_ADMIN, NET_RAW, NET_BIND_SERVICE.",
    ],
  },
  {
    rule: "docker-capabilities-vpn-endpoint-only",
    title: "rejects a container that only looks like a VPN endpoint by its image",
    resources: [vpnEndpoint(["NET_ADMIN"], { name: "strongswan", image: "strongswan:5.9" })],
    expected: [
      "Container `kayunga-vpn` adds capabilities NET_ADMIN; only the VPN endpoint container may add capabilities.",
    ],
  },
  {
    rule: "docker-no-secrets-in-env-or-labels",
    title: "accepts file references and non-secret KEY variables",
    resources: [container()],
    expected: [],
  },
  {
    rule: "docker-no-secrets-in-env-or-labels",
    title: "rejects the note's DB_PASS and KAFKA_PASS in env",
    resources: [container({ envs: ["DB_PASS=hunter2", "KAFKA_PASS=s3cret", "DB_USER=sa"] })],
    expected: [
      "Container `kayunga-connect`: env DB_PASS looks like a secret; pass a file reference instead.",
      "Container `kayunga-connect`: env KAFKA_PASS looks like a secret; pass a file reference instead.",
    ],
  },
  {
    rule: "docker-no-secrets-in-env-or-labels",
    title: "rejects a literal password in a JAAS config",
    resources: [
      container({
        envs: [
          'CONNECT_SASL_JAAS_CONFIG=org.apache.kafka.common.security.scram.ScramLoginModule required username="facility-KAY001" password="plain";',
        ],
      }),
    ],
    expected: [
      "Container `kayunga-connect`: env CONNECT_SASL_JAAS_CONFIG contains a literal password; use ${file:...} instead.",
    ],
  },
  {
    rule: "docker-no-secrets-in-env-or-labels",
    title: "rejects an API token in a label",
    resources: [container({ labels: [{ label: "monitoring.api_token", value: "abc123" }] })],
    expected: [
      "Container `kayunga-connect`: label monitoring.api_token looks like a secret; labels are public metadata.",
    ],
  },
  {
    rule: "docker-no-secrets-in-env-or-labels",
    title: "rejects a Pulumi secret in env (as the mocks record it)",
    resources: [
      container({
        envs: {
          "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
          value: ["FACILITY_DHIS2_CODE=KAY001", "X=y"],
        },
      }),
    ],
    expected: [
      "Container `kayunga-connect` has a Pulumi secret in envs; secrets in envs are readable with docker inspect.",
    ],
  },
  {
    rule: "docker-secret-files-protected",
    title: "accepts a read-only secret mount",
    resources: [container()],
    expected: [],
  },
  {
    rule: "docker-secret-files-protected",
    title: "rejects a writable secret mount and a writable secret volume",
    resources: [
      container({
        mounts: [{ type: "bind", source: "/srv/s", target: SECRETS_DIR }],
        volumes: [{ hostPath: "/srv/k", containerPath: `${SECRETS_DIR}/kafka`, readOnly: false }],
      }),
    ],
    expected: [
      `Container \`kayunga-connect\` mounts \`${SECRETS_DIR}\` writable; set readOnly: true on secret mounts.`,
      `Container \`kayunga-connect\` mounts \`${SECRETS_DIR}/kafka\` writable; set readOnly: true on secret mounts.`,
    ],
  },
  {
    rule: "docker-connect-rest-loopback-only",
    title: "accepts the REST port on 127.0.0.1",
    resources: [container()],
    expected: [],
  },
  {
    rule: "docker-connect-rest-loopback-only",
    title: "rejects the REST port on every interface (Docker's default)",
    resources: [container({ ports: [{ internal: CONNECT_REST_PORT, external: CONNECT_REST_PORT }] })],
    expected: [
      `Container \`kayunga-connect\` publishes the Connect REST port ${CONNECT_REST_PORT} on 0.0.0.0; bind it to 127.0.0.1.`,
    ],
  },
  {
    rule: "docker-connect-rest-loopback-only",
    title: "rejects publishAllPorts",
    resources: [container({ ports: [], publishAllPorts: true })],
    expected: ["Container `kayunga-connect` publishes all ports; publish only what is needed, on 127.0.0.1."],
  },
  {
    rule: "docker-secret-files-protected",
    title: "accepts secret uploads readable by the owner only",
    resources: [
      container({
        mounts: [],
        uploads: [{ file: `${SECRETS_DIR}/kafka-password`, content: "x", permissions: "0400" }],
      }),
    ],
    expected: [],
  },
  {
    rule: "docker-secret-files-protected",
    title: "rejects world-readable and default-mode secret uploads",
    resources: [
      container({
        mounts: [],
        uploads: [
          { file: `${SECRETS_DIR}/kafka-password`, content: "x", permissions: "0644" },
          { file: `${SECRETS_DIR}/database-password`, content: "x" },
          { file: "/etc/clinicmaster/worker.properties", content: "x", permissions: "0444" },
        ],
      }),
    ],
    expected: [
      `Container \`kayunga-connect\` uploads \`${SECRETS_DIR}/kafka-password\` with permissions 0644; use 0400 or 0440 for secret files.`,
      `Container \`kayunga-connect\` uploads \`${SECRETS_DIR}/database-password\` with permissions unset (0644); use 0400 or 0440 for secret files.`,
    ],
  },
  {
    rule: "ecs-no-secrets-in-task-environment",
    title: "accepts passwords as secrets and ${file:} references in environment",
    resources: [
      task([
        {
          name: "CONNECTOR",
          value: '{"connection.password":"${file:/run/secrets/clinicmaster/database-password}"}',
        },
      ]),
    ],
    expected: [],
  },
  {
    rule: "ecs-no-secrets-in-task-environment",
    title: "rejects a password in environment and a literal password in connector JSON",
    resources: [
      task([
        { name: "DATABASE_PASSWORD", value: "hunter2" },
        { name: "SINK_CONNECTOR_CONFIG", value: '{"connection.password":"hunter2"}' },
      ]),
    ],
    expected: [
      "Task definition `sink-task`, container connect: environment DATABASE_PASSWORD looks like a secret; use secrets/valueFrom.",
      "Task definition `sink-task`, container connect: environment SINK_CONNECTOR_CONFIG contains a literal password.",
    ],
  },
];
