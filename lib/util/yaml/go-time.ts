/**
 * YAML timestamps as Go's YAML libraries recognise them: yaml.v2 and yaml.v3 try `time.Parse` with four
 * layouts on plain scalars that start with `YYYY-`. yaml.v2 then keeps the text (a string), yaml.v3
 * hands a time.Time to `interface{}` targets, which JSON turns into RFC 3339 with nanoseconds; that is
 * what kustomize (kyaml, yaml.v3) makes of `created: 2001-12-14` in Kluctl.
 */

/** A parsed timestamp: the fields Go's RFC 3339 formatting needs. */
interface GoTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly min: number;
  readonly sec: number;
  /** Fraction digits, at most 9 (Go truncates longer fractions). */
  readonly frac: string;
  /** Offset in minutes east of UTC; undefined for UTC (`Z` or no zone). */
  readonly offset?: number;
}

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysIn(month: number, year: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : DAYS[month - 1]!;
}

/** Go's getnum: one or two digits (greedy); undefined when no digit starts `s`. */
function num(s: string, i: number): [number, number] | undefined {
  const d = (k: number): boolean => s[k] !== undefined && s[k]! >= '0' && s[k]! <= '9';
  if (!d(i)) return undefined;
  if (!d(i + 1)) return [Number(s[i]), i + 1];
  return [Number(s.slice(i, i + 2)), i + 2];
}

/** The time part of the layouts `15:4:5.999999999`: hour, minute, second and an optional fraction. */
function parseClock(
  s: string,
  i: number,
): { h: number; m: number; sec: number; frac: string; i: number } | undefined {
  const h = num(s, i);
  if (!h || h[0] >= 24 || s[h[1]] !== ':') return undefined;
  const m = num(s, h[1] + 1);
  if (!m || m[0] >= 60 || s[m[1]] !== ':') return undefined;
  const sec = num(s, m[1] + 1);
  if (!sec || sec[0] >= 60) return undefined;
  let j = sec[1];
  let frac = '';
  // `.999999999` takes any number of digits after a period or comma, when at least one follows.
  if ((s[j] === '.' || s[j] === ',') && /[0-9]/.test(s[j + 1] ?? '')) {
    const digits = /^[0-9]+/.exec(s.slice(j + 1))![0];
    frac = digits.slice(0, 9);
    j += 1 + digits.length;
  }
  return { h: h[0], m: m[0], sec: sec[0], frac, i: j };
}

/** `Z07:00`: `Z`, or a sign and hh:mm (Go accepts up to 24 hours and 60 minutes). */
function parseZone(s: string, i: number): { offset?: number; i: number } | undefined {
  if (s[i] === 'Z') return { i: i + 1 };
  const z = /^([+-])([0-9]{2}):([0-9]{2})/.exec(s.slice(i));
  if (!z) return undefined;
  const hh = Number(z[2]);
  const mm = Number(z[3]);
  if (hh > 24 || mm > 60) return undefined;
  const offset = (z[1] === '-' ? -1 : 1) * (hh * 60 + mm);
  return { offset, i: i + 6 };
}

function parse(s: string): GoTime | undefined {
  // All layouts start with a 4-digit year, a dash, a 1-2 digit month, a dash and a 1-2 digit day.
  if (!/^[0-9]{4}-/.test(s)) return undefined;
  const year = Number(s.slice(0, 4));
  const mo = num(s, 5);
  if (!mo || mo[0] < 1 || mo[0] > 12 || s[mo[1]] !== '-') return undefined;
  const d = num(s, mo[1] + 1);
  if (!d || d[0] < 1 || d[0] > daysIn(mo[0], year)) return undefined;
  const date = { year, month: mo[0], day: d[0] };
  let i = d[1];
  if (i === s.length) return { ...date, hour: 0, min: 0, sec: 0, frac: '' };
  const sep = s[i];
  if (sep === 'T' || sep === 't') {
    const c = parseClock(s, i + 1);
    const z = c && parseZone(s, c.i);
    if (!c || !z || z.i !== s.length) return undefined;
    return {
      ...date,
      hour: c.h,
      min: c.m,
      sec: c.sec,
      frac: c.frac,
      ...(z.offset !== undefined ? { offset: z.offset } : {}),
    };
  }
  if (sep !== ' ') return undefined;
  // A space in a Go layout matches one or more spaces.
  while (s[i] === ' ') i++;
  const c = parseClock(s, i);
  if (!c || c.i !== s.length) return undefined;
  return { ...date, hour: c.h, min: c.m, sec: c.sec, frac: c.frac };
}

/** Whether yaml.v2/v3 resolve this plain scalar as a timestamp. */
export function isGoYamlTimestamp(s: string): boolean {
  return parse(s) !== undefined;
}

const p2 = (n: number): string => String(n).padStart(2, '0');

/**
 * The timestamp as Go's `time.Time` JSON (RFC 3339, nanoseconds without trailing zeros, `Z` for UTC),
 * or undefined when `s` is not a YAML timestamp for Go. Throws for offsets of 24 hours, which Go's
 * JSON encoder refuses.
 */
export function goYamlTimestampJson(s: string): string | undefined {
  const t = parse(s);
  if (!t) return undefined;
  const frac = t.frac.replace(/0+$/, '');
  const base = `${String(t.year).padStart(4, '0')}-${p2(t.month)}-${p2(t.day)}T${p2(t.hour)}:${p2(t.min)}:${p2(t.sec)}${frac ? `.${frac}` : ''}`;
  if (!t.offset) return `${base}Z`;
  const abs = Math.abs(t.offset);
  if (abs >= 24 * 60)
    throw new RangeError(`timestamp ${s}: Time.MarshalJSON: timezone hour outside of range [0,23]`);
  return `${base}${t.offset < 0 ? '-' : '+'}${p2(Math.floor(abs / 60))}:${p2(abs % 60)}`;
}
