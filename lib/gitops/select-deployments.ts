/**
 * Which KluctlDeployments a `gitops` command acts on, as Kluctl's CLI picks them
 * (cmd/kluctl/commands/cmd_gitops.go, init and autoDetectDeployment): `--name` in the namespace,
 * else `-l/--label-selector` (in the namespace when one is given), else what the command does without
 * either: nothing, every deployment of the namespace, or the deployments whose source is the local
 * project (same repo key and sub directory as the Git repository around `--project-dir`).
 */
import type { KluctlDeployment, ProjectKey } from '../api/types.js';
import { KsError } from '../errors.js';
import type { KubeClient } from '../ports.js';
import { KLUCTL_DEPLOYMENTS } from '../shim/deployment-informer.js';
import { projectKeyOf } from '../reconcile/status.js';

/** What a command does when neither `--name` nor `--label-selector` is given. */
export type NoSelection = 'none' | 'all' | 'auto-detect';

/** How to pick deployments. */
export interface Selection {
  readonly name?: string;
  /** `-n`, else the kubeconfig context's namespace; required with `name`. */
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly noSelection: NoSelection;
  /** The project key of the local project (for `auto-detect`); absent outside a Git repository. */
  readonly projectKey?: ProjectKey;
}

/** The chosen deployments, and warnings about ones that could not be matched. */
export interface Selected {
  readonly deployments: KluctlDeployment[];
  readonly warnings: string[];
}

/** Picks the deployments; throws Kluctl's errors when the selection is not usable. */
export async function selectDeployments(kube: KubeClient, s: Selection): Promise<Selected> {
  if (s.name) {
    if (!s.namespace) throw new KsError('InvalidInput', 'no namespace specified (pass -n/--namespace)');
    if (s.labelSelector) {
      throw new KsError('InvalidInput', 'either name or label selector must be set, not both');
    }
    const kd = await kube.get({
      group: KLUCTL_DEPLOYMENTS.group,
      version: KLUCTL_DEPLOYMENTS.version,
      kind: KLUCTL_DEPLOYMENTS.kind,
      name: s.name,
      namespace: s.namespace,
    });
    if (!kd) {
      throw new KsError(
        'KubeNotFound',
        `kluctldeployments.gitops.kluctl.io "${s.name}" not found in namespace ${s.namespace}`,
      );
    }
    return { deployments: [kd as KluctlDeployment], warnings: [] };
  }
  if (s.labelSelector) {
    return { deployments: await list(kube, s.namespace, s.labelSelector), warnings: [] };
  }
  switch (s.noSelection) {
    case 'none':
      return { deployments: [], warnings: [] };
    case 'all':
      return { deployments: await list(kube, s.namespace), warnings: [] };
    case 'auto-detect':
      return autoDetect(kube, s);
  }
}

/** The deployments built from the local project; none is an error (Kluctl's). */
async function autoDetect(kube: KubeClient, s: Selection): Promise<Selected> {
  const local = s.projectKey;
  if (!local?.repoKey) {
    throw new KsError(
      'InvalidInput',
      'auto-detection of KluctlDeployments only possible if local project is a Git repository ' +
        '(pass --name or -l, or run inside the project checkout / pass --project-dir)',
    );
  }
  const warnings: string[] = [];
  const deployments = (await list(kube, s.namespace)).filter((kd) => {
    let key: ProjectKey;
    try {
      key = projectKeyOf(kd.spec);
    } catch (err) {
      warnings.push(
        `Failed to determine repo key for KluctlDeployment ${kd.metadata.namespace}/${kd.metadata.name}: ${(err as Error).message}`,
      );
      return false;
    }
    return key.repoKey === local.repoKey && (key.subDir ?? '') === (local.subDir ?? '');
  });
  if (deployments.length === 0) throw new KsError('KubeNotFound', 'no matching KluctlDeployments found');
  return { deployments, warnings };
}

async function list(
  kube: KubeClient,
  namespace?: string,
  labelSelector?: string,
): Promise<KluctlDeployment[]> {
  const items = await kube.list(KLUCTL_DEPLOYMENTS, {
    ...(namespace ? { namespace } : {}),
    ...(labelSelector ? { labelSelector } : {}),
  });
  return items as KluctlDeployment[];
}

/** A human name for messages: `namespace/name`. */
export function deploymentName(kd: KluctlDeployment): string {
  return `${kd.metadata.namespace ?? ''}/${kd.metadata.name}`;
}
