import { UNKNOWN } from "../../policy/rules/model";
import { normalizeProps, providerDefaultTags, unproxy } from "../../policy/normalize";
import { exposedPorts } from "../../policy/rules/aws";
import { inlineSecret, isSecretName, isSecretReference } from "../../policy/rules/containers";
import { patternCovers } from "../../policy/rules/kafka";
import { parseServerProperties } from "../../policy/rules/msk";
import { SECRETS_DIR } from "../../infra/connect/names";
import { unknownCheckingProxy } from "@pulumi/policy";

const SECRET = (value: unknown) => ({
  "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
  value,
});

describe("isSecretName", () => {
  test.each([
    ["DB_PASS", true],
    ["KAFKA_PASS", true],
    ["POSTGRES_PASSWORD", true],
    ["AWS_SECRET_ACCESS_KEY", true],
    ["API_KEY", true],
    ["github.token", true],
    ["TUNNEL1_PSK", true],
    ["KAFKA_PASS_FILE", false],
    ["CONNECT_KEY_CONVERTER", false],
    ["MESSAGE_KEY_COLUMNS", false],
    ["DB_USER", false],
    ["FACILITY_DHIS2_CODE", false],
    ["", false],
  ])("%s -> %s", (name, expected) => {
    expect(isSecretName(name)).toBe(expected);
  });
});

describe("secret values", () => {
  test.each([
    ["${file:/run/secrets/clinicmaster/kafka-password}", true],
    [`${SECRETS_DIR}/database-password`, true],
    ["", true],
    ["hunter2", false],
    ["/etc/passwd", false],
  ])("isSecretReference(%s) -> %s", (value, expected) => {
    expect(isSecretReference(value)).toBe(expected);
  });

  test.each([
    ['ScramLoginModule required username="u" password="p";', "a literal password"],
    ['ScramLoginModule required username="u" password="${file:/run/secrets/x}";', undefined],
    ["-----BEGIN RSA PRIVATE KEY-----\nMII", "a private key"],
    ["org.apache.kafka.connect.json.JsonConverter", undefined],
    ['{"connection.password":"p"}', "a literal password"],
    ['{"connection.password":"${file:/run/secrets/x}"}', undefined],
  ])("inlineSecret(%s) -> %s", (value, expected) => {
    expect(inlineSecret(value)).toBe(expected);
  });
});

describe("exposedPorts", () => {
  const ports = [22, 5432, 9096];
  test.each([
    [{ protocol: "tcp", fromPort: 0, toPort: 65535 }, [22, 5432, 9096]],
    [{ protocol: "6", fromPort: 5432, toPort: 5432 }, [5432]],
    [{ protocol: "-1", fromPort: 0, toPort: 0 }, [22, 5432, 9096]],
    [{ protocol: "tcp", fromPort: -1, toPort: -1 }, [22, 5432, 9096]],
    [{ protocol: "udp", fromPort: 0, toPort: 65535 }, []],
    [{ protocol: "tcp", fromPort: 443, toPort: 443 }, []],
  ])("%j opens %j", (ing, expected) => {
    expect(exposedPorts(ing, ports)).toEqual(expected);
  });
});

describe("patternCovers", () => {
  test.each([
    [{ resourceName: "abc.", patternType: "prefixed" }, "abc.", true, true],
    [{ resourceName: "ab", patternType: "prefixed" }, "abc.", true, true],
    [{ resourceName: "abc.T", patternType: "prefixed" }, "abc.", true, true],
    [{ resourceName: "abc.T", patternType: "literal" }, "abc.", true, true],
    [{ resourceName: "sink-dlq", patternType: "literal" }, "sink-dlq", false, true],
    [{ resourceName: "sink-dlq2", patternType: "literal" }, "sink-dlq", false, false],
    [{ resourceName: "*", patternType: "literal" }, "sink-dlq", false, true],
    [{ resourceName: "x", patternType: "prefixed" }, "abc.", true, false],
  ])("%j covers %s (prefix %s) -> %s", (acl, name, prefix, expected) => {
    expect(patternCovers(acl, name, prefix)).toBe(expected);
  });
});

describe("parseServerProperties", () => {
  test("reads key=value and key: value lines and skips comments", () => {
    const parsed = parseServerProperties(
      "# c\n! c\nauto.create.topics.enable = false\nmin.insync.replicas: 2\n\n",
    );
    expect([...parsed.entries()]).toEqual([
      ["auto.create.topics.enable", "false"],
      ["min.insync.replicas", "2"],
    ]);
  });
});

describe("normalizeProps", () => {
  test("unwraps secrets and remembers where they were", () => {
    const { props, secretPaths } = normalizeProps({
      envs: SECRET(["A=b"]),
      labels: [{ label: "x", value: SECRET("y") }],
    });
    expect(props).toEqual({ envs: ["A=b"], labels: [{ label: "x", value: "y" }] });
    expect(secretPaths).toEqual(["envs", "labels.0.value"]);
  });

  test("turns the engine's unknown sentinels and the SDK's Unknown into UNKNOWN", () => {
    const { props } = normalizeProps({
      a: "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
      b: { __pulumiUnknown: true },
      c: "x",
    });
    expect(props).toEqual({ a: UNKNOWN, b: UNKNOWN, c: "x" });
  });

  test("unproxy returns the object behind the policy server's proxy", () => {
    const raw = { a: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" };
    const proxied = unknownCheckingProxy(raw) as Record<string, unknown>;
    expect(() => proxied.a).toThrow("can't be known during preview");
    expect(unproxy(proxied)).toBe(raw);
  });
});

describe("providerDefaultTags", () => {
  test.each([
    [{ defaultTags: { tags: { a: "1" } } }, { a: "1" }],
    [{ defaultTags: '{"tags":{"a":"1"}}' }, { a: "1" }],
    [{ defaultTags: "not json" }, undefined],
    [{}, undefined],
  ])("%j -> %j", (props, expected) => {
    expect(providerDefaultTags(props)).toEqual(expected);
  });
});
