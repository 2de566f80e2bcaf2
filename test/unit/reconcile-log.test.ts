/**
 * The per-reconcile log lines `gitops logs` prints (lib/reconcile/reconcile-log.ts): captured beside
 * the run's logger, kept only for runs that did something, stored under the deployment's results
 * without counting as results, and trimmed to the newest few.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsStateStore } from '../../lib/adapters/fs-state-store.js';
import { jsonLogger } from '../../lib/logging/json-logger.js';
import { silentLogger } from '../../lib/ports.js';
import {
  captureLog,
  KEEP_RECONCILE_LOGS,
  keepsLog,
  readReconcileLogs,
  storeReconcileLog,
} from '../../lib/reconcile/reconcile-log.js';
import type { ReconcileOutcome } from '../../lib/reconcile/outcome.js';
import { storeCommandResult } from '../../lib/reconcile/results.js';
import type { CommandResult } from '../../lib/deploy/command-result.js';

const now = () => new Date('2026-12-06T03:04:05.678Z');
const d = { clusterId: 'c1', namespace: 'ns', name: 'kd' };
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ks-reconcile-log-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('captureLog passes lines on and keeps info and above with the child fields', () => {
  const out: string[] = [];
  const { logger, lines } = captureLog(
    jsonLogger((l) => out.push(l), 'debug'),
    now,
  );
  const child = logger.child({ reconcileID: 'r1' });
  child.debug('hidden');
  child.info('planned', { deploy: true });
  child.warn('careful');
  expect(out).toHaveLength(3);
  expect(lines).toEqual([
    { reconcileID: 'r1', deploy: true, ts: now().toISOString(), level: 'info', msg: 'planned' },
    { reconcileID: 'r1', ts: now().toISOString(), level: 'warn', msg: 'careful' },
  ]);
});

const outcome = (o: Partial<ReconcileOutcome>): ReconcileOutcome => ({
  outcome: 'succeeded',
  message: '',
  deployed: false,
  ...o,
});
const info = [{ ts: '', level: 'info' as const, msg: 'x' }];

it.each<[string, ReconcileOutcome, boolean]>([
  ['a no-op run', outcome({}), false],
  ['a suspended run', outcome({ outcome: 'suspended' }), false],
  ['a request', outcome({ requeue: true }), true],
  ['a deploy', outcome({ deployed: true }), true],
  ['a failure', outcome({ outcome: 'failed' }), true],
  ['a deletion', outcome({ outcome: 'finalized' }), true],
])('keepsLog: %s', (_name, o, expected) => {
  expect(keepsLog(o, info)).toBe(expected);
});

test('keepsLog keeps a no-op run that warned', () => {
  expect(keepsLog(outcome({}), [{ ts: '', level: 'warn', msg: 'w' }])).toBe(true);
});

test('stored logs read back by reconcile id, newest kept, and results keep their own retention', async () => {
  const store = new FsStateStore(dir);
  for (let i = 0; i < KEEP_RECONCILE_LOGS + 2; i++) {
    const endTime = new Date(Date.UTC(2026, 11, 6, 3, 0, i));
    const lines = [{ ts: endTime.toISOString(), level: 'info' as const, msg: `run ${i}` }];
    await storeReconcileLog(store, d, { reconcileId: `rid-${i}`, lines, endTime }, silentLogger);
  }
  const logs = await readReconcileLogs(store, d);
  expect(logs).toHaveLength(KEEP_RECONCILE_LOGS);
  expect(logs[0]).toEqual({ reconcileId: 'rid-2', lines: [expect.objectContaining({ msg: 'run 2' })] });
  expect(logs.at(-1)!.reconcileId).toBe(`rid-${KEEP_RECONCILE_LOGS + 1}`);

  // A command result written now keeps the logs, and the logs do not count against the results.
  const result = {
    id: 'res1',
    command: { endTime: '2026-12-06T04:00:00Z' },
    objects: [],
  } as unknown as CommandResult;
  await storeCommandResult(store, d, result, 1);
  expect(await readReconcileLogs(store, d)).toHaveLength(KEEP_RECONCILE_LOGS);
});
