/**
 * IAM, KMS and Secrets Manager policy documents of the platform, as plain JSON. Pure: no provider
 * call, so tests read exactly what AWS receives.
 */

/** Where the policies apply. */
export interface AwsScope {
  accountId: string;
  region: string;
  /** `aws`, `aws-cn`, `aws-us-gov`. */
  partition: string;
}

/** What a customer-managed key protects; each purpose gets its own key and key policy. */
export type KeyPurpose = "data" | "secrets" | "logs";

/** A policy statement (the subset we write). */
export interface PolicyStatement {
  Sid: string;
  Effect: "Allow" | "Deny";
  Principal?: Record<string, string | string[]>;
  Action: string | string[];
  /** Absent in trust policies (IAM rejects a Resource there). */
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

/** A policy document. */
export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

const doc = (...Statement: PolicyStatement[]): PolicyDocument => ({ Version: "2012-10-17", Statement });

/**
 * Key policy of one CMK. Every key lets the account administer it through IAM (without this
 * statement a key can become unmanageable). The logs key also lets CloudWatch Logs encrypt this
 * account's log groups and CloudWatch alarms publish to the encrypted SNS topic; the secrets key lets
 * principals of this account use it only through Secrets Manager.
 */
export function keyPolicy(purpose: KeyPurpose, s: AwsScope): PolicyDocument {
  const root: PolicyStatement = {
    Sid: "AccountAdministersKeyThroughIam",
    Effect: "Allow",
    Principal: { AWS: `arn:${s.partition}:iam::${s.accountId}:root` },
    Action: "kms:*",
    Resource: "*",
  };
  if (purpose === "logs") {
    return doc(
      root,
      {
        Sid: "CloudWatchLogsEncryptsThisAccountsLogGroups",
        Effect: "Allow",
        Principal: { Service: `logs.${s.region}.amazonaws.com` },
        Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
        Resource: "*",
        Condition: {
          ArnLike: {
            "kms:EncryptionContext:aws:logs:arn": `arn:${s.partition}:logs:${s.region}:${s.accountId}:log-group:*`,
          },
        },
      },
      {
        Sid: "CloudWatchAlarmsPublishToEncryptedTopic",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
        Resource: "*",
        Condition: { StringEquals: { "aws:SourceAccount": s.accountId } },
      },
    );
  }
  if (purpose === "secrets") {
    return doc(root, {
      Sid: "UseOnlyThroughSecretsManager",
      Effect: "Allow",
      Principal: { AWS: "*" },
      Action: [
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*",
        "kms:CreateGrant",
        "kms:DescribeKey",
      ],
      Resource: "*",
      Condition: {
        StringEquals: {
          "kms:CallerAccount": s.accountId,
          "kms:ViaService": `secretsmanager.${s.region}.amazonaws.com`,
        },
      },
    });
  }
  return doc(root);
}

/**
 * Resource policy of a SCRAM secret: MSK reads it to load the user. MSK writes this same statement
 * (`AWSKafkaResourcePolicy`) when a secret is associated, so declaring it verbatim avoids drift.
 */
export function scramSecretPolicy(secretArn: string): PolicyDocument {
  return doc({
    Sid: "AWSKafkaResourcePolicy",
    Effect: "Allow",
    Principal: { Service: "kafka.amazonaws.com" },
    Action: "secretsmanager:getSecretValue",
    Resource: secretArn,
  });
}

/** Trust policy letting one AWS service assume a role. */
export function assumeRolePolicy(service: string, s?: AwsScope): PolicyDocument {
  return doc({
    Sid: "ServiceAssumesRole",
    Effect: "Allow",
    Principal: { Service: service },
    Action: "sts:AssumeRole",
    ...(s ? { Condition: { StringEquals: { "aws:SourceAccount": s.accountId } } } : {}),
  });
}

/** Permissions of the VPC flow-log delivery role: write into its own log group only. */
export function flowLogsRolePolicy(logGroupArn: string): PolicyDocument {
  return doc({
    Sid: "WriteFlowLogs",
    Effect: "Allow",
    Action: [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "logs:DescribeLogGroups",
      "logs:DescribeLogStreams",
    ],
    Resource: [logGroupArn, `${logGroupArn}:*`],
  });
}

/** Permissions ECS needs to start the sink task: read its two secrets, decrypt them with the secrets key. */
export function sinkExecutionPolicy(secretArns: string[], secretsKeyArn: string): PolicyDocument {
  return doc(
    {
      Sid: "ReadSinkSecrets",
      Effect: "Allow",
      Action: "secretsmanager:GetSecretValue",
      Resource: secretArns,
    },
    { Sid: "DecryptSinkSecrets", Effect: "Allow", Action: "kms:Decrypt", Resource: secretsKeyArn },
  );
}
