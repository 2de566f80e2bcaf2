/** Project arguments (kluctl-semantics §1.5): defaults, target args and external args, merged deeply. */
import { ProjectLoadError } from '../errors.js';
import type { ArgDeclaration } from './kluctl-config.js';
import { deepMerge, getNested } from './merge.js';
import type { Dict } from './merge.js';

/** Inputs of {@link mergeArgs}. */
export interface MergeArgsInput {
  readonly declarations: readonly ArgDeclaration[];
  /** `args` of the selected target. */
  readonly targetArgs?: Dict;
  /** CLI `-a` / controller `spec.args`, already parsed into a nested dict. */
  readonly externalArgs?: Dict;
}

/**
 * Merges defaults ← target args ← external args (deep) and checks that every argument without a
 * default is set. Undeclared args pass through.
 */
export function mergeArgs(input: MergeArgsInput): Dict {
  const given = deepMerge(input.targetArgs ?? {}, input.externalArgs ?? {});
  let defaults: Dict = {};
  for (const a of input.declarations) {
    // Kluctl keys a default by the literal name (dots included); only the required check splits it.
    if (a.hasDefault) defaults = deepMerge(defaults, { [a.name]: a.default });
  }
  const merged = deepMerge(defaults, given);
  for (const a of input.declarations) {
    if (!a.hasDefault && !getNested(merged, a.name.split('.')).found) {
      throw new ProjectLoadError(`required argument ${a.name} not set`);
    }
  }
  return merged;
}
