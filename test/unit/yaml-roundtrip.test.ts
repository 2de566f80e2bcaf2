/**
 * Everything lib/util/yaml.ts writes reads back to the same value, in both reader dialects: random and
 * adversarial strings (leading/trailing spaces, line breaks, `: `, `#`, quotes, unicode, control
 * characters, YAML 1.1 words, long text that folds), as keys and values, nested deeply in mappings and
 * sequences. test/parity/yaml-scalars.test.ts reads the same kind of output with kustomize, Helm and
 * PyYAML.
 */
import { readYaml, writeYaml } from '../../lib/util/yaml.js';
import { nest, rng, yamlSample } from '../support/yaml-samples.js';

describe('YAML written by lib/util/yaml.ts reads back unchanged', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('random documents, seed %i', (seed) => {
    const r = rng(seed);
    for (let i = 0; i < 150; i++) {
      const v = nest(yamlSample(r, 4), Math.floor(r() * 14));
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
