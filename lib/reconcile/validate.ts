/**
 * Validation after a deploy (kluctl-semantics §5.7, §6.4): the controller's entry point to the
 * validate command's logic (lib/deploy/commands/validate-command.ts).
 */
import type { ProjectKey, TargetKey, ValidateResult } from '../api/types.js';
import type { Clock, KubeClient, KubeObject } from '../ports.js';
import { validateProject } from '../deploy/commands/validate-command.js';

/** Inputs of {@link validateObjects}. */
export interface ValidateInput {
  readonly objects: readonly KubeObject[];
  readonly projectKey: ProjectKey;
  readonly targetKey: TargetKey;
  readonly reconcileId: string;
  readonly renderedObjectsHash?: string;
  readonly kluctlDeployment?: { name: string; namespace: string; clusterId: string };
  /** Lists live objects by discriminator first; default one GET per object. */
  readonly discriminator?: string;
}

/** Checks the live state of the rendered objects. */
export function validateObjects(
  kube: KubeClient,
  clock: Clock,
  input: ValidateInput,
): Promise<ValidateResult> {
  return validateProject(kube, input, clock);
}
