import { goJson, objectsHash } from '../../lib/project/objects-hash.js';
import type { KubeObject } from '../../lib/ports.js';

// Expected values were computed outside this code with openssl over hand-written Go-style JSON:
//   o1 = {"apiVersion":"v1","data":{"a":"\u003cb\u003e\u0026","z":"é"},"kind":"ConfigMap","metadata":{"name":"c1"}}
//   o2 = {"apiVersion":"v1","kind":"Namespace","metadata":{"name":"n1"}}
//   hash = sha256(sha256(o1) || sha256(o2)) over the raw 32-byte digests.
const o1: KubeObject = {
  kind: 'ConfigMap',
  apiVersion: 'v1',
  metadata: { name: 'c1' },
  data: { z: 'é', a: '<b>&' },
};
const o2: KubeObject = { metadata: { name: 'n1' }, kind: 'Namespace', apiVersion: 'v1' };

describe('goJson (Go encoding/json of unstructured maps)', () => {
  it.each([
    ['sorted keys at every level', { b: 1, a: { d: [], c: null } }, '{"a":{"c":null,"d":[]},"b":1}'],
    ['HTML-escaped strings', '<a href="x">&</a>', '"\\u003ca href=\\"x\\"\\u003e\\u0026\\u003c/a\\u003e"'],
    ['line and paragraph separators escaped', '\u2028\u2029', '"\\u2028\\u2029"'],
    ['control characters', '\n\t\b\f\u0001', '"\\n\\t\\b\\f\\u0001"'],
    ['non-ASCII kept as UTF-8', 'é✓', '"é✓"'],
    ['numbers as Go prints float64', [1, 1.5, -0.25, 1e21, 1e-7], '[1,1.5,-0.25,1e+21,1e-7]'],
    ['booleans', [true, false], '[true,false]'],
    [
      'keys ordered by code point (UTF-8 bytes)',
      { '\u{1F600}': 1, '\uFF01': 2, B: 3, a: 4 },
      '{"B":3,"a":4,"！":2,"😀":1}',
    ],
  ])('%s', (_name, value, expected) => {
    expect(goJson(value)).toBe(expected);
  });
});

describe('objectsHash', () => {
  it('matches the hand-computed hash of two objects', () => {
    expect(objectsHash([o1, o2])).toBe('af7e0169562efced2eda07d33e49d582ab5a120ff4596c086abe2250c97c621b');
  });

  it('hashes a single object as sha256 of its digest', () => {
    expect(objectsHash([o1])).toBe('779eb421562eca8943a3cb9cb3a831760886cbaffbb9ae07de0e58a5c15ad08f');
  });

  it('is the sha256 of nothing for no objects', () => {
    expect(objectsHash([])).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('depends on object order but not on key order', () => {
    const reordered: KubeObject = {
      apiVersion: 'v1',
      data: { a: '<b>&', z: 'é' },
      metadata: { name: 'c1' },
      kind: 'ConfigMap',
    };
    expect(objectsHash([reordered, o2])).toBe(objectsHash([o1, o2]));
    expect(objectsHash([o2, o1])).not.toBe(objectsHash([o1, o2]));
  });
});
