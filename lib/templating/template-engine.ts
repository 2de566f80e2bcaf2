/**
 * The template engine of the render pipeline (kluctl-semantics §3.1). Today it is liquidjs with
 * Jinja's StrictUndefined, Jinja printing and the cheap Kluctl filters; the public surface (render a
 * text, render the strings of a structure, evaluate a `when` condition) is what callers depend on, so a
 * Jinja expression evaluator can replace the Liquid internals without touching them.
 */
import { Liquid, LiquidError } from 'liquidjs';
import type { FS, Template } from 'liquidjs';
import { TemplateError } from '../errors.js';
import { registerKluctlFilters } from './filters.js';
import {
  JinjaUndefined,
  MISSING_SCOPE,
  UndefinedValueError,
  undefinedName,
  unwrapDeep,
  wrapValue,
} from './jinja-undefined.js';
import { pyStr } from './python-format.js';

/** The variables a template sees (vars, `target`, `args`, ...). */
export type TemplateVars = Readonly<Record<string, unknown>>;

/** Where a template comes from, for error messages (a path relative to the project, or a label). */
export interface TemplateOrigin {
  readonly file: string;
}

/** Options of {@link TemplateEngine}. */
export interface TemplateEngineOptions {
  /** How many parsed templates to keep, keyed by their text. Default 2000. */
  readonly cacheSize?: number;
}

/** The result of {@link TemplateEngine.renderStrings}. */
export interface RenderStringsResult<T> {
  /** A copy of the input with every rendered string replaced; failed strings keep their old text. */
  readonly value: T;
  /** Whether any string changed. */
  readonly changed: boolean;
  /** One error per string that failed, in walk order. */
  readonly errors: readonly TemplateError[];
}

// `{% include %}` and friends are not supported yet; this file system makes them fail instead of
// reading from the process's working directory.
const NO_FS: FS = {
  exists: async () => false,
  existsSync: () => false,
  readFile: async (f) => {
    throw new Error(`template ${f} not found`);
  },
  readFileSync: (f) => {
    throw new Error(`template ${f} not found`);
  },
  resolve: (_dir, file) => file,
};

/** Jinja's `finalize`: refuse undefined, print like Python's str(). */
function finalize(value: unknown): string {
  if (value instanceof JinjaUndefined) throw new UndefinedValueError(undefinedName(value));
  const raw = unwrapDeep(value);
  if (raw === undefined) throw new UndefinedValueError('value');
  return pyStr(raw);
}

/** Jinja normalises line endings and, with keep_trailing_newline off, drops one final newline. */
function prepareSource(text: string): string {
  const normalised = text.replace(/\r\n?/g, '\n');
  return normalised.endsWith('\n') ? normalised.slice(0, -1) : normalised;
}

/** Whether a text can contain template constructs; texts without `{` are copied verbatim (§3.1). */
export function isTemplate(text: string): boolean {
  return text.includes('{');
}

/** Renders Kluctl templates with a cache of parsed templates keyed by their text. */
export class TemplateEngine {
  private readonly liquid: Liquid;
  private readonly cache = new Map<string, Template[]>();
  private readonly cacheSize: number;

  constructor(opts: TemplateEngineOptions = {}) {
    this.cacheSize = opts.cacheSize ?? 2000;
    this.liquid = new Liquid({
      strictFilters: true,
      strictVariables: false,
      // Lookups must reach the proxies' get trap, which decides what is missing (own keys only).
      ownPropertyOnly: false,
      relativeReference: false,
      jsTruthy: true,
      greedy: true,
      fs: NO_FS,
      outputEscape: finalize,
    });
    registerKluctlFilters(this.liquid);
  }

  /** Renders one template text; texts without `{` come back unchanged. */
  async render(text: string, vars: TemplateVars, origin: TemplateOrigin): Promise<string> {
    if (!isTemplate(text)) return text;
    try {
      const templates = this.parse(prepareSource(text), origin);
      const out: unknown = await this.liquid.render(templates, wrapValue(vars, '') as object, {
        globals: MISSING_SCOPE,
      });
      return String(out);
    } catch (err) {
      throw toTemplateError(err, origin);
    }
  }

  /**
   * Renders every string containing `{` inside a JSON-like value (Kluctl's RenderStruct). Strings that
   * fail keep their text and are reported in `errors`, so callers can retry (target rendering) or throw.
   */
  async renderStrings<T>(
    value: T,
    vars: TemplateVars,
    origin: TemplateOrigin,
  ): Promise<RenderStringsResult<T>> {
    const errors: TemplateError[] = [];
    let changed = false;
    const walk = async (v: unknown): Promise<unknown> => {
      if (typeof v === 'string') {
        if (!isTemplate(v)) return v;
        try {
          const r = await this.render(v, vars, origin);
          if (r !== v) changed = true;
          return r;
        } catch (err) {
          errors.push(err instanceof TemplateError ? err : toTemplateError(err, origin));
          return v;
        }
      }
      if (Array.isArray(v)) return Promise.all(v.map(walk));
      if (v !== null && typeof v === 'object') {
        const out: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(v)) out[k] = await walk(x);
        return out;
      }
      return v;
    };
    const rendered = (await walk(value)) as T;
    return { value: rendered, changed, errors };
  }

  /**
   * Evaluates a `when` expression as Kluctl does: `{% if <expr> %}True{% else %}False{% endif %}`;
   * an empty expression is true.
   */
  async evaluateCondition(expr: string, vars: TemplateVars, origin: TemplateOrigin): Promise<boolean> {
    if (expr.trim() === '') return true;
    const out = await this.render(`{% if ${expr} %}True{% else %}False{% endif %}`, vars, origin);
    if (out !== 'True' && out !== 'False') {
      throw new TemplateError(
        `condition '${expr}' did not evaluate to True or False but to '${out}'`,
        origin,
      );
    }
    return out === 'True';
  }

  private parse(source: string, origin: TemplateOrigin): Template[] {
    const cached = this.cache.get(source);
    if (cached) return cached;
    const templates = this.liquid.parse(source, origin.file);
    if (this.cache.size >= this.cacheSize) {
      const oldest = this.cache.keys().next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
    this.cache.set(source, templates);
    return templates;
  }
}

/** Translates a Liquid (or undefined-value) error into a TemplateError naming file, line and construct. */
function toTemplateError(err: unknown, origin: TemplateOrigin): TemplateError {
  if (err instanceof TemplateError) return err;
  if (err instanceof LiquidError && err.token) {
    const [line, column] = err.token.getPosition();
    const original = (err as LiquidError & { originalError?: unknown }).originalError;
    // Liquid appends ", line:N, col:M" to its own messages; the position goes into the prefix instead.
    const message =
      original instanceof Error
        ? original.message
        : err.message.replace(/(, file:.*)?, line:\d+, col:\d+$/, '');
    const construct = err.token.getText().trim();
    return new TemplateError(
      `${message} (in ${construct})`,
      { file: origin.file, line, column },
      { cause: err },
    );
  }
  const message = err instanceof Error ? err.message : String(err);
  return new TemplateError(message, { file: origin.file }, { cause: err });
}
