/**
 * An in-process fast path for the most common kustomization: one that only lists local resource files
 * (Kluctl's generated kustomizations always are). Building it is reading the files in order as kustomize
 * reads them (kyaml: the `kustomize` YAML dialect), which saves a process spawn per item. Anything else,
 * or anything the fast path is unsure about (Lists, anchors, merge keys, tags, objects without kind or
 * name, duplicate ids, annotations that are not scalars), goes to the real kustomize binary.
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { KubeObject } from '../ports.js';
import { isDict } from './merge.js';
import { findConfigFile, isInside } from './paths.js';
import type { ItemBuilder } from './build-item.js';
import { parseYaml } from '../util/strict-yaml.js';
import { compareYamlKeys, readYamlTreeAll, treeValue } from '../util/yaml.js';
import type { YMap, YNode } from '../util/yaml.js';

const KUSTOMIZATION_NAMES = ['kustomization.yml', 'kustomization.yaml', 'Kustomization'];
/** Fields that do not change what `kustomize build` outputs for a resources-only kustomization. */
const NEUTRAL_FIELDS = new Set(['apiVersion', 'kind', 'metadata', 'resources', 'sortOptions', 'namespace']);
/**
 * Kinds for which kustomize's namespace transformer only sets `metadata.namespace` (namespaced kinds
 * with no namespace references in their spec), plus Namespace, which it leaves alone. Any other kind
 * under `namespace:` goes to the binary.
 */
const NAMESPACE_SAFE = new Set([
  'v1/ConfigMap',
  'v1/Secret',
  'v1/Service',
  'v1/ServiceAccount',
  'v1/ResourceQuota',
  'v1/LimitRange',
  'v1/PersistentVolumeClaim',
  'apps/Deployment',
  'apps/StatefulSet',
  'apps/DaemonSet',
  'batch/Job',
  'batch/CronJob',
  'networking.k8s.io/Ingress',
  'networking.k8s.io/NetworkPolicy',
  'policy/PodDisruptionBudget',
  'autoscaling/HorizontalPodAutoscaler',
]);

/** The resource files of a resources-only kustomization in `dir`, or undefined when it is more than that. */
export async function simpleResourceFiles(
  dir: string,
): Promise<{ files: string[]; namespace?: string } | undefined> {
  const file = findConfigFile(dir, KUSTOMIZATION_NAMES);
  if (!file) return undefined;
  const k = parseYaml(await readFile(file, 'utf8'), file);
  if (!isDict(k) || Object.keys(k).some((f) => !NEUTRAL_FIELDS.has(f))) return undefined;
  // Only fifo keeps the input order; kustomize's legacy order would sort by kind.
  if (!isDict(k.sortOptions) || k.sortOptions.order !== 'fifo' || Object.keys(k.sortOptions).length !== 1)
    return undefined;
  if (k.namespace !== undefined && typeof k.namespace !== 'string') return undefined;
  const resources = k.resources ?? [];
  if (!Array.isArray(resources)) return undefined;
  const files: string[] = [];
  for (const r of resources) {
    if (typeof r !== 'string' || r.includes('://') || r.includes('?')) return undefined;
    const p = resolve(dir, r);
    // Links left in a rendered item point outside the render tree: the binary refuses them.
    if (!isInside(dir, p) || !existsSync(p) || !statSync(p).isFile()) return undefined;
    if (!isInside(realpathSync(dir), realpathSync(p))) return undefined;
    files.push(p);
  }
  return { files, ...(typeof k.namespace === 'string' && k.namespace ? { namespace: k.namespace } : {}) };
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The text of a UTF-8 file, undefined when it is not valid UTF-8. */
function utf8(buf: Buffer): string | undefined {
  try {
    return UTF8.decode(buf);
  } catch {
    return undefined;
  }
}

/** kustomize's output passes through Go maps, which yaml.v2 writes with sorted keys. */
function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (!isDict(v)) return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort(compareYamlKeys)) out[k] = sortKeys(v[k]);
  return out;
}

function entry(m: YNode | undefined, key: string): YNode | undefined {
  return m?.kind === 'map' ? m.entries.find((e) => e.key === key)?.value : undefined;
}

/**
 * kustomize rewrites `metadata.annotations` as strings: every value becomes the text it was written as
 * (`hook-weight: 1` is "1", `mode: 0755` is "0755", `x: ~` is "~"), and an empty or null map is dropped.
 * Returns false when a value is not a scalar (left to the binary).
 */
function kustomizeAnnotations(root: YMap, obj: Record<string, unknown>): boolean {
  const a = entry(entry(root, 'metadata'), 'annotations');
  const md = obj.metadata as Record<string, unknown>;
  if (a === undefined) return true;
  if (a.kind === 'scalar' && a.value === null) {
    delete md.annotations;
    return true;
  }
  if (a.kind !== 'map') return false;
  if (a.entries.length === 0) delete md.annotations;
  else {
    const out: Record<string, string> = {};
    for (const e of a.entries) {
      if (e.value.kind !== 'scalar') return false;
      out[e.key] = e.value.text;
    }
    md.annotations = out;
  }
  return true;
}

/** Reads the objects of the files, or undefined when kustomize could output something different. */
async function readObjects(
  files: readonly string[],
  namespace: string | undefined,
  label: string,
): Promise<KubeObject[] | undefined> {
  const out: KubeObject[] = [];
  const ids = new Set<string>();
  for (const f of files) {
    const text = utf8(await readFile(f));
    // Not UTF-8: kustomize refuses the file; let it say so.
    if (text === undefined) return undefined;
    for (const d of readYamlTreeAll(text, `${label}/${f}`, { dialect: 'kustomize' })) {
      const doc = treeValue(d.root);
      if (d.exotic || d.root?.kind !== 'map' || !isDict(doc)) return undefined;
      const md = doc.metadata;
      if (typeof doc.apiVersion !== 'string' || typeof doc.kind !== 'string' || !isDict(md)) return undefined;
      if (typeof md.name !== 'string' || md.name === '' || doc.kind.endsWith('List')) return undefined;
      if (!kustomizeAnnotations(d.root, doc)) return undefined;
      if (namespace !== undefined) {
        const group = doc.apiVersion.includes('/') ? doc.apiVersion.split('/')[0]! : 'v1';
        if (doc.apiVersion === 'v1' && doc.kind === 'Namespace') {
          // cluster-scoped: kustomize leaves it as it is
        } else if (NAMESPACE_SAFE.has(`${group}/${doc.kind}`)) md.namespace = namespace;
        else return undefined;
      }
      const id = `${doc.apiVersion.split('/').length > 1 ? doc.apiVersion.split('/')[0] : ''}/${doc.kind}/${String(md.namespace ?? '')}/${md.name}`;
      if (ids.has(id)) return undefined; // kustomize refuses duplicates: let it say so
      ids.add(id);
      out.push(sortKeys(doc) as KubeObject);
    }
  }
  return out;
}

/** Wraps a builder: resources-only kustomizations are built in-process, everything else by `fallback`. */
export function fastPathBuilder(fallback: ItemBuilder, stats?: { fast: number; slow: number }): ItemBuilder {
  return async (dir, label, signal) => {
    const simple = await simpleResourceFiles(dir);
    const objects = simple ? await readObjects(simple.files, simple.namespace, label) : undefined;
    if (objects) {
      if (stats) stats.fast++;
      return objects;
    }
    if (stats) stats.slow++;
    return fallback(dir, label, signal);
  };
}
