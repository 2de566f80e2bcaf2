/**
 * Booleans as Go's `strconv.ParseBool` reads them: Kluctl parses its boolean annotations
 * (`kluctl.io/delete`, `kluctl.io/force-apply`, `kluctl.io/is-ready`, …) and the boolean fields of
 * credential environment sets and Secrets with it.
 */

const TRUE_STRINGS = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE_STRINGS = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** Go's strconv.ParseBool; undefined when the string is not a boolean. */
export function parseGoBool(value: string): boolean | undefined {
  if (TRUE_STRINGS.has(value)) return true;
  if (FALSE_STRINGS.has(value)) return false;
  return undefined;
}

/** Whether `value` is a string Go reads as true; absent, non-string and unparsable values are false. */
export function isGoTrue(value: unknown): boolean {
  return typeof value === 'string' && TRUE_STRINGS.has(value);
}
