/**
 * AwsSecretsReader on the AWS SDK v3 Secrets Manager client, for `awsSecretsManager` vars sources. One
 * client per region and profile; a missing secret (ResourceNotFoundException) is `undefined`, other
 * failures become KsError naming the secret, never its value.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { KsError } from '../errors.js';
import type { AwsSecretRequest, AwsSecretsReader } from '../project/vars/vars-services.js';

/** Options of {@link AwsSdkSecretsReader}. */
export interface AwsSdkSecretsOptions {
  /** Endpoint override (LocalStack in tests). Default: AWS. */
  readonly endpoint?: string;
  /** Static credentials; default: the SDK's default chain (env, profile, IRSA, ...). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/** Reads secrets with the AWS SDK. */
export class AwsSdkSecretsReader implements AwsSecretsReader {
  private readonly clients = new Map<string, SecretsManagerClient>();

  constructor(private readonly opts: AwsSdkSecretsOptions = {}) {}

  /** The secret string, or undefined when the secret does not exist. */
  async getSecretString(req: AwsSecretRequest): Promise<string | undefined> {
    try {
      const out = await this.client(req.region, req.profile).send(
        new GetSecretValueCommand({ SecretId: req.secretId }),
      );
      if (out.SecretString !== undefined) return out.SecretString;
      return out.SecretBinary ? Buffer.from(out.SecretBinary).toString('utf8') : '';
    } catch (err) {
      const name = (err as { name?: string }).name ?? 'Error';
      if (name === 'ResourceNotFoundException') return undefined;
      const retryable = name === 'ThrottlingException' || name === 'InternalServiceError';
      throw new KsError(
        'InvalidInput',
        `getting secret ${req.secretId} from AWS secrets manager failed: ${name}`,
        { cause: err, retryable },
      );
    }
  }

  /** Closes the clients' connections. */
  destroy(): void {
    for (const c of this.clients.values()) c.destroy();
    this.clients.clear();
  }

  private client(region: string, profile: string | undefined): SecretsManagerClient {
    const key = `${region}\u0000${profile ?? ''}`;
    let c = this.clients.get(key);
    if (!c) {
      c = new SecretsManagerClient({
        region,
        ...(profile ? { profile } : {}),
        ...(this.opts.endpoint ? { endpoint: this.opts.endpoint } : {}),
        ...(this.opts.credentials ? { credentials: this.opts.credentials } : {}),
      });
      this.clients.set(key, c);
    }
    return c;
  }
}
