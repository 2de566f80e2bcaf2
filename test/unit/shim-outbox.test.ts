// The shim's outbox on a fake clock: batching, coalescing per object (the latest state wins), signed
// pushes, retries with growing jittered delays, nothing lost across an outage, and the resync rules.
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { IngestEndpoint } from '../../lib/ports.js';
import {
  type MirroredDeployment,
  SHIM_HEADERS,
  type ShimPush,
  verifyPush,
} from '../../lib/serverless/protocol.js';
import { PushOutbox, type PushOutboxOptions } from '../../lib/shim/push-outbox.js';

const KEY = Buffer.from('k'.repeat(32));

function kd(
  name: string,
  generation = 1,
  extra: Partial<MirroredDeployment['metadata']> = {},
): MirroredDeployment {
  return { metadata: { name, namespace: 'ns', generation, ...extra }, spec: { interval: '5m' } as never };
}

/** An ingest endpoint that checks every signature, records accepted pushes and can be made to fail. */
class FakeIngest implements IngestEndpoint {
  readonly accepted: { at: number; push: ShimPush; bytes: number }[] = [];
  attempts: number[] = [];
  down = false;
  /** When set, the next post waits for it. */
  gate: Promise<void> | undefined;

  async post(body: string, headers: Readonly<Record<string, string>>): Promise<number> {
    this.attempts.push(Date.now());
    const gate = this.gate;
    this.gate = undefined;
    await gate;
    if (this.down) throw new Error('connect ECONNREFUSED 127.0.0.1:1');
    const verdict = verifyPush(
      KEY,
      {
        clusterId: headers[SHIM_HEADERS.cluster],
        timestamp: headers[SHIM_HEADERS.timestamp],
        signature: headers[SHIM_HEADERS.signature],
      },
      body,
      Date.now(),
    );
    if (verdict !== 'ok') return 401;
    this.accepted.push({
      at: Date.now(),
      push: JSON.parse(body) as ShimPush,
      bytes: Buffer.byteLength(body),
    });
    return 202;
  }

  /** name → generation (or 'deleted') after replaying the accepted pushes. */
  mirror(): Record<string, number | 'deleted'> {
    const m: Record<string, number | 'deleted'> = {};
    for (const { push } of this.accepted) {
      if (push.kind === 'resync') for (const k of Object.keys(m)) m[k] = 'deleted';
      for (const o of push.objects)
        m[o.metadata.name] = push.kind === 'delete' ? 'deleted' : o.metadata.generation!;
    }
    return m;
  }
}

let ingest: FakeIngest;
let complete: MirroredDeployment[] | undefined;

function outbox(extra: Partial<PushOutboxOptions> = {}): PushOutbox {
  return new PushOutbox({
    clusterId: 'c1',
    key: KEY,
    endpoint: ingest,
    resyncSource: () => complete,
    backoff: { baseMs: 1000, maxMs: 8000, random: () => 0.5 },
    ...extra,
  });
}

beforeEach(() => {
  jest.useFakeTimers({ now: Date.UTC(2026, 11, 6, 12) });
  ingest = new FakeIngest();
  complete = undefined;
});
afterEach(() => {
  jest.useRealTimers();
});

