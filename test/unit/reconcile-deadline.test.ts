import type { KluctlDeploymentSpec } from '../../lib/api/types.js';
import type { Clock } from '../../lib/ports.js';
import { DeadlineError, startRunDeadline } from '../../lib/reconcile/deadline.js';

const t0 = new Date('2026-11-25T12:00:00Z');
/** A clock the test moves by hand. */
const clockAt = (ms: { now: number }): Clock => ({ now: () => new Date(t0.getTime() + ms.now) });
const spec = (extra: Partial<KluctlDeploymentSpec>) =>
  ({ interval: '5m', source: {}, ...extra }) as KluctlDeploymentSpec;

describe('startRunDeadline', () => {
  // Kluctl's calcTimeout: timeout, else deployInterval, else interval; at least 30s.
  it.each<[string, Partial<KluctlDeploymentSpec>, Date | undefined, number, string, string]>([
    [
      'spec.timeout',
      { timeout: '2m' },
      undefined,
      120_000,
      'timeout',
      'reached the timeout of 2m0s (spec.timeout)',
    ],
    [
      'deployInterval',
      { deployInterval: '1m' },
      undefined,
      60_000,
      'timeout',
      'reached the timeout of 1m0s (spec.deployInterval)',
    ],
    ['interval', {}, undefined, 300_000, 'timeout', 'reached the timeout of 5m0s (spec.interval)'],
    [
      'the 30s floor',
      { timeout: '5s' },
      undefined,
      30_000,
      'timeout',
      'reached the timeout of 30s (spec.timeout, raised to the minimum of 30s)',
    ],
    [
      'a host deadline before the timeout',
      { timeout: '10m' },
      new Date(t0.getTime() + 90_000),
      90_000,
      'deadline',
      'reached the deadline of this run (2026-11-25T12:01:30.000Z, the time its host gave it less the time to write status); the next run continues',
    ],
    [
      'a host deadline after the timeout',
      { timeout: '1m' },
      new Date(t0.getTime() + 90_000),
      60_000,
      'timeout',
      'reached the timeout of 1m0s (spec.timeout)',
    ],
  ])('%s', (_n, extra, hostDeadline, afterMs, by, why) => {
    const d = startRunDeadline({
      clock: clockAt({ now: 0 }),
      started: t0,
      spec: spec(extra),
      ...(hostDeadline ? { hostDeadline } : {}),
    });
    try {
      expect(d.at.getTime() - t0.getTime()).toBe(afterMs);
      expect(d.by).toBe(by);
      expect(d.why).toBe(why);
    } finally {
      d.dispose();
    }
  });

  it('is reached when the clock passes it, and then aborts the signal with the reason', () => {
    const time = { now: 0 };
    const d = startRunDeadline({ clock: clockAt(time), started: t0, spec: spec({ timeout: '1m' }) });
    try {
      expect(d.reached()).toBe(false);
      expect(d.signal.aborted).toBe(false);
      time.now = 60_000;
      expect(d.reached()).toBe(true);
      expect(d.signal.aborted).toBe(true);
      expect((d.signal.reason as Error).message).toBe('reached the timeout of 1m0s (spec.timeout)');
    } finally {
      d.dispose();
    }
  });

  it('aborts the signal by its timer, without anyone asking', async () => {
    const d = startRunDeadline({
      clock: { now: () => new Date() },
      started: new Date(),
      spec: spec({ timeout: '10m' }),
      hostDeadline: new Date(Date.now() + 50),
    });
    try {
      await new Promise<void>((resolve) => d.signal.addEventListener('abort', () => resolve()));
      expect(d.reached()).toBe(true);
    } finally {
      d.dispose();
    }
  });

  it('names the step and what set the deadline in the error a step reports', () => {
    const d = startRunDeadline({ clock: clockAt({ now: 0 }), started: t0, spec: spec({ timeout: '1m' }) });
    d.dispose();
    const err = d.error('deploy');
    expect(err).toBeInstanceOf(DeadlineError);
    expect(err).toMatchObject({ code: 'Timeout', step: 'deploy', by: 'timeout', retryable: false });
    expect(err.message).toBe('deploy stopped: reached the timeout of 1m0s (spec.timeout)');
  });
});
