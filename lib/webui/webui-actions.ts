/**
 * The web UI's actions as changes of the KluctlDeployment, exactly those of Kluctl's Webui and
 * `kluctl gitops`: the five manual requests set their `kluctl.io/request-*` annotation (the reconciler
 * takes it, lib/reconcile/manual-requests.ts), suspend/resume set `spec.suspend`, approve sets
 * `spec.manualObjectsHash` to the hash the user saw. Pure.
 */
import type { KluctlDeployment } from '../api/types.js';
import { KsError } from '../errors.js';
import { requestAnnotationPatch } from '../reconcile/manual-requests.js';
import type { RequestKind } from '../reconcile/manual-requests.js';

/** Every action, in the order the UI offers them. */
export const WEBUI_ACTIONS = [
  'reconcile',
  'deploy',
  'diff',
  'prune',
  'validate',
  'suspend',
  'resume',
  'approve',
] as const;

/** One of {@link WEBUI_ACTIONS}. */
export type WebuiAction = (typeof WEBUI_ACTIONS)[number];

/** Whether `s` names an action. */
export function isWebuiAction(s: string): s is WebuiAction {
  return (WEBUI_ACTIONS as readonly string[]).includes(s);
}

/** The change one action makes: a merge patch, and the request value when it is a request. */
export interface ActionPatch {
  readonly patch: Record<string, unknown>;
  readonly requestValue?: string;
}

/**
 * The patch of `action` on `kd`. `approve` takes the hash the user was shown and refuses (KubeConflict)
 * when the deployment has rendered another one since, so nobody approves what they did not see.
 */
export function actionPatch(
  action: WebuiAction,
  kd: KluctlDeployment,
  opts: { readonly now: Date; readonly hash?: string },
): ActionPatch {
  switch (action) {
    case 'suspend':
    case 'resume':
      return { patch: { spec: { suspend: action === 'suspend' } } };
    case 'approve': {
      const current = kd.status?.lastObjectsHash;
      if (!opts.hash)
        throw new KsError(
          'InvalidInput',
          'approve needs the objects hash shown to the user ({"hash": "..."})',
        );
      if (opts.hash !== current) {
        throw new KsError(
          'KubeConflict',
          `the rendered objects changed: the deployment now waits for ${current ?? 'nothing'}, not ${opts.hash}; review the new diff and approve again`,
        );
      }
      return { patch: { spec: { manualObjectsHash: opts.hash } } };
    }
    default: {
      const requestValue = opts.now.toISOString();
      return { patch: requestAnnotationPatch(action satisfies RequestKind, { requestValue }), requestValue };
    }
  }
}
