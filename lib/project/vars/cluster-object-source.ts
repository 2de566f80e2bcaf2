/**
 * `clusterObject` vars source (kluctl-semantics §3.2): any object (or, with `list: true`, several),
 * found by name or labels, with one value picked by a JSONPath, optionally rendered and YAML-parsed.
 */
import { ProjectLoadError } from '../../errors.js';
import type { KubeObject, ResourceInfo } from '../../ports.js';
import { isDict } from '../merge.js';
import { getJsonPath, parseJsonPath } from '../../util/json-path.js';
import type { LoadedValue, SourceArgs } from './source-types.js';
import type { VarsClusterReader } from './vars-services.js';
import { parseVarsYaml } from './yaml-values.js';

interface ClusterObjectSpec {
  readonly kind: string;
  readonly apiVersion?: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly labels?: Record<string, string>;
  readonly list?: boolean;
  readonly path: string;
  readonly render?: boolean;
  readonly parseYaml?: boolean;
}

function specOf(raw: unknown, file: string): ClusterObjectSpec {
  const bad = (msg: string): never => {
    throw new ProjectLoadError(`clusterObject: ${msg}`, { file });
  };
  if (!isDict(raw)) return bad('must be an object');
  if (typeof raw.kind !== 'string' || !raw.kind) return bad('kind is required');
  if (typeof raw.path !== 'string' || !raw.path) return bad('path is required');
  const hasLabels = isDict(raw.labels) && Object.keys(raw.labels).length > 0;
  if (!raw.name && !hasLabels) bad('either name or labels must be set');
  if (raw.name && hasLabels) bad('only one of name or labels can be set');
  return raw as unknown as ClusterObjectSpec;
}

/** The resource type: from apiVersion when given, else the one preferred resource serving `kind`. */
async function resourceOf(
  r: VarsClusterReader,
  spec: ClusterObjectSpec,
  file: string,
): Promise<ResourceInfo> {
  if (spec.apiVersion) {
    const res = await r.resolve(spec.apiVersion, spec.kind);
    if (!res)
      throw new ProjectLoadError(`no matching resource found for ${spec.apiVersion}/${spec.kind}`, { file });
    return res;
  }
  const all = (await r.listResources()).filter((x) => x.kind === spec.kind);
  if (all.length === 0)
    throw new ProjectLoadError(`no matching resource found for kind ${spec.kind}`, { file });
  if (all.length > 1)
    throw new ProjectLoadError(
      `more then one matching resources found for kind ${spec.kind}, consider also specifying apiVersion`,
      { file },
    );
  return all[0]!;
}

function refKey(o: KubeObject): string {
  return [
    o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : '',
    o.kind,
    o.metadata.namespace ?? '',
    o.metadata.name,
  ].join('\u0000');
}

function refString(o: KubeObject): string {
  return `${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.kind}/${o.metadata.name}`;
}

async function findObjects(a: SourceArgs, spec: ClusterObjectSpec): Promise<KubeObject[]> {
  const r = a.runtime.services.cluster;
  if (!r) throw new ProjectLoadError('loading vars from cluster is disabled', { file: a.ctx.file });
  const res = await resourceOf(r, spec, a.ctx.file);
  const [group, version] = res.group ? [res.group, res.version] : ['', res.version];
  if (spec.name) {
    const o = await r.get({
      group,
      version,
      kind: res.kind,
      name: spec.name,
      ...(spec.namespace ? { namespace: spec.namespace } : {}),
    });
    return o ? [o] : [];
  }
  const selector = Object.entries(spec.labels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const objs = await r.list(res, {
    ...(spec.namespace ? { namespace: spec.namespace } : {}),
    labelSelector: selector,
  });
  // Stable order, as Kluctl sorts by object ref.
  return [...objs].sort((x, y) => (refKey(x) < refKey(y) ? -1 : refKey(x) > refKey(y) ? 1 : 0));
}

/** `clusterObject: {kind, apiVersion?, namespace?, name|labels, list?, path, render?, parseYaml?}`; sensitive. */
export async function loadClusterObject(a: SourceArgs): Promise<LoadedValue> {
  const spec = specOf(a.src.clusterObject, a.ctx.file);
  const objs = await findObjects(a, spec);
  if (objs.length === 0) {
    if (a.ignoreMissing) return { value: {}, sensitive: true };
    throw new ProjectLoadError('no object found', { file: a.ctx.file });
  }
  if (objs.length > 1 && !spec.list)
    throw new ProjectLoadError('found more than one object', { file: a.ctx.file });
  const path = parseJsonPath(spec.path);
  const values: unknown[] = [];
  for (const o of objs) {
    const fail = (msg: string): never => {
      throw new ProjectLoadError(
        `failed to load vars from kubernetes object ${refString(o)} and json path ${spec.path}: ${msg}`,
        {
          file: a.ctx.file,
        },
      );
    };
    const found = getJsonPath(o, path);
    if (found.length === 0) {
      if (a.ignoreMissing) return { value: {}, sensitive: true };
      fail('json path not found');
    }
    if (found.length > 1) fail('json path resulted in multiple matches');
    let val = structuredClone(found[0]);
    const label = `${refString(o)} ${spec.path}`;
    if (spec.render) {
      if (typeof val === 'string') val = await a.ctx.engine.render(val, a.vars, { file: label });
      else if (isDict(val)) {
        const r = await a.ctx.engine.renderStrings(val, a.vars, { file: label });
        if (r.errors[0]) fail(r.errors[0].message);
        val = r.value;
      }
    }
    if (spec.parseYaml) {
      if (typeof val !== 'string') fail('value is not a string, but parsing YAML was requested');
      val = parseVarsYaml(val as string, label, false);
    }
    values.push(val);
  }
  return { value: spec.list ? values : values[0], sensitive: true };
}
