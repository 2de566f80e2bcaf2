/**
 * The clone cache (DESIGN.md §4): a GitSource that puts a state store in front of another one, so that
 * a function that starts cold does not clone a repository another run already cloned.
 *
 * - Ref probes: `branch/tag/HEAD → commit` is remembered (with the default branch's name); it is
 *   trusted for `refTtlMs` (default 0: every checkout probes, so a push is seen at once).
 * - Snapshots: the work tree of one commit, as a tarball, immutable (a commit names its content). Its
 *   digest record is written after it, so a half-written snapshot never counts, and every read checks
 *   the digest; a mismatch is treated as a miss and repaired.
 * - Keys hold no credential: each repository's cache is scoped by the repository key and a hash of the
 *   exact URL (without user info) and of the credential set, so a deployment only ever reads what was
 *   fetched with the same credentials from the same URL, and nothing of a secret is in a key.
 * - A warm function keeps the snapshots it verified or made in memory (bounded, least recently used
 *   dropped first), so its next checkout of the same commit reads nothing from the store.
 * - The cache is optional: when the store fails, the checkout goes to the Git server, and the failure
 *   is logged, never raised.
 */
import { createHash } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../errors.js';
import type {
  Clock,
  GitAuth,
  GitCheckout,
  GitRef,
  GitSource,
  Logger,
  StateStore,
  TreeArchiver,
} from '../ports.js';
import { readJson, serializeJson } from '../state/json-state.js';
import {
  cloneCacheRepoPrefix,
  cloneRefCacheKey,
  cloneSnapshotKey,
  cloneSnapshotMetaKey,
} from '../state/layout.js';
import { mapBounded } from '../util/semaphore.js';
import { redactUserinfo, repoKeyOf } from './repo-url.js';

/** Options of {@link CachedGitSource}. */
export interface CloneCacheOptions {
  readonly inner: GitSource;
  readonly store: StateStore;
  readonly archiver: TreeArchiver;
  readonly clock: Clock;
  readonly logger: Logger;
  /**
   * How long a probed ref is trusted. Default 0 (probe every time): a reconcile right after a push (a
   * webhook) must see the new commit, and a probe is one cheap request; a positive value lets a
   * burst of reconciles of one repository share a probe, at the price of seeing a push that late.
   */
  readonly refTtlMs?: number;
  /** Bytes of snapshots kept in memory between checkouts; default 64 MiB. 0 keeps none. */
  readonly memoryBytes?: number;
}

/** What a ref entry remembers. */
interface RefEntry {
  readonly commit: string;
  /** For the default branch: its name, as the checkout reports it. */
  readonly branch?: string;
  /** When the ref was probed (ms since epoch). */
  readonly probedAt: number;
}

/** The digest record of a snapshot. */
interface SnapshotMeta {
  readonly sha256: string;
  readonly size: number;
}

/** Counts of what the cache did, for benchmarks and metrics. */
export interface CloneCacheStats {
  refHits: number;
  refMisses: number;
  snapshotHits: number;
  snapshotMisses: number;
  snapshotCorrupt: number;
  storeErrors: number;
}

/** A GitSource with the clone cache in front of `inner`. */
export class CachedGitSource implements GitSource {
  readonly stats: CloneCacheStats = {
    refHits: 0,
    refMisses: 0,
    snapshotHits: 0,
    snapshotMisses: 0,
    snapshotCorrupt: 0,
    storeErrors: 0,
  };
  private readonly refTtlMs: number;
  /** Verified snapshots by `scope/commit`, in use order (a Map iterates oldest first). */
  private readonly recent = new Map<string, Uint8Array>();
  private recentBytes = 0;

  constructor(private readonly o: CloneCacheOptions) {
    this.refTtlMs = o.refTtlMs ?? 0;
  }

