/**
 * StateStore in a local folder, for the local runner (DESIGN.md §3). Keys map to files under `root`
 * (`clusters/c/state.json` → `<root>/clusters/c/state.json`), so the folder stays readable.
 *
 * ETag = sha256 of the content, which any process can recompute. A conditional write is atomic within
 * one process and across processes: it takes an exclusive lock file next to the target (`open(.., 'wx')`),
 * checks the precondition, writes a temp file and renames it over the target. Readers never lock: a
 * rename is atomic, so they see the old or the new content. A lock older than `staleLockMs` is taken to
 * belong to a crashed writer and is broken.
 *
 * Names starting with `.ks-` are the store's own (locks, temp files) and are refused as key segments.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, sep } from 'node:path';
import { KsError, StateConflictError, StateStoreError } from '../errors.js';
import type { StateStore, StoredBlob, WriteCondition } from '../ports.js';

const INTERNAL_PREFIX = '.ks-';

/** Options of {@link FsStateStore}. */
export interface FsStateStoreOptions {
  /** A lock older than this is broken (its writer crashed); default 10000 ms. */
  readonly staleLockMs?: number;
  /** Give up waiting for a lock after this long; default 15000 ms. */
  readonly lockTimeoutMs?: number;
}

/** Reconcile state and results in a local folder. */
export class FsStateStore implements StateStore {
  private readonly root: string;
  private readonly staleLockMs: number;
  private readonly lockTimeoutMs: number;

  constructor(root: string, opts: FsStateStoreOptions = {}) {
    this.root = root;
    this.staleLockMs = opts.staleLockMs ?? 10_000;
    this.lockTimeoutMs = opts.lockTimeoutMs ?? 15_000;
  }

  /** Reads a blob; undefined when the key does not exist. */
  async get(key: string): Promise<StoredBlob | undefined> {
    const path = this.pathOf(key);
    const body = await readIfExists(path);
    return body === undefined ? undefined : { body, etag: etagOf(body) };
  }

  /** Writes a blob under the key's lock, honouring `ifMatch`/`ifNoneMatch`; returns the new ETag. */
  async put(
    key: string,
    body: Uint8Array,
    cond: WriteCondition & { contentType?: string } = {},
  ): Promise<string> {
    const path = this.pathOf(key);
    await this.mkdirFor(path, key);
    return this.withLock(path, async () => {
      if (cond.ifMatch !== undefined || cond.ifNoneMatch !== undefined) {
        const current = await readIfExists(path);
        const lost =
          (cond.ifNoneMatch === '*' && current !== undefined) ||
          (cond.ifMatch !== undefined && (current === undefined || etagOf(current) !== cond.ifMatch));
        if (lost) throw new StateConflictError(`conditional write of ${key} lost to a concurrent writer`);
      }
      const tmp = join(
        dirname(path),
        `${INTERNAL_PREFIX}tmp.${basename(path)}.${randomBytes(6).toString('hex')}`,
      );
      try {
        await writeSynced(tmp, body);
        await rename(tmp, path);
      } catch (err) {
        await rm(tmp, { force: true });
        throw new StateStoreError(`cannot write state key ${key}: ${(err as Error).message}`, { cause: err });
      }
      return etagOf(body);
    });
  }

  /** Deletes a key; resolves quietly when it does not exist. */
  async delete(key: string): Promise<void> {
    const path = this.pathOf(key);
    try {
      await stat(dirname(path));
    } catch {
      return; // no folder, no key
    }
    await this.withLock(path, async () => {
      await rm(path, { force: true });
    });
  }

  /** All keys starting with `prefix` (a string prefix, as in S3), sorted. */
  async list(prefix: string): Promise<readonly string[]> {
    // Walk only the deepest folder the prefix names fully; filter the rest by string prefix.
    const slash = prefix.lastIndexOf('/');
    const base = slash < 0 ? '' : prefix.slice(0, slash);
    if (base !== '') this.pathOf(base);
    const keys: string[] = [];
    await walk(join(this.root, ...splitKey(base)), base, keys);
    return keys.filter((k) => k.startsWith(prefix)).sort();
  }

