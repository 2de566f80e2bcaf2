/**
 * Booleans as Go's `strconv.ParseBool` reads them: Kluctl parses its boolean annotations
 * (`kluctl.io/delete`, `kluctl.io/force-apply`, `kluctl.io/is-ready`, …) with it.
 */

/** Go's strconv.ParseBool; undefined when the string is not a boolean. */
export function parseGoBool(value: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  return undefined;
}

/** Whether an (optional) annotation value is true for Go; absent and unparsable values are false. */
export function isGoTrue(value: string | undefined): boolean {
  return value !== undefined && parseGoBool(value) === true;
}
