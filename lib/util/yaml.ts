/**
 * The one home of YAML in the engine: reading and writing exactly as the Kubernetes tools around
 * Kluctl do. Read with {@link readYaml}/{@link readYamlAll} (plain values) or {@link readYamlTree}
 * (positions, for config decoding); write with {@link writeYaml}/{@link writeYamlAll}.
 *
 * Which reader applies where (verified by rendering with Kluctl v2.28.2, test/parity/yaml-scalars):
 * - `kluctl` dialect (sigs.k8s.io/yaml, YAML 1.1): `.kluctl.yaml`, deployment.yaml, helm-chart.yaml,
 *   kustomization.yaml, vars files and sources, `-a` args, Helm's output and kustomize's output.
 * - `kustomize` dialect (kyaml/yaml.v3): the resource files of a kustomization, i.e. every templated
 *   item file; `yes` stays a string there, and `2001-12-14` becomes `"2001-12-14T00:00:00Z"`.
 * Both read `0755`/`0o755` as 493, `0x1F` as 31, `1_000` as 1000, and integers as float64 (the
 * sigs.k8s.io/yaml JSON round trip; deliberately also for kustomize input, where Go keeps 64 bits).
 */
import { Scalar, parseDocument } from 'yaml';
import { readYamlTree, readYamlTreeAll } from './yaml/yaml-read.js';
import { treeValue } from './yaml/yaml-tree.js';
import { isAmbiguousPlainString } from './yaml/yaml-write.js';
import type { YamlTreeOptions } from './yaml/yaml-tree.js';

export type { YDocument, YNode, YMap, YScalar } from './yaml/yaml-tree.js';
export { readYamlTree, readYamlTreeAll } from './yaml/yaml-read.js';
export { treeValue } from './yaml/yaml-tree.js';
export { writeYaml, writeYamlAll, compareYamlKeys } from './yaml/yaml-write.js';
export { goFormatFloat } from './yaml/go-numbers.js';
export { pyYamlResolvesToNonString, readPyYaml } from './yaml/py-yaml-read.js';

/** The first document of `text` as plain values (null when empty). `file` names errors. */
export function readYaml(text: string, file: string, opts: YamlTreeOptions = {}): unknown {
  return treeValue(readYamlTree(text, file, opts).root);
}

/** Every non-empty document of a stream as plain values. `file` names errors. */
export function readYamlAll(text: string, file: string, opts: YamlTreeOptions = {}): unknown[] {
  return readYamlTreeAll(text, file, opts).map((d) => treeValue(d.root));
}

/**
 * Sets one scalar field of a YAML file in place, keeping comments, order and the style of everything
 * else (Kluctl rewrites the whole file instead; see docs/parity.md). The new value is double-quoted
 * when a YAML 1.1 reader would take it for something other than a string.
 */
export function setYamlStringField(text: string, path: readonly string[], value: string): string {
  // failsafe: every other scalar stays the text it was (`0755` must not become `755`).
  const doc = parseDocument(text, { schema: 'failsafe', uniqueKeys: false });
  const node = new Scalar(value);
  if (isAmbiguousPlainString(value) || value.includes('\n') || value.trim() !== value)
    node.type = 'QUOTE_DOUBLE';
  doc.setIn(path, node);
  return doc.toString({ lineWidth: 0 });
}
