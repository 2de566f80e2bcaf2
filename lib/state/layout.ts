/**
 * The layout of the state store (bucket or local folder): the ONE place that names keys (STYLE.md
 * rule 6, DESIGN.md §4). Every key is built here; nothing else concatenates key strings.
 *
 *   clusters/<clusterId>/deployments/<namespace>/<name>/
 *       mirror.json              the KluctlDeployment as the shim last pushed it (spec, generation,
 *                                annotations, deletion); written by ingest
 *       state.json               reconcile state (ReconcileState in json-state.ts): last objects hash,
 *                                last deploy/validate/drift times and summaries, drift resource
 *                                versions, and the lease against concurrent reconciles
 *       repo-link.json           which repos/<repoKey>/deployments.json lists this deployment, so a
 *                                changed URL or a deletion leaves the old index (serverless/repo-index.ts)
 *   results/<clusterId>/<namespace>/<name>/<resultId>.json.gz
 *                                command results (gzip JSON, Secret values obfuscated); retention
 *                                deletes the oldest, and a lifecycle rule on `results/` (infra/)
 *                                expires what retention missed, which a prefix in the deployment
 *                                folder could not express
 *   results/<clusterId>/<namespace>/<name>/logs/<end time>-<reconcileId>.jsonl.gz
 *                                the log lines of one reconcile (`gitops logs`; reconcile/reconcile-log.ts),
 *                                newest 20 kept, expired by the same lifecycle rule
 *   schedule/<clusterId>/<shard>.json
 *                                schedule index (lib/serverless/schedule-index.ts): `namespace/name` →
 *                                next run time, so the schedule tick reads SCHEDULE_SHARDS small
 *                                documents per cluster instead of every mirror. `<shard>` is two hex
 *                                digits from a hash of `namespace/name` (`scheduleShardKey`). Ingest
 *                                adds and drops entries; the reconcile side moves `nextRunAt` after each
 *                                run. Shards spread the conditional writes so concurrent reconciles
 *                                seldom retry on one ETag.
 *   repos/<repoKey>/deployments.json
 *                                index from a Git repository to the deployments that use it (webhooks)
 *   clone-cache/<repoKey>/refs/<branch|tag|head>/<ref>.json
 *                                short-lived "ref → commit" entry
 *   clone-cache/<repoKey>/commits/<commit>.tar.gz
 *                                immutable snapshot of one commit's tree (without .git)
 *   clone-cache/<repoKey>/commits/<commit>.json
 *                                its digest and size, written after the snapshot, so a snapshot
 *                                counts only once complete; checked on every read
 *   clone-cache/.scope-key      32 random bytes: the HMAC key of the credential part of a clone
 *                                cache scope (`<repoKey>@<hmac>`), so no key derives from a secret
 *                                without it; expires with the cache (a new one makes a cold cache)
 *
 * `<clusterId>` is the UID of kube-system (Kluctl's cluster id). `<repoKey>` is the normalized
 * repository (`host[:port]/path`, see Kluctl's RepoKey) with every byte outside [A-Za-z0-9._-] (and a
 * leading '.') percent-encoded, so it is one segment. Branch and tag names are encoded the same way.
 * Caches (`clone-cache/`) may be dropped at any time; lifecycle rules in infra/ expire them.
 */
import { createHash } from 'node:crypto';
import { KsError } from '../errors.js';
import type { GitRef } from '../ports.js';

/** Folder of one KluctlDeployment's state, with trailing slash. */
export function deploymentKey(clusterId: string, namespace: string, name: string): string {
  return `${clusterDeploymentsPrefix(clusterId)}${segment(namespace, 'namespace')}/${segment(name, 'name')}/`;
}

/** Prefix under which every deployment of one cluster lives (for listing). */
export function clusterDeploymentsPrefix(clusterId: string): string {
  return `clusters/${segment(clusterId, 'cluster id')}/deployments/`;
}

/** Prefix of every cluster (for listing all deployments everywhere). */
export const CLUSTERS_PREFIX = 'clusters/';

/** The KD as pushed by the shim. */
export function mirrorKey(clusterId: string, namespace: string, name: string): string {
  return `${deploymentKey(clusterId, namespace, name)}mirror.json`;
}

/** Reconcile state of one deployment. */
export function stateKey(clusterId: string, namespace: string, name: string): string {
  return `${deploymentKey(clusterId, namespace, name)}state.json`;
}

/** Prefix of every stored command result (lifecycle rules). */
export const RESULTS_PREFIX = 'results/';

/** Prefix of the stored command results of one deployment. */
export function resultsPrefix(clusterId: string, namespace: string, name: string): string {
  return `${RESULTS_PREFIX}${segment(clusterId, 'cluster id')}/${segment(namespace, 'namespace')}/${segment(name, 'name')}/`;
}

/** One stored command result (gzip JSON). */
export function resultKey(clusterId: string, namespace: string, name: string, resultId: string): string {
  return `${resultsPrefix(clusterId, namespace, name)}${segment(resultId, 'result id')}.json.gz`;
}

/** Prefix of the stored reconcile logs of one deployment (lib/reconcile/reconcile-log.ts). */
export function reconcileLogsPrefix(clusterId: string, namespace: string, name: string): string {
  return `${resultsPrefix(clusterId, namespace, name)}logs/`;
}

/** The log of one reconcile (gzip JSON lines); `name` is `<end time>-<reconcile id>`. */
export function reconcileLogKey(clusterId: string, namespace: string, name: string, logName: string): string {
  return `${reconcileLogsPrefix(clusterId, namespace, name)}${segment(logName, 'log name')}.jsonl.gz`;
}

