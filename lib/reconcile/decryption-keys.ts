/**
 * The SOPS keys of `spec.decryption`, read as Kluctl's controller reads them (kluctl-semantics §8.4;
 * Kluctl's pkg/sops/key_server_from_secret.go and the controller's addKeyServers):
 * - the Secret of `decryption.secretRef`: every entry ending in `.agekey` is an age key file, every
 *   entry ending in `.asc` an armored PGP key, `sops.aws-kms` a YAML document with
 *   `aws_access_key_id`, `aws_secret_access_key` and `aws_session_token`; other names are ignored.
 * - the service account `decryption.serviceAccount`, else `spec.serviceAccountName`, else the runner's
 *   default one: when it carries the IRSA annotation `eks.amazonaws.com/role-arn`, KMS is also tried as
 *   that role, with a 10 minute token of the account for the audience `sts.amazonaws.com`.
 * `sops.vault-token`, `sops.azure-kv` and `sops.gcp-kms` are refused with an error naming the entry: no
 * Vault server, Azure Key Vault or GCP KMS emulator runs in the test environment, so those key services
 * could not be proven here (a Vault dev server could not be built: OpenBao is not served by the Go
 * module proxy, and Vault 1.21.4 builds against no published version of its vault/sdk module).
 */
import { parse } from 'yaml';
import { KsError, errorMessage } from '../errors.js';
import type { AwsStaticCredentials, KubeClient, ServiceAccountTokens, SopsKeys } from '../ports.js';

/** Kluctl's names of the entries of a decryption Secret. */
export const DECRYPTION_ENTRY = {
  pgpExt: '.asc',
  ageExt: '.agekey',
  vaultToken: 'sops.vault-token',
  awsKms: 'sops.aws-kms',
  azureKeyVault: 'sops.azure-kv',
  gcpKms: 'sops.gcp-kms',
} as const;

/** The IRSA annotation whose role Kluctl's controller assumes for KMS (EKS' pod identity webhook's). */
export const ROLE_ARN_ANNOTATION = 'eks.amazonaws.com/role-arn';

/** The session name of the assumed role, as Kluctl's controller names it. */
const ROLE_SESSION_NAME = 'kluctl-controller';

/** Entries whose key service cannot be proven here, and what they hold. */
const UNSUPPORTED: Readonly<Record<string, string>> = {
  [DECRYPTION_ENTRY.vaultToken]: 'HashiCorp Vault token',
  [DECRYPTION_ENTRY.azureKeyVault]: 'Azure Key Vault credentials',
  [DECRYPTION_ENTRY.gcpKms]: 'GCP KMS credentials',
};

/**
 * The keys in the `data` of decryption Secret `label` (`<namespace>/<name>`, for messages). Values are
 * base64, as the API returns them. Throws KsError `InvalidInput` naming the entry for an unsupported
 * or malformed one; messages never contain key material.
 */
export function sopsKeysFromSecretData(data: Readonly<Record<string, string>>, label: string): SopsKeys {
  const ageKeys: string[] = [];
  const pgpKeys: { entry: string; armored: string }[] = [];
  let awsCredentials: AwsStaticCredentials | undefined;
  // Sorted, so several keys of one kind are always tried in the same order.
  for (const [name, b64] of Object.entries(data).sort(([a], [b]) => a.localeCompare(b))) {
    const value = Buffer.from(b64, 'base64').toString('utf8');
    if (name.endsWith(DECRYPTION_ENTRY.ageExt)) ageKeys.push(value);
    else if (name.endsWith(DECRYPTION_ENTRY.pgpExt)) pgpKeys.push({ entry: name, armored: value });
    else if (name === DECRYPTION_ENTRY.awsKms) awsCredentials = awsCredentialsOf(value, label);
    else if (UNSUPPORTED[name]) {
      throw new KsError(
        'InvalidInput',
        `decryption Secret '${label}': entry '${name}' (${UNSUPPORTED[name]}) is not supported by ` +
          'kluctl-serverless (no server of that key service runs in its test environment, so it is ' +
          'not offered untested); remove the entry and encrypt with age, PGP or AWS KMS instead',
      );
    }
  }
  return {
    ageKeys,
    pgpKeys,
    ...(awsCredentials ? { awsCredentials } : {}),
  };
}

