/**
 * Duration strings as the KluctlDeployment spec carries them (`10m`, `1h30m`, `500ms`, `1.5h`), i.e. Go's
 * `time.ParseDuration` syntax restricted to what the API server lets through (kluctl-semantics §9).
 */
import { KsError } from '../errors.js';

/**
 * The CRD pattern of `interval`, `retryInterval` and `timeout` (Kluctl's `metav1.Duration` fields).
 * Kept as a string because it is written verbatim into the CRD schema.
 */
export const DURATION_PATTERN = '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$';

/**
 * The CRD pattern of `deployInterval` and `validateInterval` (Kluctl's `SafeDuration`). Kluctl's pattern
 * lacks the trailing `$`, so the API server accepts `10mfoo`; we keep it byte-identical so objects valid for
 * Kluctl stay valid here, and {@link parseDuration} rejects such values when the reconcile reads them.
 */
export const SAFE_DURATION_PATTERN = '^(([0-9]+(\\.[0-9]+)?(ms|s|m|h))+)';

// Go accepts these units; the CRD patterns allow only ms|s|m|h, but values reaching us from other
// trust boundaries (CLI flags, request override patches) may use the rest.
const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const SEGMENT = /([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h)/y;

/**
 * Parses a Go/Kluctl duration string into milliseconds (fractional for sub-millisecond units).
 * Throws KsError `InvalidInput` naming the value when it is not a duration.
 */
export function parseDuration(value: string): number {
  if (value === '0') return 0;
  let total = 0;
  let pos = 0;
  SEGMENT.lastIndex = 0;
  while (pos < value.length) {
    SEGMENT.lastIndex = pos;
    const m = SEGMENT.exec(value);
    if (!m) break;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    pos = SEGMENT.lastIndex;
  }
  if (pos === 0 || pos !== value.length) {
    throw new KsError(
      'InvalidInput',
      `invalid duration ${JSON.stringify(value)}: use a number with a unit, e.g. "30s", "10m" or "1h30m"`,
    );
  }
  return total;
}

/** Whether `value` parses as a duration (see {@link parseDuration}). */
export function isDuration(value: string): boolean {
  try {
    parseDuration(value);
    return true;
  } catch {
    return false;
  }
}

/** Formats milliseconds the way Go prints a `time.Duration` (`1h30m0s`, `500ms`, `0s`), for messages. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${trimNumber(ms)}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  let out = '';
  if (h > 0) out += `${h}h`;
  if (h > 0 || m > 0) out += `${m}m`;
  return `${out}${trimNumber(s)}s`;
}

function trimNumber(n: number): string {
  // Go prints up to nanosecond precision without trailing zeros.
  return String(Number(n.toFixed(6)));
}
