/**
 * Credentials for OCI artifacts (`source.oci`, `oci:` includes), from `spec.credentials.oci`
 * (kluctl-semantics §9.4): each entry names a registry (`host[:port]`, compared exactly) and optionally
 * a repository glob (gobwas/glob with `/` as separator); the first matching entry wins, as in Kluctl's
 * list auth provider. Secret keys as Kluctl's controller reads them: `username`, `password`,
 * `identityToken`, `token`, `plainHttp`, `insecureSkipTlsVerify`. Values never reach a message.
 */
import type { ProjectCredentials } from '../api/types.js';
import type { OciAuth } from '../ports.js';
import { isGoTrue } from '../util/go-bool.js';
import { compilePathGlob } from '../util/path-glob.js';
import { mustRead } from './spec-credentials.js';
import type { SecretReader } from './spec-credentials.js';

/** One registry's credentials. */
export interface OciCredentialEntry {
  readonly registry: string;
  /** Repository glob; undefined matches every repository of the registry. */
  readonly repository?: string;
  readonly auth: OciAuth;
}

/** Builds the auth of one Secret's data (only the keys that are present). */
export function ociAuthFromSecret(data: Readonly<Record<string, string>>): OciAuth {
  const auth: { -readonly [K in keyof OciAuth]: OciAuth[K] } = {};
  if (data.username !== undefined) auth.username = data.username;
  if (data.password !== undefined) auth.password = data.password;
  if (data.identityToken !== undefined) auth.identityToken = data.identityToken;
  if (data.token !== undefined) auth.token = data.token;
  if (isGoTrue(data.plainHttp)) auth.plainHttp = true;
  if (isGoTrue(data.insecureSkipTlsVerify)) auth.insecureSkipTlsVerify = true;
  return auth;
}

/** `spec.credentials.oci` as entries, in spec order; a missing Secret or a bad glob fails naming the entry. */
export async function ociCredentialsFromSpec(
  creds: ProjectCredentials | undefined,
  read: SecretReader,
): Promise<OciCredentialEntry[]> {
  const out: OciCredentialEntry[] = [];
  for (const [i, e] of (creds?.oci ?? []).entries()) {
    const where = `spec.credentials.oci[${i}]`;
    if (e.repository) compilePathGlob(e.repository);
    const data = await mustRead(read, e.secretRef.name, where);
    out.push({
      registry: e.registry,
      ...(e.repository ? { repository: e.repository } : {}),
      auth: ociAuthFromSecret(data),
    });
  }
  return out;
}

/** Looks up the auth of an `oci://host/repo` URL: the first entry whose registry and repository match. */
export function ociAuthResolver(
  entries: readonly OciCredentialEntry[],
): (url: string) => OciAuth | undefined {
  return (url) => {
    const m = /^oci:\/\/([^/]+)\/(.*?)\/*$/.exec(url);
    if (!m) return undefined;
    const [, host, repository] = m;
    const hit = entries.find(
      (e) => e.registry === host && (!e.repository || compilePathGlob(e.repository).test(repository!)),
    );
    return hit?.auth;
  };
}