  /** Keeps a verified snapshot in memory, dropping the least recently used ones beyond the bound. */
  private remember(key: string, archive: Uint8Array): void {
    const limit = this.o.memoryBytes ?? 64 * 1024 * 1024;
    if (archive.byteLength > limit) return;
    const old = this.recent.get(key);
    if (old) this.recentBytes -= old.byteLength;
    this.recent.delete(key);
    this.recent.set(key, archive);
    this.recentBytes += archive.byteLength;
    for (const [k, v] of this.recent) {
      if (this.recentBytes <= limit) break;
      this.recent.delete(k);
      this.recentBytes -= v.byteLength;
    }
  }

  async resolveRef(url: string, ref: GitRef, auth?: GitAuth): Promise<string> {
    if (ref.commit) return this.o.inner.resolveRef(url, ref, auth);
    return (await this.probe(url, ref, auth)).commit;
  }

  async checkout(url: string, ref: GitRef, dir: string, auth?: GitAuth): Promise<GitCheckout> {
    if (ref.commit) {
      const commit = ref.commit.toLowerCase();
      if (/^[0-9a-f]{40}$/.test(commit) && (await this.restore(url, auth, commit, dir)))
        return { commit, ref: { commit } };
      return this.cloneAndStore(url, ref, dir, auth);
    }
    const probed = await this.probe(url, ref, auth);
    // The default branch's name is only known from a checkout; without it, clone (and learn it).
    const isHead = !ref.branch && !ref.tag;
    if ((!isHead || probed.branch) && (await this.restore(url, auth, probed.commit, dir))) {
      return { commit: probed.commit, ref: isHead ? { branch: probed.branch! } : ref };
    }
    return this.cloneAndStore(url, ref, dir, auth);
  }

  /** The ref's commit: from a fresh entry, else probed on the server and remembered. */
  private async probe(url: string, ref: GitRef, auth: GitAuth | undefined): Promise<RefEntry> {
    const key = cloneRefCacheKey(scope(url, auth), ref);
    const now = this.o.clock.now().getTime();
    // Without a TTL the entry only carries the default branch's name, so only HEAD needs it.
    const isHead = !ref.branch && !ref.tag;
    const cached =
      this.refTtlMs > 0 || isHead
        ? await this.quietly(() => readJson<RefEntry>(this.o.store, key))
        : undefined;
    const entry = cached?.value;
    if (entry && this.refTtlMs > 0 && now - entry.probedAt >= 0 && now - entry.probedAt < this.refTtlMs) {
      this.stats.refHits++;
      return entry;
    }
    this.stats.refMisses++;
    const commit = await this.o.inner.resolveRef(url, ref, auth);
    // The default branch keeps its name while it points to the same commit.
    const branch = entry?.commit === commit ? entry.branch : undefined;
    const fresh: RefEntry = { commit, ...(branch ? { branch } : {}), probedAt: now };
    // Written only where a later probe reads it: to be trusted for the TTL, or when HEAD moved.
    if (this.refTtlMs > 0 || (isHead && entry?.commit !== commit)) {
      await this.quietly(() =>
        this.o.store.put(key, serializeJson(fresh), { contentType: 'application/json' }),
      );
    }
    return fresh;
  }

