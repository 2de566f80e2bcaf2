import type { KluctlDeploymentSpec } from '../../lib/api/types.js';
import { planReconcile } from '../../lib/reconcile/plan.js';
import type { PlanStatus } from '../../lib/reconcile/plan.js';

const now = new Date('2026-11-25T12:00:00Z');
const ago = (min: number) => new Date(now.getTime() - min * 60_000).toISOString();
const spec = (extra: Partial<KluctlDeploymentSpec> = {}): KluctlDeploymentSpec => ({
  interval: '5m',
  source: { git: { url: 'https://example.com/r.git' } },
  ...extra,
});
/** The status Kluctl's controller (and ours) leaves after a deploy and validate one minute ago. */
const deployed: PlanStatus = {
  lastObjectsHash: 'h1',
  observedGeneration: 1,
  lastDeployResult: { commandInfo: { endTime: ago(1) } },
  lastValidateResult: { endTime: ago(1) },
};

describe('planReconcile', () => {
  it.each<[string, KluctlDeploymentSpec, PlanStatus, string, number, boolean, string]>([
    ['first reconcile', spec(), {}, 'h1', 1, true, 'no previous deployment'],
    [
      'handed over from Kluctl with a validate result only',
      spec(),
      { ...deployed, lastDeployResult: null },
      'h1',
      1,
      true,
      'no previous deployment',
    ],
    ['hash changed', spec(), deployed, 'h2', 1, true, 'rendered objects changed'],
    ['generation changed', spec(), deployed, 'h1', 2, true, 'generation changed to 2'],
    ['nothing changed', spec(), deployed, 'h1', 1, false, 'rendered objects unchanged'],
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
  ])('%s', (_name, s, status, hash, generation, deploy, reason) => {
    const plan = planReconcile({ spec: s, status, objectsHash: hash, generation, now });
    expect(plan.deploy).toBe(deploy);
    expect(plan.deployReason).toBe(reason);
  });

  it.each<[string, KluctlDeploymentSpec, PlanStatus, string, boolean]>([
    ['validate disabled', spec({ validate: false }), deployed, 'h1', false],
    ['never validated', spec(), { ...deployed, lastValidateResult: undefined }, 'h1', true],
    ['deploying validates', spec(), deployed, 'h2', true],
    ['recent validation', spec(), deployed, 'h1', false],
    ['validateInterval due', spec({ validateInterval: '30s' }), deployed, 'h1', true],
  ])('validate: %s', (_name, s, status, hash, validate) => {
    expect(planReconcile({ spec: s, status, objectsHash: hash, generation: 1, now }).validate).toBe(validate);
  });

  it('schedules the next run at the earliest of interval, deployInterval and validateInterval', () => {
    const plan = planReconcile({
      spec: spec({ interval: '10m', deployInterval: '3m', validateInterval: '20m' }),
      status: deployed,
      objectsHash: 'h1',
      generation: 1,
      now,
    });
    expect(plan.nextRunAt.toISOString()).toBe(new Date(Date.parse(ago(1)) + 3 * 60_000).toISOString());
    const plain = planReconcile({ spec: spec(), status: deployed, objectsHash: 'h1', generation: 1, now });
    expect(plain.nextRunAt.getTime() - now.getTime()).toBe(4 * 60_000);
  });
});
