/**
 * What the shim mirrors of a KluctlDeployment, and when a change matters. The reconciler decides on
 * spec, generation, annotations (manual requests), labels, deletion and finalizers; status is its own
 * output, so a write that changes only status (or only resourceVersion and managedFields) is no news
 * for ingest and is not pushed.
 */
import { isDeepStrictEqual } from 'node:util';
import type { KluctlDeployment } from '../api/types.js';
import type { KubeObject } from '../ports.js';
import type { MirroredDeployment } from '../serverless/protocol.js';

/**
 * kubectl's copy of the last applied manifest. It repeats the spec (doubling a push's size) and nothing
 * in the reconciler reads it, so the mirror leaves it out.
 */
export const KUBECTL_LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** The mirror of one KluctlDeployment as read from the API. */
export function mirrorOf(obj: KubeObject): MirroredDeployment {
  const m = obj.metadata;
  const annotations = m.annotations ? withoutLastApplied(m.annotations) : undefined;
  return {
    metadata: {
      name: m.name,
      ...(m.namespace !== undefined ? { namespace: m.namespace } : {}),
      ...(m.uid !== undefined ? { uid: m.uid } : {}),
      ...(m.generation !== undefined ? { generation: m.generation } : {}),
      ...(m.resourceVersion !== undefined ? { resourceVersion: m.resourceVersion } : {}),
      ...(m.labels ? { labels: m.labels } : {}),
      ...(annotations ? { annotations } : {}),
      ...(m.deletionTimestamp !== undefined ? { deletionTimestamp: m.deletionTimestamp } : {}),
      ...(m.finalizers ? { finalizers: m.finalizers } : {}),
    },
    spec: (obj as KluctlDeployment).spec,
  };
}

function withoutLastApplied(a: Record<string, string>): Record<string, string> | undefined {
  if (!(KUBECTL_LAST_APPLIED in a)) return a;
  const rest = Object.fromEntries(Object.entries(a).filter(([k]) => k !== KUBECTL_LAST_APPLIED));
  return Object.keys(rest).length ? rest : undefined;
}

/** `namespace/name`: one pending push per key, so the latest state of an object wins. */
export function deploymentKey(m: Pick<MirroredDeployment, 'metadata'>): string {
  return `${m.metadata.namespace ?? ''}/${m.metadata.name}`;
}

/**
 * Whether two mirrors of the same object differ in anything the reconciler reads. resourceVersion is
 * left out: it changes with every write, status included.
 */
export function sameMirror(a: MirroredDeployment, b: MirroredDeployment): boolean {
  const { resourceVersion: _ra, ...ma } = a.metadata;
  const { resourceVersion: _rb, ...mb } = b.metadata;
  return isDeepStrictEqual(ma, mb) && isDeepStrictEqual(a.spec, b.spec);
}
