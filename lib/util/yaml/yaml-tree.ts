/**
 * YAML documents as Go's readers see them, as a small tree with source offsets: the `yaml` package
 * parses the syntax (every scalar kept as text, yaml-read.ts), then scalar-resolve.ts gives scalars
 * their Go meaning and this module applies the reader's rules for keys, merge keys, aliases and
 * duplicates.
 *
 * Two readers are imitated (see {@link YamlDialect}); which one reads a file follows Kluctl: its own
 * files, vars, Helm output and kustomize's output go through sigs.k8s.io/yaml, the resource files of a
 * kustomization through kustomize's kyaml.
 */
import { isAlias, isMap, isScalar, isSeq } from 'yaml';
import type { Document, LineCounter, Node as YamlNode, Scalar } from 'yaml';
import { ProjectLoadError } from '../../errors.js';
import { goFormatFloat } from './go-numbers.js';
import { goYamlTimestampJson } from './go-time.js';
import { TagMismatchError, resolvePlain, resolveTagged } from './scalar-resolve.js';
import type { Resolved } from './scalar-resolve.js';

/**
 * Whose reader to imitate.
 * - `kluctl`: sigs.k8s.io/yaml v1.6 (Kluctl, Helm, kubectl): yaml.v2 resolution (YAML 1.1 booleans,
 *   octal `0755`, timestamps stay strings), keys made strings, then a JSON round trip: every number is
 *   a float64 and `.inf`/`.nan` are errors.
 * - `kustomize`: kyaml's `RNode.Map()` (yaml.v3) as Kluctl builds kustomizations: only true/false are
 *   booleans, timestamps become RFC 3339 strings, merge keys let explicit keys win.
 */
export type YamlDialect = 'kluctl' | 'kustomize';

/** A plain value a scalar reads as. */
export type YamlScalarValue = null | boolean | number | string;

/** A scalar: its value for the dialect, its Go type and the text it was written as. */
export interface YScalar {
  readonly kind: 'scalar';
  readonly value: YamlScalarValue;
  readonly resolved: Resolved['tag'];
  /** The exact integer, for `int` scalars (the value is its float64 rounding). */
  readonly int?: bigint;
  /** The scalar's content as written (quotes and escapes removed). */
  readonly text: string;
  readonly offset: number;
}

/** A sequence. */
export interface YSeq {
  readonly kind: 'seq';
  readonly items: readonly YNode[];
  readonly offset: number;
}

/** One key of a mapping after merges; `key` is the string the reader makes of it. */
export interface YEntry {
  readonly key: string;
  readonly keyNode: YScalar;
  readonly value: YNode;
}

/** A mapping, entries in document order (merged entries where their `<<` stood). */
export interface YMap {
  readonly kind: 'map';
  readonly entries: readonly YEntry[];
  readonly offset: number;
}

/** A node of a read document. */
export type YNode = YScalar | YSeq | YMap;

/** One read document. */
export interface YDocument {
  /** Undefined for an empty document. */
  readonly root: YNode | undefined;
  /**
   * Why only the real tool reproduces this document exactly (anchors, merge keys, tags, non-string or
   * duplicate keys), for in-process shortcuts that must otherwise defer; undefined when plain.
   */
  readonly exotic: string | undefined;
  /** 1-based line and column of an offset in the file. */
  position(offset: number): { line: number; column: number };
}

/** How to read; every field is optional. */
export interface YamlTreeOptions {
  /** Default: `kluctl`. */
  readonly dialect?: YamlDialect;
  /** A key set twice in one mapping is an error, as Kluctl's `UnmarshalStrict`. Default: true. */
  readonly strict?: boolean;
}

/** Most nodes one document may expand to through aliases (yaml.v2 refuses "excessive aliasing"). */
const MAX_NODES = 1_000_000;

/** The state of reading one document (internal to lib/util/yaml). */
export interface Ctx {
  readonly file: string;
  readonly text: string;
  readonly doc: Document;
  readonly dialect: YamlDialect;
  readonly strict: boolean;
  readonly lines: LineCounter;
  readonly lineOffset: number;
  exotic: string | undefined;
  nodes: number;
  readonly active: Set<YamlNode>;
}

/** 1-based line and column of an offset. */
export function positionOf(
  ctx: Pick<Ctx, 'lines' | 'lineOffset'>,
  offset: number,
): { line: number; column: number } {
  const p = ctx.lines.linePos(offset);
  return { line: p.line + ctx.lineOffset, column: p.col };
}

function fail(ctx: Ctx, offset: number, message: string): never {
  throw new ProjectLoadError(message, { file: ctx.file, ...positionOf(ctx, offset) });
}

