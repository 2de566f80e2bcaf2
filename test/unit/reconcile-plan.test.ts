import type { KluctlDeploymentSpec } from '../../lib/api/types.js';
import type { KluctlDeploymentStatus } from '../../lib/api/types.js';
import {
  hasDeployMemory,
  memoryFromStatus,
  nextReconcileAt,
  planReconcile,
} from '../../lib/reconcile/plan.js';
import type { DeployMemory } from '../../lib/reconcile/plan.js';

const now = new Date('2026-11-25T12:00:00Z');
const ago = (min: number) => new Date(now.getTime() - min * 60_000).toISOString();
const spec = (extra: Partial<KluctlDeploymentSpec> = {}): KluctlDeploymentSpec => ({
  interval: '5m',
  source: { git: { url: 'https://example.com/r.git' } },
  ...extra,
});
const deployed: DeployMemory = {
  lastObjectsHash: 'h1',
  lastReconciledGeneration: 1,
  lastDeployEndTime: ago(1),
  lastValidateEndTime: ago(1),
};

// Manual approval (Kluctl's reconcileFullRequest2): a needed deploy happens only when
// spec.manualObjectsHash equals the rendered objects hash; the reason always names the hash to approve.
const manual = (manualObjectsHash?: string, extra: Partial<KluctlDeploymentSpec> = {}) =>
  spec({ manual: true, ...(manualObjectsHash ? { manualObjectsHash } : {}), ...extra });
const approvedH1: DeployMemory = { ...deployed, lastManualObjectsHash: 'h1' };
const waiting = (why: string, hash: string, now: string) =>
  `${why}, waiting for approval: set spec.manualObjectsHash to the rendered objects hash ${hash} (now ${now}) to deploy`;

