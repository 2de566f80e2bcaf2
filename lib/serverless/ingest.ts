/**
 * The ingest entry point (DESIGN.md §3): authenticates a shim push, mirrors each KluctlDeployment to
 * the state store and enqueues a reconcile when the object asks for one (mirror-change.ts).
 *
 * Order of effects per object, chosen so that a failure at any step is repaired by the shim's retry of
 * the same push: enqueue, schedule index entry, change callback, then the mirror write last. The mirror
 * is the commit point: until it is written, a retry sees the same change again and repeats the earlier
 * steps (the queue drops the repeated message by its deterministic deduplication id). Removal runs the
 * other way round (mirror first, index entry after), so a mirror never exists without its index entry,
 * and a resync can find every mirror of a cluster through the index without listing the bucket.
 */
import { createHash } from 'node:crypto';
import { intervalMs } from '../api/spec-defaults.js';
import { KsError, StateConflictError } from '../errors.js';
import type { Clock, Logger, StateStore } from '../ports.js';
import { goJson } from '../project/objects-hash.js';
import { mirrorKey } from '../state/layout.js';
import type { DeploymentId } from '../state/layout.js';
import { readJson, serializeJson } from '../state/json-state.js';
import { mapBounded } from '../util/semaphore.js';
import { mirrorChange } from './mirror-change.js';
import type { MirrorChange } from './mirror-change.js';
import { namesOnly, parseShimPush } from './parse-push.js';
import { MAX_PUSH_BYTES, SHIM_HEADERS, verifyPush } from './protocol.js';
import type {
  ClusterRegistry,
  MirrorDocument,
  MirroredDeployment,
  ReconcileMessage,
  ReconcileQueue,
  ShimPush,
} from './protocol.js';
import { editScheduleIndex, entryName, readClusterScheduleIndex } from './schedule-index.js';

/** What ingest needs; built once per cold start by functions/ingest, or by the local runner. */
export interface IngestDeps {
  readonly store: StateStore;
  readonly queue: ReconcileQueue;
  readonly clusters: Pick<ClusterRegistry, 'shimKey'>;
  readonly clock: Clock;
  readonly logger: Logger;
  /**
   * Told about every mirror about to be written (or, with undefined, removed), e.g. to keep the
   * webhook's repository index current. Called before the mirror is committed, so when it throws the
   * push fails and the shim's retry calls it again: it must be idempotent.
   */
  readonly onMirrorChanged?: (mirror: MirrorDocument | undefined, id: DeploymentId) => void | Promise<void>;
}

/** A push as received: header names in lower case (as API Gateway v2 hands them over), raw body. */
export interface IngestRequest {
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: string;
}

/** What one accepted push did. */
export interface IngestCounts {
  readonly objects: number;
  /** Mirrors created or rewritten. */
  readonly written: number;
  /** Objects whose mirror already said the same (e.g. a status-only change). */
  readonly unchanged: number;
  /** Objects older than their mirror (late retries), ignored. */
  readonly stale: number;
  /** Mirrors removed (delete push, or absent from a resync). */
  readonly removed: number;
  readonly enqueued: number;
}

/** The answer to a push: HTTP status and JSON body. */
export type IngestResult =
  | { readonly status: 200; readonly body: IngestCounts }
  | { readonly status: 400 | 401 | 413; readonly body: { readonly error: string } };

const CLUSTER_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** Conflicting writers of one mirror are rare (one shim per cluster); give up after a few rounds. */
const MAX_ATTEMPTS = 5;

/** Handles one shim push. Store and queue failures are thrown (retryable): answer them with 5xx. */
export async function ingestPush(deps: IngestDeps, req: IngestRequest): Promise<IngestResult> {
  if (Buffer.byteLength(req.body, 'utf8') > MAX_PUSH_BYTES) {
    return {
      status: 413,
      body: { error: `push body exceeds ${MAX_PUSH_BYTES} bytes; send fewer objects per push` },
    };
  }
  const clusterId = req.headers[SHIM_HEADERS.cluster];
  const refused = await authenticate(deps, req, clusterId);
  if (refused) return refused;
  let push: ShimPush;
  try {
    push = parseShimPush(req.body, clusterId!);
  } catch (err) {
    if (!(err instanceof KsError)) throw err;
    deps.logger.warn('shim push invalid', { clusterId, error: err.message });
    return { status: 400, body: { error: err.message } };
  }
  const counts = push.kind === 'delete' ? await removeMirrors(deps, push) : await upsertMirrors(deps, push);
  deps.logger.info('shim push ingested', { clusterId, kind: push.kind, ...counts });
  return { status: 200, body: counts };
}

