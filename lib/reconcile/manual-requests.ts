/**
 * Kluctl's manual request protocol (kluctl-semantics §10.6; pkg/controllers of Kluctl v2.28.2): a client
 * (`kluctl gitops ...`, the web UI, kubectl) sets `kluctl.io/request-<kind>` to a `ManualRequest` JSON;
 * the controller removes the annotation, applies the request's `overridesPatch` to the spec for that run
 * only, records `status.<kind>RequestResult` with the start time and reconcile id, runs the command, and
 * completes the record with the end time, the result id and the command's error. The CLI waits for the
 * record whose `requestValue` is its own and prints the result it names from Kluctl's result store.
 */
import { REQUEST_ANNOTATIONS } from '../api/constants.js';
import { metaTime } from '../api/meta-time.js';
import type {
  KluctlDeployment,
  KluctlDeploymentStatus,
  ManualRequest,
  ManualRequestResult,
} from '../api/types.js';
import { errorListText, errorMessage, KsError, KubeApiError } from '../errors.js';
import type { KubeClient, ObjectRef } from '../ports.js';
import { applyMergePatch } from '../util/merge-patch.js';
import { readYaml } from '../util/yaml.js';
import { CONTROLLER_FIELD_MANAGER } from '../api/constants.js';

/** The kinds of manual request. */
export type RequestKind = keyof typeof REQUEST_ANNOTATIONS;

/** The requests that run one command instead of the full reconcile, in the order Kluctl checks them. */
export const COMMAND_REQUESTS = ['diff', 'deploy', 'prune', 'validate'] as const;

/** A request of {@link COMMAND_REQUESTS}. */
export type CommandRequestKind = (typeof COMMAND_REQUESTS)[number];

/** The status field that records each kind of request. */
export const REQUEST_RESULT_FIELD = {
  reconcile: 'reconcileRequestResult',
  diff: 'diffRequestResult',
  deploy: 'deployRequestResult',
  prune: 'pruneRequestResult',
  validate: 'validateRequestResult',
} as const satisfies Record<RequestKind, keyof KluctlDeploymentStatus>;

/** Whether `kd` carries a non-empty request of `kind` (Kluctl ignores an empty annotation). */
export function hasRequest(kd: KluctlDeployment, kind: RequestKind): boolean {
  return (kd.metadata.annotations?.[REQUEST_ANNOTATIONS[kind]] ?? '') !== '';
}

/** The first command request pending on `kd`, in Kluctl's order (diff, deploy, prune, validate). */
export function pendingCommandRequest(kd: KluctlDeployment): CommandRequestKind | undefined {
  return COMMAND_REQUESTS.find((k) => hasRequest(kd, k));
}

/** A request taken off the object: what it asked for, the spec it runs with, and its status record. */
export interface TakenRequest {
  readonly kind: RequestKind;
  readonly request: ManualRequest;
  /** The deployment with the request's `overridesPatch` applied to its spec. */
  readonly kd: KluctlDeployment;
  /** The record written when the run starts (no end time yet). */
  readonly started: ManualRequestResult;
}

/**
 * Takes the request of `kind` off `kd`: removes the annotation (only if it still holds the value read,
 * so a newer request is kept for the next run), then parses it and applies its overrides. Throws the
 * error Kluctl reports as a failed prepare when the annotation is not a valid request.
 */
export async function takeRequest(
  kube: KubeClient,
  ref: ObjectRef,
  kd: KluctlDeployment,
  kind: RequestKind,
  opts: { readonly reconcileId: string; readonly now: Date },
): Promise<TakenRequest> {
  const annotation = REQUEST_ANNOTATIONS[kind];
  const value = kd.metadata.annotations?.[annotation] ?? '';
  await removeAnnotation(kube, ref, annotation, value);
  const request = parseManualRequest(value, annotation);
  return {
    kind,
    request,
    kd: withOverrides(kd, request.overridesPatch),
    started: { request, startTime: metaTime(opts.now), reconcileId: opts.reconcileId },
  };
}

/** The completed record of a request: end time, result id and the command's error, when there are. */
export function finishedRequest(
  started: ManualRequestResult,
  end: Date,
  outcome: { readonly resultId?: string; readonly commandError?: string },
): ManualRequestResult {
  return {
    ...started,
    endTime: metaTime(end),
    ...(outcome.resultId ? { resultId: outcome.resultId } : {}),
    ...(outcome.commandError ? { commandError: outcome.commandError } : {}),
  };
}

/**
 * Parses a `ManualRequest` (JSON, or YAML as Kluctl also reads it). A request without `requestValue`
 * is refused with Kluctl's message; `overridesPatch` must be an object (a merge patch of the object).
 */
