/**
 * One reading difference between the `yaml` package and the YAML readers of the Kubernetes ecosystem:
 * a `|` or `>` block scalar whose last line ends the input without a line break. Go's yaml.v3
 * (kustomize, Kluctl) and PyYAML keep no final newline then, because there is no line break to keep;
 * the `yaml` package treats the end of input as one and adds `\n`. It matters because Jinja drops a
 * template's final newline: a rendered file ending inside a block scalar ends exactly there.
 */
import { isDocument, visit } from 'yaml';
import type { Document, Scalar } from 'yaml';

/** Whether a block scalar's header (`|`, `>2-`, `|+`, ...) strips the final line break. */
function strips(header: string): boolean {
  return /^[|>][0-9]?-/.test(header) || /^[|>]-[0-9]?/.test(header);
}

/**
 * Removes the final `\n` the `yaml` package adds to block scalars that end the input without a line
 * break (clip and keep chomping), so values read as yaml.v3 and PyYAML read them. `text` is the source
 * the document was parsed from. Changes the document in place and returns it.
 */
export function fixBlockScalarsAtEof<T extends Document.Parsed | Document>(doc: T, text: string): T {
  if (!isDocument(doc) || text.endsWith('\n')) return doc;
  visit(doc, {
    Scalar(_key, node: Scalar) {
      if (node.type !== 'BLOCK_LITERAL' && node.type !== 'BLOCK_FOLDED') return;
      const [start, valueEnd] = node.range ?? [];
      if (start === undefined || valueEnd === undefined) return;
      const source = text.slice(start, valueEnd);
      if (source.endsWith('\n') || strips(source)) return;
      if (typeof node.value === 'string' && node.value.endsWith('\n')) node.value = node.value.slice(0, -1);
    },
  });
  return doc;
}
