/**
 * The events of a reconcile (lib/reconcile/events.ts) as Kluctl's controller words them (seen with
 * `kluctl controller run`, test/parity/controller-drift.test.ts), and the readiness wait's limit and
 * message (lib/reconcile/validate.ts).
 */
import type { CommandResultSummary, KluctlDeployment } from '../../lib/api/types.js';
import { commandEvent, reconcileEndEvent, startReason } from '../../lib/reconcile/events.js';
import { readinessRetryLimit, readinessWaitMessage } from '../../lib/reconcile/validate.js';

const kd = (readyReason?: string): KluctlDeployment =>
  ({
    metadata: { name: 'x', namespace: 'ns' },
    spec: { interval: '5m', source: { git: { url: 'u' } } },
    ...(readyReason
      ? {
          status: {
            conditions: [
              { type: 'Ready', status: 'True', reason: readyReason, message: '', lastTransitionTime: '' },
            ],
          },
        }
      : {}),
  }) as unknown as KluctlDeployment;

const summary = (errors: number, fields: Partial<CommandResultSummary> = {}): CommandResultSummary =>
  ({
    newObjects: 4,
    changedObjects: 0,
    deletedObjects: 0,
    orphanObjects: 0,
    appliedHookObjects: 0,
    errors: errors
      ? Array.from({ length: errors }, () => ({ ref: { kind: '', name: '' }, message: 'e' }))
      : null,
    warnings: null,
    ...fields,
  }) as unknown as CommandResultSummary;

describe('command events', () => {
  it.each([
    [
      'first deploy: reason info',
      kd(),
      summary(0),
      ['Normal', 'info', 'full-deploy succeeded. 4 new objects.'],
    ],
    [
      'failed first deploy: reason warning',
      kd(),
      summary(2),
      ['Warning', 'warning', 'full-deploy failed with 2 errors. 4 new objects.'],
    ],
    [
      'later deploys: the Ready reason read at the start',
      kd('ValidateFailed'),
      summary(0, { newObjects: 0, changedObjects: 1 }),
      ['Normal', 'ValidateFailed', 'full-deploy succeeded. 1 changed objects.'],
    ],
  ])('%s', (_name, obj, s, [type, reason, message]) => {
    expect(commandEvent(obj, s, 'full-deploy')).toEqual({ type, reason, message });
  });

  test('startReason falls back to info or warning', () => {
    expect(startReason(kd(), false)).toBe('info');
    expect(startReason(kd(), true)).toBe('warning');
    expect(startReason(kd('PrepareFailed'), false)).toBe('PrepareFailed');
  });
});

describe('end events', () => {
  test('success: always Warning (as Kluctl sends it), durations in Go format (to the ms), commit status annotation', () => {
    expect(
      reconcileEndEvent({
        reason: 'ReconciliationSucceeded',
        elapsedMs: 7079,
        nextRunInMs: 19072,
      }),
    ).toEqual({
      type: 'Warning',
      reason: 'ReconciliationSucceeded',
      message: 'Reconciliation finished in 7.079s, next run in 19.072s',
      annotations: { 'gitops.kluctl.io/commit_status': 'update' },
    });
    expect(reconcileEndEvent({ reason: 'R', elapsedMs: 500, nextRunInMs: 300_000 }).message).toBe(
      'Reconciliation finished in 500ms, next run in 5m0s',
    );
  });

  test('failure: the error as message, no annotations', () => {
    expect(
      reconcileEndEvent({
        reason: 'ValidateFailed',
        error: 'deploy succeeded. validate failed with 1 errors.',
        elapsedMs: 1,
        nextRunInMs: 1,
      }),
    ).toEqual({
      type: 'Warning',
      reason: 'ValidateFailed',
      message: 'deploy succeeded. validate failed with 1 errors.',
    });
  });
});

test('readiness wait message', () => {
  expect(readinessWaitMessage({ attempt: 1, notReady: 1, nextInMs: 1000 })).toBe(
    'Reconciliation in progress: 1 object not ready yet, validating again in 1s (attempt 2)',
  );
  expect(readinessWaitMessage({ attempt: 3, notReady: 2, nextInMs: 4000 })).toBe(
    'Reconciliation in progress: 2 objects not ready yet, validating again in 4s (attempt 4)',
  );
});

describe('readinessRetryLimit', () => {
  it.each([
    ['no deploy: one attempt', { deployed: false, retryIntervalMs: 60_000, remainingMs: 600_000 }, 0],
    ['retryInterval', { deployed: true, retryIntervalMs: 60_000, remainingMs: 600_000 }, 60_000],
    ['half the time left', { deployed: true, retryIntervalMs: 600_000, remainingMs: 120_000 }, 60_000],
    ['past the deadline', { deployed: true, retryIntervalMs: 600_000, remainingMs: -5 }, 0],
  ])('%s', (_name, input, expected) => expect(readinessRetryLimit(input)).toBe(expected));
});
