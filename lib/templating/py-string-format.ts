/**
 * Python's two string formatting languages as templates use them: `"%s:%s" % (a, b)` (printf style)
 * and `'{:0=13}'.format(n)` (str.format with the format-spec mini-language).
 */
import { JinjaError } from './jinja-error.js';
import { pyFloatRepr, pyRepr, pyStr } from './py-repr.js';
import { PyFloat, TUPLES, isDict, isFloat, isInt, numValue, typeName } from './py-values.js';

/** Python's round(): half to even on exact ties (JavaScript's toFixed rounds them up). */
export function pyRound(x: number, digits: number): number {
  if (!Number.isFinite(x) || digits < 0 || digits > 60) return x;
  // toFixed gives the exact decimal expansion of the binary value: a tie is "5" then only zeros.
  const exact = Math.abs(x).toFixed(Math.min(100, digits + 40));
  const rest = exact.slice(exact.indexOf('.') + 1 + digits);
  const rounded = Number(x.toFixed(digits));
  if (!/^50*$/.test(rest)) return rounded;
  const f = 10 ** digits;
  const lo = Math.floor(Math.abs(x) * f);
  return (Math.sign(x) * (lo % 2 === 0 ? lo : lo + 1)) / f;
}

function fixedFloat(n: number, precision: number): string {
  if (!Number.isFinite(n)) return Number.isNaN(n) ? 'nan' : n > 0 ? 'inf' : '-inf';
  return pyRound(n, precision).toFixed(precision);
}