describe('planReconcile', () => {
  it.each<[string, KluctlDeploymentSpec, DeployMemory, string, number, boolean, string]>([
    ['first reconcile', spec(), {}, 'h1', 1, true, 'no previous deployment'],
    ['hash changed', spec(), deployed, 'h2', 1, true, 'rendered objects changed'],
    ['generation changed', spec(), deployed, 'h1', 2, true, 'generation changed to 2'],
    ['nothing changed', spec(), deployed, 'h1', 1, false, 'rendered objects unchanged'],
    [
      'last deploy stopped at its host deadline',
      spec(),
      { ...deployed, deployInterrupted: ago(1) },
      'h1',
      1,
      true,
      'the last deploy was stopped at the deadline of its run',
    ],
    [
      'deployInterval not yet due',
      spec({ deployInterval: '10m' }),
      deployed,
      'h1',
      1,
      false,
      'rendered objects unchanged',
    ],
    [
      'deployInterval due',
      spec({ deployInterval: '30s' }),
      deployed,
      'h1',
      1,
      true,
      'deployInterval 30s is due',
    ],
  ])('%s', (_name, s, memory, hash, generation, deploy, reason) => {
    const plan = planReconcile({ spec: s, memory, objectsHash: hash, generation, now });
    expect(plan.deploy).toBe(deploy);
    expect(plan.deployReason).toBe(reason);
  });

  it.each<[string, KluctlDeploymentSpec, DeployMemory, string, boolean]>([
    ['validate disabled', spec({ validate: false }), deployed, 'h1', false],
    ['never validated', spec(), { ...deployed, lastValidateEndTime: undefined }, 'h1', true],
    ['deploying validates', spec(), deployed, 'h2', true],
    ['recent validation', spec(), deployed, 'h1', false],
    ['validateInterval due', spec({ validateInterval: '30s' }), deployed, 'h1', true],
  ])('validate: %s', (_name, s, memory, hash, validate) => {
    expect(planReconcile({ spec: s, memory, objectsHash: hash, generation: 1, now }).validate).toBe(validate);
  });

  it('schedules the next run at the earliest of interval, deployInterval and validateInterval', () => {
    const plan = planReconcile({
      spec: spec({ interval: '10m', deployInterval: '3m', validateInterval: '20m' }),
      memory: deployed,
      objectsHash: 'h1',
      generation: 1,
      now,
    });
    expect(plan.nextRunAt.toISOString()).toBe(new Date(Date.parse(ago(1)) + 3 * 60_000).toISOString());
    const plain = planReconcile({ spec: spec(), memory: deployed, objectsHash: 'h1', generation: 1, now });
    expect(plain.nextRunAt.getTime() - now.getTime()).toBe(4 * 60_000);
  });

  it.each<[string, KluctlDeploymentSpec, DeployMemory, string, number, boolean, boolean, string]>([
    [
      'first reconcile, nothing approved',
      manual(),
      {},
      'h1',
      1,
      false,
      true,
      waiting('no previous deployment', 'h1', 'unset'),
    ],
    [
      'first reconcile, rendered hash approved',
      manual('h1'),
      {},
      'h1',
      2,
      true,
      false,
      'no previous deployment; objects hash h1 is approved',
    ],
    [
      'first reconcile, a different hash approved',
      manual('h0'),
      {},
      'h1',
      2,
      false,
      true,
      waiting('no previous deployment', 'h1', 'h0'),
    ],
    [
      'new commit after approval',
      manual('h1'),
      approvedH1,
      'h2',
      1,
      false,
      true,
      waiting('rendered objects changed', 'h2', 'h1'),
    ],
    [
      'next reconcile of the same unapproved commit',
      manual('h1'),
      { ...approvedH1, lastObjectsHash: 'h2' },
      'h2',
      1,
      false,
      true,
      waiting('rendered objects unchanged', 'h2', 'h1'),
    ],
    [
      'the new hash approved',
      manual('h2'),
      { ...approvedH1, lastObjectsHash: 'h2' },
      'h2',
      2,
      true,
      false,
      'spec.manualObjectsHash changed; objects hash h2 is approved',
    ],
    [
      'approval withdrawn',
      manual(),
      approvedH1,
      'h1',
      2,
      false,
      true,
      waiting('spec.manualObjectsHash changed', 'h1', 'unset'),
    ],
    [
      'manual switched on for a deployed project (TestGitOpsManualDeployment)',
      manual(),
      deployed,
      'h1',
      2,
      false,
      true,
      waiting('generation changed to 2', 'h1', 'unset'),
    ],
    [
      'other spec change, approved hash still rendered',
      manual('h1'),
      approvedH1,
      'h1',
      2,
      true,
      false,
      'generation changed to 2; objects hash h1 is approved',
    ],
    [
      'nothing changed, approved',
      manual('h1'),
      approvedH1,
      'h1',
      1,
      false,
      false,
      'rendered objects unchanged; objects hash h1 is approved',
    ],
    [
      'deployInterval due, approved',
      manual('h1', { deployInterval: '30s' }),
      approvedH1,
      'h1',
      1,
      true,
      false,
      'deployInterval 30s is due; objects hash h1 is approved',
    ],
    [
      'deployInterval due, not approved',
      manual('h1', { deployInterval: '30s' }),
      { ...approvedH1, lastObjectsHash: 'h2' },
      'h2',
      1,
      false,
      true,
      waiting('deployInterval 30s is due', 'h2', 'h1'),
    ],
    [
      'manual off: manualObjectsHash is ignored',
      spec({ manual: false, manualObjectsHash: 'h0' }),
      deployed,
      'h2',
      1,
      true,
      false,
      'rendered objects changed',
    ],
    [
      'manual off: a changed manualObjectsHash alone deploys nothing',
      spec({ manualObjectsHash: 'h0' }),
      approvedH1,
      'h1',
      1,
      false,
      false,
      'rendered objects unchanged',
    ],
  ])('manual: %s', (_name, s, memory, hash, generation, deploy, awaiting, reason) => {
    const plan = planReconcile({ spec: s, memory, objectsHash: hash, generation, now });
    expect([plan.deploy, plan.awaitingApproval, plan.deployReason]).toEqual([deploy, awaiting, reason]);
  });

  it.each<[string, DeployMemory, boolean, string]>([
    ['never validated', {}, true, 'no previous validation'],
    ['validated recently', { ...approvedH1, lastObjectsHash: 'h2' }, false, 'validation is recent'],
  ])('manual, awaiting approval: validate when %s', (_name, memory, validate, reason) => {
    const plan = planReconcile({ spec: manual('h1'), memory, objectsHash: 'h2', generation: 1, now });
    expect(plan.deploy).toBe(false);
    expect([plan.validate, plan.validateReason]).toEqual([validate, reason]);
  });

  it('an overdue deployInterval does not make an unapproved deployment run again at once', () => {
    const memory = { ...approvedH1, lastObjectsHash: 'h2', lastDeployEndTime: ago(60) };
    const s = manual('h1', { deployInterval: '1m', validateInterval: '1h' });
    const waitingPlan = planReconcile({ spec: s, memory, objectsHash: 'h2', generation: 1, now });
    expect(waitingPlan.nextRunAt.getTime() - now.getTime()).toBe(5 * 60_000);
    const approved = planReconcile({
      spec: { ...s, manualObjectsHash: 'h2' },
      memory,
      objectsHash: 'h2',
      generation: 1,
      now,
    });
    expect(approved.deploy).toBe(true);
    expect(approved.nextRunAt.getTime() - now.getTime()).toBe(60_000);
  });
});

