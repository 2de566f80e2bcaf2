/**
 * Reading YAML text into trees (yaml-tree.ts): one document as Go's `Unmarshal` reads it (the first
 * only), or a stream, split as Kluctl splits multi-document files.
 */
import { LineCounter, parseAllDocuments } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import { ProjectLoadError } from '../../errors.js';
import { fixBlockScalarsAtEof } from './block-scalar-eof.js';
import { build, positionOf } from './yaml-tree.js';
import type { Ctx, YDocument, YamlTreeOptions } from './yaml-tree.js';

/** Throws the first syntax error of a parsed document with its position. */
function throwSyntaxErrors(ctx: Pick<Ctx, 'file' | 'lines' | 'lineOffset'>, doc: Document): void {
  const e = doc.errors[0];
  if (!e) return;
  // The yaml package appends a position and a code excerpt to its messages; keep the first line only.
  const msg = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  throw new ProjectLoadError(`YAML syntax error: ${msg}`, { file: ctx.file, ...positionOf(ctx, e.pos[0]) });
}

function readChunk(
  text: string,
  file: string,
  lineOffset: number,
  opts: YamlTreeOptions,
  all: boolean,
): YDocument[] {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, {
    schema: 'failsafe',
    resolveKnownTags: false,
    uniqueKeys: false,
    lineCounter: lines,
  });
  const out: YDocument[] = [];
  // Go's Unmarshal reads the first document of its input only.
  for (const doc of all ? docs : docs.slice(0, 1)) {
    const ctx: Ctx = {
      file,
      text,
      doc,
      dialect: opts.dialect ?? 'kluctl',
      strict: opts.strict ?? true,
      lines,
      lineOffset,
      exotic: undefined,
      nodes: 0,
      active: new Set(),
    };
    throwSyntaxErrors(ctx, doc);
    // yaml.v3 and yaml.v2 keep no final newline in a block scalar that ends the input.
    fixBlockScalarsAtEof(doc, text);
    const root = build(ctx, doc.contents as YamlNode | null);
    const empty = root === undefined || (root.kind === 'scalar' && root.value === null);
    out.push({ root: empty ? undefined : root, exotic: ctx.exotic, position: (o) => positionOf(ctx, o) });
  }
  return out;
}

/**
 * Splits a stream as Kluctl's multi-document reader (k8s.io/apimachinery's YAMLReader) does: at lines
 * starting with `---`, which may only be followed by spaces or a comment.
 */
function splitDocuments(text: string, file: string): { text: string; line: number }[] {
  const lines = text.split('\n');
  const chunks: { text: string; line: number }[] = [];
  let start = 0;
  for (let i = 0; i <= lines.length; i++) {
    const line = lines[i];
    if (line !== undefined && !line.startsWith('---')) continue;
    if (line !== undefined) {
      const rest = line.slice(3).trim();
      if (rest !== '' && !rest.startsWith('#'))
        throw new ProjectLoadError(`invalid YAML document separator: ${rest}`, { file, line: i + 1 });
    }
    // A document followed by a separator ends with that line's break, as YAMLReader returns it.
    if (i > start)
      chunks.push({ text: lines.slice(start, i).join('\n') + (line === undefined ? '' : '\n'), line: start });
    start = i + 1;
  }
  return chunks;
}

/** Reads the first document of `text` (Go's Unmarshal reads no further). */
export function readYamlTree(text: string, file: string, opts: YamlTreeOptions = {}): YDocument {
  const docs = readChunk(stripBom(text), file, 0, opts, false);
  return docs[0] ?? { root: undefined, exotic: undefined, position: () => ({ line: 1, column: 1 }) };
}

/** Reads every document of a stream; empty documents are dropped, as all of Kluctl's readers do. */
export function readYamlTreeAll(text: string, file: string, opts: YamlTreeOptions = {}): YDocument[] {
  const src = stripBom(text);
  const docs =
    (opts.dialect ?? 'kluctl') === 'kluctl'
      ? splitDocuments(src, file).flatMap((c) => readChunk(c.text, file, c.line, opts, false))
      : readChunk(src, file, 0, opts, true);
  return docs.filter((d) => d.root !== undefined);
}

function stripBom(text: string): string {
  return text.startsWith('\ufeff') ? text.slice(1) : text;
}
