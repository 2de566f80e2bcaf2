/**
 * What `kluctl-serverless gitops ...` does to one KluctlDeployment, as data (the CLI prints it):
 * a manual request and its result (deploy, diff, prune, validate, reconcile), suspend and resume
 * (which wait for the reconcile of the new generation, as Kluctl's CLI does), and approval of a
 * rendered objects hash (`spec.manualObjectsHash`, ADR 0004). Follows Kluctl v2.28.2's
 * cmd/kluctl/commands/cmd_gitops*.go.
 */
import type { KluctlDeployment, ManualRequestResult, ValidateResult } from '../api/types.js';
import type { CommandResult } from '../deploy/command-result.js';
import { KsError } from '../errors.js';
import type { Clock, KubeClient, ObjectRef } from '../ports.js';
import type { RequestKind } from '../reconcile/manual-requests.js';
import { buildOverridesPatch } from './overrides-patch.js';
import type { GitopsOverrides } from './overrides-patch.js';
import {
  deploymentRef,
  GITOPS_CLI_FIELD_MANAGER,
  newRequestValue,
  sendRequest,
  waitForRequest,
} from './request-client.js';
import type { WaitOptions } from './request-client.js';
import type { KluctlResultReader } from './result-reader.js';

/** What the commands need. */
export interface GitopsDeps {
  readonly kube: KubeClient;
  readonly results: KluctlResultReader;
  readonly clock: Clock;
}

/** The outcome of one request: its record and the result it names. */
export interface RequestOutcome {
  readonly record: ManualRequestResult;
  readonly commandResult?: CommandResult;
  readonly validateResult?: ValidateResult;
}

/**
 * Sends a request of `kind` with the overrides (Kluctl builds the patch from the object as read right
 * before patching), waits for it to finish and reads its result. A failed command is in
 * `record.commandError`, not thrown.
 */
export async function runRequest(
  deps: GitopsDeps,
  kd: KluctlDeployment,
  kind: RequestKind,
  overrides: GitopsOverrides,
  wait: WaitOptions = {},
): Promise<RequestOutcome> {
  const ref = deploymentRef(kd);
  const latest = await getDeployment(deps.kube, ref);
  const requestValue = newRequestValue(deps.clock.now());
  const overridesPatch = buildOverridesPatch(latest, overrides);
  await sendRequest(deps.kube, ref, kind, { requestValue, ...(overridesPatch ? { overridesPatch } : {}) });
  const record = await waitForRequest(deps.kube, ref, kind, requestValue, wait);
  if (!record.resultId || kind === 'reconcile') return { record };
  if (kind === 'validate') {
    return { record, validateResult: await deps.results.getValidateResult(record.resultId) };
  }
  return { record, commandResult: await deps.results.getCommandResult(record.resultId) };
}

/**
 * After a diff request's result was printed, Kluctl's CLI deletes it from the result store and clears
 * `status.lastDiffResult` (when no newer diff request came in meanwhile).
 */
export async function cleanupDiffResult(
  deps: GitopsDeps,
  kd: KluctlDeployment,
  record: ManualRequestResult,
): Promise<void> {
  if (!record.resultId) return;
  await deps.results.deleteCommandResult(record.resultId);
  const ref = deploymentRef(kd);
  const latest = await getDeployment(deps.kube, ref);
  if (latest.status?.diffRequestResult?.request.requestValue !== record.request.requestValue) return;
  await deps.kube.mergePatch(
    ref,
    { status: { lastDiffResult: null } },
    {
      fieldManager: GITOPS_CLI_FIELD_MANAGER,
      subresource: 'status',
      ...(latest.metadata.resourceVersion ? { resourceVersion: latest.metadata.resourceVersion } : {}),
    },
  );
}

/**
 * Sets `spec.suspend` and waits until the reconcile of the new generation ran, so no deploy of the
 * old state follows after the command returned (Kluctl's "Waiting for final reconciliation").
 */
export async function setSuspended(
  deps: GitopsDeps,
  kd: KluctlDeployment,
  suspend: boolean,
  wait: WaitOptions = {},
): Promise<KluctlDeployment> {
  const ref = deploymentRef(kd);
  const patched = (await deps.kube.mergePatch(
    ref,
    { spec: { suspend } },
    { fieldManager: GITOPS_CLI_FIELD_MANAGER },
  )) as KluctlDeployment;
  return waitForGeneration(deps, ref, patched.metadata.generation ?? 0, wait);
}

/** The hash a user approves: the diff's rendered hash, else the last reconcile's (`status.lastObjectsHash`). */
export function hashToApprove(kd: KluctlDeployment, diff?: CommandResult): string | undefined {
  return diff?.renderedObjectsHash ?? kd.status?.lastObjectsHash;
}

/** Whether approving `hash` would change anything; throws when the deployment is not manual. */
export function needsApproval(kd: KluctlDeployment, hash: string | undefined): boolean {
  if (kd.spec.manual !== true) {
    throw new KsError(
      'InvalidInput',
      `KluctlDeployment ${kd.metadata.namespace}/${kd.metadata.name} has no spec.manual: true, so it deploys without approval; use 'gitops deploy' instead`,
    );
  }
  if (!hash) {
    throw new KsError(
      'InvalidInput',
      `KluctlDeployment ${kd.metadata.namespace}/${kd.metadata.name} has no rendered objects hash yet (status.lastObjectsHash); run 'gitops reconcile' first`,
    );
  }
  return kd.spec.manualObjectsHash !== hash;
}

/**
 * Approves `hash` (sets `spec.manualObjectsHash`) and waits for the reconcile of that generation, which
 * deploys when the hash is still the rendered one.
 */
export async function approveHash(
  deps: GitopsDeps,
  kd: KluctlDeployment,
  hash: string,
  wait: WaitOptions = {},
): Promise<KluctlDeployment> {
  const ref = deploymentRef(kd);
  const patched = (await deps.kube.mergePatch(
    ref,
    { spec: { manualObjectsHash: hash } },
    { fieldManager: GITOPS_CLI_FIELD_MANAGER },
  )) as KluctlDeployment;
  return waitForGeneration(deps, ref, patched.metadata.generation ?? 0, wait);
}

async function waitForGeneration(
  deps: GitopsDeps,
  ref: ObjectRef,
  generation: number,
  wait: WaitOptions,
): Promise<KluctlDeployment> {
  for (;;) {
    if (wait.signal?.aborted)
      throw new KsError('Aborted', 'stopped waiting for the reconcile', { cause: wait.signal.reason });
    const kd = await getDeployment(deps.kube, ref);
    if ((kd.status?.observedGeneration ?? 0) >= generation) return kd;
    await new Promise((r) => setTimeout(r, wait.pollMs ?? 1000));
  }
}

async function getDeployment(kube: KubeClient, ref: ObjectRef): Promise<KluctlDeployment> {
  const kd = (await kube.get(ref)) as KluctlDeployment | undefined;
  if (!kd) throw new KsError('KubeNotFound', `KluctlDeployment ${ref.namespace}/${ref.name} not found`);
  return kd;
}
