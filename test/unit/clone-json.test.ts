import { cloneJson } from '../../lib/util/dict.js';

test('cloneJson copies every array and object, so changing the copy leaves the original as it was', () => {
  const original = {
    metadata: { name: 'a', labels: { x: '1' }, finalizers: ['f'] },
    data: { big: 'x'.repeat(10_000) },
    spec: { replicas: 3, paused: false, nothing: null, list: [{ k: [1, 2] }] },
  };
  const before = JSON.stringify(original);
  const copy = cloneJson(original);
  expect(copy).toEqual(original);
  copy.metadata.labels.x = '2';
  copy.metadata.finalizers.push('g');
  copy.spec.list[0]!.k.push(3);
  (copy.data as Record<string, string>).added = 'y';
  expect(JSON.stringify(original)).toBe(before);
  expect(copy.metadata).not.toBe(original.metadata);
  expect(copy.spec.list[0]).not.toBe(original.spec.list[0]);
});

test('cloneJson returns primitives as they are', () => {
  expect(cloneJson('s')).toBe('s');
  expect(cloneJson(0)).toBe(0);
  expect(cloneJson(null)).toBeNull();
  expect(cloneJson([])).toEqual([]);
});
