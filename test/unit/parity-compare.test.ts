/**
 * The comparison of the parity suite (test/parity/compare.ts): a difference must name the object,
 * the JSON path and both values, tell `null` from absent and 755 from "755", pair objects whose
 * namespace differs, and report order separately from content.
 */
import type { KubeObject } from '../../lib/ports.js';
import { compareObjects, formatDifferences } from '../parity/compare.js';

const cm = (name: string, extra: Record<string, unknown> = {}, namespace?: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, ...(namespace ? { namespace } : {}) },
  ...extra,
});

describe('compareObjects', () => {
  it('finds nothing in equal renders', () => {
    const objs = [cm('a', { data: { x: '1' } }), cm('b')];
    expect(compareObjects(objs, structuredClone(objs))).toEqual({ differences: [], order: undefined });
  });

  it.each([
    ['a number against a string', { mode: 493 }, { mode: '493' }, 'data.mode: kluctl 493, ours "493"'],
    ['null against absent', {}, { sel: null }, 'data.sel: kluctl (absent), ours null'],
    ['an octal read as decimal', { m: 493 }, { m: 755 }, 'data.m: kluctl 493, ours 755'],
  ])('reports %s at its path', (_what, kluctl, ours, line) => {
    const r = compareObjects([cm('a', { data: kluctl })], [cm('a', { data: ours })]);
    expect(formatDifferences(r.differences)).toEqual(['  v1 ConfigMap a', `    ${line}`]);
  });

  it('quotes keys that are not identifiers and indexes arrays', () => {
    const k = cm('a', { metadata: { name: 'a', annotations: { 'kluctl.io/x': 'p/q' } }, l: [1, 2] });
    const o = cm('a', { metadata: { name: 'a', annotations: { 'kluctl.io/x': 'q' } }, l: [1] });
    expect(formatDifferences(compareObjects([k], [o]).differences)).toEqual([
      '  v1 ConfigMap a',
      '    l[1]: kluctl 2, ours (absent)',
      '    metadata.annotations["kluctl.io/x"]: kluctl "p/q", ours "q"',
    ]);
  });

  it('pairs an object whose namespace differs instead of reporting two objects', () => {
    const r = compareObjects([cm('a')], [cm('a', {}, 'default')]);
    expect(formatDifferences(r.differences)).toEqual([
      '  v1 ConfigMap a',
      '    metadata.namespace: kluctl (absent), ours "default"',
    ]);
  });

  it('reports objects only one side has', () => {
    const r = compareObjects([cm('a'), cm('b')], [cm('a'), cm('c')]);
    expect(formatDifferences(r.differences)).toEqual([
      '  v1 ConfigMap b',
      '    (whole object) only in kluctl',
      '  v1 ConfigMap c',
      '    (whole object) only in ours',
    ]);
  });

  it('reports where the order parts, separately from the fields', () => {
    const r = compareObjects([cm('a'), cm('b'), cm('c')], [cm('a'), cm('c'), cm('b')]);
    expect(r.differences).toEqual([]);
    expect(r.order).toBe('position 1 of the shared objects: kluctl v1 ConfigMap b, ours v1 ConfigMap c');
  });
});
