/** The reconcile function's settings from its environment (functions/shared/compose.ts). */
import { sharedReconcileDeps } from '../../functions/shared/compose.js';

const base = { STATE_BUCKET: 'state', AWS_REGION: 'eu-west-1' };

test('the quiet steady state is on only with QUIET_STEADY_STATE=true, as the stack sets it', async () => {
  expect((await sharedReconcileDeps(base)).quietSteadyState).toBeUndefined();
  expect(
    (await sharedReconcileDeps({ ...base, QUIET_STEADY_STATE: 'false' })).quietSteadyState,
  ).toBeUndefined();
  expect((await sharedReconcileDeps({ ...base, QUIET_STEADY_STATE: 'true' })).quietSteadyState).toBe(true);
});

test('a function without STATE_BUCKET says what sets it', async () => {
  await expect(sharedReconcileDeps({})).rejects.toThrow(/STATE_BUCKET is not set/);
});