describe('PushOutbox', () => {
  it('sends changes of one batching window as one signed push, the latest state of each object', async () => {
    const box = outbox();
    box.upsert(kd('a', 1));
    await jest.advanceTimersByTimeAsync(100);
    box.upsert(kd('a', 2));
    box.upsert(kd('b', 1));
    expect(ingest.accepted).toEqual([]);
    await jest.advanceTimersByTimeAsync(100);
    expect(ingest.accepted.map((a) => a.push)).toEqual([
      { clusterId: 'c1', kind: 'upsert', objects: [kd('a', 2), kd('b', 1)] },
    ]);
    expect(ingest.accepted[0]!.at - Date.UTC(2026, 11, 6, 12)).toBe(200);
  });

  it('sends upserts and deletes as separate pushes, a delete winning over an earlier upsert', async () => {
    const box = outbox();
    box.upsert(kd('a'));
    box.upsert(kd('b'));
    box.remove(kd('a'));
    await jest.advanceTimersByTimeAsync(200);
    expect(ingest.accepted.map((a) => [a.push.kind, a.push.objects.map((o) => o.metadata.name)])).toEqual([
      ['upsert', ['b']],
      ['delete', ['a']],
    ]);
  });

  it('retries with growing jittered delays while ingest is down and loses nothing', async () => {
    const box = outbox();
    ingest.down = true;
    box.upsert(kd('a', 1));
    box.upsert(kd('b', 1));
    box.upsert(kd('c', 1));
    await jest.advanceTimersByTimeAsync(200);
    // Delays with random() = 0.5: 750, 1500, 3000, 6000, then capped at 8000 → 6000.
    await jest.advanceTimersByTimeAsync(750 + 1500 + 3000 + 6000 + 6000);
    const gaps = ingest.attempts.slice(1).map((t, i) => t - ingest.attempts[i]!);
    expect(gaps).toEqual([750, 1500, 3000, 6000, 6000]);
    expect(box.state()).toMatchObject({ failures: 6, pendingObjects: 3 });
    // Changes during the outage coalesce with what is waiting.
    box.upsert(kd('a', 2));
    box.remove(kd('b'));
    box.upsert(kd('a', 3));
    complete = [kd('a', 3), kd('c', 1)];
    ingest.down = false;
    await jest.advanceTimersByTimeAsync(6000);
    expect(ingest.mirror()).toEqual({ a: 3, b: 'deleted', c: 1 });
    // Recovery is followed by a resync of the complete list.
    expect(ingest.accepted.at(-1)!.push).toEqual({ clusterId: 'c1', kind: 'resync', objects: complete });
    expect(box.state()).toMatchObject({ failures: 0, pendingObjects: 0, resyncPending: false });
  });

  it('keeps a change that arrived while the failing push was in flight over the failed one', async () => {
    const box = outbox();
    let release!: () => void;
    ingest.gate = new Promise((r) => (release = r));
    ingest.down = true;
    box.upsert(kd('a', 1));
    await jest.advanceTimersByTimeAsync(200);
    box.remove(kd('a')); // newer than the push in flight
    release();
    await jest.advanceTimersByTimeAsync(0);
    ingest.down = false;
    await jest.advanceTimersByTimeAsync(750);
    expect(ingest.accepted.map((a) => a.push.kind)).toEqual(['delete']);
    expect(ingest.mirror()).toEqual({ a: 'deleted' });
  });

  it('holds a resync until the complete list is known, then sends it in place of pending changes', async () => {
    const box = outbox();
    box.requestResync();
    box.upsert(kd('a'));
    await jest.advanceTimersByTimeAsync(200);
    expect(ingest.accepted.map((a) => a.push.kind)).toEqual(['upsert']);
    box.upsert(kd('b'));
    box.remove(kd('a'));
    complete = [kd('b')];
    box.kick();
    await jest.advanceTimersByTimeAsync(200);
    expect(ingest.accepted.map((a) => a.push.kind)).toEqual(['upsert', 'resync']);
    expect(ingest.mirror()).toEqual({ a: 'deleted', b: 1 });
    // Nothing else is scheduled: no polling while idle.
    expect(jest.getTimerCount()).toBe(0);
  });

  it('splits large batches below the size limit and sends an oversized resync as upserts plus deletes', async () => {
    const max = 600;
    const box = outbox({ maxPushBytes: max });
    const many = Array.from({ length: 12 }, (_, i) =>
      kd(`app-${i}`, 1, { annotations: { n: 'x'.repeat(40) } }),
    );
    for (const o of many) box.upsert(o);
    await jest.advanceTimersByTimeAsync(200);
    expect(ingest.accepted.length).toBeGreaterThan(2);
    expect(Math.max(...ingest.accepted.map((a) => a.bytes))).toBeLessThanOrEqual(max);
    expect(ingest.accepted.every((a) => a.push.kind === 'upsert')).toBe(true);
    const before = ingest.accepted.length;
    box.remove(kd('gone'));
    complete = many;
    box.requestResync();
    await jest.advanceTimersByTimeAsync(200);
    const after = ingest.accepted.slice(before).map((a) => a.push);
    expect(after.some((p) => p.kind === 'resync')).toBe(false);
    expect(after.filter((p) => p.kind === 'upsert').flatMap((p) => p.objects)).toEqual(many);
    expect(
      after.filter((p) => p.kind === 'delete').flatMap((p) => p.objects.map((o) => o.metadata.name)),
    ).toEqual(['gone']);
  });

  it('counts a non-2xx answer as a failure (a refused signature is retried, not dropped)', async () => {
    const box = outbox({ key: Buffer.from('w'.repeat(32)) });
    box.upsert(kd('a'));
    await jest.advanceTimersByTimeAsync(200 + 750);
    expect(ingest.attempts).toHaveLength(2);
    expect(box.state()).toMatchObject({ failures: 2, pendingObjects: 1, pushesSent: 0 });
    box.stop();
    expect(jest.getTimerCount()).toBe(0);
  });
});
