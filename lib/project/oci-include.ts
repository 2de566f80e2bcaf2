/**
 * OCI includes (kluctl-semantics §2.3): `oci: {url, ref: {tag|digest}, subDir}` items pull an artifact
 * `kluctl oci push` made through the OciSource port into the render work dir and load it as an included
 * project of its own source, as git includes do. The same URL and ref is pulled once per render.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ProjectLoadError } from '../errors.js';
import type { OciAuth, OciRef, OciSource } from '../ports.js';
import { isValidSubDir } from './git-include.js';
import { isInside } from './paths.js';

/** Registry access of a render, for `oci:` includes. */
export interface OciIncludeAccess {
  readonly source: OciSource;
  /** Credentials by URL (already matched by registry and repository). */
  readonly auth?: (url: string) => OciAuth | undefined;
}

/** An oci include as written, normalised. */
export interface OciIncludeSpec {
  readonly url: string;
  readonly ref: OciRef;
  readonly subDir: string;
}

/** A pulled include: where its source root and project dir are, and a stable id for render paths. */
export interface OciCheckout {
  readonly root: string;
  readonly projectDir: string;
  readonly id: string;
}

/** Normalises and validates the `oci:` field of an item. `where` names the item in errors. */
export function parseOciInclude(raw: unknown, file: string, where: string): OciIncludeSpec {
  const obj = (raw ?? {}) as { url?: string; ref?: { tag?: string; digest?: string }; subDir?: string };
  if (!obj.url) throw new ProjectLoadError(`${where}: oci.url is required`, { file });
  if (!obj.url.startsWith('oci://'))
    throw new ProjectLoadError(`${where}: unsupported scheme in ${obj.url}, must be oci://`, { file });
  const ref: { tag?: string; digest?: string } = {};
  if (obj.ref?.tag) ref.tag = obj.ref.tag;
  if (obj.ref?.digest) ref.digest = obj.ref.digest;
  const subDir = (obj.subDir ?? '').replace(/^\/+|\/+$/g, '');
  if (!isValidSubDir(subDir))
    throw new ProjectLoadError(`'${subDir}' is not valid oci subdirectory path`, { file });
  return { url: obj.url, ref, subDir };
}

/** Kluctl's way of writing a ref: `tag`, `tag@digest`, `@digest`, or `latest`. */
export function ociRefText(ref: OciRef): string {
  if (ref.digest) return `${ref.tag ?? ''}@${ref.digest}`;
  return ref.tag || 'latest';
}

/** Pulls (once per render, keyed by URL and ref) the artifact of an oci include. */
export async function pullOciInclude(
  ctx: {
    readonly oci?: OciIncludeAccess;
    readonly checkoutDir: string;
    readonly pulls: Map<string, Promise<{ root: string; id: string }>>;
  },
  spec: OciIncludeSpec,
  file: string,
): Promise<OciCheckout> {
  const access = ctx.oci;
  if (!access)
    throw new ProjectLoadError(`oci include ${spec.url} needs registry access, but none was configured`, {
      file,
    });
  const key = `${spec.url}#${ociRefText(spec.ref)}`;
  let pending = ctx.pulls.get(key);
  if (!pending) {
    const id = `oci-${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;
    const root = join(ctx.checkoutDir, id);
    mkdirSync(root, { recursive: true });
    // Kluctl passes the registry's error through unchanged; so does this.
    pending = access.source
      .pull(spec.url, spec.ref, root, access.auth?.(spec.url))
      .then(() => ({ root, id }));
    ctx.pulls.set(key, pending);
  }
  const { root, id } = await pending;
  const projectDir = resolve(root, spec.subDir);
  if (!isInside(root, projectDir) || !existsSync(projectDir) || !statSync(projectDir).isDirectory())
    throw new ProjectLoadError(`oci include ${spec.url}: subDir ${spec.subDir} does not exist`, { file });
  return { root, projectDir, id };
}
