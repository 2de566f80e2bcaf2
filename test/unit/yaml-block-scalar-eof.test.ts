/**
 * Block scalars ending the input without a line break read as Go's yaml.v3 and PyYAML read them (the
 * values below are what the reference Kluctl printed for the same files, test/parity/render-defects).
 */
import { parseYaml, parseYamlAll } from '../../lib/util/strict-yaml.js';

describe('block scalars at the end of the input', () => {
  it.each([
    ['literal', 'x: |\n  t', 't'],
    ['literal, two lines', 'x: |\n  a\n  b', 'a\nb'],
    ['keep', 'x: |+\n  t', 't'],
    ['folded', 'x: >\n  t\n  more', 't more'],
    ['strip', 'x: |-\n  t', 't'],
    ['indentation indicator', 'x: |2\n   t', ' t'],
    ['with a final line break', 'x: |\n  t\n', 't\n'],
    ['followed by blank lines', 'x: |\n  t\n\n', 't\n'],
    ['keep followed by blank lines', 'x: |+\n  t\n\n', 't\n\n'],
    ['followed by a spaces-only line', 'x: |\n  t\n  ', 't\n'],
    ['in a sequence', 'x:\n  - |\n    t', ['t']],
  ])('%s', (_what, text, expected: unknown) => {
    expect(parseYaml(text, 'f.yaml')).toEqual({ x: expected });
  });

  it('only touches the last document of a stream', () => {
    expect(parseYamlAll('a: |\n  x\n---\nb: |\n  y', 'f.yaml')).toEqual([{ a: 'x\n' }, { b: 'y' }]);
  });
});
