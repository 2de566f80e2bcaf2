/**
 * The `overridesPatch` of `gitops deploy|diff|prune|validate|reconcile` (lib/gitops/overrides-patch.ts),
 * as Kluctl's buildOverridePatch makes it: only given flags change fields, lists append, args merge,
 * and turning a flag off patches it to null (Go's omitempty).
 */
import type { KluctlDeployment } from '../../lib/api/types.js';
import { buildOverridesPatch } from '../../lib/gitops/overrides-patch.js';
import type { GitopsOverrides } from '../../lib/gitops/overrides-patch.js';

const kd = (spec: Record<string, unknown>): KluctlDeployment =>
  ({
    apiVersion: 'gitops.kluctl.io/v1beta1',
    kind: 'KluctlDeployment',
    metadata: { name: 'kd', namespace: 'ns' },
    spec: { interval: '5m', source: { git: { url: 'https://h/r.git' } }, ...spec },
  }) as KluctlDeployment;

it.each<[string, Record<string, unknown>, GitopsOverrides, Record<string, unknown> | undefined]>([
  ['no flags', { dryRun: false }, {}, undefined],
  ['empty lists', {}, { includeTags: [], excludeTags: [] }, undefined],
  ['--dry-run', { dryRun: false }, { dryRun: true }, { spec: { dryRun: true } }],
  ['--dry-run=false on a dry-run spec', { dryRun: true }, { dryRun: false }, { spec: { dryRun: null } }],
  ['--dry-run on a dry-run spec', { dryRun: true }, { dryRun: true }, undefined],
  [
    '-t and -T',
    { target: 'a' },
    { target: 'b', targetNameOverride: 'x' },
    { spec: { target: 'b', targetNameOverride: 'x' } },
  ],
  ['--target-context', {}, { targetContext: 'c' }, { spec: { context: 'c' } }],
  ['-I appends', { includeTags: ['a'] }, { includeTags: ['b'] }, { spec: { includeTags: ['a', 'b'] } }],
  [
    '-a merges over spec.args',
    { args: { a: 1, n: { x: 1 } } },
    { args: { n: { y: 2 } } },
    { spec: { args: { n: { y: 2 } } } },
  ],
  [
    '-F appends to spec.images',
    { images: [{ image: 'i', resultImage: 'i:1' }] },
    { images: [{ image: 'j', resultImage: 'j:2' }] },
    {
      spec: {
        images: [
          { image: 'i', resultImage: 'i:1' },
          { image: 'j', resultImage: 'j:2' },
        ],
      },
    },
  ],
  ['--no-wait and --prune', {}, { noWait: true, prune: true }, { spec: { noWait: true, prune: true } }],
])('%s', (_name, spec, overrides, expected) => {
  expect(buildOverridesPatch(kd(spec), overrides)).toEqual(expected);
});
