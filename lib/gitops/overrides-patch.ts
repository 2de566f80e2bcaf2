/**
 * The `overridesPatch` of a manual request, built from the CLI's override flags as Kluctl's
 * `kluctl gitops deploy|diff|prune|validate` builds it (cmd/kluctl/commands/cmd_gitops.go,
 * buildOverridePatch): the flags change a copy of the deployment, and the patch is the RFC 7386 merge
 * patch from the original to the copy. A flag the user did not give leaves its field alone; lists
 * (tags, deployment dirs, images) are appended to; args are merged over `spec.args`.
 */
import type { KluctlDeployment, KluctlDeploymentSpec } from '../api/types.js';
import type { DeployFlagFields, FixedImage as SpecFixedImage } from '../api/types.js';
import type { FixedImage } from '../images/fixed-images.js';
import { deepMerge } from '../project/merge.js';
import { createMergePatch } from '../util/merge-patch.js';

/** What the override flags ask for; an absent field was not given on the command line. */
export interface GitopsOverrides extends DeployFlagFields {
  readonly prune?: boolean;
  /** `-t/--target`. */
  readonly target?: string;
  /** `-T/--target-name-override`. */
  readonly targetNameOverride?: string;
  /** `--target-context`. */
  readonly targetContext?: string;
  /** `-F` and `--fixed-images-file`, appended to `spec.images`. */
  readonly images?: readonly FixedImage[];
  /** `-a` and `--args-from-file`, merged over `spec.args`. */
  readonly args?: Readonly<Record<string, unknown>>;
}

type MutableSpec = { -readonly [K in keyof KluctlDeploymentSpec]: KluctlDeploymentSpec[K] };

const BOOLEAN_FLAGS = [
  'dryRun',
  'forceApply',
  'replaceOnError',
  'forceReplaceOnError',
  'abortOnError',
  'noWait',
  'prune',
] as const;

const LIST_FLAGS = ['includeTags', 'excludeTags', 'includeDeploymentDirs', 'excludeDeploymentDirs'] as const;

/**
 * The merge patch the overrides make of `kd` (only `spec` changes), or undefined when they change
 * nothing: Kluctl then sends the request without `overridesPatch`.
 */
export function buildOverridesPatch(
  kd: KluctlDeployment,
  o: GitopsOverrides,
): Record<string, unknown> | undefined {
  const spec: MutableSpec = { ...kd.spec };
  for (const f of BOOLEAN_FLAGS) if (o[f] !== undefined) spec[f] = o[f];
  // Empty strings are Kluctl's "not given" for these three.
  if (o.target) spec.target = o.target;
  if (o.targetNameOverride) spec.targetNameOverride = o.targetNameOverride;
  if (o.targetContext) spec.context = o.targetContext;
  // A fixed-images file may hold entries without resultImage; Kluctl appends them as they are and
  // the reconcile's validation of the patched spec reports them.
  if (o.images?.length) spec.images = [...(spec.images ?? []), ...(o.images as readonly SpecFixedImage[])];
  for (const f of LIST_FLAGS) {
    const more = o[f];
    if (more?.length) spec[f] = [...(spec[f] ?? []), ...more];
  }
  if (o.args && Object.keys(o.args).length > 0) {
    spec.args = deepMerge({ ...(spec.args ?? {}) }, o.args as Record<string, unknown>);
  }
  const patch = createMergePatch({ spec: goJson(kd.spec) }, { spec: goJson(spec) });
  return Object.keys(patch).length > 0 ? patch : undefined;
}

/**
 * The spec as Go serialises it: `omitempty` drops false booleans and empty lists, so turning a flag
 * off on a spec that had it on patches the field to `null`, as Kluctl's patch does.
 */
function goJson(spec: KluctlDeploymentSpec): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(spec).filter(([, v]) => v !== false && !(Array.isArray(v) && v.length === 0)),
  );
}
