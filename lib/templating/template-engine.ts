/**
 * The template engine of the render pipeline (kluctl-semantics §3.1): Kluctl's Jinja dialect on
 * liquidjs. liquidjs provides the parse stream, the tag framework and `raw`/`break`/`continue`; our
 * lexer (template-lexer.ts) tokenizes like Jinja2, our tags (jinja-tags.ts) evaluate Jinja expressions
 * (expr-*.ts) with Python value semantics, StrictUndefined, Jinja's and Kluctl's filters. Parsed
 * templates are cached by their text, so rendering a project parses each distinct template once.
 */
import { Context, Liquid } from 'liquidjs';
import type { Emitter, FS, Template } from 'liquidjs';
import { TemplateError } from '../errors.js';
import type { FilterFn, TestFn } from './expr-scope.js';
import { JINJA_FILTERS } from './jinja-filters.js';
import { CommentTag, ForTag, IfTag, OutputTag, SetTag } from './jinja-tags.js';
import { JINJA_TESTS } from './jinja-tests.js';
import { KLUCTL_FILTERS, builtinGlobals } from './kluctl-functions.js';
import { callFunction } from './py-values.js';
import { drive } from './render-driver.js';
import { RenderState } from './render-state.js';
import type { EngineShared } from './render-state.js';
import { toTemplateError } from './template-errors.js';
import { TemplateLexer } from './template-lexer.js';

/** The variables a template sees (vars, `target`, `args`, ...). */
export type TemplateVars = Readonly<Record<string, unknown>>;

/**
 * Where a template comes from (a path relative to the project, or a label, for error messages), and
 * the extra globals and filters of this render call. A global or filter is a plain function called
 * with the evaluated positional arguments (a filter gets its input first) plus, when the template
 * passes keyword arguments, one trailing plain object holding them; `this` is the call context,
 * whose `allVars()` returns the variables visible at the call site except loop variables (Kluctl's
 * `ctx.get_all()`). It may return a promise. Objects of functions work too
 * (`images.get_image(...)`).
 */
export interface TemplateOrigin {
  readonly file: string;
  readonly globals?: Readonly<Record<string, unknown>>;
  readonly filters?: Readonly<Record<string, (...args: unknown[]) => unknown>>;
}

/** Options of {@link TemplateEngine}. */
export interface TemplateEngineOptions {
  /** How many parsed templates to keep, keyed by their text. Default 2000. */
  readonly cacheSize?: number;
  /** Where `debug_print(msg)` writes. Default: standard error, as Kluctl does. */
  readonly debugPrint?: (msg: string) => void;
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

// `{% include %}` and friends are not supported; this file system makes them fail instead of reading
// from the process's working directory.
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

/** liquidjs tags we keep; every other built-in Liquid tag is removed (they evaluate Liquid, not Jinja). */
const KEPT_LIQUID_TAGS = new Set(['raw', 'break', 'continue', 'comment']);

/** Jinja normalises line endings and, with keep_trailing_newline off, drops one final newline. */
function prepareSource(text: string): string {
  const normalised = text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
  return normalised.endsWith('\n') ? normalised.slice(0, -1) : normalised;
}

/** Whether a text can contain template constructs; texts without `{` are copied verbatim (§3.1). */
function isTemplate(text: string): boolean {
  return text.includes('{');
}

function wrapFilter(fn: (...args: unknown[]) => unknown): FilterFn {
  return (s, value, args, kwargs) => callFunction(s.callContext, fn, [value, ...args], kwargs);
}

/** Renders Kluctl templates with a cache of parsed templates keyed by their text. */
export class TemplateEngine {
  private readonly liquid: Liquid;
  private readonly cache = new Map<string, Template[]>();
  private readonly cacheSize: number;
  private readonly shared: EngineShared;

  constructor(opts: TemplateEngineOptions = {}) {
    this.cacheSize = opts.cacheSize ?? 2000;
    // A fixed locale: without one liquidjs asks Intl.DateTimeFormat, whose first use loads ICU data
    // (~100 ms of start-up); Jinja2 templates never use liquid's date filters.
    this.liquid = new Liquid({ fs: NO_FS, relativeReference: false, locale: 'en-US' });
    const tags = this.liquid.tags as Record<string, unknown>;
    for (const name of Object.keys(tags)) if (!KEPT_LIQUID_TAGS.has(name)) delete tags[name];
    this.liquid.registerTag('__output', OutputTag);
    this.liquid.registerTag('__comment', CommentTag);
    this.liquid.registerTag('if', IfTag);
    this.liquid.registerTag('for', ForTag);
    this.liquid.registerTag('set', SetTag);
    this.liquid.registerTag('assign', SetTag);
    const debugPrint = opts.debugPrint ?? ((msg: string) => void process.stderr.write(`${msg}\n`));
    this.shared = {
      filters: { ...JINJA_FILTERS, ...KLUCTL_FILTERS },
      tests: JINJA_TESTS as Record<string, TestFn>,
      globals: builtinGlobals(),
      renderNested: (text, vars, state) =>
        this.render(text, vars, {
          file: '<render>',
          ...(state.callGlobals ? { globals: state.callGlobals } : {}),
        }),
      debugPrint,
    };
  }

  /** Renders one template text; texts without `{` come back unchanged. */
  async render(text: string, vars: TemplateVars, origin: TemplateOrigin): Promise<string> {
    if (!isTemplate(text)) return text;
    try {
      const templates = this.parse(prepareSource(text), origin.file);
      const shared = origin.filters ? this.withFilters(origin.filters) : this.shared;
      const state = new RenderState(shared, vars, origin.globals);
      const ctx = new Context(state as unknown as object, this.liquid.options, {});
      const emitter = {
        buffer: '',
        write(s: unknown): void {
          this.buffer += s as string;
        },
      };
      await drive(
        this.liquid.renderer.renderTemplates(
          templates,
          ctx,
          emitter as unknown as Emitter,
        ) as Iterator<unknown>,
      );
      return emitter.buffer;
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

  private withFilters(extra: Readonly<Record<string, (...args: unknown[]) => unknown>>): EngineShared {
    const filters: Record<string, FilterFn> = { ...this.shared.filters };
    for (const [name, fn] of Object.entries(extra)) filters[name] = wrapFilter(fn);
    return { ...this.shared, filters };
  }

  private parse(source: string, file: string): Template[] {
    const cached = this.cache.get(source);
    if (cached) return cached;
    const tokens = new TemplateLexer(source, file, this.liquid.options).run();
    const templates = this.liquid.parser.parseTokens(tokens);
    if (this.cache.size >= this.cacheSize) {
      const oldest = this.cache.keys().next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
    this.cache.set(source, templates);
    return templates;
  }
}
