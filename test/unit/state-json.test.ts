import { jest } from '@jest/globals';
import { StateConflictError, StateStoreError } from '../../lib/errors.js';
import type { StateStore, StoredBlob, WriteCondition } from '../../lib/ports.js';
import { acquireLease, readJson, releaseLease, takeLease, updateJson } from '../../lib/state/json-state.js';
import type { ReconcileState } from '../../lib/state/json-state.js';

/** An in-memory store with S3's conditional-write semantics; `beforePut` lets a test race a writer. */
class MemoryStore implements StateStore {
  readonly blobs = new Map<string, StoredBlob>();
  puts = 0;
  private generation = 0;
  beforePut: ((key: string) => void) | undefined;

  async get(key: string): Promise<StoredBlob | undefined> {
    return this.blobs.get(key);
  }

  async put(key: string, body: Uint8Array, cond: WriteCondition = {}): Promise<string> {
    const hook = this.beforePut;
    this.beforePut = undefined;
    hook?.(key);
    const current = this.blobs.get(key);
    if (cond.ifNoneMatch === '*' && current) throw new StateConflictError('exists');
    if (cond.ifMatch !== undefined && current?.etag !== cond.ifMatch) throw new StateConflictError('etag');
    this.puts++;
    const etag = `"${++this.generation}"`;
    this.blobs.set(key, { body, etag });
    return etag;
  }

  async delete(key: string): Promise<void> {
    this.blobs.delete(key);
  }

  async list(prefix: string): Promise<readonly string[]> {
    return [...this.blobs.keys()].filter((k) => k.startsWith(prefix)).sort();
  }

  /** Writes directly, as a concurrent writer would. */
  setJson(key: string, value: unknown): void {
    const etag = `"${++this.generation}"`;
    this.blobs.set(key, { body: new TextEncoder().encode(JSON.stringify(value)), etag });
  }
}

const noSleep = async () => {};
const KEY = 'clusters/c/deployments/ns/app/state.json';

describe('updateJson', () => {
  it('creates with If-None-Match and updates with If-Match', async () => {
    const store = new MemoryStore();
    const created = await updateJson<{ n: number }>(store, KEY, (cur) => ({ n: (cur?.n ?? 0) + 1 }));
    expect(created.value).toEqual({ n: 1 });
    const updated = await updateJson<{ n: number }>(store, KEY, (cur) => ({ n: (cur?.n ?? 0) + 1 }));
    expect(updated).toEqual({ value: { n: 2 }, etag: store.blobs.get(KEY)?.etag });
    expect(await readJson(store, KEY)).toEqual(updated);
  });

  it('re-reads and re-applies the mutator after losing a race', async () => {
    const store = new MemoryStore();
    store.setJson(KEY, { n: 5 });
    store.beforePut = () => store.setJson(KEY, { n: 10 });
    const seen: (number | undefined)[] = [];
    const out = await updateJson<{ n: number }>(
      store,
      KEY,
      (cur) => {
        seen.push(cur?.n);
        return { n: (cur?.n ?? 0) + 1 };
      },
      { sleep: noSleep },
    );
    expect(seen).toEqual([5, 10]);
    expect(out.value).toEqual({ n: 11 });
  });

  it('loses a create race against a writer that created the key first', async () => {
    const store = new MemoryStore();
    store.beforePut = () => store.setJson(KEY, { n: 7 });
    const out = await updateJson<{ n: number }>(store, KEY, (cur) => ({ n: (cur?.n ?? 0) + 1 }), {
      sleep: noSleep,
    });
    expect(out.value).toEqual({ n: 8 });
  });

  it('gives up after maxAttempts with the conflict', async () => {
    const store = new MemoryStore();
    let attempts = 0;
    const mutate = (cur: { n: number } | undefined) => {
      attempts++;
      store.beforePut = () => store.setJson(KEY, { n: attempts * 100 });
      return { n: (cur?.n ?? 0) + 1 };
    };
    await expect(updateJson(store, KEY, mutate, { maxAttempts: 3, sleep: noSleep })).rejects.toBeInstanceOf(
      StateConflictError,
    );
    expect(attempts).toBe(3);
  });

  it('writes nothing when the mutator returns undefined or an equal document', async () => {
    const store = new MemoryStore();
    await updateJson(store, KEY, () => ({ a: 1, b: [1, 2] }));
    expect(store.puts).toBe(1);
    await updateJson(store, KEY, () => undefined);
    await updateJson<{ a: number; b: number[] }>(store, KEY, (cur) => ({ a: 1, b: [...(cur?.b ?? [])] }));
    expect(store.puts).toBe(1);
  });

  it('reports a document that is not JSON', async () => {
    const store = new MemoryStore();
    store.blobs.set(KEY, { body: new TextEncoder().encode('{nope'), etag: '"1"' });
    await expect(readJson(store, KEY)).rejects.toThrow(StateStoreError);
    await expect(readJson(store, KEY)).rejects.toThrow(`state key ${KEY} does not hold valid JSON`);
  });
});

