import * as aws from "@pulumi/aws";
import * as kafka from "@pulumi/kafka";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { aclKey, facilityAcls, facilityPrincipal, facilityScramSecretName } from "../connect";
import { DATA_CLASSIFICATION } from "../platform/tags";
import { brokerList } from "./platform";
import { SCRAM_PASSWORD_LENGTH, SCRAM_PASSWORD_SPECIAL, scramSecretPolicy, scramSecretString } from "./scram";

/** Arguments of FacilityKafkaPrincipal. */
export interface FacilityKafkaPrincipalArgs {
  /** DHIS2 code of the facility (names the principal, its secret and its ACLs). */
  dhis2Code: string;
  /** Platform environment, part of the secret name. */
  environment: pulumi.Input<string>;
  /** Customer-managed KMS key the platform keeps for SCRAM secrets (MSK rejects the AWS-managed key). */
  kmsKeyArn: pulumi.Input<string>;
  /** MSK cluster to associate the secret with. */
  clusterArn: pulumi.Input<string>;
  /** SASL/SCRAM bootstrap brokers, `host:9096,…`, for the ACL provider. */
  bootstrapBrokers: pulumi.Input<string>;
  /** Platform admin SCRAM user that manages ACLs. */
  adminUsername: pulumi.Input<string>;
  /** Platform admin SCRAM password (secret). */
  adminPassword: pulumi.Input<string>;
}

/**
 * The facility's Kafka identity: an `AmazonMSK_*` SCRAM secret encrypted with the platform CMK and
 * readable by MSK, bound to the cluster with `SingleScramSecretAssociation` (the exclusive
 * `ScramSecretAssociation` would remove every other facility's user), and the facility's ACLs from
 * the connect matrix, created by the platform admin through an explicit Kafka provider.
 */
export class FacilityKafkaPrincipal extends pulumi.ComponentResource {
  /** SCRAM user name, `facility-<code>`. */
  public readonly username: string;
  /** SCRAM password (secret). */
  public readonly password: pulumi.Output<string>;
  /** The Secrets Manager secret. */
  public readonly secret: aws.secretsmanager.Secret;
  /** The association of the secret with the cluster. */
  public readonly association: aws.msk.SingleScramSecretAssociation;
  /** The ACLs, in matrix order. */
  public readonly acls: kafka.Acl[];

  constructor(name: string, args: FacilityKafkaPrincipalArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("clinicmaster:facility:FacilityKafkaPrincipal", name, {}, opts);
    this.username = facilityPrincipal(args.dhis2Code);

    const password = new random.RandomPassword(
      `${name}-password`,
      { length: SCRAM_PASSWORD_LENGTH, special: true, overrideSpecial: SCRAM_PASSWORD_SPECIAL },
      { parent: this },
    );
    this.password = pulumi.secret(password.result);

    this.secret = new aws.secretsmanager.Secret(
      `${name}-scram`,
      {
        name: pulumi.output(args.environment).apply((env) => facilityScramSecretName(env, args.dhis2Code)),
        description: `SASL/SCRAM credentials of Kafka principal ${this.username}`,
        kmsKeyId: args.kmsKeyArn,
        // Long enough to undo a mistaken delete; short enough to re-add the facility under the same name.
        recoveryWindowInDays: 7,
        tags: { facility: args.dhis2Code, DataClassification: DATA_CLASSIFICATION },
      },
      { parent: this },
    );
    const version = new aws.secretsmanager.SecretVersion(
      `${name}-scram-value`,
      {
        secretId: this.secret.id,
        secretString: pulumi.secret(this.password.apply((p) => scramSecretString(this.username, p))),
      },
      { parent: this },
    );
    const policy = new aws.secretsmanager.SecretPolicy(
      `${name}-scram-policy`,
      { secretArn: this.secret.arn, policy: this.secret.arn.apply(scramSecretPolicy) },
      { parent: this },
    );
    this.association = new aws.msk.SingleScramSecretAssociation(
      `${name}-scram-association`,
      { clusterArn: args.clusterArn, secretArn: this.secret.arn },
      { parent: this, dependsOn: [version, policy] },
    );

    const provider = new kafka.Provider(
      `${name}-kafka-admin`,
      {
        bootstrapServers: pulumi.output(args.bootstrapBrokers).apply(brokerList),
        saslMechanism: "scram-sha512",
        saslUsername: args.adminUsername,
        saslPassword: pulumi.secret(args.adminPassword),
        tlsEnabled: true,
        skipTlsVerify: false,
      },
      { parent: this },
    );
    this.acls = facilityAcls(args.dhis2Code).map(
      (a) =>
        new kafka.Acl(
          `${name}-acl-${aclKey(a)}`,
          {
            aclPrincipal: a.principal,
            aclHost: a.host,
            aclOperation: a.operation,
            aclPermissionType: a.permission,
            aclResourceName: a.resourceName,
            aclResourceType: a.resourceType,
            resourcePatternTypeFilter: a.patternType,
          },
          { parent: this, provider },
        ),
    );

    this.registerOutputs({ username: this.username, secretArn: this.secret.arn, password: this.password });
  }
}
