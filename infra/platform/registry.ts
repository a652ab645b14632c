import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** Arguments of {@link ImageRegistry}. */
export interface ImageRegistryArgs {
  /** Repository names, by key. */
  repositories: Record<string, string>;
  /** CMK for image layers. */
  kmsKeyArn: pulumi.Input<string>;
  /** Tags on every repository. */
  tags: Record<string, string>;
}

/**
 * The platform's private image registry (ECR): immutable tags (a pushed tag always names the same
 * image), scan on push, KMS encryption with a CMK. CI pushes the watchdog image here; facility
 * stacks pull from it too.
 */
export class ImageRegistry extends pulumi.ComponentResource {
  /** Repository URLs (`<account>.dkr.ecr.<region>.amazonaws.com/<name>`), by key. */
  readonly repositoryUrls: Record<string, pulumi.Output<string>>;

  constructor(name: string, args: ImageRegistryArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("clinicmaster:platform:ImageRegistry", name, {}, opts);
    this.repositoryUrls = {};
    for (const [key, repoName] of Object.entries(args.repositories)) {
      const repo = new aws.ecr.Repository(
        `${name}-${key}`,
        {
          name: repoName,
          imageTagMutability: "IMMUTABLE",
          imageScanningConfiguration: { scanOnPush: true },
          encryptionConfigurations: [{ encryptionType: "KMS", kmsKey: args.kmsKeyArn }],
          tags: args.tags,
        },
        { parent: this },
      );
      this.repositoryUrls[key] = repo.repositoryUrl;
    }
    this.registerOutputs({ repositoryUrls: this.repositoryUrls });
  }
}