describe('leases', () => {
  const t0 = new Date('2026-11-25T12:00:00Z');
  const at = (s: number) => new Date(t0.getTime() + s * 1000);

  it('is exclusive until it expires, keeping other state', async () => {
    const store = new MemoryStore();
    store.setJson(KEY, { lastCommit: 'abc' } satisfies ReconcileState);
    expect(await acquireLease(store, KEY, 'a', 60_000, t0)).toBe(true);
    expect(await acquireLease(store, KEY, 'b', 60_000, at(30))).toBe(false);
    expect(await acquireLease(store, KEY, 'b', 60_000, at(61))).toBe(true);
    const { value } = await readJson<ReconcileState>(store, KEY);
    expect(value).toEqual({ lastCommit: 'abc', lease: { holder: 'b', expires: at(121).toISOString() } });
  });

  it('renews for the same holder', async () => {
    const store = new MemoryStore();
    expect(await acquireLease(store, KEY, 'a', 60_000, t0)).toBe(true);
    expect(await acquireLease(store, KEY, 'a', 60_000, at(50))).toBe(true);
    expect((await readJson<ReconcileState>(store, KEY)).value?.lease?.expires).toBe(at(110).toISOString());
  });

  it('is released only by its holder', async () => {
    const store = new MemoryStore();
    await acquireLease(store, KEY, 'a', 60_000, t0);
    expect(await releaseLease(store, KEY, 'b')).toBe(false);
    expect(await acquireLease(store, KEY, 'b', 60_000, at(1))).toBe(false);
    expect(await releaseLease(store, KEY, 'a')).toBe(true);
    expect((await readJson<ReconcileState>(store, KEY)).value).toEqual({});
    expect(await acquireLease(store, KEY, 'b', 60_000, at(2))).toBe(true);
  });

  it('releases from the version the lease wrote without reading; a stale one falls back to a read', async () => {
    const store = new MemoryStore();
    const reads = jest.spyOn(store, 'get');
    const leased = await takeLease<ReconcileState>(store, KEY, 'a', 60_000, t0);
    expect(leased?.value?.lease?.holder).toBe('a');
    reads.mockClear();
    expect(await releaseLease(store, KEY, 'a', leased)).toBe(true);
    expect(reads).not.toHaveBeenCalled();
    // Another holder took over after expiry: the known version is stale, the write conflicts, the
    // re-read shows the lease is no longer ours, and nothing is released.
    const again = await takeLease<ReconcileState>(store, KEY, 'a', 60_000, at(1));
    expect(await acquireLease(store, KEY, 'b', 60_000, at(62))).toBe(true);
    expect(await releaseLease(store, KEY, 'a', again)).toBe(false);
    expect((await readJson<ReconcileState>(store, KEY)).value?.lease?.holder).toBe('b');
  });

  it('never refuses a lease on a remembered version alone: a refusal is checked by a read', async () => {
    const store = new MemoryStore();
    const stale = await takeLease<ReconcileState>(store, KEY, 'b', 60_000, t0);
    expect(await releaseLease(store, KEY, 'b', stale)).toBe(true);
    // `stale` still shows b's lease; the store has none, so a takes it.
    expect(await takeLease(store, KEY, 'a', 60_000, at(1), stale)).toBeDefined();
    // And a remembered version that lets a write through is still checked by the conditional write.
    expect(await takeLease(store, KEY, 'c', 60_000, at(2), { value: {}, etag: '"0"' })).toBeUndefined();
  });

  it('releases nothing when there is no state', async () => {
    expect(await releaseLease(new MemoryStore(), KEY, 'a')).toBe(false);
  });
});
