/**
 * The client side of Kluctl's manual request protocol (the server side is
 * lib/reconcile/manual-requests.ts): set `kluctl.io/request-<kind>` to a `ManualRequest` JSON, wait
 * until `status.<kind>RequestResult` names the request (the reconciler took it), then until it has an
 * end time. Polls once a second, as Kluctl's CLI does; reports what it waits for and the status
 * messages of the run through `onProgress`.
 */
import type { KluctlDeployment, ManualRequest, ManualRequestResult } from '../api/types.js';
import { KsError } from '../errors.js';
import type { KubeClient, ObjectRef } from '../ports.js';
import { REQUEST_RESULT_FIELD, requestAnnotationPatch } from '../reconcile/manual-requests.js';
import type { RequestKind } from '../reconcile/manual-requests.js';
import { KLUCTL_DEPLOYMENTS } from '../shim/deployment-informer.js';

/** Kluctl's CLI writes as this field manager. */
export const GITOPS_CLI_FIELD_MANAGER = 'kluctl';

/** The ref of a KluctlDeployment. */
export function deploymentRef(kd: Pick<KluctlDeployment, 'metadata'>): ObjectRef {
  return {
    group: KLUCTL_DEPLOYMENTS.group,
    version: KLUCTL_DEPLOYMENTS.version,
    kind: KLUCTL_DEPLOYMENTS.kind,
    name: kd.metadata.name,
    namespace: kd.metadata.namespace ?? '',
  };
}

/** A request value as Kluctl makes one: the current time (RFC 3339, sub-second). */
export function newRequestValue(now: Date): string {
  return now.toISOString();
}

/** Sets the request annotation (merge patch, so other annotations stay). */
export async function sendRequest(
  kube: KubeClient,
  ref: ObjectRef,
  kind: RequestKind,
  request: ManualRequest,
): Promise<void> {
  await kube.mergePatch(ref, requestAnnotationPatch(kind, request), {
    fieldManager: GITOPS_CLI_FIELD_MANAGER,
  });
}

/** What the wait reports. */
export type WaitEvent =
  | { readonly type: 'waiting-for-start' }
  | { readonly type: 'started'; readonly reconcileId: string }
  | { readonly type: 'status'; readonly message: string };

/** Options of {@link waitForRequest}. */
export interface WaitOptions {
  /** Called on each step and each new status message of the run. */
  readonly onProgress?: (e: WaitEvent) => void;
  /** Pause between reads; default 1000 ms (Kluctl's). */
  readonly pollMs?: number;
  /** Stops waiting (e.g. Ctrl-C or a `--timeout`). */
  readonly signal?: AbortSignal;
}

/** Waits until the reconciler took the request with `requestValue` and finished it; returns the record. */
export async function waitForRequest(
  kube: KubeClient,
  ref: ObjectRef,
  kind: RequestKind,
  requestValue: string,
  opts: WaitOptions = {},
): Promise<ManualRequestResult> {
  const field = REQUEST_RESULT_FIELD[kind];
  const pollMs = opts.pollMs ?? 1000;
  let started = false;
  let lastMessage = '';
  opts.onProgress?.({ type: 'waiting-for-start' });
  for (;;) {
    if (opts.signal?.aborted) {
      throw new KsError('Aborted', `stopped waiting for the ${kind} request ${requestValue}`, {
        cause: opts.signal.reason,
      });
    }
    const kd = (await kube.get(ref)) as KluctlDeployment | undefined;
    if (!kd) throw new KsError('KubeNotFound', `KluctlDeployment ${ref.namespace}/${ref.name} is gone`);
    const rr = kd.status?.[field];
    if (rr && rr.request.requestValue === requestValue) {
      if (!started) {
        started = true;
        opts.onProgress?.({ type: 'started', reconcileId: rr.reconcileId });
      }
      if (rr.endTime) return rr;
      const message = runningMessage(kd);
      if (message && message !== lastMessage) {
        lastMessage = message;
        opts.onProgress?.({ type: 'status', message });
      }
    }
    await pause(pollMs, opts.signal);
  }
}

/** The message of the Reconciling condition while the run works (e.g. `Performing deploy`). */
function runningMessage(kd: KluctlDeployment): string | undefined {
  return kd.status?.conditions?.find((c) => c.type === 'Reconciling' && c.status === 'True')?.message;
}

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
