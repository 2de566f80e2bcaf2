/**
 * Kluctl's filters and global functions that need no project (kluctl-semantics §3.5), and Jinja's
 * global functions (`range`, `dict`, `namespace`, ...). The project-bound ones (`load_template`,
 * `images.get_image`, ...) are passed per render call as globals by lib/project.
 */
import { createHash } from 'node:crypto';
import type { FilterFn } from './expr-scope.js';
import { JinjaError } from './jinja-error.js';
import { pyJsonDumps } from './py-json.js';
import { pyStr } from './py-repr.js';
import { pyYamlDump } from './py-yaml.js';
import { readPyYaml } from '../util/yaml.js';
import { PyRange } from './py-range.js';
import { PyFloat, Undef, isDict, isInt, nativeFunction, numValue, typeName } from './py-values.js';
import { timeModule } from './py-time.js';

/** What native globals get as context: variable lookup and rendering with the current variables. */
export interface NativeCallContext {
  /** All variables visible at the call site (template globals, vars and `set` variables). */
  allVars(): Record<string, unknown>;
  /** Renders a template text with the given variables (Kluctl's `render`). */
  renderString(text: string, vars: Record<string, unknown>): unknown;
  /** Where `debug_print` output goes. */
  debugPrint(msg: string): void;
}

function str(v: unknown): string {
  return pyStr(v);
}

/** Python's `slugify` (python-slugify defaults): ASCII-folded, lower case, `-` between words. */
function slugify(v: unknown, kw: Record<string, unknown> = {}): string {
  const sep = typeof kw.separator === 'string' ? kw.separator : '-';
  let s = str(v)
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '');
  if (kw.lowercase !== false) s = s.toLowerCase();
  s = s.replace(kw.lowercase === false ? /[^-a-zA-Z0-9]+/g : /[^-a-z0-9]+/g, '-');
  s = s.replace(/-{2,}/g, '-').replace(/^-+|-+$/g, '');
  const max = Number(kw.max_length ?? 0);
  if (max > 0) s = s.slice(0, max).replace(/-+$/, '');
  return sep === '-' ? s : s.replace(/-/g, sep);
}

/** Deep merge as Kluctl's merge_dict: dicts merge recursively, anything else is replaced. */
function mergeDict(a: unknown, b: unknown, clone = true): Record<string, unknown> {
  const base = (clone ? structuredClone(a) : a) as Record<string, unknown>;
  if (!isDict(base) || !isDict(b)) throw new JinjaError('TypeError', 'merge_dict needs two dicts');
  for (const [k, v] of Object.entries(b)) {
    const cur = base[k];
    if (isDict(cur) && isDict(v)) mergeDict(cur, v, false);
    else base[k] = clone ? structuredClone(v) : v;
  }
  return base;
}

const B64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * Kluctl's `b64decode`: Python's lenient `base64.b64decode(s.encode()).decode()`. Characters outside
 * the alphabet are skipped, a complete `=` padding ends the input, a missing one is an error
 * (binascii.Error, a ValueError), and the bytes must be valid UTF-8 (else UnicodeDecodeError).
 */
function b64decode(v: unknown): string {
  const bytes: number[] = [];
  let quad = 0;
  let left = 0;
  let pads = 0;
  let ended = false;
  for (const ch of str(v)) {
    if (ch === '=') {
      if (quad >= 2 && quad + ++pads >= 4) {
        ended = true;
        break;
      }
      continue;
    }
    const c = B64_ALPHABET.indexOf(ch);
    if (c < 0) continue;
    pads = 0;
    if (quad === 1) bytes.push(((left << 2) | (c >> 4)) & 0xff);
    else if (quad === 2) bytes.push(((left << 4) | (c >> 2)) & 0xff);
    else if (quad === 3) bytes.push(((left << 6) | c) & 0xff);
    left = quad === 1 ? c & 0x0f : quad === 2 ? c & 0x03 : c;
    quad = (quad + 1) % 4;
  }
  if (!ended && quad === 1)
    throw new JinjaError(
      'ValueError',
      'Invalid base64-encoded string: number of data characters cannot be 1 more than a multiple of 4',
    );
  if (!ended && quad !== 0) throw new JinjaError('ValueError', 'Incorrect padding');
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(Uint8Array.from(bytes));
  } catch {
    throw new JinjaError('UnicodeDecodeError', "'utf-8' codec can't decode the base64-decoded bytes");
  }
}

function sha256(v: unknown, digestLen: unknown): string {
  const hex = createHash('sha256').update(str(v), 'utf8').digest('hex');
  return digestLen === undefined || digestLen === null ? hex : hex.slice(0, Number(numValue(digestLen)));
}