function flag(ctx: Ctx, why: string): void {
  ctx.exotic ??= why;
}

const INVALID_ESCAPE = /\\(?:\\|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8}))/g;

/** Go's scanners refuse escapes of UTF-16 surrogates (`"\ud83d\ude00"`); the `yaml` package joins them. */
function checkEscapes(ctx: Ctx, node: Scalar, offset: number): void {
  const src = ctx.text.slice(offset, node.range?.[1] ?? offset);
  for (const m of src.matchAll(INVALID_ESCAPE)) {
    const cp = m[1] ? parseInt(m[1], 16) : m[2] ? parseInt(m[2], 16) : undefined;
    if (cp !== undefined && ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff))
      fail(ctx, offset, 'found invalid Unicode character escape code in a double-quoted string');
  }
}

function resolveScalar(ctx: Ctx, node: Scalar, offset: number): Resolved {
  const text = String(node.value);
  const bools = ctx.dialect === 'kluctl' ? 'yaml11' : 'core';
  if (node.type === 'QUOTE_DOUBLE') checkEscapes(ctx, node, offset);
  if (node.tag !== undefined) {
    flag(ctx, `the tag ${node.tag}`);
    try {
      return resolveTagged(node.tag, text, bools);
    } catch (err) {
      if (err instanceof TagMismatchError) fail(ctx, offset, err.message);
      throw err;
    }
  }
  return node.type === 'PLAIN' ? resolvePlain(text, bools) : { tag: 'str', value: text };
}

function scalarNode(ctx: Ctx, node: Scalar): YScalar {
  const offset = node.range?.[0] ?? 0;
  const r = resolveScalar(ctx, node, offset);
  const text = String(node.value);
  let value: YamlScalarValue;
  switch (r.tag) {
    case 'int':
      // A JSON round trip (sigs.k8s.io/yaml) or JavaScript's numbers: a float64 either way.
      return { kind: 'scalar', value: Number(r.value), resolved: 'int', int: r.value, text, offset };
    case 'float':
      if (!Number.isFinite(r.value)) {
        // Kluctl fails when it converts the object to JSON; in-process shortcuts leave that to the tool.
        if (ctx.dialect === 'kluctl')
          fail(ctx, offset, `${text} cannot be converted to JSON (json: unsupported value)`);
        flag(ctx, `the float ${text}`);
      }
      value = r.value;
      break;
    case 'timestamp':
      value = ctx.dialect === 'kustomize' ? kustomizeTimestamp(ctx, r.value) : r.value;
      break;
    default:
      value = r.value;
  }
  return { kind: 'scalar', value, resolved: r.tag, text, offset };
}

/** yaml.v3 hands time.Time to `interface{}` targets, which JSON writes in RFC 3339. */
function kustomizeTimestamp(ctx: Ctx, text: string): string {
  try {
    return goYamlTimestampJson(text) ?? text;
  } catch {
    flag(ctx, `the timestamp ${text}`);
    return text;
  }
}

/** The string a key becomes: sigs.k8s.io/yaml formats non-string keys, kyaml keeps the text. */
function keyString(ctx: Ctx, k: YScalar, nested: boolean): string {
  if (ctx.dialect === 'kustomize') {
    if (nested && !['str', 'timestamp', 'other', 'binary'].includes(k.resolved))
      flag(ctx, `the key ${k.text}`);
    if (k.resolved === 'null') flag(ctx, 'a null key');
    return k.resolved === 'null' ? '' : k.text;
  }
  switch (k.resolved) {
    case 'int':
      return k.int!.toString();
    case 'float':
      return goFormatFloat(k.value as number, 32);
    case 'bool':
      return k.value ? 'true' : 'false';
    case 'null':
      return fail(
        ctx,
        k.offset,
        'a mapping key is null (sigs.k8s.io/yaml: unsupported map key of type <nil>)',
      );
    default:
      return String(k.value);
  }
}

/** Identity of a key for duplicate detection: Go compares the decoded keys, type included. */
function keyIdentity(k: YScalar, key: string): string {
  return k.resolved === 'str' || k.resolved === 'timestamp' || k.resolved === 'other'
    ? `s:${key}`
    : `${k.resolved}:${key}`;
}

function target(ctx: Ctx, node: YamlNode): YamlNode {
  if (!isAlias(node)) return node;
  flag(ctx, 'an alias');
  const t = node.resolve(ctx.doc);
  if (!t) return fail(ctx, node.range?.[0] ?? 0, `unknown anchor '${node.source}' referenced`);
  return t;
}

