// The in-process reconcile queue keeps the SQS FIFO contract: one ordered group per deployment, groups
// in parallel, deduplication within a window, failed messages retried after a delay, then dead-lettered.
import { describe, expect, it } from '@jest/globals';
import { MemoryReconcileQueue } from '../../lib/serverless/memory-queue.js';
import type { ReconcileMessage } from '../../lib/serverless/protocol.js';

const msg = (name: string, over: Partial<ReconcileMessage> = {}): ReconcileMessage => ({
  clusterId: 'c1',
  namespace: 'ns',
  name,
  reason: 'schedule',
  ...over,
});

function fakeClock(start = Date.UTC(2026, 11, 6)) {
  let t = start;
  return { now: () => new Date(t), advance: (ms: number) => void (t += ms) };
}

describe('MemoryReconcileQueue', () => {
  it('hands out one message per group at a time, in order, and other groups meanwhile', async () => {
    const q = new MemoryReconcileQueue();
    await q.enqueue([msg('a', { reason: 'created' }), msg('a', { reason: 'generation' }), msg('b')]);
    const first = q.receive()!;
    expect(first.message).toMatchObject({ name: 'a', reason: 'created' });
    const second = q.receive()!;
    expect(second.message.name).toBe('b');
    expect(q.receive()).toBeUndefined();
    q.settle(first, true);
    expect(q.receive()?.message).toMatchObject({ name: 'a', reason: 'generation' });
  });

  it('drops a repeated deduplication id inside the window and accepts it after', async () => {
    const clock = fakeClock();
    const q = new MemoryReconcileQueue({ clock, dedupWindowMs: 1000 });
    await q.enqueue([msg('a', { deduplicationId: 'x' }), msg('a', { deduplicationId: 'x' })]);
    expect(q.size).toBe(1);
    clock.advance(1001);
    await q.enqueue([msg('a', { deduplicationId: 'x' })]);
    expect(q.size).toBe(2);
    await q.enqueue([msg('a'), msg('a')]);
    expect(q.size).toBe(4);
  });

  it('offers a failed message again after the retry delay, then dead-letters it', async () => {
    const clock = fakeClock();
    const q = new MemoryReconcileQueue({ clock, retryDelayMs: 500, maxReceives: 2 });
    await q.enqueue([msg('a'), msg('a', { reason: 'request' })]);
    q.settle(q.receive()!, false);
    expect(q.receive()).toBeUndefined();
    clock.advance(500);
    const again = q.receive()!;
    expect(again).toMatchObject({ receiveCount: 2, message: { reason: 'schedule' } });
    q.settle(again, false);
    expect(q.deadLetters).toEqual([msg('a')]);
    expect(q.receive()?.message.reason).toBe('request');
  });

  it('consumes with bounded concurrency until aborted, one message per group at a time', async () => {
    const q = new MemoryReconcileQueue();
    const names = ['a', 'b', 'c', 'd'];
    await q.enqueue(names.flatMap((n) => [msg(n), msg(n, { reason: 'request' })]));
    const active = new Set<string>();
    let peak = 0;
    let overlapped = false;
    const order: string[] = [];
    const ctl = new AbortController();
    const consumed = q.consume(
      async (m) => {
        overlapped ||= active.has(m.name);
        active.add(m.name);
        peak = Math.max(peak, active.size);
        await new Promise((r) => setTimeout(r, 5));
        order.push(`${m.name}:${m.reason}`);
        active.delete(m.name);
        if (order.length === names.length * 2) ctl.abort();
      },
      { signal: ctl.signal, concurrency: 2 },
    );
    await consumed;
    expect(peak).toBe(2);
    expect(overlapped).toBe(false);
    for (const n of names) expect(order.indexOf(`${n}:schedule`)).toBeLessThan(order.indexOf(`${n}:request`));
    expect(q.size).toBe(0);
  });

  it('wakes an idle consumer on enqueue', async () => {
    const q = new MemoryReconcileQueue();
    const ctl = new AbortController();
    const seen: string[] = [];
    const consumed = q.consume(
      async (m) => {
        seen.push(m.name);
        ctl.abort();
      },
      { signal: ctl.signal },
    );
    await new Promise((r) => setTimeout(r, 20));
    await q.enqueue([msg('late')]);
    await consumed;
    expect(seen).toEqual(['late']);
  });
});
