import { handleReconcileBatch } from '../../functions/reconcile/handler.js';
import type { ReconcileFunctionDeps } from '../../functions/reconcile/handler.js';
import type { KubeClient, KubeClientFactory, Logger, StateStore } from '../../lib/ports.js';
import type { ReconcileOutcome } from '../../lib/reconcile/reconcile.js';
import type { ReconcileMessage } from '../../lib/serverless/protocol.js';
import { sqsEvent } from '../integration/function-fixtures.js';

const now = new Date('2026-11-25T12:00:00Z');
const msg = (name: string, clusterId = 'c1'): ReconcileMessage => ({
  clusterId,
  namespace: 'ns',
  name,
  reason: 'schedule',
});

/** A cluster where no KluctlDeployment exists: every reconcile ends `gone` without touching anything. */
const emptyCluster = { get: async () => undefined } as unknown as KubeClient;

function setup(over: Partial<ReconcileFunctionDeps> = {}) {
  const logs: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
  const logger: Logger = {
    debug: () => undefined,
    info: (m, f) => void logs.push({ level: 'info', msg: m, ...(f ? { fields: f } : {}) }),
    warn: (m, f) => void logs.push({ level: 'warn', msg: m, ...(f ? { fields: f } : {}) }),
    error: (m, f) => void logs.push({ level: 'error', msg: m, ...(f ? { fields: f } : {}) }),
    child: () => logger,
  };
  const asked: string[] = [];
  const seen: [ReconcileMessage, ReconcileOutcome][] = [];
  const deps: ReconcileFunctionDeps = {
    shared: {
      store: {} as StateStore,
      git: {} as never,
      clock: { now: () => now },
      logger,
      workDir: '/nonexistent',
      holder: 'unit',
    },
    clusters: {
      forCluster: async (id) => {
        asked.push(id);
        return id === 'c1'
          ? { kube: emptyCluster, clusters: {} as KubeClientFactory, close: () => undefined }
          : undefined;
      },
    },
    onReconciled: (m, o) => void seen.push([m, o]),
    ...over,
  };
  return { deps, logs, asked, seen };
}

// Raw bodies, for records no sender of ours would write.
const withBodies = (...bodies: string[]) => {
  const e = sqsEvent('raw', ...bodies.map(() => msg('x')));
  e.Records.forEach((r, i) => (r.body = bodies[i]!));
  return e;
};

describe('handleReconcileBatch', () => {
  it('reconciles the cluster each message names and tells onReconciled', async () => {
    const { deps, asked, seen } = setup();
    const res = await handleReconcileBatch(sqsEvent('m', msg('a'), msg('b')), deps);
    expect(res.batchItemFailures).toEqual([]);
    expect(asked).toEqual(['c1', 'c1']);
    expect(seen.map(([m, o]) => [m.name, o.outcome])).toEqual([
      ['a', 'gone'],
      ['b', 'gone'],
    ]);
  });

  it('drops malformed messages and messages of unregistered clusters (no retry can fix them)', async () => {
    const { deps, logs, seen } = setup();
    const event = sqsEvent('m', msg('a', 'unknown-cluster'));
    event.Records.unshift(...withBodies('{"namespace":"ns","name":"old-format"}').Records);
    const res = await handleReconcileBatch(event, deps);
    expect(res.batchItemFailures).toEqual([]);
    expect(seen).toEqual([]);
    expect(logs.filter((l) => l.level === 'error').map((l) => l.msg)).toEqual([
      'dropping malformed reconcile message',
      'dropping reconcile message for an unregistered cluster',
    ]);
  });

  it('redelivers, in order, what it has no time left to start', async () => {
    const { deps, asked } = setup();
    // 15 s left is less than the 20 s margin: starting would be killed before status was written.
    const res = await handleReconcileBatch(sqsEvent('m', msg('a'), msg('b')), deps, {
      getRemainingTimeInMillis: () => 15_000,
    });
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: 'm-0' }, { itemIdentifier: 'm-1' }]);
    expect(asked).toEqual([]);
  });

  it('redelivers a message whose outcome could not be recorded, and everything after it', async () => {
    const { deps } = setup({
      onReconciled: () => {
        throw new Error('schedule index unavailable');
      },
    });
    const res = await handleReconcileBatch(sqsEvent('m', msg('a'), msg('b')), deps);
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: 'm-0' }, { itemIdentifier: 'm-1' }]);
  });
});
