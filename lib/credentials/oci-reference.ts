/**
 * How Kluctl reads an `oci://` URL when it looks for credentials: go-containerregistry's ParseReference
 * (v0.21.7, checked with that library: r:5000/x is refused, other/chart is Docker Hub's, a trailing
 * `/` stays part of the repository, upper case in the repository is refused).
 */

/** The registry and repository an `oci://` URL names, as credentials are matched against them. */
export interface OciReferenceParts {
  readonly registry: string;
  readonly repository: string;
}

const TAG = /^[A-Za-z0-9_.-]{1,128}$/;
const REPOSITORY = /^[a-z0-9_./-]{2,255}$/;

/**
 * Splits `oci://<reference>` as go-containerregistry's ParseReference does, which Kluctl's OCI
 * credential lookup uses: a `:tag` or `@digest` is dropped; the first path element is the registry only
 * if it is `localhost` or holds a `.` or `:` (else the registry is Docker Hub, `index.docker.io`, which
 * `docker.io` also means); a Docker Hub repository without `/` is `library/<name>`. Undefined when the
 * reference is refused (upper case or other characters outside `[a-z0-9_./-]` in the repository).
 */
export function ociReferenceParts(url: string): OciReferenceParts | undefined {
  if (!url.startsWith('oci://')) return undefined;
  let base = url.slice('oci://'.length);
  const at = base.indexOf('@');
  if (at >= 0) base = base.slice(0, at);
  const lastColon = base.lastIndexOf(':');
  if (lastColon >= 0 && !base.slice(lastColon + 1).includes('/')) {
    if (!TAG.test(base.slice(lastColon + 1))) return undefined;
    base = base.slice(0, lastColon);
  }
  const slash = base.indexOf('/');
  const first = slash >= 0 ? base.slice(0, slash) : '';
  const explicit = slash >= 0 && (first === 'localhost' || /[.:]/.test(first));
  let registry = explicit ? first : 'index.docker.io';
  const repository = explicit ? base.slice(slash + 1) : base;
  if (!REPOSITORY.test(repository) || /[/@?#]/.test(registry)) return undefined;
  if (registry === 'docker.io') registry = 'index.docker.io';
  const implicitLibrary = registry === 'index.docker.io' && !repository.includes('/');
  return { registry, repository: implicitLibrary ? `library/${repository}` : repository };
}
