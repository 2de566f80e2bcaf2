/**
 * `awsSecretsManager` vars source (kluctl-semantics §3.2): the secret string (YAML or JSON) is rendered
 * and parsed. Without `region` the secret name must be an ARN, whose region is used.
 */
import { ProjectLoadError } from '../../errors.js';
import { isDict } from '../merge.js';
import type { LoadedValue, SourceArgs } from './source-types.js';
import { parseVarsYaml } from './yaml-values.js';

/** The region of an ARN `arn:partition:service:region:account:resource`, or undefined. */
function arnRegion(s: string): string | undefined {
  const parts = s.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  return parts[3] || undefined;
}

/** `awsSecretsManager: {secretName, region?, profile?}`; always sensitive. */
export async function loadAwsSecretsManager(a: SourceArgs): Promise<LoadedValue> {
  const raw = a.src.awsSecretsManager;
  if (!isDict(raw) || typeof raw.secretName !== 'string' || raw.secretName === '')
    throw new ProjectLoadError('awsSecretsManager.secretName is required', { file: a.ctx.file });
  const secretId = raw.secretName;
  const reader = a.runtime.services.awsSecrets;
  if (!reader) throw new ProjectLoadError('no AWS client factory provided', { file: a.ctx.file });
  const region = typeof raw.region === 'string' && raw.region ? raw.region : arnRegion(secretId);
  if (!region)
    throw new ProjectLoadError('when omitting the AWS region, the secret name must be a valid ARN', {
      file: a.ctx.file,
    });
  const secret = await reader.getSecretString({
    secretId,
    region,
    ...(typeof raw.profile === 'string' && raw.profile ? { profile: raw.profile } : {}),
  });
  if (secret === undefined) {
    if (a.ignoreMissing) return { value: {}, sensitive: true };
    throw new ProjectLoadError(
      `getting secret ${secretId} from AWS secrets manager failed: ResourceNotFoundException: the secret does not exist`,
      { file: a.ctx.file },
    );
  }
  const label = `awsSecretsManager ${secretId}`;
  const rendered = await a.ctx.engine.render(secret, a.vars, { file: label });
  return { value: parseVarsYaml(rendered, label, a.multidoc), sensitive: true };
}
