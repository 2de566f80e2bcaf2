/**
 * Tag and deployment-dir inclusion (kluctl-semantics §2.8): `-I/--include-tag`, `-E/--exclude-tag`,
 * `--include-deployment-dir`, `--exclude-deployment-dir` and the KluctlDeployment `spec.includeTags`
 * etc. An item is in when no include rule exists or one of its entries matches one, and none of its
 * entries matches an exclude rule. Exclusion wins.
 */
import { isAbsolute } from 'node:path';
import { KsError } from '../errors.js';

/** The inclusion rules of one command; every list may be empty. */
export interface Inclusion {
  readonly includeTags?: readonly string[];
  readonly excludeTags?: readonly string[];
  /** Item dirs relative to the source root, forward slashes. */
  readonly includeDeploymentDirs?: readonly string[];
  readonly excludeDeploymentDirs?: readonly string[];
}

/** The entries an item is matched by: its tags and its dir. */
export interface InclusionEntries {
  readonly tags: readonly string[];
  /** Item dir relative to the source root; undefined for items without a dir. */
  readonly dir?: string;
}

/**
 * The rules of anything that spells them as Inclusion does, a KluctlDeployment's spec above all
 * (`spec.includeTags` ...), with every list present: the one spec → inclusion mapping.
 */
export function inclusionOf(source: Inclusion): Required<Inclusion> {
  return {
    includeTags: source.includeTags ?? [],
    excludeTags: source.excludeTags ?? [],
    includeDeploymentDirs: source.includeDeploymentDirs ?? [],
    excludeDeploymentDirs: source.excludeDeploymentDirs ?? [],
  };
}

/** Whether any rule is set. */
function hasInclusionRules(inc: Inclusion | undefined): boolean {
  return (
    !!inc &&
    [inc.includeTags, inc.excludeTags, inc.includeDeploymentDirs, inc.excludeDeploymentDirs].some(
      (l) => (l?.length ?? 0) > 0,
    )
  );
}

/** Checks CLI deployment dirs (they must be relative) and turns them into forward-slash form. */
export function normalizeInclusion(inc: Inclusion): Inclusion {
  const dirs = (flag: string, l: readonly string[] | undefined): string[] =>
    (l ?? []).map((d) => {
      if (isAbsolute(d)) throw new KsError('InvalidInput', `--${flag} path must be relative, got ${d}`);
      return d.replace(/\\/g, '/');
    });
  return {
    includeTags: [...(inc.includeTags ?? [])],
    excludeTags: [...(inc.excludeTags ?? [])],
    includeDeploymentDirs: dirs('include-deployment-dir', inc.includeDeploymentDirs),
    excludeDeploymentDirs: dirs('exclude-deployment-dir', inc.excludeDeploymentDirs),
  };
}

function matches(
  e: InclusionEntries,
  tags: readonly string[] | undefined,
  dirs: readonly string[] | undefined,
): boolean {
  return e.tags.some((t) => tags?.includes(t)) || (e.dir !== undefined && !!dirs?.includes(e.dir));
}

/**
 * Kluctl's `Inclusion.CheckIncluded`. `excludeIfNotIncluded` is the delete/prune variant for objects
 * marked `kluctl.io/skip-delete-if-tags`: they must match an include rule explicitly.
 */
export function checkIncluded(
  inc: Inclusion | undefined,
  e: InclusionEntries,
  excludeIfNotIncluded = false,
): boolean {
  if (!inc || !hasInclusionRules(inc)) return true;
  const anyIncludes = (inc.includeTags?.length ?? 0) + (inc.includeDeploymentDirs?.length ?? 0) > 0;
  const included = matches(e, inc.includeTags, inc.includeDeploymentDirs);
  const excluded = matches(e, inc.excludeTags, inc.excludeDeploymentDirs);
  if (excludeIfNotIncluded && !included) return false;
  if (excluded) return false;
  return !anyIncludes || included;
}

/** The item flags that put an item in regardless of the rules (`CheckInclusionForDeploy`). */
export interface AlwaysIncludedFlags {
  readonly onlyRender?: boolean;
  readonly alwaysDeploy?: boolean;
  readonly barrier?: boolean;
}

/** Whether an item takes part in render and deploy: onlyRender, alwaysDeploy and barriers always do. */
export function isItemIncluded(
  inc: Inclusion | undefined,
  flags: AlwaysIncludedFlags,
  e: InclusionEntries,
): boolean {
  if (flags.onlyRender || flags.alwaysDeploy || flags.barrier) return true;
  return checkIncluded(inc, e);
}
