/**
 * Strict decoding of Kluctl's YAML config files (kluctl-semantics, conventions): every file is read as
 * Kluctl reads it (sigs.k8s.io/yaml `UnmarshalStrict`, lib/util/yaml.ts) with positions and checked
 * against a small schema, so an unknown field, a duplicate key or a wrong type is reported with file,
 * line and field name, as Kluctl's strict JSON decoding refuses them.
 */
import { ProjectLoadError } from '../errors.js';
import { goFormatFloat, readYaml, readYamlAll, readYamlTree, treeValue } from './yaml.js';
import type { YDocument, YNode, YScalar } from './yaml.js';

/** The shape of a config value. `null` is accepted everywhere and means "not set". */
export type Spec =
  | { readonly kind: 'string' | 'bool' | 'any' }
  | { readonly kind: 'list'; readonly of: Spec }
  | { readonly kind: 'map'; readonly of: Spec }
  | { readonly kind: 'object'; readonly fields: Readonly<Record<string, Spec>> }
  /** A bare string or an object (e.g. a git include given as URL or as `{url, ref}`). */
  | { readonly kind: 'stringOr'; readonly object: Spec };

export const S = {
  string: { kind: 'string' },
  bool: { kind: 'bool' },
  any: { kind: 'any' },
  list: (of: Spec): Spec => ({ kind: 'list', of }),
  map: (of: Spec): Spec => ({ kind: 'map', of }),
  object: (fields: Record<string, Spec>): Spec => ({ kind: 'object', fields }),
  stringOr: (object: Spec): Spec => ({ kind: 'stringOr', object }),
} as const;

interface DecodeCtx {
  readonly file: string;
  readonly doc: YDocument;
}

function fail(ctx: DecodeCtx, node: YNode | undefined, message: string): never {
  const pos = node ? ctx.doc.position(node.offset) : undefined;
  throw new ProjectLoadError(message, { file: ctx.file, line: pos?.line, column: pos?.column });
}

function describe(node: YNode): string {
  if (node.kind === 'map') return 'an object';
  if (node.kind === 'seq') return 'a list';
  return node.value === null ? 'null' : `a ${typeof node.value}`;
}

/**
 * A scalar for a string field. sigs.k8s.io/yaml turns numbers and booleans into strings when the
 * target is a string (`chartVersion: 1.10` is "1.1", `0755` is "493", `yes` is "true"), so Kluctl
 * accepts them; floats are formatted with 32-bit precision, as that library does.
 */
function asString(s: YScalar): string | undefined {
  if (typeof s.value === 'string') return s.value;
  if (typeof s.value === 'boolean') return s.value ? 'true' : 'false';
  if (s.resolved === 'int') return s.int!.toString();
  if (typeof s.value === 'number') return goFormatFloat(s.value, 32);
  return undefined;
}

function decodeScalar(node: YNode, spec: Spec, where: string, ctx: DecodeCtx): unknown {
  const want = spec.kind === 'bool' ? 'a boolean' : 'a string';
  if (node.kind !== 'scalar') return fail(ctx, node, `${where} must be ${want}, not ${describe(node)}`);
  if (spec.kind === 'bool') {
    if (typeof node.value !== 'boolean')
      return fail(ctx, node, `${where} must be a boolean, not ${describe(node)}`);
    return node.value;
  }
  return asString(node) ?? fail(ctx, node, `${where} must be a string, not ${describe(node)}`);
}

function decodeObject(
  node: YNode,
  fields: Readonly<Record<string, Spec>>,
  where: string,
  ctx: DecodeCtx,
): unknown {
  const name = where === '' ? 'the document' : where;
  if (node.kind !== 'map') return fail(ctx, node, `${name} must be an object, not ${describe(node)}`);
  const out: Record<string, unknown> = {};
  for (const { key, keyNode, value } of node.entries) {
    const spec = Object.hasOwn(fields, key) ? fields[key] : undefined;
    if (!spec) return fail(ctx, keyNode, `unknown field "${key}" in ${name}`);
    const v = decodeNode(value, spec, where === '' ? key : `${where}.${key}`, ctx);
    if (v !== undefined) out[key] = v;
  }
  return out;
}

function decodeNode(node: YNode | undefined, spec: Spec, where: string, ctx: DecodeCtx): unknown {
  if (!node || (node.kind === 'scalar' && node.value === null)) return undefined;
  switch (spec.kind) {
    case 'any':
      return treeValue(node);
    case 'string':
    case 'bool':
      return decodeScalar(node, spec, where, ctx);
    case 'list':
      if (node.kind !== 'seq') return fail(ctx, node, `${where} must be a list, not ${describe(node)}`);
      return node.items.map((item, i) => decodeNode(item, spec.of, `${where}[${i}]`, ctx) ?? null);
    case 'map': {
      if (node.kind !== 'map') return fail(ctx, node, `${where} must be an object, not ${describe(node)}`);
      const out: Record<string, unknown> = {};
      for (const { key, value } of node.entries) {
        const v = decodeNode(value, spec.of, `${where}.${key}`, ctx);
        if (v !== undefined) out[key] = v;
      }
      return out;
    }
    case 'object':
      return decodeObject(node, spec.fields, where, ctx);
    case 'stringOr':
      return node.kind === 'scalar'
        ? decodeScalar(node, S.string, where, ctx)
        : decodeNode(node, spec.object, where, ctx);
  }
}

/** Parses one YAML document strictly against `spec`. `file` is the name used in errors. */
export function decodeYaml<T>(text: string, spec: Spec, file: string): T {
  const doc = readYamlTree(text, file);
  const value = decodeNode(doc.root, spec, '', { file, doc });
  return (value ?? {}) as T;
}

/** Parses a file Kluctl reads with its strict YAML reader (one document), naming file and line in errors. */
export function parseYaml(text: string, file: string): unknown {
  return readYaml(text, file);
}

/** Parses all documents of a multi-document stream as Kluctl does; empty documents are dropped. */
export function parseYamlAll(text: string, file: string): unknown[] {
  return readYamlAll(text, file);
}