function isMergeKey(node: YamlNode | null): boolean {
  return (
    isScalar(node) &&
    node.value === '<<' &&
    ((node.type === 'PLAIN' && node.tag === undefined) || node.tag === 'tag:yaml.org,2002:merge')
  );
}

type Slot = { entry: YEntry; id: string };

function put(ctx: Ctx, slots: Map<string, Slot>, entry: YEntry, merged: boolean): void {
  const id = keyIdentity(entry.keyNode, entry.key);
  const had = slots.get(id);
  if (had && ctx.dialect === 'kustomize') {
    // yaml.v3 lets explicit keys win over merged ones and refuses real duplicates.
    if (!merged) flag(ctx, `the duplicate key ${entry.key}`);
    if (merged) return;
  } else if (had && ctx.strict)
    fail(
      ctx,
      entry.value.offset,
      `duplicate key "${entry.key}" in a mapping (keys brought in by a merge key "<<" count too): remove one of them`,
    );
  if (had) slots.delete(id);
  slots.set(id, { entry, id });
}

function mergeInto(ctx: Ctx, slots: Map<string, Slot>, value: YamlNode, offset: number): void {
  flag(ctx, 'a merge key');
  const v = target(ctx, value);
  const sources = isSeq(v) ? [...v.items].reverse().map((i) => target(ctx, i as YamlNode)) : [v];
  // yaml.v3 merges after the explicit keys, earlier sources first; yaml.v2 in place, later sources first.
  if (ctx.dialect === 'kustomize') sources.reverse();
  for (const s of sources) {
    if (!isMap(s)) fail(ctx, offset, 'map merge requires map or sequence of maps as the value');
    fillMap(ctx, slots, s, true);
  }
}

function fillMap(ctx: Ctx, slots: Map<string, Slot>, map: YamlNode, merged: boolean): void {
  if (!isMap(map)) return;
  const merges: YamlNode[] = [];
  for (const pair of map.items) {
    const keyNode = pair.key as YamlNode | null;
    const valueNode = pair.value as YamlNode | null;
    if (isMergeKey(keyNode)) {
      if (ctx.dialect === 'kustomize') merges.push(valueNode!);
      else mergeInto(ctx, slots, valueNode!, keyNode!.range?.[0] ?? 0);
      continue;
    }
    const k = keyNode ? build(ctx, keyNode) : undefined;
    if (k?.kind !== 'scalar')
      return fail(ctx, keyNode?.range?.[0] ?? map.range?.[0] ?? 0, 'a mapping key must be a scalar');
    const value = build(ctx, valueNode) ?? emptyScalar(k.offset);
    put(ctx, slots, { key: keyString(ctx, k, ctx.active.size > 1), keyNode: k, value }, merged);
  }
  for (const m of merges) mergeInto(ctx, slots, m, m.range?.[0] ?? 0);
}

function emptyScalar(offset: number): YScalar {
  return { kind: 'scalar', value: null, resolved: 'null', text: '', offset };
}

/** Builds the tree of a parsed node as the dialect's reader sees it. */
export function build(ctx: Ctx, raw: YamlNode | null): YNode | undefined {
  if (!raw) return undefined;
  const node = target(ctx, raw);
  if (++ctx.nodes > MAX_NODES) fail(ctx, node.range?.[0] ?? 0, 'document contains excessive aliasing');
  if (ctx.active.has(node)) fail(ctx, node.range?.[0] ?? 0, 'an anchor refers to a node that contains it');
  if (isScalar(node)) return scalarNode(ctx, node);
  const offset = node.range?.[0] ?? 0;
  ctx.active.add(node);
  try {
    if (isSeq(node))
      return {
        kind: 'seq',
        items: node.items.map((i) => build(ctx, i as YamlNode) ?? emptyScalar(offset)),
        offset,
      };
    if (isMap(node)) {
      const slots = new Map<string, Slot>();
      fillMap(ctx, slots, node, false);
      return { kind: 'map', entries: [...slots.values()].map((s) => s.entry), offset };
    }
  } finally {
    ctx.active.delete(node);
  }
  return fail(ctx, offset, 'unsupported YAML node');
}

/** The plain JavaScript value of a node (mappings as objects, sequences as arrays). */
export function treeValue(node: YNode | undefined): unknown {
  if (node === undefined) return null;
  switch (node.kind) {
    case 'scalar':
      return node.value;
    case 'seq':
      return node.items.map(treeValue);
    case 'map': {
      const out: Record<string, unknown> = {};
      for (const e of node.entries) out[e.key] = treeValue(e.value);
      return out;
    }
  }
}
