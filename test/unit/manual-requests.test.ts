// Kluctl's manual request protocol as pure functions (lib/reconcile/manual-requests.ts): parsing the
// annotation, overrides for one run, the command errors of a request record, which request is served
// first, and the merge patches behind them.
import type { KluctlDeployment } from '../../lib/api/types.js';
import {
  combineCommandErrors,
  commandErrorText,
  finishedRequest,
  parseManualRequest,
  pendingCommandRequest,
  withOverrides,
} from '../../lib/reconcile/manual-requests.js';
import { applyMergePatch, replacementPatch } from '../../lib/util/merge-patch.js';

const kd = (annotations: Record<string, string> = {}): KluctlDeployment =>
  ({
    apiVersion: 'gitops.kluctl.io/v1beta1',
    kind: 'KluctlDeployment',
    metadata: { name: 'a', namespace: 'n', generation: 3, annotations },
    spec: { interval: '5m', source: { git: { url: 'https://x/y.git' } }, dryRun: true, args: { a: 'v1' } },
    status: { observedGeneration: 3 },
  }) as KluctlDeployment;

describe('parseManualRequest', () => {
  it.each([
    [
      'the CLI JSON',
      '{"requestValue":"2026-12-06T01:04:15.05Z"}',
      { requestValue: '2026-12-06T01:04:15.05Z' },
    ],
    [
      'with overrides',
      '{"overridesPatch":{"spec":{"dryRun":null}},"requestValue":"x"}',
      { requestValue: 'x', overridesPatch: { spec: { dryRun: null } } },
    ],
    ['YAML, as Kluctl also reads it', 'requestValue: x\n', { requestValue: 'x' }],
  ])('reads %s', (_n, text, want) =>
    expect(parseManualRequest(text, 'kluctl.io/request-deploy')).toEqual(want),
  );

  it.each([
    ['an empty value', '{"requestValue":""}', 'missing requestValue in manual request annotation'],
    ['no value', '{}', 'missing requestValue in manual request annotation'],
    ['a plain timestamp', '"x"', 'missing requestValue in manual request annotation'],
    ['a list as patch', '{"requestValue":"x","overridesPatch":[1]}', 'must be a JSON merge patch object'],
    ['broken JSON', '{"requestValue":', 'is not a manual request'],
  ])('refuses %s', (_n, text, msg) =>
    expect(() => parseManualRequest(text, 'kluctl.io/request-deploy')).toThrow(msg),
  );
});

describe('withOverrides', () => {
  it('merges the patch into the spec (null removes) and leaves the object alone', () => {
    const before = kd();
    const after = withOverrides(before, { spec: { dryRun: null, args: { b: 'x' }, prune: true } });
    expect(after.spec).toMatchObject({ args: { a: 'v1', b: 'x' }, prune: true });
    expect(after.spec.dryRun).toBeUndefined();
    expect(before.spec).toMatchObject({ dryRun: true, args: { a: 'v1' } });
  });
  it('accepts a patch that restates other fields unchanged', () =>
    expect(withOverrides(kd(), { metadata: { name: 'a' }, spec: {} }).metadata.name).toBe('a'));
  it.each([
    ['metadata', { metadata: { labels: { x: 'y' } } }],
    ['status', { status: { observedGeneration: 1 } }],
  ])('refuses a patch of the %s', (_n, patch) =>
    expect(() => withOverrides(kd(), patch)).toThrow('override patch tried to modify non-spec fields'),
  );
});

describe('pendingCommandRequest', () => {
  it.each([
    [{}, undefined],
    [{ 'kluctl.io/request-reconcile': 'x' }, undefined],
    [{ 'kluctl.io/request-validate': 'x', 'kluctl.io/request-deploy': 'y' }, 'deploy'],
    [{ 'kluctl.io/request-prune': 'x', 'kluctl.io/request-diff': 'y' }, 'diff'],
    [{ 'kluctl.io/request-deploy': '' }, undefined],
  ])('%j → %s (Kluctl serves diff, deploy, prune, validate in this order)', (annotations, want) =>
    expect(pendingCommandRequest(kd(annotations))).toBe(want),
  );
});

describe('request records and their command errors', () => {
  it.each([
    ['deploy', [], [], undefined],
    ['deploy', [1], [], 'deploy failed with 1 errors.'],
    ['validate', [1, 2], [1], 'validate failed with 2 errors and 1 warnings.'],
    ['diff', null, [1], undefined],
  ])('%s with %j errors, %j warnings', (cmd, errors, warnings, want) =>
    expect(commandErrorText(cmd, errors, warnings)).toBe(want),
  );
  it('combines several errors as Go multierror prints them', () => {
    expect(combineCommandErrors([undefined, 'a.'])).toBe('a.');
    expect(
      combineCommandErrors(['deploy failed with 1 errors.', undefined, 'validate failed with 1 errors.']),
    ).toBe('2 errors occurred:\n\t* deploy failed with 1 errors.\n\t* validate failed with 1 errors.\n\n');
    expect(combineCommandErrors([])).toBeUndefined();
  });
  it('completes a record with end time, result id and error (omitted when empty)', () => {
    const started = { request: { requestValue: 'x' }, startTime: '2026-12-06T01:00:00Z', reconcileId: 'r' };
    expect(
      finishedRequest(started, new Date('2026-12-06T01:00:02.5Z'), { resultId: '', commandError: '' }),
    ).toEqual({
      ...started,
      endTime: '2026-12-06T01:00:02Z',
    });
  });
});

describe('merge patches', () => {
  it('applies RFC 7386', () =>
    expect(applyMergePatch({ a: { b: 1, c: 2 }, d: [1] }, { a: { b: null, e: 3 }, d: [2] })).toEqual({
      a: { c: 2, e: 3 },
      d: [2],
    }));
  it('replaces a whole value, removing what the old one had beyond the new', () =>
    expect(
      replacementPatch(
        {
          rr: {
            request: { requestValue: 'a', overridesPatch: { spec: { x: 1 } } },
            endTime: 't',
            resultId: 'id',
          },
        },
        { rr: { request: { requestValue: 'b' }, startTime: 's' } },
      ),
    ).toEqual({
      rr: {
        request: { requestValue: 'b', overridesPatch: null },
        startTime: 's',
        endTime: null,
        resultId: null,
      },
    }));
});
