/**
 * The objects of a command result (kluctl-semantics §5.4, §7.7, §7.9), the way Kluctl collects them:
 * entries are keyed by their *diff ref* (the name replaced by `kluctl.io/diff-name` when set), the
 * remote object compared against is the newest live object with that diff ref, changes are computed
 * with the item's `ignoreForDiff` rules, `new` holds only for objects without changes, and orphans and
 * pruned objects keep their real refs. Objects that are neither rendered, applied, deleted nor orphan
 * are dropped.
 */
import type { KubeObject, ObjectRef } from '../../ports.js';
import { computeChanges } from '../changes.js';
import type { ResultObject } from '../command-result.js';
import { refKey, refOf } from '../object-ref.js';
import type { IgnoreForDiffRule } from './ignore-rules.js';

const ANNOTATION_DIFF_NAME = 'kluctl.io/diff-name';

/** The ref an object is diffed and reported under. */
function diffRefOf(obj: KubeObject): ObjectRef {
  const ref = refOf(obj);
  const name = obj.metadata.annotations?.[ANNOTATION_DIFF_NAME];
  return name ? { ...ref, name } : ref;
}

/**
 * Per diff ref, the live object to diff against: the one with the newest creationTimestamp; equal
 * timestamps (they have one-second resolution) go to the lexicographically greater name.
 */
function remotesForDiff(remotes: Iterable<KubeObject>): Map<string, KubeObject> {
  const out = new Map<string, KubeObject>();
  for (const o of remotes) {
    const key = refKey(diffRefOf(o));
    const old = out.get(key);
    if (!old) {
      out.set(key, o);
      continue;
    }
    const t = Date.parse(o.metadata.creationTimestamp ?? '') || 0;
    const tOld = Date.parse(old.metadata.creationTimestamp ?? '') || 0;
    if (t > tOld || (t === tOld && o.metadata.name > old.metadata.name)) out.set(key, o);
  }
  return out;
}

/** Options of {@link collectResultObjects}. */
export interface CollectOptions {
  /** The `ignoreForDiff` rules for a rendered object (its item's projects plus the command's flags). */
  readonly rulesFor?: (rendered: KubeObject) => readonly IgnoreForDiffRule[];
  /** Further live objects (e.g. all found by discriminator) that may be diff partners. */
  readonly extraRemotes?: Iterable<KubeObject>;
}

/**
 * Regroups the engine's entries (keyed by real ref: rendered/remote/applied/new/orphan/deleted/hook)
 * into result objects keyed by diff ref, with changes recomputed as Kluctl computes them.
 */
export function collectResultObjects(
  entries: readonly ResultObject[],
  opts: CollectOptions = {},
): ResultObject[] {
  const remotes = [...(opts.extraRemotes ?? []), ...entries.flatMap((e) => (e.remote ? [e.remote] : []))];
  const forDiff = remotesForDiff(remotes);
  const m = new Map<string, Mutable<ResultObject>>();
  const get = (ref: ObjectRef): Mutable<ResultObject> => {
    const k = refKey(ref);
    let o = m.get(k);
    if (!o) m.set(k, (o = { ref }));
    return o;
  };

  for (const e of entries) if (e.rendered) get(diffRefOf(e.rendered)).rendered = e.rendered;
  // Every live object found counts as remote, orphans included (dropped below when none of ours).
  for (const r of forDiff.values()) get(diffRefOf(r)).remote = r;
  for (const e of entries) {
    if (!e.applied) continue;
    const o = get(diffRefOf(e.applied));
    o.applied = e.applied;
    if (e.hook) o.hook = true;
  }
  for (const e of entries) {
    if (e.hook && !e.applied) get(e.rendered ? diffRefOf(e.rendered) : e.ref).hook = true;
    if (!e.rendered || !e.applied) continue;
    const ro = forDiff.get(refKey(diffRefOf(e.rendered)));
    if (!ro) continue;
    const changes = computeChanges(ro, e.applied, {
      local: e.rendered,
      rules: opts.rulesFor?.(e.rendered) ?? [],
    });
    if (changes.length > 0) get(diffRefOf(e.rendered)).changes = changes;
  }
  for (const e of entries) {
    if (!e.new || !e.applied) continue;
    const o = get(diffRefOf(e.applied));
    if ((o.changes?.length ?? 0) === 0) o.new = true;
  }
  for (const e of entries) {
    if (e.deleted) get(e.rendered ? diffRefOf(e.rendered) : e.ref).deleted = true;
  }
  for (const e of entries) {
    if (!e.orphan) continue;
    const o = get(e.ref);
    if (!o.deleted) o.orphan = true;
  }
  return [...m.values()].filter((o) => o.rendered || o.applied || o.deleted || o.orphan);
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
