/**
 * AWS Secrets Manager on the AWS SDK v3 client: the AwsSecretsReader of `awsSecretsManager` vars
 * sources, and the kubeconfig the functions read at cold start. One client per region and profile.
 * Errors name the secret, never its value.
 */
import type { GetSecretValueCommandOutput, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { KsError } from '../errors.js';
import type { AwsSecretRequest, AwsSecretsReader } from '../ports.js';
import { lazyImport } from '../util/lazy-import.js';

// Loaded on the first read: most renders use no AWS secret.
const loadSdk = lazyImport(() => import('./sdk-secrets-manager.js'));

/** Options of {@link AwsSdkSecretsReader}. */
export interface AwsSdkSecretsOptions {
  /** Endpoint override (LocalStack in tests). Default: AWS. */
  readonly endpoint?: string;
  /** Static credentials; default: the SDK's default chain (env, profile, IRSA, ...). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/** Reads secrets with the AWS SDK; {@link destroy} closes its clients. */
export class AwsSdkSecretsReader implements AwsSecretsReader {
  private readonly clients = new Map<string, SecretsManagerClient>();

  constructor(private readonly opts: AwsSdkSecretsOptions = {}) {}

  /**
   * The secret string (a binary secret as UTF-8), or undefined when the secret does not exist
   * (ResourceNotFoundException); throttling and internal errors are retryable.
   */
  async getSecretString(req: AwsSecretRequest): Promise<string | undefined> {
    try {
      const out = await this.getSecretValue(req.secretId, req.region, req.profile);
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

  /**
   * The string value of a secret that must exist and hold a string (the functions' kubeconfig). Region:
   * the SDK's default (AWS_REGION) when not given. Every failure to read it counts as retryable.
   */
  async requireSecretString(secretId: string, region?: string): Promise<string> {
    let secretString: string | undefined;
    try {
      secretString = (await this.getSecretValue(secretId, region, undefined)).SecretString;
    } catch (err) {
      throw new KsError('InvalidInput', `cannot read secret ${secretId}: ${(err as Error).name}`, {
        cause: err,
        retryable: true,
      });
    }
    if (!secretString)
      throw new KsError(
        'InvalidInput',
        `secret ${secretId} has no string value; store the kubeconfig YAML as SecretString`,
      );
    return secretString;
  }

  /** Closes the clients' connections. */
  destroy(): void {
    for (const c of this.clients.values()) c.destroy();
    this.clients.clear();
  }

  private async getSecretValue(
    secretId: string,
    region: string | undefined,
    profile: string | undefined,
  ): Promise<GetSecretValueCommandOutput> {
    const { GetSecretValueCommand, SecretsManagerClient } = await loadSdk();
    return this.client(SecretsManagerClient, region, profile).send(
      new GetSecretValueCommand({ SecretId: secretId }),
    );
  }

  private client(
    Client: typeof SecretsManagerClient,
    region: string | undefined,
    profile: string | undefined,
  ): SecretsManagerClient {
    const key = `${region ?? ''}\u0000${profile ?? ''}`;
    let c = this.clients.get(key);
    if (!c) {
      c = new Client({
        ...(region ? { region } : {}),
        ...(profile ? { profile } : {}),
        ...(this.opts.endpoint ? { endpoint: this.opts.endpoint } : {}),
        ...(this.opts.credentials ? { credentials: this.opts.credentials } : {}),
      });
      this.clients.set(key, c);
    }
    return c;
  }
}