/** Identifies a deployment whose key was found by listing. */
export interface DeploymentId {
  readonly clusterId: string;
  readonly namespace: string;
  readonly name: string;
}

/** Parses a key below `clusters/`; undefined for keys outside a deployment folder. */
export function parseDeploymentKey(key: string): (DeploymentId & { file: string }) | undefined {
  const m = /^clusters\/([^/]+)\/deployments\/([^/]+)\/([^/]+)\/(.+)$/.exec(key);
  if (!m) return undefined;
  return { clusterId: m[1]!, namespace: m[2]!, name: m[3]!, file: m[4]! };
}

/** Which repository index lists the deployment (serverless/repo-index.ts). */
export function repoLinkKey(clusterId: string, namespace: string, name: string): string {
  return `${deploymentKey(clusterId, namespace, name)}repo-link.json`;
}

/** Prefix of the schedule index of every cluster (for the tick's one listing). */
export const SCHEDULE_PREFIX = 'schedule/';

/**
 * Shards of the schedule index per cluster. Changing it moves entries between shards: every writer
 * and the tick must agree, so it is fixed here.
 */
export const SCHEDULE_SHARDS = 16;

/** The schedule index shard holding a deployment's entry. */
export function scheduleShardKey(id: DeploymentId): string {
  const shard = createHash('sha256').update(`${id.namespace}/${id.name}`).digest().readUInt32BE(0);
  return scheduleShardKeyAt(id.clusterId, shard % SCHEDULE_SHARDS);
}

/** The schedule index shard number `shard` (0 ≤ shard < SCHEDULE_SHARDS) of a cluster. */
export function scheduleShardKeyAt(clusterId: string, shard: number): string {
  if (!Number.isInteger(shard) || shard < 0 || shard >= SCHEDULE_SHARDS) {
    throw new KsError('InvalidInput', `schedule shard ${shard} is outside 0..${SCHEDULE_SHARDS - 1}`);
  }
  return `${SCHEDULE_PREFIX}${segment(clusterId, 'cluster id')}/${shard.toString(16).padStart(2, '0')}.json`;
}

/** The cluster of a schedule index shard key; undefined for other keys. */
export function parseScheduleShardKey(key: string): { clusterId: string; shard: number } | undefined {
  const m = /^schedule\/([^/]+)\/([0-9a-f]{2})\.json$/.exec(key);
  return m ? { clusterId: m[1]!, shard: parseInt(m[2]!, 16) } : undefined;
}

/** Index from a repository to the deployments using it. */
export function repoIndexKey(repoKey: string): string {
  return `repos/${encodeSegment(repoKey, 'repository key')}/deployments.json`;
}

/** Short-lived "ref → commit" cache entry; the default branch is `head/HEAD`. */
export function cloneRefCacheKey(repoKey: string, ref: GitRef): string {
  const [kind, value] = ref.branch ? ['branch', ref.branch] : ref.tag ? ['tag', ref.tag] : ['head', 'HEAD'];
  if (ref.commit)
    throw new KsError('InvalidInput', 'a commit needs no ref cache entry; use cloneSnapshotKey');
  return `${cloneCachePrefix(repoKey)}refs/${kind}/${encodeSegment(value, `${kind} name`)}.json`;
}

/** Immutable snapshot of one commit's tree. */
export function cloneSnapshotKey(repoKey: string, commit: string): string {
  if (!/^[0-9a-f]{40}$/.test(commit)) {
    throw new KsError('InvalidInput', `invalid commit '${commit}': expected 40 lowercase hex characters`);
  }
  return `${cloneCachePrefix(repoKey)}commits/${commit}.tar.gz`;
}

/** The digest record of a snapshot (see {@link cloneSnapshotKey}). */
export function cloneSnapshotMetaKey(repoKey: string, commit: string): string {
  return cloneSnapshotKey(repoKey, commit).replace(/\.tar\.gz$/, '.json');
}

/**
 * Prefix of every clone cache scope of one repository (a scope is `<repoKey>@<hash>`, see
 * lib/serverless/clone-cache.ts), whatever URL form and credentials fetched it.
 */
export function cloneCacheRepoPrefix(repoKey: string): string {
  return `clone-cache/${encodeSegment(`${repoKey}@`, 'repository key')}`;
}

/** The HMAC key of clone cache scopes (lib/serverless/clone-cache.ts). */
export const CLONE_CACHE_SCOPE_KEY = 'clone-cache/.scope-key';

/** Prefix of one repository's clone cache. */
export function cloneCachePrefix(repoKey: string): string {
  return `clone-cache/${encodeSegment(repoKey, 'repository key')}/`;
}

/** Checks a value used verbatim as one key segment (Kubernetes names and UIDs already are safe). */
function segment(value: string, what: string): string {
  if (
    value === '' ||
    value === '.' ||
    value === '..' ||
    value.startsWith('.ks-') ||
    !/^[A-Za-z0-9._:-]+$/.test(value)
  ) {
    throw new KsError(
      'InvalidInput',
      `invalid ${what} '${value}' for a state key: expected letters, digits, '.', '_', ':' or '-'`,
    );
  }
  return value;
}

/** Percent-encodes a free-form value (URLs, branch names) as UTF-8 into one ASCII segment. */
function encodeSegment(value: string, what: string): string {
  if (value === '') throw new KsError('InvalidInput', `empty ${what} for a state key`);
  let out = '';
  for (const [i, byte] of Buffer.from(value, 'utf8').entries()) {
    const c = String.fromCharCode(byte);
    // A leading '.' is encoded too, so no segment can read as '.', '..' or a store-internal name.
    const plain = /[A-Za-z0-9_-]/.test(c) || (c === '.' && i > 0);
    out += plain ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
