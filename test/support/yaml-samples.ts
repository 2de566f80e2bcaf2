/**
 * Random and adversarial YAML values for round-trip tests (test/unit/yaml-roundtrip.test.ts reads them
 * back with lib/util/yaml.ts, test/parity/yaml-scalars.test.ts with kustomize, Helm and PyYAML).
 */

/** mulberry32: a small seeded generator, so failures reproduce. */
export function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Pieces of adversarial strings: YAML indicators, breaks, quotes, unicode, YAML 1.1 words. */
export const YAML_PIECES = [
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

/** A random source in [0, 1). */
export type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

/** A random string: long prose (folds at 80 columns) or a run of adversarial pieces. */
export function yamlText(r: Rand): string {
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
  return Array.from({ length: Math.floor(r() * 8) }, () => pick(r, YAML_PIECES)).join('');
}

/** A random value: mappings and sequences up to `depth`, scalars of every kind. */
export function yamlSample(r: Rand, depth: number): unknown {
  const k = r();
  if (depth > 0 && k < 0.25) {
    const out: Record<string, unknown> = {};
    for (let i = 0, n = Math.floor(r() * 5); i < n; i++) out[yamlText(r)] = yamlSample(r, depth - 1);
    return out;
  }
  if (depth > 0 && k < 0.4)
    return Array.from({ length: Math.floor(r() * 4) }, () => yamlSample(r, depth - 1));
  if (k < 0.45) return pick(r, [null, true, false]);
  if (k < 0.5)
    return r() < 0.5 ? Math.floor((r() - 0.5) * 2 ** 53) : (r() - 0.5) * 10 ** Math.floor(r() * 40 - 20);
  return yamlText(r);
}

/** A value nested `depth` levels deep, alternating mappings and sequences. */
export function nest(v: unknown, depth: number): unknown {
  let out = v;
  for (let i = 0; i < depth; i++) out = i % 2 === 0 ? { [`level${i}`]: out } : [out];
  return out;
}
