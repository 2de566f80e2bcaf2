/**
 * Kubernetes label selectors in their string form, as far as a client-side cache needs them: the
 * equality-based requirements (`k=v`, `k==v`, `k!=v`) and existence (`k`, `!k`), comma-separated
 * (all must hold). Set-based requirements (`in`, `notin`) are not parsed: {@link parseLabelSelector}
 * returns undefined for them, and the caller asks the API server instead.
 */

/** One requirement of a selector. */
export type LabelRequirement =
  | { readonly key: string; readonly op: 'exists' | 'notExists' }
  | { readonly key: string; readonly op: 'equals' | 'notEquals'; readonly value: string };

/** The requirements of `selector` (empty: everything matches), or undefined when it cannot be parsed here. */
export function parseLabelSelector(selector: string): LabelRequirement[] | undefined {
  const out: LabelRequirement[] = [];
  for (const raw of selector.split(',')) {
    const part = raw.trim();
    if (part === '') continue;
    if (/\s(in|notin)\s*\(/.test(part) || part.includes('(')) return undefined;
    const m = /^([^=!\s]+)\s*(==|=|!=)\s*([^=!\s]*)$/.exec(part);
    if (m) {
      out.push({ key: m[1]!, op: m[2] === '!=' ? 'notEquals' : 'equals', value: m[3]! });
      continue;
    }
    const e = /^(!?)([^=!\s]+)$/.exec(part);
    if (!e) return undefined;
    out.push({ key: e[2]!, op: e[1] ? 'notExists' : 'exists' });
  }
  return out;
}

/** Whether `labels` satisfy every requirement. */
export function matchesLabels(
  requirements: readonly LabelRequirement[],
  labels: Readonly<Record<string, string>> | undefined,
): boolean {
  const l = labels ?? {};
  return requirements.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    switch (r.op) {
      case 'exists':
        return has;
      case 'notExists':
        return !has;
      case 'equals':
        return has && l[r.key] === r.value;
      case 'notEquals':
        return !has || l[r.key] !== r.value;
    }
  });
}

/** Whether every object the requirements match carries label `key` (so a cache of `key` holds them all). */
export function impliesLabel(requirements: readonly LabelRequirement[], key: string): boolean {
  return requirements.some((r) => r.key === key && (r.op === 'exists' || r.op === 'equals'));
}
