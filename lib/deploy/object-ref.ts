/** Object references: built from objects, printed, and compared the way Kluctl compares them. */
import type { KubeObject, ObjectRef } from '../ports.js';

/** The ref of an object (group "" for core). */
export function refOf(obj: KubeObject): ObjectRef {
  const slash = obj.apiVersion.indexOf('/');
  const group = slash < 0 ? '' : obj.apiVersion.slice(0, slash);
  const version = slash < 0 ? obj.apiVersion : obj.apiVersion.slice(slash + 1);
  const ref: ObjectRef = { group, version, kind: obj.kind, name: obj.metadata.name };
  return obj.metadata.namespace ? { ...ref, namespace: obj.metadata.namespace } : ref;
}

/**
 * A map key identifying an object regardless of API version (Kluctl strips the version when it
 * matches rendered against remote objects).
 */
export function refKey(ref: ObjectRef): string {
  return `${ref.group}/${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;
}

/** `Kind namespace/name` or `Kind name`, for messages. */
export function refString(ref: ObjectRef): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}

/**
 * Kluctl's spelling of a ref inside result messages: `namespace/Kind/name`, `Kind/name` or `Kind`
 * (e.g. "timed out while waiting for readiness of ns/Deployment/web").
 */
export function kluctlRefString(ref: ObjectRef): string {
  if (ref.namespace) return `${ref.namespace}/${ref.kind}/${ref.name}`;
  return ref.name ? `${ref.kind}/${ref.name}` : ref.kind;
}

/** Whether `obj` is a Namespace. */
export function isNamespace(obj: KubeObject): boolean {
  return obj.kind === 'Namespace' && obj.apiVersion === 'v1';
}

/** Whether `obj` is a CustomResourceDefinition. */
export function isCrd(obj: KubeObject): boolean {
  return obj.kind === 'CustomResourceDefinition' && obj.apiVersion.startsWith('apiextensions.k8s.io/');
}
