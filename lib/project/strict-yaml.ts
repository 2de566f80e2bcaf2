/**
 * Strict decoding of Kluctl's YAML config files (kluctl-semantics, conventions): every file is parsed
 * with positions and checked against a small schema, so an unknown field or a wrong type is reported
 * with file, line and field name, as Kluctl's strict JSON decoding refuses them.
 */
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, parseDocument } from 'yaml';
import type { Node } from 'yaml';
import { ProjectLoadError } from '../errors.js';
import { fixBlockScalarsAtEof } from '../util/yaml-block-scalar-eof.js';

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
  readonly lines: LineCounter;
}

function fail(ctx: DecodeCtx, node: Node | null | undefined, message: string): never {
  const offset = node?.range?.[0];
  const pos = offset === undefined ? undefined : ctx.lines.linePos(offset);
  throw new ProjectLoadError(message, { file: ctx.file, line: pos?.line, column: pos?.col });
}

function describe(node: Node): string {
  if (isMap(node)) return 'an object';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) return node.value === null ? 'null' : `a ${typeof node.value}`;
  return 'an alias';
}

function decodeScalar(node: Node, spec: Spec, where: string, ctx: DecodeCtx): unknown {
  if (!isScalar(node))
    return fail(
      ctx,
      node,
      `${where} must be ${spec.kind === 'bool' ? 'a boolean' : 'a string'}, not ${describe(node)}`,
    );
  const v = node.value;
  if (spec.kind === 'bool' && typeof v !== 'boolean')
    return fail(ctx, node, `${where} must be a boolean, not ${describe(node)}`);
  if (spec.kind === 'string' && typeof v !== 'string')
    return fail(ctx, node, `${where} must be a string, not ${describe(node)}`);
  return v;
}

function decodeObject(
  node: Node,
  fields: Readonly<Record<string, Spec>>,
  where: string,
  ctx: DecodeCtx,
): unknown {
  const name = where === '' ? 'the document' : where;
  if (!isMap(node)) return fail(ctx, node, `${name} must be an object, not ${describe(node)}`);
  const out: Record<string, unknown> = {};
  for (const pair of node.items) {
    const keyNode = pair.key as Node | null;
    const key = isScalar(keyNode) ? String(keyNode.value) : '';
    const spec = Object.hasOwn(fields, key) ? fields[key] : undefined;
    if (!spec) return fail(ctx, keyNode ?? node, `unknown field "${key}" in ${name}`);
    const v = decodeNode(pair.value as Node | null, spec, where === '' ? key : `${where}.${key}`, ctx);
    if (v !== undefined) out[key] = v;
  }
  return out;
}

function decodeNode(node: Node | null | undefined, spec: Spec, where: string, ctx: DecodeCtx): unknown {
  if (!node || (isScalar(node) && node.value === null)) return undefined;
  switch (spec.kind) {
    case 'any':
      return node.toJSON();
    case 'string':
    case 'bool':
      return decodeScalar(node, spec, where, ctx);
    case 'list':
      if (!isSeq(node)) return fail(ctx, node, `${where} must be a list, not ${describe(node)}`);
      return node.items.map((item, i) => decodeNode(item as Node, spec.of, `${where}[${i}]`, ctx) ?? null);
    case 'map': {
      if (!isMap(node)) return fail(ctx, node, `${where} must be an object, not ${describe(node)}`);
      const out: Record<string, unknown> = {};
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : '';
        const v = decodeNode(pair.value as Node | null, spec.of, `${where}.${key}`, ctx);
        if (v !== undefined) out[key] = v;
      }
      return out;
    }
    case 'object':
      return decodeObject(node, spec.fields, where, ctx);
    case 'stringOr':
      return isScalar(node)
        ? decodeScalar(node, S.string, where, ctx)
        : decodeNode(node, spec.object, where, ctx);
  }
}

/** Throws the first YAML syntax error of a parsed document as ProjectLoadError with its position. */
function throwYamlErrors(
  errors: readonly { message: string; linePos?: [{ line: number; col: number }, ...unknown[]] }[],
  file: string,
): void {
  const e = errors[0];
  if (!e) return;
  const pos = e.linePos?.[0];
  // The yaml package appends a position and a code excerpt to its messages; keep the first line only.
  const msg = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  throw new ProjectLoadError(`YAML syntax error: ${msg}`, { file, line: pos?.line, column: pos?.col });
}

/** Parses one YAML document strictly against `spec`. `file` is the name used in errors. */
export function decodeYaml<T>(text: string, spec: Spec, file: string): T {
  const lines = new LineCounter();
  const doc = fixBlockScalarsAtEof(parseDocument(text, { lineCounter: lines, prettyErrors: true }), text);
  throwYamlErrors(doc.errors, file);
  const value = decodeNode(doc.contents as Node | null, spec, '', { file, lines });
  return (value ?? {}) as T;
}

/** Parses plain YAML (one document), reporting syntax errors with file and line. */
export function parseYaml(text: string, file: string): unknown {
  const lines = new LineCounter();
  const doc = fixBlockScalarsAtEof(parseDocument(text, { lineCounter: lines, prettyErrors: true }), text);
  throwYamlErrors(doc.errors, file);
  return doc.toJSON() as unknown;
}

/** Parses all documents of a multi-document YAML stream; empty documents are dropped. */
export function parseYamlAll(text: string, file: string): unknown[] {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: true });
  const out: unknown[] = [];
  for (const doc of docs) {
    throwYamlErrors(doc.errors, file);
    const v = fixBlockScalarsAtEof(doc, text).toJSON() as unknown;
    if (v !== null && v !== undefined) out.push(v);
  }
  return out;
}
