/** A StateStore wrapper that counts calls per operation, for benchmarks that report request counts. */
import type { StateStore } from '../lib/ports.js';

/** `inner`, counting each call into `counts` (get, put, delete, list). */
export function countingStore(inner: StateStore, counts: Record<string, number>): StateStore {
  const bump = (k: string): void => void (counts[k] = (counts[k] ?? 0) + 1);
  return {
    get: (k) => (bump('get'), inner.get(k)),
    put: (k, b, c) => (bump('put'), inner.put(k, b, c)),
    delete: (k) => (bump('delete'), inner.delete(k)),
    list: (p) => (bump('list'), inner.list(p)),
  };
}
