/**
 * Go's number parsing and formatting as the YAML readers and writers of the Kubernetes ecosystem use
 * them: `strconv.ParseInt/ParseUint` with base 0 (yaml.v2/v3 integer resolution), `FormatFloat(f, 'g',
 * -1, bits)` (yaml.v2 writes floats and sigs.k8s.io/yaml turns float keys into strings with it), and
 * encoding/json's float format (sigs.k8s.io/yaml converts every document to JSON and back).
 */

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** A Go integer: `int` when it fits int64, else `uint` (yaml.v2/v3 fall back to uint64). */
export interface GoInt {
  readonly kind: 'int' | 'uint';
  readonly value: bigint;
}

const DIGITS: Record<number, RegExp> = { 2: /^[01]+$/, 8: /^[0-7]*$/, 10: /^[0-9]+$/, 16: /^[0-9a-fA-F]+$/ };

/** `strconv.ParseUint(s, 0, 64)` without underscores (the YAML resolvers strip them first). */
function parseUnsignedBase0(s: string): bigint | undefined {
  if (s === '') return undefined;
  let base = 10;
  let digits = s;
  if (s[0] === '0') {
    const p = s[1]?.toLowerCase();
    if (s.length >= 3 && (p === 'b' || p === 'o' || p === 'x')) {
      base = p === 'b' ? 2 : p === 'o' ? 8 : 16;
      digits = s.slice(2);
    } else {
      // A leading 0 means octal; "0" alone is an empty octal number, which Go accepts as 0.
      base = 8;
      digits = s.slice(1);
    }
  }
  if (!DIGITS[base]!.test(digits)) return undefined;
  if (digits === '') return 0n;
  const prefix = base === 2 ? '0b' : base === 8 ? '0o' : base === 16 ? '0x' : '';
  const v = BigInt(prefix + digits);
  return v > UINT64_MAX ? undefined : v;
}

/**
 * What yaml.v2/v3 make of an integer-looking scalar (underscores already removed): `ParseInt(s, 0, 64)`,
 * then `ParseUint(s, 0, 64)`. Undefined when Go rejects it (then the resolvers try a float).
 */
export function parseGoInt(s: string): GoInt | undefined {
  const neg = s.startsWith('-');
  const body = s.startsWith('-') || s.startsWith('+') ? s.slice(1) : s;
  const u = parseUnsignedBase0(body);
  if (u === undefined) return undefined;
  const v = neg ? -u : u;
  if (v >= INT64_MIN && v <= INT64_MAX) return { kind: 'int', value: v };
  // ParseUint takes no sign.
  return s === body && v <= UINT64_MAX ? { kind: 'uint', value: v } : undefined;
}

/** Whether a bigint fits Go's int64 or uint64 (what a JSON integer becomes when yaml.v2 reads it). */
export function fitsGoInteger(v: bigint): boolean {
  return v >= INT64_MIN && v <= UINT64_MAX;
}

/** The shortest digits and decimal exponent of a finite, non-zero float (as Go's shortest formatting). */
function shortestDigits(abs: number, bits: 32 | 64): { digits: string; exp: number } {
  let e: string;
  if (bits === 64) e = abs.toExponential();
  else {
    // float32: the shortest decimal that reads back as the same float32.
    const x = Math.fround(abs);
    e = x.toExponential(8);
    for (let p = 0; p < 9; p++) {
      const c = x.toExponential(p);
      if (Math.fround(Number(c)) === x) {
        e = c;
        break;
      }
    }
  }
  const m = /^(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(e)!;
  return { digits: (m[1]! + (m[2] ?? '')).replace(/0+$/, '') || '0', exp: Number(m[3]) };
}

/** Go's `strconv.FormatFloat(f, 'g', -1, bits)`, with yaml.v2's spelling of infinities and NaN. */
export function goFormatFloat(f: number, bits: 32 | 64 = 64): string {
  if (Number.isNaN(f)) return '.nan';
  if (!Number.isFinite(f)) return f > 0 ? '.inf' : '-.inf';
  const x = bits === 32 ? Math.fround(f) : f;
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const sign = x < 0 ? '-' : '';
  const { digits, exp } = shortestDigits(Math.abs(x), bits);
  // %e when the exponent is below -4 or at least 6 (Go's rule for the shortest precision).
  if (exp < -4 || exp >= 6) {
    const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp).toString().padStart(2, '0');
    return `${sign}${mant}e${exp < 0 ? '-' : '+'}${e}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const int = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
  const frac = digits.slice(exp + 1);
  return `${sign}${int}${frac ? `.${frac}` : ''}`;
}

/**
 * A number as Go's encoding/json writes a float64: JavaScript's shortest formatting agrees with Go's
 * (`1e+21`, `1e-7`, plain decimals in between), except that Go keeps the sign of -0.
 * Throws for NaN and infinities, as json.Marshal does.
 */
export function goJsonNumber(n: number): string {
  if (!Number.isFinite(n)) throw new RangeError(`json: unsupported value: ${goFormatFloatJsonName(n)}`);
  return Object.is(n, -0) ? '-0' : String(n);
}

function goFormatFloatJsonName(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  return n > 0 ? '+Inf' : '-Inf';
}

/** The float syntax yaml.v2/v3 accept for numbers that are not integers (after removing underscores). */
export const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

/** `strconv.ParseFloat` on text already known to be a plain decimal: undefined when out of range. */
export function parseGoDecimalFloat(s: string): number | undefined {
  const v = Number(s);
  return Number.isFinite(v) ? v : undefined;
}
