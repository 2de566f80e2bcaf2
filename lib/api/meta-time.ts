/**
 * Kubernetes' `metav1.Time` on the wire: RFC 3339 in UTC with whole seconds. Kluctl writes every time
 * of its results and conditions this way, so ours do too.
 */
export function metaTime(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z');
}