/** The credentials of a `sops.aws-kms` entry (Flux's and Kluctl's YAML form). */
function awsCredentialsOf(text: string, label: string): AwsStaticCredentials {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    // The parser's message may quote the (secret) text, so only its position is kept.
    const where = /line \d+, column \d+/.exec(errorMessage(err))?.[0];
    throw new KsError(
      'InvalidInput',
      `failed to import data from decryption Secret '${label}': entry '${DECRYPTION_ENTRY.awsKms}' is ` +
        `not valid YAML${where ? ` (${where})` : ''}`,
    );
  }
  const d = (doc ?? {}) as Record<string, unknown>;
  const field = (k: string): string => (typeof d[k] === 'string' ? d[k] : '');
  const accessKeyId = field('aws_access_key_id');
  const secretAccessKey = field('aws_secret_access_key');
  const sessionToken = field('aws_session_token');
  if (typeof doc !== 'object' || doc === null || !accessKeyId || !secretAccessKey) {
    throw new KsError(
      'InvalidInput',
      `failed to import data from decryption Secret '${label}': entry '${DECRYPTION_ENTRY.awsKms}' ` +
        'needs the fields aws_access_key_id and aws_secret_access_key (aws_session_token is optional)',
    );
  }
  return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
}

/** What {@link readDecryptionKeys} reads the Secret and the service account with. */
export interface DecryptionKeyDeps {
  /** The runner's own client. */
  readonly kube: KubeClient;
  /** Issues the service account token of an IRSA role; without it such a role fails clearly. */
  readonly serviceAccountTokens?: ServiceAccountTokens;
  /** `--default-service-account` of the runner. */
  readonly defaultServiceAccount?: string;
}

/** The part of a KluctlDeployment the keys depend on. */
export interface DecryptionKeyTarget {
  readonly namespace: string;
  readonly spec: {
    readonly decryption?: {
      readonly provider: string;
      readonly secretRef?: { readonly name: string };
      readonly serviceAccount?: string;
    };
    readonly serviceAccountName?: string;
  };
}

/**
 * The keys of `spec.decryption`, or undefined without it (then no key is used, as in Kluctl's
 * controller). Throws KsError `InvalidInput` for a missing Secret or service account.
 */
export async function readDecryptionKeys(
  deps: DecryptionKeyDeps,
  kd: DecryptionKeyTarget,
): Promise<SopsKeys | undefined> {
  const dec = kd.spec.decryption;
  if (!dec) return undefined;
  if (dec.provider !== 'sops') {
    throw new KsError('InvalidInput', `not supported decryption provider ${dec.provider}`);
  }
  let keys: SopsKeys = { ageKeys: [], pgpKeys: [] };
  if (dec.secretRef) {
    const secret = await deps.kube.get({
      group: '',
      version: 'v1',
      kind: 'Secret',
      name: dec.secretRef.name,
      namespace: kd.namespace,
    });
    const label = `${kd.namespace}/${dec.secretRef.name}`;
    if (!secret) throw new KsError('InvalidInput', `decryption Secret '${label}' not found`);
    keys = sopsKeysFromSecretData((secret.data ?? {}) as Record<string, string>, label);
  }
  const saName = dec.serviceAccount || kd.spec.serviceAccountName || deps.defaultServiceAccount;
  if (!saName) return keys;
  const awsWebIdentity = await webIdentityOf(deps, kd.namespace, saName);
  return awsWebIdentity ? { ...keys, awsWebIdentity } : keys;
}

/** The IRSA role of service account `namespace/name` with a fresh token, or undefined without a role. */
async function webIdentityOf(
  deps: DecryptionKeyDeps,
  namespace: string,
  name: string,
): Promise<SopsKeys['awsWebIdentity']> {
  const sa = await deps.kube.get({ group: '', version: 'v1', kind: 'ServiceAccount', name, namespace });
  if (!sa) {
    throw new KsError(
      'InvalidInput',
      `decryption service account '${namespace}/${name}' not found (spec.decryption.serviceAccount, ` +
        'else spec.serviceAccountName or the default service account)',
    );
  }
  const roleArn = sa.metadata.annotations?.[ROLE_ARN_ANNOTATION];
  if (!roleArn) return undefined;
  // Kluctl only parses it as an ARN; STS tells whether the role exists.
  if (!/^arn:[^:]+:[^:]+:[^:]*:[^:]*:.+/.test(roleArn)) {
    throw new KsError(
      'InvalidInput',
      `service account '${namespace}/${name}': annotation ${ROLE_ARN_ANNOTATION} '${roleArn}' is not an ` +
        'ARN (arn:aws:iam::<account>:role/<name>)',
    );
  }
  if (!deps.serviceAccountTokens) {
    throw new KsError(
      'InvalidInput',
      `service account '${namespace}/${name}' names the AWS role ${roleArn}, but this runner cannot ` +
        'issue service account tokens',
    );
  }
  const token = await deps.serviceAccountTokens.createServiceAccountToken(namespace, name, {
    audiences: ['sts.amazonaws.com'],
    expirationSeconds: 600,
  });
  return { roleArn, token, sessionName: ROLE_SESSION_NAME };
}
