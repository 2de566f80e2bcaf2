/**
 * Go's strconv.ParseBool as Kluctl reads boolean annotations and the boolean fields of credential
 * environment sets and Secrets: these spellings are true, everything else (unparsable too) is false.
 */
const TRUE_STRINGS = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);

/** Whether `value` is a string Go's strconv.ParseBool reads as true. */
export function isGoTrue(value: unknown): boolean {
  return typeof value === 'string' && TRUE_STRINGS.has(value);
}