/** The 401 answer, or undefined when the push is signed with the cluster's key. */
async function authenticate(
  deps: IngestDeps,
  req: IngestRequest,
  clusterId: string | undefined,
): Promise<IngestResult | undefined> {
  const refuse = (verdict: string): IngestResult => {
    // The verdict helps an operator (clock skew, wrong key); the key itself is never logged.
    deps.logger.warn('shim push refused', {
      verdict,
      clusterId: clusterId && CLUSTER_ID.test(clusterId) ? clusterId : undefined,
    });
    // Unknown cluster and wrong signature answer alike, so the answer tells nobody which clusters exist.
    const shown = verdict === 'unknown-cluster' || verdict === 'mismatch' ? 'signature refused' : verdict;
    return { status: 401, body: { error: `unauthorized: ${shown}` } };
  };
  if (clusterId !== undefined && !CLUSTER_ID.test(clusterId)) return refuse('malformed');
  const key = clusterId ? await deps.clusters.shimKey(clusterId) : undefined;
  const headers = {
    ...(clusterId !== undefined ? { clusterId } : {}),
    ...optionalHeader('timestamp', req.headers[SHIM_HEADERS.timestamp]),
    ...optionalHeader('signature', req.headers[SHIM_HEADERS.signature]),
  };
  if (!key) {
    // Check the headers anyway, so a missing header reads as such and not as an unknown cluster.
    const verdict = verifyPush(new Uint8Array(32), headers, req.body, deps.clock.now().getTime());
    return refuse(verdict === 'mismatch' || verdict === 'ok' ? 'unknown-cluster' : verdict);
  }
  const verdict = verifyPush(key, headers, req.body, deps.clock.now().getTime());
  return verdict === 'ok' ? undefined : refuse(verdict);
}

/** A decided upsert of one object: what its mirror holds now and what the push changes. */
interface UpsertPlan {
  readonly id: DeploymentId;
  readonly object: MirroredDeployment;
  readonly etag: string | undefined;
  readonly change: MirrorChange;
}

/** Mirrors the objects of an upsert or resync push; a resync also removes the mirrors it did not list. */
async function upsertMirrors(deps: IngestDeps, push: ShimPush): Promise<IngestCounts> {
  const full = push.objects.filter((o) => !namesOnly(o));
  const plans = await mapBounded(full, 16, (o) => planUpsert(deps, idOf(push.clusterId, o), o));
  const outcomes = await applyUpserts(deps, push.kind, plans, 1);
  let removed = 0;
  if (push.kind === 'resync') {
    const listed = new Set(push.objects.map((o) => entryName(idOf(push.clusterId, o))));
    const indexed = await readClusterScheduleIndex(deps.store, push.clusterId);
    const gone = indexed.filter((d) => !listed.has(entryName(d)));
    await removeIds(deps, gone);
    removed = gone.length;
  }
  const count = (f: (c: MirrorChange) => boolean) => outcomes.filter(f).length;
  return {
    objects: push.objects.length,
    written: count((c) => c.write),
    unchanged: count((c) => !c.write && !c.stale) + push.objects.length - full.length,
    stale: count((c) => c.stale === true),
    removed,
    enqueued: count((c) => c.reason !== undefined),
  };
}

async function planUpsert(
  deps: IngestDeps,
  id: DeploymentId,
  object: MirroredDeployment,
): Promise<UpsertPlan> {
  const current = await readJson<MirrorDocument>(deps.store, mirrorKey(id.clusterId, id.namespace, id.name));
  return { id, object, etag: current.etag, change: mirrorChange(current.value?.object, object) };
}

/**
 * Runs the plans' effects in the order the module comment explains, batched over all objects: one
 * enqueue, one index edit, then the mirror writes. Objects whose write lost a race are planned again
 * from their new mirror and retried, a bounded number of times.
 */
