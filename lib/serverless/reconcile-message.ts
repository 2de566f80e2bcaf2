/**
 * The reconcile function's trust boundary for queue messages (protocol.ts `ReconcileMessage`): a body
 * is parsed and checked once here, and trusted inside. Names are Kubernetes DNS names, the cluster id
 * one state-key segment (a kube-system UID in practice), the reason one of the contract's.
 */
import type { ReconcileMessage, ReconcileReason } from './protocol.js';

/** Every reason a sender may give; keep in step with `ReconcileReason`. */
const REASONS: Readonly<Record<ReconcileReason, true>> = {
  created: true,
  generation: true,
  request: true,
  deletion: true,
  schedule: true,
  webhook: true,
  resync: true,
};

const DNS_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const CLUSTER_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** Parses and checks one message body; undefined when it is malformed (no retry can fix it). */
export function parseReconcileMessage(body: string): ReconcileMessage | undefined {
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const m = v as Record<string, unknown>;
  const { clusterId, namespace, name, reason } = m;
  if (typeof clusterId !== 'string' || !CLUSTER_ID.test(clusterId)) return undefined;
  if (typeof namespace !== 'string' || !DNS_NAME.test(namespace)) return undefined;
  if (typeof name !== 'string' || !DNS_NAME.test(name)) return undefined;
  if (typeof reason !== 'string' || !Object.hasOwn(REASONS, reason)) return undefined;
  return { clusterId, namespace, name, reason: reason as ReconcileReason };
}
