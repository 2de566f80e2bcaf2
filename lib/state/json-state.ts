/**
 * JSON documents in the state store, updated read-modify-write with ETags (STYLE.md rule 6): read the
 * document and its ETag, apply a pure mutator, write with `If-Match` (or `If-None-Match: *` when it did
 * not exist), and on StateConflictError start over, a bounded number of times with jittered backoff.
 * Two reconciles of one deployment therefore never both win; the lease below builds on that.
 */
import { StateConflictError, StateStoreError } from '../errors.js';
import type { StateStore } from '../ports.js';

/**
 * The fields of a deployment's reconcile state (layout.ts `stateKey`) this module and its callers
 * share; the whole document, with the plan's memory, is lib/reconcile/memory.ts's ReconcileMemory.
 */
export interface ReconcileState {
  readonly lastObjectsHash?: string;
  readonly lastCommit?: string;
  /** Guards against concurrent reconciles of the same deployment. Times are RFC 3339. */
  readonly lease?: { readonly holder: string; readonly expires: string };
}

/** Options of {@link updateJson}. */
export interface UpdateJsonOptions {
  /** Attempts before the conflict is rethrown; default 16. */
  readonly maxAttempts?: number;
  /** Backoff cap between attempts in ms (full jitter); default 200. */
  readonly maxBackoffMs?: number;
  /** Injected for tests; default setTimeout. */
  readonly sleep?: (ms: number) => Promise<void>;
  /**
   * The document as this caller last read or wrote it: the first attempt starts from it instead of
   * reading. Safe because the write is conditional on its ETag; a stale one costs a conflict and a read.
   * When the mutator declines to write from it, the document is read and the mutator asked again, so a
   * refusal (e.g. a lease held by another) is never decided on a stale version alone.
   */
  readonly known?: JsonVersion<unknown>;
}

/** The outcome of an update: the document as stored and its ETag (both undefined if absent). */
export interface JsonVersion<T> {
  readonly value: T | undefined;
  readonly etag: string | undefined;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Reads and parses a JSON document; undefined when the key does not exist. */
export async function readJson<T>(store: StateStore, key: string): Promise<JsonVersion<T>> {
  const blob = await store.get(key);
  if (!blob) return { value: undefined, etag: undefined };
  try {
    return { value: JSON.parse(decoder.decode(blob.body)) as T, etag: blob.etag };
  } catch (err) {
    throw new StateStoreError(`state key ${key} does not hold valid JSON; delete it to start afresh`, {
      cause: err,
    });
  }
}

/** Serializes like every writer here does, so equal documents give equal bytes. */
export function serializeJson(value: unknown): Uint8Array {
  return encoder.encode(`${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Applies `mutate` to the current document and writes the result conditionally, retrying on conflict.
 * `mutate` must be pure (it may run several times); returning undefined, or a document equal to the
 * current one, writes nothing.
 */
export async function updateJson<T>(
  store: StateStore,
  key: string,
  mutate: (current: T | undefined) => T | undefined,
  opts: UpdateJsonOptions = {},
): Promise<JsonVersion<T>> {
  const maxAttempts = opts.maxAttempts ?? 16;
  const sleep = opts.sleep ?? defaultSleep;
  for (let attempt = 1; ; attempt++) {
    const current =
      attempt === 1 && opts.known ? (opts.known as JsonVersion<T>) : await readJson<T>(store, key);
    const next = mutate(current.value);
    if (next === undefined && attempt === 1 && opts.known) continue;
    if (next === undefined) return current;
    const body = serializeJson(next);
    if (current.value !== undefined && sameBytes(body, serializeJson(current.value))) return current;
    const cond = current.etag === undefined ? { ifNoneMatch: '*' as const } : { ifMatch: current.etag };
    try {
      const etag = await store.put(key, body, { ...cond, contentType: 'application/json' });
      return { value: next, etag };
    } catch (err) {
      if (!(err instanceof StateConflictError) || attempt >= maxAttempts) throw err;
    }
    const cap = Math.min(opts.maxBackoffMs ?? 200, 5 * 2 ** attempt);
    await sleep(Math.random() * cap);
  }
}

/**
 * Takes (or renews) the lease in the reconcile state at `key` for `holder` until `now + ttlMs`.
 * Returns false, writing nothing, while another holder's lease has not expired.
 */
export async function acquireLease(
  store: StateStore,
  key: string,
  holder: string,
  ttlMs: number,
  now: Date,
): Promise<boolean> {
  return (await takeLease(store, key, holder, ttlMs, now)) !== undefined;
}

/**
 * {@link acquireLease}, returning the state document as written with the lease (so the run can go on
 * from it without reading it again), or undefined while another holder's lease has not expired.
 */
export async function takeLease<T extends ReconcileState>(
  store: StateStore,
  key: string,
  holder: string,
  ttlMs: number,
  now: Date,
  known?: JsonVersion<T>,
): Promise<JsonVersion<T> | undefined> {
  const expires = new Date(now.getTime() + ttlMs).toISOString();
  const result = await updateJson<T>(
    store,
    key,
    (current) => {
      const lease = current?.lease;
      if (lease && lease.holder !== holder && Date.parse(lease.expires) > now.getTime()) return undefined;
      return { ...current, lease: { holder, expires } } as T;
    },
    known ? { known } : {},
  );
  const won = result.value?.lease?.holder === holder && result.value.lease.expires === expires;
  return won ? result : undefined;
}

/**
 * Gives up the lease if `holder` still holds it; returns whether it did. `known` is the document as
 * the holder last wrote it (see {@link UpdateJsonOptions.known}).
 */
export async function releaseLease(
  store: StateStore,
  key: string,
  holder: string,
  known?: JsonVersion<ReconcileState>,
): Promise<boolean> {
  return (await dropLease(store, key, holder, known)).released;
}

/** {@link releaseLease}, also returning the document as stored afterwards. */
export async function dropLease<T extends ReconcileState>(
  store: StateStore,
  key: string,
  holder: string,
  known?: JsonVersion<T>,
): Promise<{ released: boolean; version: JsonVersion<T> }> {
  // The flag records what the last (winning) run of the mutator decided; the mutator stays pure otherwise.
  let released = false;
  const version = await updateJson<T>(
    store,
    key,
    (current) => {
      released = current?.lease?.holder === holder;
      if (!released || !current) return undefined;
      const { lease: _lease, ...rest } = current;
      return rest as T;
    },
    known ? { known } : {},
  );
  return { released, version };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
