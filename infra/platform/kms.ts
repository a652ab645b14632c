import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type KeyPurpose, keyPolicy } from "./policies";

/** Arguments of {@link PlatformKeys}. */
export interface PlatformKeysArgs {
  /** Tags on every key. */
  tags: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Days a deleted key waits before it is gone. @default 30 (the maximum) */
  deletionWindowInDays?: number;
}

/**
 * Customer-managed KMS keys of the platform, one per purpose, with yearly rotation:
 * `data` (MSK at rest, RDS storage and Performance Insights), `secrets` (Secrets Manager: SCRAM
 * secrets of every principal, the RDS master secret, the sink's warehouse password) and `logs`
 * (CloudWatch log groups, VPC flow logs, the alarm topic). Separate keys let an operator revoke or
 * audit one use without touching the others.
 */
export class PlatformKeys extends pulumi.ComponentResource {
  /** ARN of the data key (MSK, RDS). */
  readonly dataKeyArn: pulumi.Output<string>;
  /** ARN of the secrets key; facility stacks encrypt their SCRAM secrets with it. */
  readonly secretsKeyArn: pulumi.Output<string>;
  /** ARN of the logs key (CloudWatch Logs, SNS). */
  readonly logsKeyArn: pulumi.Output<string>;

  constructor(name: string, args: PlatformKeysArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("clinicmaster:platform:PlatformKeys", name, {}, opts);
    const deletionWindowInDays = args.deletionWindowInDays ?? 30;
    const scope = pulumi
      .all([
        aws.getCallerIdentityOutput({}, { parent: this }),
        aws.getRegionOutput({}, { parent: this }),
        aws.getPartitionOutput({}, { parent: this }),
      ])
      .apply(([id, region, partition]) => ({
        accountId: id.accountId,
        region: region.region,
        partition: partition.partition,
      }));
    const key = (purpose: KeyPurpose, description: string) => {
      const k = new aws.kms.Key(
        `${name}-${purpose}`,
        {
          description,
          enableKeyRotation: true,
          deletionWindowInDays,
          keyUsage: "ENCRYPT_DECRYPT",
          customerMasterKeySpec: "SYMMETRIC_DEFAULT",
          policy: scope.apply((s) => JSON.stringify(keyPolicy(purpose, s))),
          tags: args.tags,
        },
        { parent: this },
      );
      new aws.kms.Alias(
        `${name}-${purpose}`,
        { name: `alias/${name}-${purpose}`, targetKeyId: k.keyId },
        { parent: this },
      );
      return k;
    };
    this.dataKeyArn = key("data", "ClinicMaster platform data at rest: MSK brokers, RDS warehouse").arn;
    this.secretsKeyArn = key("secrets", "ClinicMaster platform secrets: SCRAM users, database passwords").arn;
    this.logsKeyArn = key("logs", "ClinicMaster platform logs and alarm notifications").arn;
    this.registerOutputs({
      dataKeyArn: this.dataKeyArn,
      secretsKeyArn: this.secretsKeyArn,
      logsKeyArn: this.logsKeyArn,
    });
  }
}
