/**
 * Everything lib/util/yaml.ts writes reads back to the same value, in both reader dialects: random and
 * adversarial strings (leading/trailing spaces, line breaks, `: `, `#`, quotes, unicode, control
 * characters, YAML 1.1 words, long text that folds), as keys and values, nested deeply in mappings and
 * sequences. test/parity/yaml-scalars.test.ts reads the same kind of output with kustomize, Helm and
 * PyYAML.
 */
import { readYaml, writeYaml } from '../../lib/util/yaml.js';

/** mulberry32: a small seeded generator, so failures reproduce. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  ' ',
  '  ',
  '\n',
  '\n\n',
  '\n  ',
  ': ',
  ':',
  '#',
  ' #',
  '- ',
  '-',
  '? ',
  '"',
  "'",
  '\\',
  '\t',
  '\r',
  '\r\n',
  'é',
  '中文',
  '😀',
  '\u00a0',
  '\u0085',
  '\u2028',
  '\u2029',
  '\ufeff',
  '\0',
  '\x07',
  '\x7f',
  '---',
  '...',
  '|',
  '|-',
  '>',
  '{',
  '}',
  '[',
  ']',
  ',',
  '&a',
  '*a',
  '!',
  '!!str',
  '%',
  '@',
  '`',
  'yes',
  'no',
  'y',
  'N',
  'on',
  'null',
  '~',
  '0755',
  '0o17',
  '0x1F',
  '1_000',
  '1e3',
  '.5',
  '1:20',
  '2001-12-14',
  '2001-12-14 21:59:43.10 -5',
  '=',
  '<<',
  'true',
  '.inf',
  '.nan',
  'word',
  'lorem ipsum dolor sit amet',
  'x'.repeat(90),
];

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

function text(r: Rand): string {
  if (r() < 0.2) {
    // Long prose with single and double spaces: exercises folding at 80 columns.
    const words = Array.from({ length: 5 + Math.floor(r() * 40) }, () =>
      pick(r, ['a', 'bb', 'lorem', 'x'.repeat(30), 'ü']),
    );
    return words
      .map((w) => w + (r() < 0.1 ? '  ' : ' '))
      .join('')
      .slice(0, r() < 0.5 ? undefined : -1);
  }
  return Array.from({ length: Math.floor(r() * 8) }, () => pick(r, PIECES)).join('');
}

function value(r: Rand, depth: number): unknown {
  const k = r();
  if (depth > 0 && k < 0.25) {
    const out: Record<string, unknown> = {};
    for (let i = 0, n = Math.floor(r() * 5); i < n; i++) out[text(r)] = value(r, depth - 1);
    return out;
  }
  if (depth > 0 && k < 0.4) return Array.from({ length: Math.floor(r() * 4) }, () => value(r, depth - 1));
  if (k < 0.45) return pick(r, [null, true, false]);
  if (k < 0.5)
    return r() < 0.5 ? Math.floor((r() - 0.5) * 2 ** 53) : (r() - 0.5) * 10 ** Math.floor(r() * 40 - 20);
  return text(r);
}

/** A value nested `depth` levels deep, alternating mappings and sequences. */
function nest(v: unknown, depth: number): unknown {
  let out = v;
  for (let i = 0; i < depth; i++) out = i % 2 === 0 ? { [`level${i}`]: out } : [out];
  return out;
}

describe('YAML written by lib/util/yaml.ts reads back unchanged', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('random documents, seed %i', (seed) => {
    const r = rng(seed);
    for (let i = 0; i < 150; i++) {
      const v = nest(value(r, 4), Math.floor(r() * 14));
      const y = writeYaml(v);
      expect({ y, back: readYaml(y, 'rt.yaml') }).toEqual({ y, back: v });
      expect({ y, back: readYaml(y, 'rt.yaml', { dialect: 'kustomize' }) }).toEqual({ y, back: v });
    }
  });

  it.each([
    ['block scalar with a trailing newline', 'line1\nline2\n'],
    ['block scalar without one', 'line1\nline2'],
    ['block scalar with several', 'a\n\n\n'],
    ['only newlines', '\n\n'],
    ['leading newline and indentation', '\n  indented\nback'],
    ['space before a newline', 'trailing \nspace'],
    ['CRLF', 'a\r\nb'],
    ['long single line', 'word '.repeat(60).trim()],
    ['long line with a colon', `${'a '.repeat(50)}key: value ${'b '.repeat(50)}`],
    ['long multi-line data', `${'x'.repeat(100)}\n${'y '.repeat(80)}\n`],
    ['key-like text', 'a: b: c'],
    ['comment-like text', 'a #b'],
    ['document markers', '---\n...\n'],
  ])('%s, at every depth up to 20', (_n, s) => {
    for (let d = 0; d <= 20; d++) {
      const v = nest({ key: s, [s]: 'as key', list: [s, { k: s }] }, d);
      expect(readYaml(writeYaml(v), 'rt.yaml')).toEqual(v);
      expect(readYaml(writeYaml(v), 'rt.yaml', { dialect: 'kustomize' })).toEqual(v);
    }
  });

  it('never folds with lineWidth Infinity', () => {
    const s = 'word '.repeat(60).trim();
    expect(writeYaml({ s }, { lineWidth: Infinity })).toBe(`s: ${s}\n`);
  });
});
