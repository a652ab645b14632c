import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { platformScramSecretName } from "../connect/names";
import { scramSecretPolicy } from "./policies";

/** Arguments of {@link ScramPrincipal}. */
export interface ScramPrincipalArgs {
  /** Environment (part of the secret name). */
  environment: string;
  /** Kafka principal, without `User:` (a name from the names module). */
  principal: string;
  /** Cluster the user is added to. */
  clusterArn: pulumi.Input<string>;
  /** CMK of the secret; MSK refuses secrets encrypted with the AWS-managed key. */
  kmsKeyArn: pulumi.Input<string>;
  /** Days a deleted secret can be restored. @default 7 */
  recoveryWindowInDays?: number;
  /** Tags on the secret. */
  tags: Record<string, string>;
}

/**
 * One central SASL/SCRAM user of MSK (the admin or the sink): a generated password in a Secrets
 * Manager secret named `AmazonMSK_…` (MSK only reads those), encrypted with the platform's
 * secrets CMK, readable by MSK through the secret's resource policy, and bound to the cluster with
 * `aws.msk.SingleScramSecretAssociation`, never the exclusive `ScramSecretAssociation` resource, which owns
 * the cluster's whole user list and would remove every facility's user on the next `pulumi up`.
 */
export class ScramPrincipal extends pulumi.ComponentResource {
  /** SCRAM user name (the principal). */
  readonly username: string;
  /** SCRAM password (secret). */
  readonly password: pulumi.Output<string>;
  /** ARN of the secret (the sink task reads its `password` key). */
  readonly secretArn: pulumi.Output<string>;
  /** The association; resources that log in as this user depend on it. */
  readonly association: aws.msk.SingleScramSecretAssociation;

  constructor(name: string, args: ScramPrincipalArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("clinicmaster:platform:ScramPrincipal", name, {}, opts);
    if (args.principal.startsWith("User:")) {
      throw new Error(
        `scram principal ${name}: principal ${args.principal} must be the bare user name, without "User:"`,
      );
    }
    const p = { parent: this };
    // Letters and digits only: the password is embedded in a JAAS line between double quotes.
    const pw = new random.RandomPassword(
      `${name}-password`,
      { length: 32, special: false, minLower: 2, minUpper: 2, minNumeric: 2 },
      p,
    );
    this.password = pulumi.secret(pw.result);
    const secret = new aws.secretsmanager.Secret(
      name,
      {
        name: platformScramSecretName(args.environment, args.principal),
        description: `SASL/SCRAM credentials of Kafka principal ${args.principal}`,
        kmsKeyId: args.kmsKeyArn,
        recoveryWindowInDays: args.recoveryWindowInDays ?? 7,
        tags: args.tags,
      },
      p,
    );
    const version = new aws.secretsmanager.SecretVersion(
      name,
      {
        secretId: secret.id,
        secretString: pulumi.secret(
          pulumi.jsonStringify({ username: args.principal, password: this.password }),
        ),
      },
      p,
    );
    const policy = new aws.secretsmanager.SecretPolicy(
      name,
      { secretArn: secret.arn, policy: secret.arn.apply((arn) => JSON.stringify(scramSecretPolicy(arn))) },
      p,
    );
    this.association = new aws.msk.SingleScramSecretAssociation(
      name,
      { clusterArn: args.clusterArn, secretArn: secret.arn },
      { parent: this, dependsOn: [version, policy] },
    );
    this.username = args.principal;
    this.secretArn = secret.arn;
    this.registerOutputs({ username: this.username, secretArn: this.secretArn });
  }
}
