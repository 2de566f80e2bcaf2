/**
 * Object changes between the remote object before a run and the object the apply returned
 * (kluctl-semantics §7.7), after Kluctl's normalisation and ignore rules (lib/deploy/diff/). Paths use
 * Kluctl's canonical format (`a.b[0]["key.with.dots"]`).
 */
import type { Change } from '../api/types.js';
import type { KubeObject } from '../ports.js';
import { diffValues } from './diff/diff-values.js';
import type { IgnoreForDiffRule } from './diff/ignore-rules.js';
import { normalizeObject } from './diff/normalize-for-diff.js';

export type { Change };

/** Options of {@link computeChanges}. */
export interface ChangeOptions {
  /**
   * The rendered object: its `kluctl.io/ignore-diff*` annotations apply. Default `after` (the applied
   * object carries the rendered annotations).
   */
  readonly local?: KubeObject;
  /** `ignoreForDiff` rules of the item's projects and of the command's flags. */
  readonly rules?: readonly IgnoreForDiffRule[];
}

/** The changes from `before` to `after` (both normalised first), sorted by path. */
export function computeChanges(before: KubeObject, after: KubeObject, opts: ChangeOptions = {}): Change[] {
  const local = opts.local ?? after;
  const rules = opts.rules ?? [];
  return diffValues(normalizeObject(before, rules, local), normalizeObject(after, rules, local));
}