export function parseManualRequest(text: string, annotation: string): ManualRequest {
  let parsed: unknown;
  try {
    parsed = readYaml(text, annotation);
  } catch (cause) {
    throw new KsError(
      'InvalidInput',
      `annotation ${annotation} is not a manual request (JSON with requestValue): ${errorMessage(cause)}`,
      { cause },
    );
  }
  const o = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
  const value = o.requestValue;
  if (value === undefined || value === null || value === '') {
    throw new KsError('InvalidInput', 'missing requestValue in manual request annotation');
  }
  const patch = o.overridesPatch;
  if (patch !== undefined && patch !== null && (typeof patch !== 'object' || Array.isArray(patch))) {
    throw new KsError(
      'InvalidInput',
      `overridesPatch of annotation ${annotation} must be a JSON merge patch object, e.g. {"spec":{"dryRun":true}}`,
    );
  }
  return {
    requestValue: String(value),
    ...(patch ? { overridesPatch: patch as Record<string, unknown> } : {}),
  };
}

/**
 * The deployment with `patch` (RFC 7386) applied, for one run; Kluctl refuses a patch that changes
 * anything but the spec.
 */
export function withOverrides(
  kd: KluctlDeployment,
  patch: Readonly<Record<string, unknown>> | undefined,
): KluctlDeployment {
  if (!patch) return kd;
  const patched = applyMergePatch(kd, patch) as KluctlDeployment;
  const { spec: _a, ...before } = kd;
  const { spec: _b, ...after } = patched;
  if (JSON.stringify(sorted(before)) !== JSON.stringify(sorted(after))) {
    throw new KsError('InvalidInput', 'override patch tried to modify non-spec fields');
  }
  if (typeof patched.spec !== 'object' || patched.spec === null) {
    throw new KsError('InvalidInput', 'override patch removed the spec');
  }
  return patched;
}

/** The text of a command's outcome as Kluctl puts it into `commandError` (only when it had errors). */
export function commandErrorText(
  command: string,
  errors: readonly unknown[] | null | undefined,
  warnings: readonly unknown[] | null | undefined,
): string | undefined {
  const n = errors?.length ?? 0;
  if (n === 0) return undefined;
  const w = warnings?.length ?? 0;
  return w > 0
    ? `${command} failed with ${n} errors and ${w} warnings.`
    : `${command} failed with ${n} errors.`;
}

/** Several command errors as Kluctl combines them (Go's multierror), one as itself, none as undefined. */
export function combineCommandErrors(texts: readonly (string | undefined)[]): string | undefined {
  const list = texts.filter((t): t is string => t !== undefined);
  if (list.length <= 1) return list[0];
  return errorListText(list.map((t) => new Error(t)));
}

/** Removes `annotation` if it still holds `value`, with the conflict retries of Kluctl's patch helper. */
async function removeAnnotation(
  kube: KubeClient,
  ref: ObjectRef,
  annotation: string,
  value: string,
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const latest = await kube.get(ref);
    if (!latest || latest.metadata.annotations?.[annotation] !== value) return;
    try {
      await kube.mergePatch(
        ref,
        { metadata: { annotations: { [annotation]: null } } },
        {
          fieldManager: CONTROLLER_FIELD_MANAGER,
          ...(latest.metadata.resourceVersion ? { resourceVersion: latest.metadata.resourceVersion } : {}),
        },
      );
      return;
    } catch (err) {
      if (!(err instanceof KubeApiError && err.status === 409) || attempt >= 4) throw err;
    }
  }
}

/** A copy with object keys sorted, so two documents compare by content. */
function sorted(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sorted);
  if (typeof v !== 'object' || v === null) return v;
  return Object.fromEntries(
    Object.keys(v)
      .sort()
      .map((k) => [k, sorted((v as Record<string, unknown>)[k])]),
  );
}

/**
 * The merge patch a client (the gitops commands, the web UI) sends to ask for a run: the request JSON
 * in the kind's annotation, as `kluctl gitops <kind>` and Kluctl's Webui set it. `requestValue` is the
 * time of asking (RFC 3339 with fractions), which the client then finds in `status.<kind>RequestResult`.
 */
export function requestAnnotationPatch(kind: RequestKind, request: ManualRequest): Record<string, unknown> {
  // Kluctl's JSON: requestValue first, overridesPatch only when there is one.
  const json = JSON.stringify({
    requestValue: request.requestValue,
    ...(request.overridesPatch ? { overridesPatch: request.overridesPatch } : {}),
  });
  return { metadata: { annotations: { [REQUEST_ANNOTATIONS[kind]]: json } } };
}
