/**
 * `clusterConfigMap`, `clusterSecret` and `clusterObject` vars sources (kluctl-semantics §3.2): read
 * from the target cluster through the injected reader. Without one they fail with Kluctl's
 * `loading vars from cluster is disabled`.
 */
import { ProjectLoadError } from '../../errors.js';
import type { KubeObject, ObjectRef, ResourceInfo } from '../../ports.js';
import { isDict } from '../merge.js';
import { parseJsonPath, setJsonPathOnEmpty } from '../../util/json-path.js';
import type { LoadedValue, SourceArgs } from './source-types.js';
import type { VarsClusterReader } from './vars-services.js';
import { parseVarsYaml } from './yaml-values.js';

interface ConfigMapOrSecretSpec {
  readonly name?: string;
  readonly labels?: Record<string, string>;
  readonly namespace: string;
  readonly key: string;
  readonly targetPath?: string;
}

function reader(a: SourceArgs): VarsClusterReader {
  const r = a.runtime.services.cluster;
  if (!r) throw new ProjectLoadError('loading vars from cluster is disabled', { file: a.ctx.file });
  return r;
}

function labelSelector(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** Go's fmt of a map[string]string (`map[a:b c:d]`), as Kluctl prints label selectors. */
function goMap(labels: Record<string, string>): string {
  const keys = Object.keys(labels).sort();
  return `map[${keys.map((k) => `${k}:${labels[k]}`).join(' ')}]`;
}

/** Kluctl's object ref text: `namespace/Kind/name`. */
function refString(o: KubeObject): string {
  return `${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.kind}/${o.metadata.name}`;
}

function checkNameOrLabels(spec: { name?: unknown; labels?: unknown }, what: string, file: string): void {
  const hasLabels = isDict(spec.labels) && Object.keys(spec.labels).length > 0;
  if (!spec.name && !hasLabels)
    throw new ProjectLoadError(`${what}: either name or labels must be set`, { file });
  if (spec.name && hasLabels)
    throw new ProjectLoadError(`${what}: only one of name or labels can be set`, { file });
}

async function coreResource(r: VarsClusterReader, kind: string): Promise<ResourceInfo> {
  const res = await r.resolve('v1', kind);
  if (!res) throw new ProjectLoadError(`the cluster does not serve v1/${kind}`);
  return res;
}

/** The one object a configmap/secret source names, or undefined when missing and ignoreMissing. */
async function findCoreObject(
  a: SourceArgs,
  spec: ConfigMapOrSecretSpec,
  kind: string,
): Promise<KubeObject | undefined> {
  const r = reader(a);
  if (spec.name) {
    const ref: ObjectRef = { group: '', version: 'v1', kind, name: spec.name, namespace: spec.namespace };
    const o = await r.get(ref);
    if (o || a.ignoreMissing) return o;
    throw new ProjectLoadError(`${kind.toLowerCase()}s "${spec.name}" not found`, { file: a.ctx.file });
  }
  const labels = spec.labels ?? {};
  const objs = await r.list(await coreResource(r, kind), {
    namespace: spec.namespace,
    labelSelector: labelSelector(labels),
  });
  if (objs.length === 0) {
    if (a.ignoreMissing) return undefined;
    throw new ProjectLoadError(`no object found with labels ${goMap(labels)}`, { file: a.ctx.file });
  }
  if (objs.length > 1)
    throw new ProjectLoadError(`found more than one objects with labels ${goMap(labels)}`, {
      file: a.ctx.file,
    });
  return objs[0];
}

async function loadConfigMapOrSecret(
  a: SourceArgs,
  raw: unknown,
  kind: 'ConfigMap' | 'Secret',
): Promise<LoadedValue> {
  const what = kind === 'ConfigMap' ? 'clusterConfigMap' : 'clusterSecret';
  const sensitive = kind === 'Secret';
  if (!isDict(raw) || typeof raw.namespace !== 'string' || typeof raw.key !== 'string')
    throw new ProjectLoadError(`${what}: namespace and key are required`, { file: a.ctx.file });
  const spec = raw as unknown as ConfigMapOrSecretSpec;
  checkNameOrLabels(spec, what, a.ctx.file);
  const skipped: LoadedValue = { value: {}, sensitive, skipMerge: true };
  const o = await findCoreObject(a, spec, kind);
  if (!o) return skipped;
  const data = isDict(o.data) ? o.data : {};
  const field = data[spec.key];
  if (typeof field !== 'string') {
    if (a.ignoreMissing) return skipped;
    throw new ProjectLoadError(`key ${spec.key} not found in ${refString(o)} on cluster`, {
      file: a.ctx.file,
    });
  }
  const fail = (msg: string): never => {
    throw new ProjectLoadError(
      `failed to load vars from kubernetes object ${refString(o)} and key ${spec.key}: ${msg}`,
      {
        file: a.ctx.file,
      },
    );
  };
  const text = sensitive ? Buffer.from(field, 'base64').toString('utf8') : field;
  const label = `${refString(o)}[${spec.key}]`;
  const rendered = await a.ctx.engine.render(text, a.vars, { file: label });
  let parsed: unknown;
  try {
    parsed = parseVarsYaml(rendered, label, a.multidoc);
  } catch (err) {
    return fail((err as Error).message);
  }
  if (!spec.targetPath) return { value: parsed, sensitive };
  // The source-level targetPath is deprecated in Kluctl in favour of the common one; it still works.
  return { value: setJsonPathOnEmpty(parseJsonPath(spec.targetPath), parsed), sensitive };
}

/** `clusterConfigMap: {name|labels, namespace, key}`. */
export const loadClusterConfigMap = (a: SourceArgs): Promise<LoadedValue> =>
  loadConfigMapOrSecret(a, a.src.clusterConfigMap, 'ConfigMap');

/** `clusterSecret: {name|labels, namespace, key}`; always sensitive. */
export const loadClusterSecret = (a: SourceArgs): Promise<LoadedValue> =>
  loadConfigMapOrSecret(a, a.src.clusterSecret, 'Secret');

export { loadClusterObject } from './cluster-object-source.js';