// Kluctl's nextReconcileTime, computed after the run: min(now + interval, last deploy end +
// deployInterval, last validate end + validateInterval (validate on)); suspended: interval only.
describe('nextReconcileAt', () => {
  const inMin = (d: Date) => (d.getTime() - now.getTime()) / 60_000;
  it.each<[string, Partial<KluctlDeploymentSpec>, { deploy?: number; validate?: number }, number]>([
    ['interval alone', {}, {}, 5],
    ['validateInterval defaults to interval, counted from the last validate', {}, { validate: -2 }, 3],
    ['validation off: validate end ignored', { validate: false }, { validate: -2 }, 5],
    ['deployInterval from the last deploy', { deployInterval: '3m' }, { deploy: -1 }, 2],
    ['never deployed: no deployInterval', { deployInterval: '3m' }, {}, 5],
    ['overdue deployInterval: at once', { deployInterval: '1m' }, { deploy: -10 }, 0],
    ['validateInterval longer than interval', { validateInterval: '1h' }, { validate: -1 }, 5],
    ['suspended: interval only', { suspend: true, deployInterval: '1m' }, { deploy: -10, validate: -10 }, 5],
  ])('%s', (_name, extra, ends, minutes) => {
    const t = (m: number | undefined) => (m === undefined ? undefined : ago(-m));
    const next = nextReconcileAt({
      spec: spec(extra),
      now,
      ...(t(ends.deploy) ? { lastDeployEnd: t(ends.deploy)! } : {}),
      ...(t(ends.validate) ? { lastValidateEnd: t(ends.validate)! } : {}),
    });
    expect(inMin(next)).toBe(minutes);
  });
});

describe('memoryFromStatus (a deployment new to our state, e.g. migrated from Kluctl)', () => {
  const kluctlStatus = {
    observedGeneration: 3,
    lastObjectsHash: 'h1',
    lastManualObjectsHash: 'h1',
    lastDeployResult: { commandInfo: { endTime: ago(2) } },
    lastValidateResult: { endTime: ago(1) },
  } as unknown as KluctlDeploymentStatus;

  it('reads what Kluctl keeps in status', () => {
    expect(memoryFromStatus(kluctlStatus)).toEqual({
      lastObjectsHash: 'h1',
      lastReconciledGeneration: 3,
      lastDeployEndTime: ago(2),
      lastValidateEndTime: ago(1),
      lastManualObjectsHash: 'h1',
    });
    expect(memoryFromStatus(undefined)).toEqual({});
    expect(hasDeployMemory({})).toBe(false);
    expect(hasDeployMemory(memoryFromStatus(kluctlStatus))).toBe(true);
  });

  it.each<[string, KluctlDeploymentStatus, string, boolean, string]>([
    [
      'unchanged and approved',
      kluctlStatus,
      'h1',
      false,
      'rendered objects unchanged; objects hash h1 is approved',
    ],
    ['a commit Kluctl never saw', kluctlStatus, 'h2', false, waiting('rendered objects changed', 'h2', 'h1')],
    [
      'never deployed by Kluctl',
      { observedGeneration: 3, lastObjectsHash: 'h2' },
      'h2',
      false,
      waiting('no previous deployment', 'h2', 'h1'),
    ],
  ])('manual: true, %s', (_name, status, hash, deploy, reason) => {
    const plan = planReconcile({
      spec: manual('h1'),
      memory: memoryFromStatus(status),
      objectsHash: hash,
      generation: 3,
      now,
    });
    expect([plan.deploy, plan.deployReason]).toEqual([deploy, reason]);
  });
});
