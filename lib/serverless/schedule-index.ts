/**
 * The schedule index (layout.ts `scheduleShardKey`): per cluster a fixed number of small JSON shards
 * mapping `namespace/name` to the deployment's next run time. The schedule tick reads only these
 * shards, so its cost grows with the number of shards, not with the number of deployments.
 *
 * Who writes what: ingest adds an entry when a deployment is first mirrored and drops it when the
 * mirror goes away (delete push, resync); the reconcile side moves `nextRunAt` after every run with
 * {@link recordNextRun}, which only updates entries that exist, so a reconcile finishing after its
 * deployment was deleted cannot bring the entry back. Every write is a conditional read-modify-write
 * (json-state.ts `updateJson`) and writes nothing when the shard would not change.
 */
import type { Clock, StateStore } from '../ports.js';
import {
  parseScheduleShardKey,
  SCHEDULE_PREFIX,
  SCHEDULE_SHARDS,
  scheduleShardKey,
  scheduleShardKeyAt,
} from '../state/layout.js';
import type { DeploymentId } from '../state/layout.js';
import { readJson, updateJson } from '../state/json-state.js';
import { mapBounded } from '../util/semaphore.js';

/** The entry of one deployment. */
export interface ScheduleIndexEntry {
  /** When the deployment is next due (RFC 3339); absent: no run is scheduled (e.g. suspended). */
  readonly nextRunAt?: string;
}

/** One shard document. */
export interface ScheduleShard {
  /** `namespace/name` → entry. */
  readonly deployments: Readonly<Record<string, ScheduleIndexEntry>>;
}

/** A deployment with its entry, as the tick reads it. */
export interface IndexedDeployment extends DeploymentId {
  readonly nextRunAt?: string;
}

/** Changes ingest makes to one cluster's index. */
export interface ScheduleIndexEdits {
  /** Deployments to index with this first due time; an existing entry is kept as it is. */
  readonly ensure?: readonly (Omit<DeploymentId, 'clusterId'> & { readonly nextRunAt: Date })[];
  /** Deployments to drop. */
  readonly remove?: readonly Omit<DeploymentId, 'clusterId'>[];
}

/** The key of a deployment inside its shard document. */
export function entryName(id: Pick<DeploymentId, 'namespace' | 'name'>): string {
  return `${id.namespace}/${id.name}`;
}

/**
 * Moves a deployment's next run time after a reconcile (undefined: none scheduled). Does nothing for a
 * deployment that is not indexed (its mirror was removed) and writes nothing when the time is unchanged.
 */
export async function recordNextRun(
  store: StateStore,
  id: DeploymentId,
  nextRunAt: Date | undefined,
): Promise<void> {
  const name = entryName(id);
  await updateJson<ScheduleShard>(store, scheduleShardKey(id), (current) => {
    if (!current?.deployments[name]) return undefined;
    const entry: ScheduleIndexEntry = nextRunAt ? { nextRunAt: nextRunAt.toISOString() } : {};
    return { deployments: { ...current.deployments, [name]: entry } };
  });
}

/**
 * {@link recordNextRun} for a long-lived process (a warm function): remembers what it recorded per
 * deployment and skips the shard read when a reconcile ends with the same next run time (a no-op
 * reconcile does), for at most `maxAgeMs` before checking the shard again. Only reconciles of a
 * deployment move its entry, so the remembered time goes stale only when another instance reconciled
 * it meanwhile; then the next tick still reconciles it, at that instance's time.
 */
export function nextRunRecorder(
  store: StateStore,
  opts: { clock: Clock; maxAgeMs?: number },
): (id: DeploymentId, nextRunAt: Date | undefined) => Promise<void> {
  const recorded = new Map<string, { at: string; when: number }>();
  const maxAgeMs = opts.maxAgeMs ?? 3_600_000;
  return async (id, nextRunAt) => {
    const key = `${id.clusterId}/${entryName(id)}`;
    const at = nextRunAt?.toISOString() ?? '';
    const now = opts.clock.now().getTime();
    const last = recorded.get(key);
    if (last && last.at === at && now - last.when < maxAgeMs) return;
    recorded.delete(key);
    await recordNextRun(store, id, nextRunAt);
    if (recorded.size >= 10_000) recorded.clear();
    recorded.set(key, { at, when: now });
  };
}

/** Applies ingest's edits to one cluster's index; returns how many entries were added and dropped. */
export async function editScheduleIndex(
  store: StateStore,
  clusterId: string,
  edits: ScheduleIndexEdits,
): Promise<{ added: number; removed: number }> {
  const byShard = new Map<string, { ensure: Map<string, string>; remove: Set<string> }>();
  const shardOf = (key: string) => {
    let s = byShard.get(key);
    if (!s) byShard.set(key, (s = { ensure: new Map(), remove: new Set() }));
    return s;
  };
  for (const e of edits.ensure ?? []) {
    shardOf(scheduleShardKey({ clusterId, ...e })).ensure.set(entryName(e), e.nextRunAt.toISOString());
  }
  for (const r of edits.remove ?? []) shardOf(scheduleShardKey({ clusterId, ...r })).remove.add(entryName(r));

  let added = 0;
  let removed = 0;
  await mapBounded([...byShard], 8, async ([key, want]) => {
    // Counted from the winning attempt only: the mutator may run again after a conflict.
    let a = 0;
    let r = 0;
    await updateJson<ScheduleShard>(store, key, (current) => {
      const next: Record<string, ScheduleIndexEntry> = { ...current?.deployments };
      a = r = 0;
      for (const name of want.remove) {
        if (next[name] === undefined) continue;
        delete next[name];
        r++;
      }
      for (const [name, at] of want.ensure) {
        if (next[name] || want.remove.has(name)) continue;
        next[name] = { nextRunAt: at };
        a++;
      }
      if (a === 0 && r === 0) return undefined;
      return { deployments: sortedRecord(next) };
    });
    added += a;
    removed += r;
  });
  return { added, removed };
}

/** Every indexed deployment of every cluster: one listing plus one read per shard. */
export async function readScheduleIndex(
  store: StateStore,
  opts: { concurrency?: number } = {},
): Promise<IndexedDeployment[]> {
  const keys = (await store.list(SCHEDULE_PREFIX)).filter((k) => parseScheduleShardKey(k));
  return (await mapBounded(keys, opts.concurrency ?? 32, (key) => readShard(store, key))).flat();
}

/** Every indexed deployment of one cluster (SCHEDULE_SHARDS reads, no listing). */
export async function readClusterScheduleIndex(
  store: StateStore,
  clusterId: string,
): Promise<IndexedDeployment[]> {
  const keys = Array.from({ length: SCHEDULE_SHARDS }, (_, i) => scheduleShardKeyAt(clusterId, i));
  return (await mapBounded(keys, SCHEDULE_SHARDS, (key) => readShard(store, key))).flat();
}

async function readShard(store: StateStore, key: string): Promise<IndexedDeployment[]> {
  const { clusterId } = parseScheduleShardKey(key)!;
  const doc = (await readJson<ScheduleShard>(store, key)).value;
  return Object.entries(doc?.deployments ?? {}).flatMap(([entry, value]) => {
    const slash = entry.indexOf('/');
    if (slash <= 0) return [];
    const id = { clusterId, namespace: entry.slice(0, slash), name: entry.slice(slash + 1) };
    return [value.nextRunAt ? { ...id, nextRunAt: value.nextRunAt } : id];
  });
}

/** Same entries in key order, so equal indexes serialize to equal bytes (and unchanged writes skip). */
function sortedRecord<T>(r: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
