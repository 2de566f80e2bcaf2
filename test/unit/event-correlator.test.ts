/**
 * client-go's event correlation as Kluctl's controller gets it (lib/reconcile/event-correlator.ts),
 * with a fake clock: identical events raise one event's count, the 10th distinct message within 10
 * minutes starts one combined event, and the spam filter lets 25 events of an object through at once
 * and then one per 5 minutes.
 */
import { EventCorrelator } from '../../lib/reconcile/event-correlator.js';
import type { Correlation } from '../../lib/reconcile/event-correlator.js';

function setup() {
  let now = Date.parse('2026-12-06T00:00:00Z');
  let n = 0;
  const c = new EventCorrelator({ now: () => new Date(now) });
  const send = (message: string, type = 'Warning', object = 'kd'): Correlation =>
    c.correlate({ object, type, reason: 'ReconciliationSucceeded', message }, () => `ev-${++n}`);
  return { send, advance: (ms: number) => (now += ms) };
}

test('an identical event raises the count of the first', () => {
  const { send } = setup();
  expect(send('same')).toEqual({
    action: 'create',
    name: 'ev-1',
    message: 'same',
    count: 1,
    aggregated: false,
  });
  expect(send('same')).toEqual({
    action: 'patch',
    name: 'ev-1',
    message: 'same',
    count: 2,
    aggregated: false,
  });
});

test('the 10th distinct message within 10 minutes starts one combined event that later ones count on', () => {
  const { send, advance } = setup();
  for (let i = 1; i <= 9; i++) {
    expect(send(`finished in ${i}s`)).toMatchObject({ action: 'create', aggregated: false });
    advance(30_000);
  }
  expect(send('finished in 10s')).toEqual({
    action: 'create',
    name: 'ev-10',
    message: '(combined from similar events): finished in 10s',
    count: 1,
    aggregated: true,
  });
  expect(send('finished in 11s')).toMatchObject({ action: 'patch', name: 'ev-10', count: 2 });
  // After 10 quiet minutes the messages count from zero again.
  advance(600_001);
  expect(send('finished in 12s')).toMatchObject({ action: 'create', aggregated: false });
});

test('the spam filter allows 25 events of an object and type, then one per 5 minutes', () => {
  const { send, advance } = setup();
  const actions = Array.from({ length: 26 }, (_, i) => send(`m${i % 5}`).action);
  expect(actions.filter((a) => a !== 'skip')).toHaveLength(25);
  expect(actions[25]).toBe('skip');
  // Another type or object has its own bucket.
  expect(send('m0', 'Normal').action).not.toBe('skip');
  expect(send('m0', 'Warning', 'other').action).not.toBe('skip');
  advance(299_000);
  expect(send('m1').action).toBe('skip');
  advance(1_000);
  // The count went up in memory while events were dropped, as client-go's does.
  expect(send('m1')).toMatchObject({ action: 'patch', count: 7 });
  expect(send('m1').action).toBe('skip');
});