/** Kluctl's filters. */
export const KLUCTL_FILTERS: Record<string, FilterFn> = {
  b64encode: (_s, v) => Buffer.from(str(v), 'utf8').toString('base64'),
  b64decode: (_s, v) => b64decode(v),
  to_yaml: (_s, v) => pyYamlDump(v),
  to_json: (_s, v) => pyJsonDumps(v),
  from_yaml: (_s, v) => readPyYaml(str(v), (n) => new PyFloat(n)),
  sha256: (_s, v, [len], kw) => sha256(v, kw.digest_len ?? len),
  slugify: (_s, v, _a, kw) => slugify(v, kw),
  render: (s, v) =>
    (s.callContext as NativeCallContext).renderString(str(v), (s.callContext as NativeCallContext).allVars()),
};

function intArg(v: unknown): number {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (isInt(v)) return v;
  throw new JinjaError('TypeError', `'${typeName(v)}' object cannot be interpreted as an integer`);
}

/** `range(stop)`, `range(start, stop[, step])` with Python's argument checks; lazy, of any size. */
function pyRange(args: readonly unknown[]): PyRange {
  if (args.length === 0) throw new JinjaError('TypeError', 'range expected at least 1 argument, got 0');
  if (args.length > 3)
    throw new JinjaError('TypeError', `range expected at most 3 arguments, got ${args.length}`);
  const n = args.map(intArg);
  const [start, stop, step] = n.length === 1 ? [0, n[0]!, 1] : [n[0]!, n[1]!, n[2] ?? 1];
  if (step === 0) throw new JinjaError('ValueError', 'range() arg 3 must not be zero');
  return new PyRange(start, stop, step);
}

/** `namespace(...)`: an object whose attributes `{% set ns.x = ... %}` may assign. */
export class Namespace {
  constructor(init: Record<string, unknown>) {
    Object.assign(this, init);
  }
}

function lookupPath(vars: Record<string, unknown>, path: string): { found: boolean; value?: unknown } {
  let cur: unknown = vars;
  for (const part of path.match(/[^.[\]]+|\[\d+\]/g) ?? []) {
    const idx = /^\[(\d+)\]$/.exec(part);
    if (idx && Array.isArray(cur) && Number(idx[1]) < cur.length) cur = cur[Number(idx[1])];
    else if (isDict(cur) && Object.hasOwn(cur, part) && !(cur[part] instanceof Undef)) cur = cur[part];
    else return { found: false };
  }
  return { found: true, value: cur };
}

/** The global functions and objects every template sees. */
export function builtinGlobals(): Record<string, unknown> {
  const ctxOf = (c: unknown): NativeCallContext => c as NativeCallContext;
  return {
    // Jinja's globals that are Python classes print as such (`{{ namespace }}` when no var shadows it).
    range: nativeFunction((_c, args) => pyRange(args), "<class 'range'>"),
    dict: nativeFunction(
      (_c, args, kw) => ({ ...(isDict(args[0]) ? args[0] : {}), ...kw }),
      "<class 'dict'>",
    ),
    namespace: nativeFunction(
      (_c, args, kw) => new Namespace({ ...(isDict(args[0]) ? args[0] : {}), ...kw }),
      "<class 'jinja2.utils.Namespace'>",
    ),
    lipsum: nativeFunction(() => 'Lorem ipsum dolor sit amet.'),
    cycler: nativeFunction((_c, items) => {
      let i = 0;
      return {
        next: nativeFunction(() => items[i++ % items.length]),
        reset: nativeFunction(() => ((i = 0), null)),
      };
    }, "<class 'jinja2.utils.Cycler'>"),
    joiner: nativeFunction((_c, [sep = ', ']) => {
      let used = false;
      return nativeFunction(() => (used ? sep : ((used = true), '')));
    }, "<class 'jinja2.utils.Joiner'>"),
    get_var: nativeFunction((c, [path, dflt = null], kw) => {
      const d = Object.hasOwn(kw, 'default') ? kw.default : dflt;
      const vars = ctxOf(c).allVars();
      for (const p of Array.isArray(path) ? path : [path]) {
        const r = lookupPath(vars, str(p));
        if (r.found) return r.value;
      }
      return d;
    }),
    merge_dict: nativeFunction((_c, [a, b]) => mergeDict(a, b)),
    update_dict: nativeFunction((_c, [a, b]) => (mergeDict(a, b, false), '')),
    raise: nativeFunction((_c, [msg]) => {
      throw new JinjaError('TemplateError', str(msg));
    }),
    debug_print: nativeFunction((c, [msg]) => (ctxOf(c).debugPrint(`debug_print: ${str(msg)}`), '')),
    render: nativeFunction((c, [text]) => ctxOf(c).renderString(str(text), ctxOf(c).allVars())),
    time: timeModule(),
  };
}
