/** Reads secrets (the cluster kubeconfig) from AWS Secrets Manager. */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { KsError } from '../errors.js';

/** The string value of a secret; the error names the secret, never its value. */
export async function readSecretString(
  secretId: string,
  opts: { region?: string; endpoint?: string } = {},
): Promise<string> {
  const client = new SecretsManagerClient({
    ...(opts.region ? { region: opts.region } : {}),
    ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
  });
  try {
    const out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (!out.SecretString)
      throw new KsError(
        'InvalidInput',
        `secret ${secretId} has no string value; store the kubeconfig YAML as SecretString`,
      );
    return out.SecretString;
  } catch (err) {
    if (err instanceof KsError) throw err;
    throw new KsError('InvalidInput', `cannot read secret ${secretId}: ${(err as Error).name}`, {
      cause: err,
      retryable: true,
    });
  } finally {
    client.destroy();
  }
}