async function applyUpserts(
  deps: IngestDeps,
  kind: ShimPush['kind'],
  plans: readonly UpsertPlan[],
  attempt: number,
): Promise<MirrorChange[]> {
  const now = deps.clock.now();
  const messages = plans.flatMap((p) =>
    p.change.reason ? [reconcileMessage(p.id, p.object, p.change.reason)] : [],
  );
  if (messages.length > 0) await deps.queue.enqueue(messages);
  // A new object is reconciled now through the queue; the schedule takes over one interval later. A
  // resync re-adds entries lost to a crash between an index and a mirror write, due at once.
  const ensure = plans
    .filter((p) => p.change.reason === 'created' || kind === 'resync')
    .map((p) => {
      const first = p.change.reason === 'created' ? now.getTime() + intervalMs(p.object.spec) : now.getTime();
      return { namespace: p.id.namespace, name: p.id.name, nextRunAt: new Date(first) };
    });
  if (ensure.length > 0) await editScheduleIndex(deps.store, plans[0]!.id.clusterId, { ensure });
  const lost: UpsertPlan[] = [];
  const done: MirrorChange[] = [];
  await mapBounded(plans, 16, async (p) => {
    if ((await commit(deps, p, now)) === 'won') done.push(p.change);
    else lost.push(p);
  });
  if (lost.length === 0) return done;
  if (attempt >= MAX_ATTEMPTS) {
    throw new StateConflictError(
      `mirror of ${lost.map((p) => entryName(p.id)).join(', ')} kept changing under ${MAX_ATTEMPTS} attempts; the shim will retry`,
    );
  }
  deps.logger.debug('mirror writes lost a race; retrying', { attempt, objects: lost.length });
  const again = await mapBounded(lost, 16, (p) => planUpsert(deps, p.id, p.object));
  return [...done, ...(await applyUpserts(deps, kind, again, attempt + 1))];
}

/** Writes one planned mirror conditionally; 'lost' when another writer changed it since it was read. */
async function commit(deps: IngestDeps, p: UpsertPlan, now: Date): Promise<'won' | 'lost'> {
  if (!p.change.write) return 'won';
  const mirror: MirrorDocument = {
    clusterId: p.id.clusterId,
    receivedAt: now.toISOString(),
    object: p.object,
  };
  await deps.onMirrorChanged?.(mirror, p.id);
  try {
    await deps.store.put(mirrorKey(p.id.clusterId, p.id.namespace, p.id.name), serializeJson(mirror), {
      ...(p.etag === undefined ? { ifNoneMatch: '*' as const } : { ifMatch: p.etag }),
      contentType: 'application/json',
    });
    return 'won';
  } catch (err) {
    if (err instanceof StateConflictError) return 'lost';
    throw err;
  }
}

/** A delete push: the objects are gone from the cluster (their finalizer ran); drop their mirrors. */
async function removeMirrors(deps: IngestDeps, push: ShimPush): Promise<IngestCounts> {
  const found = await mapBounded(push.objects, 16, async (o) => {
    const id = idOf(push.clusterId, o);
    const current = await readJson<MirrorDocument>(
      deps.store,
      mirrorKey(id.clusterId, id.namespace, id.name),
    );
    // A late delete of an object that was created again under the same name must not drop the new one.
    const stale = !!current.value && !!o.metadata.uid && current.value.object.metadata.uid !== o.metadata.uid;
    return { id, exists: current.value !== undefined, stale };
  });
  const remove = found.filter((f) => !f.stale);
  // Ids without a mirror still go through: their index entry may have outlived the mirror.
  await removeIds(
    deps,
    remove.map((f) => f.id),
  );
  const removed = remove.filter((f) => f.exists).length;
  const stale = found.length - remove.length;
  return {
    objects: found.length,
    written: 0,
    unchanged: remove.length - removed,
    stale,
    removed,
    enqueued: 0,
  };
}

/** Removes mirrors, then their index entries (never the other way round: see the module comment). */
async function removeIds(deps: IngestDeps, ids: readonly DeploymentId[]): Promise<void> {
  if (ids.length === 0) return;
  await mapBounded(ids, 16, async (id) => {
    await deps.onMirrorChanged?.(undefined, id);
    await deps.store.delete(mirrorKey(id.clusterId, id.namespace, id.name));
  });
  await editScheduleIndex(deps.store, ids[0]!.clusterId, { remove: ids });
}

function idOf(clusterId: string, o: MirroredDeployment): DeploymentId {
  return { clusterId, namespace: o.metadata.namespace!, name: o.metadata.name };
}

/**
 * The message for a trigger. Its deduplication id depends only on the pushed object state and the
 * reason, so the shim's retry of the same push enqueues nothing new.
 */
function reconcileMessage(
  id: DeploymentId,
  object: MirroredDeployment,
  reason: MirrorChange['reason'],
): ReconcileMessage {
  const dedup = createHash('sha256')
    .update(`${id.clusterId}\n${reason}\n${goJson(object.metadata)}`)
    .digest('hex');
  return {
    clusterId: id.clusterId,
    namespace: id.namespace,
    name: id.name,
    reason: reason!,
    deduplicationId: dedup,
  };
}

function optionalHeader<K extends string>(name: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [name]: value }) as { [P in K]?: string };
}
