/**
 * The entries of a decryption Secret as Kluctl's controller reads them (pkg/sops/key_server_from_secret.go):
 * by extension for age and PGP keys, by exact name for the single-file credentials.
 */
import { KsError } from '../../lib/errors.js';
import { sopsKeysFromSecretData } from '../../lib/reconcile/decryption-keys.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const label = 'ns/keys';

describe('sopsKeysFromSecretData', () => {
  it('reads age keys, PGP keys and AWS credentials; other entries are ignored', () => {
    const keys = sopsKeysFromSecretData(
      {
        'b.agekey': b64('AGE-SECRET-KEY-2'),
        'a.agekey': b64('AGE-SECRET-KEY-1'),
        'identity.asc': b64('-----BEGIN PGP PRIVATE KEY BLOCK-----'),
        'sops.aws-kms': b64('aws_access_key_id: AKID\naws_secret_access_key: SECRET\n'),
        // Kluctl matches these two by their whole name only, and ignores anything else.
        'other.vault-token': b64('ignored'),
        'readme.txt': b64('ignored'),
      },
      label,
    );
    expect(keys).toEqual({
      ageKeys: ['AGE-SECRET-KEY-1', 'AGE-SECRET-KEY-2'],
      pgpKeys: [{ entry: 'identity.asc', armored: '-----BEGIN PGP PRIVATE KEY BLOCK-----' }],
      awsCredentials: { accessKeyId: 'AKID', secretAccessKey: 'SECRET' },
    });
  });

  it('keeps the session token of sops.aws-kms', () => {
    const keys = sopsKeysFromSecretData(
      { 'sops.aws-kms': b64('aws_access_key_id: A\naws_secret_access_key: S\naws_session_token: T\n') },
      label,
    );
    expect(keys.awsCredentials).toEqual({ accessKeyId: 'A', secretAccessKey: 'S', sessionToken: 'T' });
  });

  it.each([
    ['sops.vault-token', 'hvs.token', /'sops\.vault-token' \(HashiCorp Vault token\) is not supported/],
    [
      'sops.azure-kv',
      '{"tenantId":"t","clientId":"c","clientSecret":"s"}',
      /'sops\.azure-kv' \(Azure Key Vault/,
    ],
    [
      'sops.gcp-kms',
      '{"type":"service_account"}',
      /'sops\.gcp-kms' \(GCP KMS credentials\) is not supported/,
    ],
  ])('refuses %s with an error naming the entry and the way out', (entry, value, message) => {
    const read = (): unknown => sopsKeysFromSecretData({ [entry]: b64(value) }, label);
    expect(read).toThrow(KsError);
    expect(read).toThrow(message);
    expect(read).toThrow(/decryption Secret 'ns\/keys'.*encrypt with age, PGP or AWS KMS/);
  });

  it.each([
    ['not YAML', 'aws_access_key_id: [SECRETVALUE', /not valid YAML/],
    ['missing the secret key', 'aws_access_key_id: SECRETVALUE\n', /needs the fields aws_access_key_id/],
    ['a list', '- SECRETVALUE\n', /needs the fields/],
  ])('refuses a sops.aws-kms entry that is %s, without quoting it', (_what, value, message) => {
    let err: unknown;
    try {
      sopsKeysFromSecretData({ 'sops.aws-kms': b64(value) }, label);
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).toContain("'sops.aws-kms'");
    expect((err as Error).message).not.toContain('SECRETVALUE');
  });
});
