/**
 * The error raised inside the evaluator. `kind` is the Python exception class Jinja2 would raise
 * (UndefinedError, TemplateSyntaxError, TypeError, ...), so tests can compare error classes with Jinja2;
 * the engine turns it into a TemplateError naming file, line, column and construct.
 */

/** The Python exception classes we reproduce. */
export type JinjaErrorKind =
  | 'UndefinedError'
  | 'TemplateSyntaxError'
  | 'TemplateRuntimeError'
  | 'TemplateAssertionError'
  | 'TypeError'
  | 'ValueError'
  | 'KeyError'
  | 'IndexError'
  | 'ZeroDivisionError'
  | 'AttributeError'
  | 'OverflowError'
  | 'MemoryError'
  | 'RepresenterError'
  | 'UnicodeDecodeError'
  | 'TemplateError';

/** An error of the Jinja dialect, classified like Jinja2's. */
export class JinjaError extends Error {
  readonly kind: JinjaErrorKind;
  /** For UndefinedError: the full path of the undefined variable. */
  readonly variable: string | undefined;

  constructor(kind: JinjaErrorKind, message: string, variable?: string) {
    super(message);
    this.name = 'JinjaError';
    this.kind = kind;
    this.variable = variable;
  }
}

/** Shorthand for a TemplateSyntaxError. */
export function syntaxError(message: string): JinjaError {
  return new JinjaError('TemplateSyntaxError', message);
}