  /** Maps a key to its file, refusing keys that could escape the root or collide with internal files. */
  private pathOf(key: string): string {
    return join(this.root, ...validateKey(key));
  }

  private async mkdirFor(path: string, key: string): Promise<void> {
    try {
      await mkdir(dirname(path), { recursive: true });
    } catch (err) {
      throw new StateStoreError(`cannot create the folder for state key ${key}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  /** Runs `fn` holding the exclusive lock file of `path`. */
  private async withLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
    const lock = join(dirname(path), `${INTERNAL_PREFIX}lock.${basename(path)}`);
    const deadline = Date.now() + this.lockTimeoutMs;
    for (let attempt = 0; ; attempt++) {
      try {
        const handle = await open(lock, 'wx');
        await handle.close();
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new StateStoreError(`cannot lock ${path}: ${(err as Error).message}`, { cause: err });
        }
      }
      if (await this.breakIfStale(lock)) continue;
      if (Date.now() > deadline) {
        throw new StateStoreError(
          `timed out waiting for the lock ${lock}; remove it if no writer is running`,
          {
            retryable: true,
          },
        );
      }
      await sleep(Math.min(2 ** attempt, 50) * (0.5 + Math.random()));
    }
    try {
      return await fn();
    } finally {
      await unlink(lock).catch(() => {});
    }
  }

  /**
   * Removes a lock left by a crashed writer. The lock is renamed away first, so of two processes that
   * both see it stale only one removes it (there remains a tiny window in which a fresh lock taken in
   * between is removed; writers hold locks for milliseconds while staleness takes seconds).
   */
  private async breakIfStale(lock: string): Promise<boolean> {
    try {
      const info = await stat(lock);
      if (Date.now() - info.mtimeMs < this.staleLockMs) return false;
      const aside = `${lock}.stale.${randomBytes(6).toString('hex')}`;
      await rename(lock, aside);
      await unlink(aside).catch(() => {});
      return true;
    } catch {
      return true; // gone meanwhile: try to take it again
    }
  }
}

/** Splits and checks a key: relative, `/`-separated, no empty, `.`, `..` or internal segments. */
function validateKey(key: string): string[] {
  const segments = splitKey(key);
  const bad =
    key === '' ||
    key.startsWith('/') ||
    key.includes('\\') ||
    key.includes('\0') ||
    segments.some(
      (s) => s === '' || s === '.' || s === '..' || s.startsWith(INTERNAL_PREFIX) || s.includes(sep),
    );
  if (bad) {
    throw new KsError(
      'InvalidInput',
      `invalid state key '${key}': use a relative '/'-separated path without empty, '.', '..' or '${INTERNAL_PREFIX}*' segments`,
    );
  }
  return segments;
}

function splitKey(key: string): string[] {
  return key === '' ? [] : key.split('/');
}

function etagOf(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('hex');
}

async function readIfExists(path: string): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // ENOTDIR/EISDIR: a key whose path crosses (or is) a folder of other keys does not exist as a blob.
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined;
    throw new StateStoreError(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** Writes and fsyncs, so a crash after the rename cannot leave an empty file behind. */
async function writeSynced(path: string, body: Uint8Array): Promise<void> {
  const handle = await open(path, 'wx');
  try {
    await handle.writeFile(body);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function walk(dir: string, keyPrefix: string, out: string[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return;
    throw new StateStoreError(`cannot list ${dir}: ${(err as Error).message}`, { cause: err });
  }
  for (const entry of entries) {
    if (entry.name.startsWith(INTERNAL_PREFIX)) continue;
    const key = keyPrefix === '' ? entry.name : `${keyPrefix}/${entry.name}`;
    if (entry.isDirectory()) await walk(join(dir, entry.name), key, out);
    else if (entry.isFile()) out.push(key);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