function expFloat(n: number, precision: number, upper: boolean): string {
  if (!Number.isFinite(n)) return fixedFloat(n, 0);
  const [m = '', e = '0'] = n.toExponential(precision).split('e');
  const exp = Number(e);
  const s = `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return upper ? s.toUpperCase() : s;
}

function generalFloat(n: number, precision: number, alt: boolean): string {
  const p = precision === 0 ? 1 : precision;
  if (n === 0) return alt ? `0.${'0'.repeat(p - 1)}` : '0';
  if (!Number.isFinite(n)) return fixedFloat(n, 0);
  const exp = Number(n.toExponential(p - 1).split('e')[1]);
  let s = exp < -4 || exp >= p ? expFloat(n, p - 1, false) : n.toFixed(Math.max(0, p - 1 - exp));
  if (!alt) s = s.replace(/\.?0+(?=e|$)/, '');
  return s;
}

function needNumber(v: unknown, spec: string): number {
  const n = numValue(v);
  if (n === undefined)
    throw new JinjaError('TypeError', `%${spec} format: a real number is required, not ${typeName(v)}`);
  return n;
}

/** Formats one value for a printf conversion (`d`, `s`, `f`, ...) without width handling. */
function printfOne(v: unknown, conv: string, precision: number | undefined, alt: boolean): string {
  switch (conv) {
    case 's':
      return precision === undefined ? pyStr(v) : pyStr(v).slice(0, precision);
    case 'r':
    case 'a':
      return pyRepr(v);
    case 'd':
    case 'i':
    case 'u':
      return String(Math.trunc(needNumber(v, conv)));
    case 'x':
    case 'X':
    case 'o': {
      const n = needNumber(v, conv);
      if (!isInt(n)) throw new JinjaError('TypeError', `%${conv} format: an integer is required, not float`);
      const s = Math.abs(n).toString(conv === 'o' ? 8 : 16);
      const prefix = alt ? (conv === 'o' ? '0o' : conv === 'x' ? '0x' : '0X') : '';
      return (n < 0 ? '-' : '') + prefix + (conv === 'X' ? s.toUpperCase() : s);
    }
    case 'f':
    case 'F':
      return fixedFloat(needNumber(v, conv), precision ?? 6);
    case 'e':
    case 'E':
      return expFloat(needNumber(v, conv), precision ?? 6, conv === 'E');
    case 'g':
    case 'G': {
      const s = generalFloat(needNumber(v, conv), precision ?? 6, alt);
      return conv === 'G' ? s.toUpperCase() : s;
    }
    case 'c':
      return typeof v === 'string' ? v : String.fromCodePoint(needNumber(v, conv));
    default:
      throw new JinjaError('ValueError', `unsupported format character '${conv}'`);
  }
}

const PRINTF = /%(?:\(([^)]*)\))?([-+ #0]*)(\*|\d+)?(?:\.(\*|\d+))?[hlL]?([diouxXeEfFgGcrsa%])/g;

/** Python's `format % args`. */
export function printfFormat(format: string, args: unknown): string {
  const list = Array.isArray(args) && TUPLES.has(args) ? args : [args];
  let i = 0;
  const next = (): unknown => {
    if (i >= list.length) throw new JinjaError('TypeError', 'not enough arguments for format string');
    return list[i++];
  };
  let usedMapping = false;
  const out = format.replace(
    PRINTF,
    (_m, key: string | undefined, flags: string, width?: string, prec?: string, conv = 's') => {
      if (conv === '%') return '%';
      let v: unknown;
      if (key !== undefined) {
        usedMapping = true;
        if (!isDict(args)) throw new JinjaError('TypeError', 'format requires a mapping');
        if (!Object.hasOwn(args, key)) throw new JinjaError('KeyError', `'${key}'`);
        v = args[key];
      }
      const w = width === '*' ? Number(next()) : width ? Number(width) : 0;
      const p = prec === '*' ? Number(next()) : prec !== undefined ? Number(prec) : undefined;
      if (key === undefined) v = next();
      let s = printfOne(v, conv, p, flags.includes('#'));
      const numeric = !'src'.includes(conv);
      if (numeric && !s.startsWith('-')) {
        if (flags.includes('+')) s = `+${s}`;
        else if (flags.includes(' ')) s = ` ${s}`;
      }
      if (s.length < w) {
        if (flags.includes('-')) s = s.padEnd(w);
        else if (flags.includes('0') && numeric) {
          const sign = /^[-+ ]/.test(s) ? s[0]! : '';
          s = sign + s.slice(sign.length).padStart(w - sign.length, '0');
        } else s = s.padStart(w);
      }
      return s;
    },
  );
  if (!usedMapping && i < list.length && !(isDict(args) && list.length === 1))
    throw new JinjaError('TypeError', 'not all arguments converted during string formatting');
  return out;
}

const SPEC = /^(?:(.)?([<>=^]))?([-+ ])?(z)?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([bcdeEfFgGnosxX%])?$/s;

function groupDigits(intPart: string, sep: string): string {
  return intPart.replace(/\B(?=(\d{3})+(?!\d))/g, sep);
}

/** Python's `format(value, spec)` for str, int and float values. */
function formatSpec(v: unknown, spec: string): string {
  const m = SPEC.exec(spec);
  if (!m) throw new JinjaError('ValueError', `Invalid format specifier '${spec}'`);
  const [, fillC, alignC, sign = '-', , alt, zero, widthS, group, precS, typeC] = m;
  let fill = fillC ?? ' ';
  let align = alignC;
  const width = widthS ? Number(widthS) : 0;
  const prec = precS !== undefined ? Number(precS) : undefined;
  let body: string;
  let numeric = false;
  if (typeof v === 'string' && (typeC === undefined || typeC === 's')) {
    body = prec === undefined ? v : v.slice(0, prec);
  } else if (typeof v === 'string' || (numValue(v) === undefined && typeC !== undefined)) {
    throw new JinjaError(
      'ValueError',
      `Unknown format code '${typeC ?? 's'}' for object of type '${typeName(v)}'`,
    );
  } else if (numValue(v) === undefined) {
    body = pyStr(v);
  } else {
    numeric = true;
    const n = numValue(v)!;
    const t = typeC ?? (isFloat(v) ? (prec === undefined ? 'r' : 'g') : 'd');
    let s: string;
    if (t === 'r') s = v instanceof PyFloat ? pyFloatRepr(v.v) : pyStr(Math.abs(n) === n ? n : -n);
    else if (t === 'd' || t === 'n') s = String(Math.abs(Math.trunc(n)));
    else if ('xXob'.includes(t)) {
      const base = t === 'o' ? 8 : t === 'b' ? 2 : 16;
      s = (alt ? `0${t}` : '') + Math.abs(n).toString(base);
      if (t === 'X') s = s.toUpperCase();
    } else if (t === '%') s = `${fixedFloat(Math.abs(n) * 100, prec ?? 6)}%`;
    else if (t === 'c') s = String.fromCodePoint(n);
    else s = printfOne(Math.abs(n), t, prec, Boolean(alt));
    if (t === 'r') s = s.replace(/^-/, '');
    if (group) {
      const [ip = '', ...rest] = s.split('.');
      s = [groupDigits(ip, group), ...rest].join('.');
    }
    const neg = n < 0 || Object.is(n, -0);
    const signStr = neg ? '-' : sign === '+' ? '+' : sign === ' ' ? ' ' : '';
    if (zero && !alignC) {
      fill = '0';
      align = '=';
    }
    if (align === '=') {
      const pad = Math.max(0, width - signStr.length - s.length);
      return signStr + fill.repeat(pad) + s;
    }
    body = signStr + s;
  }
  const pad = Math.max(0, width - Array.from(body).length);
  const a = align ?? (numeric ? '>' : '<');
  if (a === '<') return body + fill.repeat(pad);
  if (a === '>' || a === '=') return fill.repeat(pad) + body;
  const left = Math.floor(pad / 2);
  return fill.repeat(left) + body + fill.repeat(pad - left);
}

type FieldLookup = (v: unknown, key: string, isIndex: boolean) => unknown;

/** Python's `str.format(*args, **kwargs)`; `lookup` resolves `.attr` and `[key]` in field names. */
export function strFormat(
  format: string,
  args: readonly unknown[],
  kwargs: Readonly<Record<string, unknown>>,
  lookup: FieldLookup,
): string {
  let auto = 0;
  return format.replace(
    /\{\{|\}\}|\{([^{}!:]*)(?:!([rsa]))?(?::([^{}]*(?:\{[^{}]*\}[^{}]*)*))?\}/g,
    (m, field?: string, conv?: string, spec?: string) => {
      if (m === '{{') return '{';
      if (m === '}}') return '}';
      const f = field ?? '';
      const head = /^[^.[]*/.exec(f)![0];
      let v: unknown;
      if (head === '') v = args[auto++];
      else if (/^\d+$/.test(head)) v = args[Number(head)];
      else if (Object.hasOwn(kwargs, head)) v = kwargs[head];
      else throw new JinjaError('KeyError', `'${head}'`);
      if (v === undefined && (head === '' || /^\d+$/.test(head)))
        throw new JinjaError('IndexError', 'Replacement index out of range for positional args tuple');
      for (const part of f.slice(head.length).matchAll(/\.([^.[]+)|\[([^\]]+)\]/g))
        v = part[1] !== undefined ? lookup(v, part[1], false) : lookup(v, part[2]!, true);
      if (conv === 'r' || conv === 'a') v = pyRepr(v);
      else if (conv === 's') v = pyStr(v);
      const s = spec ?? '';
      const nested = s.replace(/\{([^{}]*)\}/g, (_x, inner: string) =>
        pyStr(inner === '' ? args[auto++] : /^\d+$/.test(inner) ? args[Number(inner)] : kwargs[inner]),
      );
      return nested === '' ? pyStr(v) : formatSpec(v, nested);
    },
  );
}
