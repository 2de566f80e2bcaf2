/**
 * The `validate` command as data (kluctl-semantics §5.7, §6.4): the live objects are fetched (by
 * discriminator, only the kinds the project uses, then one by one), and every rendered object is
 * checked: `kluctl.io/delete` objects must be gone, hooks that do not stay (or never run on deploy) are
 * skipped, a missing object is `object not found`, and otherwise the readiness rules apply with "not
 * ready" as an error. `validate-result.kluctl.io/*` annotations become result entries.
 */
import { randomUUID } from 'node:crypto';
import type {
  DeploymentError,
  ProjectKey,
  TargetKey,
  ValidateResult,
  ValidateResultEntry,
} from '../../api/types.js';
import { errorMessage } from '../../errors.js';
import type { Clock, KubeClient, KubeObject } from '../../ports.js';
import { systemClock } from '../../ports.js';
import { toKluctlRef } from '../command-result.js';
import { metaTime } from '../../api/meta-time.js';
import {
  isDeleteAnnotated,
  isOnlyDeleteHook,
  isOnlyRollbackHook,
  isPersistentHook,
  parseHook,
} from '../hooks/hook-annotations.js';
import { refKey, refOf } from '../object-ref.js';
import { checkReadiness } from '../check-readiness.js';
import { collectRemoteObjects, NO_REF } from '../remote-objects.js';

/** Inputs of {@link validateProject}. */
export interface ValidateInput {
  /** The rendered objects of the included, deployed items. */
  readonly objects: readonly KubeObject[];
  /** Lists live objects by this discriminator first (fewer requests); "" = one GET per object. */
  readonly discriminator?: string;
  readonly projectKey: ProjectKey;
  readonly targetKey: TargetKey;
  readonly reconcileId?: string;
  readonly renderedObjectsHash?: string;
  readonly kluctlDeployment?: { name: string; namespace: string; clusterId: string };
}

/** Checks the live state of the rendered objects once. */
export async function validateProject(
  kube: KubeClient,
  input: ValidateInput,
  clock: Clock = systemClock,
): Promise<ValidateResult> {
  return (await validateOnce(kube, input, clock)).result;
}

/** A validate result, and whether each of its errors says only that a live object is not ready yet. */
export interface ValidateOutcome {
  readonly result: ValidateResult;
  /** True when the result has errors and all of them are readiness findings (waiting may fix them). */
  readonly onlyNotReady: boolean;
}

/** {@link validateProject}, also telling readiness errors from the others. */
export async function validateOnce(
  kube: KubeClient,
  input: ValidateInput,
  clock: Clock = systemClock,
): Promise<ValidateOutcome> {
  let notReadyErrors = 0;
  const startTime = metaTime(clock.now());
  const errors: DeploymentError[] = [];
  const warnings: DeploymentError[] = [];
  const results: ValidateResultEntry[] = [];
  // As Kluctl's validate: `ready` turns false only for a live object that fails its readiness checks;
  // a missing object, a kluctl.io/delete leftover or a listing error is an error but leaves it true
  // (seen with the real controller: 3 × "object not found" and ready: true).
  let ready = true;
  let byKey = new Map<string, KubeObject>();
  try {
    const remote = await collectRemoteObjects(kube, input.discriminator ?? '', input.objects, {
      onlyUsedKinds: true,
    });
    byKey = remote.byKey;
    for (const w of remote.warnings) warnings.push({ ref: toKluctlRef(w.ref), message: w.message });
  } catch (err) {
    errors.push({ ref: toKluctlRef(NO_REF), message: errorMessage(err) });
  }
  for (const obj of input.objects) {
    const ref = refOf(obj);
    const kref = toKluctlRef(ref);
    const live = byKey.get(refKey(ref));
    if (isDeleteAnnotated(obj)) {
      if (live)
        errors.push({
          ref: kref,
          message: 'object is marked for deletion but still exists on the target cluster',
        });
      continue;
    }
    const hook = parseHook(obj).hook;
    // Hooks deleted after they ran, or which only run on delete/rollback, are not expected to exist.
    if (hook && (!isPersistentHook(hook) || isOnlyDeleteHook(hook) || isOnlyRollbackHook(hook))) continue;
    if (!live) {
      errors.push({ ref: kref, message: 'object not found' });
      continue;
    }
    try {
      const info = await kube.resolve(obj.apiVersion, obj.kind);
      const r = checkReadiness(live, { now: clock.now(), statusExpected: info?.hasStatus });
      if (!r.ready) ready = false;
      for (const res of r.results) results.push({ ref: kref, ...res });
      // Validate counts "not ready" as an error; findings keep Kluctl's order.
      for (const f of r.findings) {
        (f.kind === 'warning' ? warnings : errors).push({ ref: kref, message: f.message });
        if (f.kind === 'notReady') notReadyErrors++;
      }
    } catch (err) {
      errors.push({ ref: kref, message: errorMessage(err) });
      ready = false;
    }
  }
  const result: ValidateResult = {
    id: randomUUID(),
    reconcileId: input.reconcileId ?? '',
    projectKey: input.projectKey,
    targetKey: input.targetKey,
    ...(input.kluctlDeployment ? { kluctlDeployment: input.kluctlDeployment } : {}),
    ...(input.renderedObjectsHash ? { renderedObjectsHash: input.renderedObjectsHash } : {}),
    startTime,
    endTime: metaTime(clock.now()),
    ready,
    // Kluctl omits empty lists.
    ...(errors.length > 0 ? { errors } : {}),
    ...(warnings.length > 0 ? { warnings } : {}),
    ...(results.length > 0 ? { results } : {}),
  };
  return { result, onlyNotReady: errors.length > 0 && errors.length === notReadyErrors };
}

/** Options of {@link validateUntil}. */
export interface ValidateWaitOptions {
  /** Keep retrying for this long (`--wait`); 0 = one attempt. */
  readonly waitMs?: number;
  /** Pause between attempts (`--sleep`, default 5 s). */
  readonly sleepMs?: number;
  /** Count warnings as failures (`--warnings-as-errors`). */
  readonly warningsAsErrors?: boolean;
  /** Called after every attempt (the CLI prints each result). */
  readonly onAttempt?: (r: ValidateResult, failed: boolean) => void;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Whether a validate result counts as failed. */
function validationFailed(r: ValidateResult, warningsAsErrors = false): boolean {
  return (r.errors?.length ?? 0) > 0 || (warningsAsErrors && (r.warnings?.length ?? 0) > 0);
}

/** Validates until success or until `waitMs` passed; returns the last result. */
export async function validateUntil(
  kube: KubeClient,
  input: ValidateInput,
  opts: ValidateWaitOptions = {},
  clock: Clock = systemClock,
): Promise<ValidateResult> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((res) => setTimeout(res, ms)));
  const start = clock.now().getTime();
  for (;;) {
    const r = await validateProject(kube, input, clock);
    const failed = validationFailed(r, opts.warningsAsErrors);
    opts.onAttempt?.(r, failed);
    if (!failed || !opts.waitMs || clock.now().getTime() - start > opts.waitMs) return r;
    await sleep(opts.sleepMs ?? 5000);
  }
}
