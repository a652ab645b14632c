/** SCRAM secret contents and policy for MSK (pure). */

/** Length of generated SCRAM passwords. */
export const SCRAM_PASSWORD_LENGTH = 40;
/**
 * Punctuation allowed in SCRAM passwords. The worker splices the password into a JAAS line inside
 * double quotes (`password="${directory:…}"`), so `"` and `\` must never occur.
 */
export const SCRAM_PASSWORD_SPECIAL = "-_.~";

/** Secret string MSK reads from an `AmazonMSK_*` secret. */
export function scramSecretString(username: string, password: string): string {
  return JSON.stringify({ username, password });
}

/** Resource policy that lets MSK read the SCRAM secret (required for the association). */
export function scramSecretPolicy(secretArn: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "AWSKafkaResourcePolicy",
        Effect: "Allow",
        Principal: { Service: "kafka.amazonaws.com" },
        Action: "secretsmanager:getSecretValue",
        Resource: secretArn,
      },
    ],
  });
}