  /** Unpacks the snapshot of `commit` into `dir`; false on a miss or a corrupt snapshot. */
  private async restore(
    url: string,
    auth: GitAuth | undefined,
    commit: string,
    dir: string,
  ): Promise<boolean> {
    const repo = scope(url, auth);
    const memoKey = `${repo}/${commit}`;
    let body = this.recent.get(memoKey);
    if (!body) {
      const meta = await this.quietly(() =>
        readJson<SnapshotMeta>(this.o.store, cloneSnapshotMetaKey(repo, commit)),
      );
      if (!meta?.value) {
        this.stats.snapshotMisses++;
        return false;
      }
      const blob = await this.quietly(() => this.o.store.get(cloneSnapshotKey(repo, commit)));
      if (!blob || blob.body.byteLength !== meta.value.size || sha256(blob.body) !== meta.value.sha256) {
        this.stats.snapshotCorrupt++;
        this.o.logger.warn('clone cache snapshot missing or corrupt; cloning instead', {
          repository: redactUserinfo(url),
          commit,
        });
        return false;
      }
      body = blob.body;
    }
    await mkdir(dir, { recursive: true });
    try {
      await this.o.archiver.unpack(body, dir);
    } catch (err) {
      this.stats.snapshotCorrupt++;
      this.o.logger.warn('clone cache snapshot cannot be unpacked; cloning instead', {
        repository: redactUserinfo(url),
        commit,
        error: errorMessage(err),
      });
      // Leave the directory as empty as the clone expects it.
      this.recent.delete(memoKey);
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true });
      return false;
    }
    // The renderer finds the repository root by its .git directory (`..` stops there).
    await mkdir(join(dir, '.git'), { recursive: true });
    this.remember(memoKey, body);
    this.stats.snapshotHits++;
    return true;
  }

  /** Clones from the server, then stores the snapshot and (for refs) what the ref points to. */
  private async cloneAndStore(
    url: string,
    ref: GitRef,
    dir: string,
    auth: GitAuth | undefined,
  ): Promise<GitCheckout> {
    const checkout = await this.o.inner.checkout(url, ref, dir, auth);
    const repo = scope(url, auth);
    await this.quietly(async () => {
      const archive = await this.o.archiver.pack(dir);
      // Snapshot first, digest record last: a reader trusts a snapshot only once its record exists.
      await this.o.store.put(cloneSnapshotKey(repo, checkout.commit), archive, {
        contentType: 'application/gzip',
      });
      const meta: SnapshotMeta = { sha256: sha256(archive), size: archive.byteLength };
      await this.o.store.put(cloneSnapshotMetaKey(repo, checkout.commit), serializeJson(meta), {
        contentType: 'application/json',
      });
      this.remember(`${repo}/${checkout.commit}`, archive);
      // The probe already remembered a branch or tag; the default branch's name is learnt only now.
      if (!ref.commit && !ref.branch && !ref.tag) {
        const entry: RefEntry = {
          commit: checkout.commit,
          ...(checkout.ref?.branch ? { branch: checkout.ref.branch } : {}),
          probedAt: this.o.clock.now().getTime(),
        };
        await this.o.store.put(cloneRefCacheKey(repo, ref), serializeJson(entry), {
          contentType: 'application/json',
        });
      }
    });
    return checkout;
  }

  /** Runs a cache operation; a failure is logged and counted, and reads as "not cached". */
  private async quietly<T>(op: () => Promise<T>): Promise<T | undefined> {
    try {
      return await op();
    } catch (err) {
      this.stats.storeErrors++;
      this.o.logger.warn('clone cache unavailable; going to the Git server', { error: errorMessage(err) });
      return undefined;
    }
  }
}

/**
 * Drops the remembered ref probes of a repository (every scope of it), so the reconciles a push
 * triggers see the pushed commit instead of a probe made up to `refTtlMs` before it. Snapshots stay:
 * they are immutable. Returns the number of entries dropped.
 */
export async function forgetProbedRefs(store: StateStore, repoKey: string): Promise<number> {
  const keys = (await store.list(cloneCacheRepoPrefix(repoKey))).filter((k) => /\/refs\//.test(k));
  await mapBounded(keys, 8, (k) => store.delete(k));
  return keys.length;
}

/**
 * The cache scope of a repository as fetched with some credentials: its repository key (readable, for
 * operators) and a hash of the exact URL without user info and of the credential set.
 */
export function scope(url: string, auth: GitAuth | undefined): string {
  const hash = createHash('sha256')
    .update('kluctl-serverless clone cache v1\0')
    .update(redactUserinfo(url))
    .update('\0')
    .update(auth?.username ?? '')
    .update('\0')
    .update(auth?.password ?? '');
  // SSH keys and CA bundles join the hash only when set, so scopes of basic-auth remotes stay as they were.
  for (const key of ['sshIdentity', 'sshKnownHosts', 'caBundle'] as const) {
    const value = auth?.[key];
    if (value !== undefined) hash.update(`\0${key}\0`).update(value);
  }
  const h = hash.digest('hex').slice(0, 32);
  return `${repoKeyOf(url)}@${h}`;
}

function sha256(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('hex');
}
