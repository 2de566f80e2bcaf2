/**
 * The contracts between the parts of the serverless runtime (DESIGN.md §3): what the shim pushes to the
 * ingest function and how it signs it, what a mirrored KluctlDeployment looks like in the state store,
 * what a reconcile message carries, and the ports for the queue and the cluster registry. Every part
 * (shim, ingest, schedule, webhook, reconcile, local runner, event pump) speaks through these types, so
 * they are the one home of the wire format.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { KluctlDeployment } from '../api/types.js';

/** Version tag of the signature scheme; part of the signed string and of the header value. */
export const SIGNATURE_VERSION = 'v1';

/** Headers of a signed shim push. */
export const SHIM_HEADERS = {
  cluster: 'x-ks-cluster',
  timestamp: 'x-ks-timestamp',
  signature: 'x-ks-signature',
} as const;

/** How far a push's timestamp may be from the receiver's clock, either way. */
export const REPLAY_WINDOW_MS = 5 * 60_000;

/** Largest shim push body the ingest endpoint accepts. */
export const MAX_PUSH_BYTES = 1024 * 1024;

/**
 * One KluctlDeployment as the shim saw it: metadata the reconciler decides on, and the spec. Status is
 * left out: the reconciler writes it and reads it back from the cluster.
 */
export interface MirroredDeployment {
  readonly metadata: Pick<
    KluctlDeployment['metadata'],
    | 'name'
    | 'namespace'
    | 'uid'
    | 'generation'
    | 'resourceVersion'
    | 'labels'
    | 'annotations'
    | 'deletionTimestamp'
    | 'finalizers'
  >;
  readonly spec: KluctlDeployment['spec'];
}

/**
 * The body of a shim push. `upsert` carries objects that were created or changed; `delete` objects
 * that are gone from the cluster (finalizer already removed); `resync` the complete list of the
 * cluster's deployments, so the receiver can drop mirrors of objects it no longer sees. A resync entry
 * without `spec` (metadata name and namespace only) just says the object exists: a cluster too large
 * for one push (MAX_PUSH_BYTES) sends its objects as upserts in parts, then one resync of names.
 */
export interface ShimPush {
  readonly clusterId: string;
  readonly kind: 'upsert' | 'delete' | 'resync';
  readonly objects: readonly MirroredDeployment[];
}

/** The mirror document kept per deployment in the state store (`mirrorKey` in state/layout.ts). */
export interface MirrorDocument {
  readonly clusterId: string;
  /** When ingest wrote this mirror (ISO 8601). */
  readonly receivedAt: string;
  readonly object: MirroredDeployment;
}

/** Why a reconcile was enqueued (for logs and metrics). */
export type ReconcileReason =
  'created' | 'generation' | 'request' | 'deletion' | 'schedule' | 'webhook' | 'resync';

/** The body of a reconcile queue message. */
export interface ReconcileMessage {
  readonly clusterId: string;
  readonly namespace: string;
  readonly name: string;
  readonly reason: ReconcileReason;
  /**
   * Messages with equal ids within the queue's deduplication window (SQS: 5 minutes) are delivered
   * once; absent: every message is delivered. It travels beside the body (SQS
   * `MessageDeduplicationId`), not in it.
   */
  readonly deduplicationId?: string;
}

/** The queue of reconcile messages (SQS FIFO in AWS, in-process in the local runner). */
export interface ReconcileQueue {
  /**
   * Enqueues messages; one ordered group per deployment (`messageGroupId`). Messages with the same
   * `deduplicationId` within the queue's deduplication window are delivered once.
   */
  enqueue(messages: readonly ReconcileMessage[]): Promise<void>;
}

/** The FIFO group of a deployment: all its messages are processed in order, one at a time. */
export function messageGroupId(m: Pick<ReconcileMessage, 'clusterId' | 'namespace' | 'name'>): string {
  return `${m.clusterId}/${m.namespace}/${m.name}`;
}

/** The default name prefix of the cluster secrets (one secret per registered cluster). */
export const CLUSTER_SECRET_PREFIX = 'kluctl-serverless/clusters/';

/** A registered cluster: where its API server is, how to reach it, and the shim's signing key. */
export interface ClusterRegistration {
  /** The cluster id: the UID of its kube-system namespace (Kluctl's cluster id). */
  readonly id: string;
  /** Name for people (logs, UI); defaults to the id. */
  readonly displayName?: string;
}

/** Looks up registered clusters; secrets stay behind this port and never enter messages or logs. */
export interface ClusterRegistry {
  /** The registrations, for listing. */
  list(): Promise<readonly ClusterRegistration[]>;
  /** The shim's HMAC key of a cluster; undefined for an unknown cluster. */
  shimKey(clusterId: string): Promise<Uint8Array | undefined>;
  /** A kubeconfig (YAML) reaching the cluster's API server with the reconciler's identity. */
  kubeconfig(clusterId: string): Promise<string | undefined>;
}

/** The signature header value of a push: `v1=<hex HMAC-SHA256>` over version, cluster, time and body. */
export function signPush(key: Uint8Array, clusterId: string, timestampSec: number, body: string): string {
  const mac = createHmac('sha256', key)
    .update(`${SIGNATURE_VERSION}:${clusterId}:${timestampSec}:`)
    .update(body)
    .digest('hex');
  return `${SIGNATURE_VERSION}=${mac}`;
}

/** Why a signed push was refused; `ok` when it was accepted. */
export type SignatureVerdict = 'ok' | 'missing' | 'malformed' | 'expired' | 'mismatch';

/**
 * Checks a push signature in constant time (for equal-length inputs) and its timestamp against the
 * replay window. The caller answers anything but `ok` with 401 and enqueues nothing.
 */
export function verifyPush(
  key: Uint8Array,
  headers: { clusterId?: string; timestamp?: string; signature?: string },
  body: string,
  nowMs: number,
): SignatureVerdict {
  const { clusterId, timestamp, signature } = headers;
  if (!clusterId || !timestamp || !signature) return 'missing';
  if (!/^\d{1,12}$/.test(timestamp) || !signature.startsWith(`${SIGNATURE_VERSION}=`)) return 'malformed';
  const ts = Number(timestamp);
  if (Math.abs(nowMs - ts * 1000) > REPLAY_WINDOW_MS) return 'expired';
  const want = Buffer.from(signPush(key, clusterId, ts, body));
  const got = Buffer.from(signature);
  // timingSafeEqual needs equal lengths; comparing against itself keeps the time independent of `got`.
  if (got.length !== want.length) {
    timingSafeEqual(want, want);
    return 'mismatch';
  }
  return timingSafeEqual(got, want) ? 'ok' : 'mismatch';
}
