/**
 * What the per-object rules of a deployment.yaml (`ignoreForDiff`, `conflictResolution`) share: reading
 * an entry's fields as Kluctl does (a string where a list is expected is a list of one; `null` is unset),
 * and matching an object against the entry's group/kind/namespace/name filters.
 */

/** The object filters of a rule; an unset filter matches every object. */
export interface ObjectFilter {
  readonly group?: string;
  readonly kind?: string;
  readonly name?: string;
  readonly namespace?: string;
}

/**
 * Whether a rule's filters match an object. An empty value of the object (the core group, a cluster-wide
 * object's namespace) matches any filter, as in Kluctl.
 */
export function ruleMatches(
  rule: ObjectFilter,
  o: { readonly group?: string; kind?: string; name?: string; namespace?: string },
): boolean {
  const ok = (v: string | undefined, want: string | undefined): boolean =>
    !v || want === undefined || v === want;
  return (
    ok(o.group, rule.group) &&
    ok(o.kind, rule.kind) &&
    ok(o.namespace, rule.namespace) &&
    ok(o.name, rule.name)
  );
}

/** Readers of one rule entry's fields; each returns undefined for an unset field. */
export interface EntryFields {
  /** A field that takes a string or a list of strings, as a list. */
  readonly list: (key: string) => string[] | undefined;
  /** A string field. */
  readonly str: (key: string) => string | undefined;
}

/** Readers of `entry`'s fields that report a field of the wrong type through `bad` (which throws). */
export function entryFields(
  entry: Readonly<Record<string, unknown>>,
  bad: (why: string) => never,
): EntryFields {
  return {
    list: (k) => {
      const v = entry[k];
      if (v === undefined || v === null) return undefined;
      if (typeof v === 'string') return [v];
      if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
      return bad(`${k} must be a string or a list of strings`);
    },
    str: (k) => {
      const v = entry[k];
      if (v === undefined || v === null) return undefined;
      return typeof v === 'string' ? v : bad(`${k} must be a string`);
    },
  };
}
