/**
 * The index from a Git repository to the deployments that follow it (DESIGN.md §4), so a webhook can
 * answer "who follows this push?" with one read instead of scanning every mirror. One document per
 * repository key (`repos/<repoKey>/deployments.json`, layout.ts) lists, per deployment, its cluster,
 * namespace and name and the ref it follows. A small link document per deployment
 * (`repo-link.json`) remembers which index lists it, so a changed URL or a deletion removes the old
 * entry without a scan. Every write is a conditional read-modify-write (json-state.ts `updateJson`).
 *
 * Only `spec.source` is indexed: the repositories of Git includes are known only after a render, and a
 * push to one of them is still picked up by the deployment's next interval.
 */
import type { GitRefSpec, KluctlDeployment } from '../api/types.js';
import type { StateStore } from '../ports.js';
import { readJson, updateJson } from '../state/json-state.js';
import type { UpdateJsonOptions } from '../state/json-state.js';
import { repoIndexKey, repoLinkKey } from '../state/layout.js';
import type { DeploymentId } from '../state/layout.js';
import type { MirrorDocument, MirroredDeployment } from './protocol.js';
import { tryRepoKeyOf } from './repo-url.js';

/** One deployment in a repository index. */
export interface RepoIndexEntry extends DeploymentId {
  /** The ref followed: a branch, a tag, a commit (never moved by a push), or `{}` for the default branch. */
  readonly ref: GitRefSpec;
}

/** The document under `repos/<repoKey>/deployments.json`. */
export interface RepoIndexDocument {
  readonly repoKey: string;
  /** Sorted by cluster, namespace and name, so equal indexes are equal bytes. */
  readonly deployments: readonly RepoIndexEntry[];
}

/** The document under a deployment's `repo-link.json`. */
interface RepoLink {
  readonly repoKey: string;
  readonly ref: GitRefSpec;
}

/**
 * Brings the index up to date with one deployment's mirror; `undefined` means the deployment is gone.
 * Takes the mirror document as ingest stores it or the mirrored object itself. A deployment whose
 * source is not Git, or whose URL cannot be parsed, is listed nowhere. Cost when nothing changed: one
 * read.
 */
export async function indexMirror(
  store: StateStore,
  mirror: MirrorDocument | MirroredDeployment | undefined,
  id: DeploymentId,
  opts: UpdateJsonOptions = {},
): Promise<void> {
  const object = mirror && 'object' in mirror ? mirror.object : mirror;
  const next = object ? followedSource(object.spec) : undefined;
  const linkKey = repoLinkKey(id.clusterId, id.namespace, id.name);
  const link = (await readJson<RepoLink>(store, linkKey)).value;
  if (link && next && link.repoKey === next.repoKey && sameRef(link.ref, next.ref)) return;

  // Add to the new index before leaving the old one: a push in between finds the deployment at least once.
  if (next) {
    await updateJson<RepoIndexDocument>(
      store,
      repoIndexKey(next.repoKey),
      (doc) => withEntry(doc, next.repoKey, { ...pick(id), ref: next.ref }),
      opts,
    );
  }
  if (link && link.repoKey !== next?.repoKey) {
    await updateJson<RepoIndexDocument>(
      store,
      repoIndexKey(link.repoKey),
      (doc) => (doc ? withoutEntry(doc, id) : undefined),
      opts,
    );
  }
  if (next) await updateJson<RepoLink>(store, linkKey, () => next, opts);
  else if (link) await store.delete(linkKey);
}

/** Options of {@link deploymentsForPush}. */
export interface PushLookupOptions {
  /**
   * The repository's default branch as the push event names it. Deployments following the default
   * branch match a push to it; when it is unknown they match a push to any branch (a reconcile of an
   * unchanged commit costs little, a missed push costs a whole interval).
   */
  readonly defaultBranch?: string;
}

/**
 * The deployments that follow `ref` (`refs/heads/<branch>`, `refs/tags/<tag>`, or a bare branch name)
 * of the repository named by any of `repoUrls` (the forms a push event gives: https, ssh, ...).
 * URLs that cannot be parsed are skipped; an unknown repository gives an empty list.
 */
export async function deploymentsForPush(
  store: StateStore,
  repoUrls: string | readonly string[],
  ref: string,
  opts: PushLookupOptions = {},
): Promise<DeploymentId[]> {
  const keys = new Set<string>();
  for (const url of typeof repoUrls === 'string' ? [repoUrls] : repoUrls) {
    const key = tryRepoKeyOf(url);
    if (key !== undefined) keys.add(key);
  }
  const docs = await Promise.all(
    [...keys].map(async (k) => (await readJson<RepoIndexDocument>(store, repoIndexKey(k))).value),
  );
  const found = new Map<string, DeploymentId>();
  for (const doc of docs) {
    for (const e of doc?.deployments ?? []) {
      if (followsPush(e.ref, ref, opts.defaultBranch)) found.set(entryId(e), pick(e));
    }
  }
  return [...found.values()];
}

/** Whether a deployment following `followed` is affected by a push of `pushedRef`. */
export function followsPush(followed: GitRefSpec, pushedRef: string, defaultBranch?: string): boolean {
  const pushed = parsePushedRef(pushedRef);
  if (followed.commit) return false;
  if (followed.branch !== undefined) return pushed.branch === followed.branch;
  if (followed.tag !== undefined) return pushed.tag === followed.tag;
  return pushed.branch !== undefined && (defaultBranch === undefined || pushed.branch === defaultBranch);
}

function parsePushedRef(ref: string): { branch?: string; tag?: string } {
  if (ref.startsWith('refs/heads/')) return { branch: ref.slice('refs/heads/'.length) };
  if (ref.startsWith('refs/tags/')) return { tag: ref.slice('refs/tags/'.length) };
  if (ref.startsWith('refs/')) return {};
  return { branch: ref };
}

/** The repository key and ref a deployment follows; undefined for OCI sources and bad URLs. */
function followedSource(spec: KluctlDeployment['spec']): RepoLink | undefined {
  const src = spec?.source;
  const git = src?.git ?? (src?.url ? { url: src.url, ref: src.ref } : undefined);
  if (!git || typeof git.url !== 'string') return undefined;
  const repoKey = tryRepoKeyOf(git.url);
  if (repoKey === undefined) return undefined;
  const r = git.ref ?? {};
  const ref: GitRefSpec = r.commit
    ? { commit: r.commit }
    : r.tag
      ? { tag: r.tag }
      : r.branch
        ? { branch: r.branch }
        : {};
  return { repoKey, ref };
}

function withEntry(
  doc: RepoIndexDocument | undefined,
  repoKey: string,
  entry: RepoIndexEntry,
): RepoIndexDocument {
  const rest = (doc?.deployments ?? []).filter((e) => entryId(e) !== entryId(entry));
  const deployments = [...rest, entry].sort((a, b) => compare(entryId(a), entryId(b)));
  return { repoKey, deployments };
}

function withoutEntry(doc: RepoIndexDocument, id: DeploymentId): RepoIndexDocument | undefined {
  const deployments = doc.deployments.filter((e) => entryId(e) !== entryId(id));
  return deployments.length === doc.deployments.length ? undefined : { ...doc, deployments };
}

function entryId(e: DeploymentId): string {
  return `${e.clusterId}/${e.namespace}/${e.name}`;
}

function pick(e: DeploymentId): DeploymentId {
  return { clusterId: e.clusterId, namespace: e.namespace, name: e.name };
}

function sameRef(a: GitRefSpec, b: GitRefSpec): boolean {
  return a.branch === b.branch && a.tag === b.tag && a.commit === b.commit;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
