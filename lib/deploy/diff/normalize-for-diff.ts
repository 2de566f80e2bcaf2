/**
 * Normalisation of both sides of a diff (kluctl-semantics §7.7): server-owned metadata, status and
 * controller-uid labels go, labels/annotations maps always exist, container `env`/`envFrom` become
 * maps keyed by name/ref (so reordering is no change), empty `data` of Secrets/ConfigMaps and the
 * automatic `<sa>-token*` secrets of ServiceAccounts are dropped, then ignore rules apply.
 * `kluctl.io/ignore-diff` on the rendered object turns the whole object into `{}`.
 */
import type { KubeObject } from '../../ports.js';
import { isMap, removeAt, removeByJsonPath, removeByPathRegex } from './key-path.js';
import type { IgnoreForDiffRule } from './ignore-rules.js';
import { rulesFromAnnotations } from './ignore-rules.js';
import { ruleMatches } from '../object-rules.js';

type Dict = Record<string, unknown>;

const DROPPED_METADATA = [
  'managedFields',
  'creationTimestamp',
  'generation',
  'resourceVersion',
  'selfLink',
  'uid',
];
const CONTROLLER_UID_LABELS = ['controller-uid', 'batch.kubernetes.io/controller-uid'];
const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

/** Parses Kluctl's lenient booleans. */
export function annotationTrue(v: string | undefined): boolean {
  return v !== undefined && /^(1|t|true)$/i.test(v.trim());
}

/**
 * A normalised copy of `obj` for diffing. `local` is the rendered object: its annotations decide
 * `ignore-diff` and add per-object rules; `rules` are the project's and the flags' rules.
 */
export function normalizeObject(
  obj: KubeObject,
  rules: readonly IgnoreForDiffRule[],
  local: KubeObject,
): Dict {
  if (annotationTrue(local.metadata.annotations?.['kluctl.io/ignore-diff'])) return {};
  const o = structuredClone(obj) as Dict & { metadata: Dict };
  o.metadata ??= {};
  for (const k of DROPPED_METADATA) delete o.metadata[k];
  removeAt(o, ['metadata', 'annotations', 'kubectl.kubernetes.io/last-applied-configuration']);
  o.metadata.labels ??= {};
  o.metadata.annotations ??= {};
  for (const l of CONTROLLER_UID_LABELS) {
    removeAt(o, ['spec', 'template', 'metadata', 'labels', l]);
    removeAt(o, ['spec', 'selector', 'matchLabels', l]);
  }
  delete o.status;

  if (WORKLOAD_KINDS.has(obj.kind)) {
    const containers = (
      ((o.spec as Dict | undefined)?.template as Dict | undefined)?.spec as Dict | undefined
    )?.containers;
    if (Array.isArray(containers)) for (const c of containers) if (isMap(c)) normalizeEnv(c);
  } else if (obj.kind === 'Secret' || obj.kind === 'ConfigMap') {
    if ('data' in o && (o.data === null || (isMap(o.data) && Object.keys(o.data).length === 0)))
      delete o.data;
  } else if (obj.kind === 'ServiceAccount' && Array.isArray(o.secrets)) {
    const prefix = `${obj.metadata.name}-`;
    o.secrets = (o.secrets as unknown[]).filter(
      (s) => isMap(s) && typeof s.name === 'string' && !s.name.startsWith(prefix),
    );
  }

  const target = {
    group: obj.apiVersion.includes('/') ? obj.apiVersion.split('/')[0]! : '',
    kind: obj.kind,
    name: obj.metadata.name,
    namespace: obj.metadata.namespace ?? '',
  };
  for (const rule of [...rules, ...rulesFromAnnotations(local)]) {
    if (!ruleMatches(rule, target)) continue;
    for (const p of rule.fieldPath ?? []) removeByJsonPath(o, p);
    for (const r of rule.fieldPathRegex ?? []) removeByPathRegex(o, new RegExp(r));
  }
  return o;
}

/** `env` as a map by name and `envFrom` by `configMapRef/<name>` or `secretRef/<name>`. */
function normalizeEnv(c: Dict): void {
  if (Array.isArray(c.env) && c.env.length > 0) {
    const byName: Dict = {};
    let ok = true;
    for (const e of c.env as unknown[]) {
      if (isMap(e) && typeof e.name === 'string') byName[e.name] = e;
      else ok = false;
    }
    if (ok) c.env = byName;
  }
  if (Array.isArray(c.envFrom) && c.envFrom.length > 0) {
    const byRef: Dict = {};
    for (const e of c.envFrom as unknown[]) {
      let key = '';
      for (const t of ['configMapRef', 'secretRef']) {
        const ref = isMap(e) ? e[t] : undefined;
        if (isMap(ref) && typeof ref.name === 'string') key = `${t}/${ref.name}`;
      }
      if (key) byRef[key] = e;
      else byRef.unknown = [...((byRef.unknown as unknown[] | undefined) ?? []), e];
    }
    c.envFrom = byRef;
  }
}
