/**
 * Turns what a render throws (liquidjs parse and render errors, {@link JinjaError}s, undefined values)
 * into one {@link TemplateError} naming the file, line, column and the construct that failed, with the
 * Jinja error class kept as its cause.
 */
import { LiquidError } from 'liquidjs';
import { TemplateError } from '../errors.js';
import { JinjaError, syntaxError } from './jinja-error.js';

function construct(text: string): string {
  const t = text.trim().replace(/\s+/g, ' ');
  return t.length > 80 ? `${t.slice(0, 77)}...` : t;
}

/** The JinjaError behind an error, if any (for the error class; tests compare it with Jinja2's). */
export function jinjaErrorOf(err: unknown): JinjaError | undefined {
  let e: unknown = err;
  for (let i = 0; i < 5 && e; i++) {
    if (e instanceof JinjaError) return e;
    e = (e as { originalError?: unknown; cause?: unknown }).originalError ?? (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Translates a Liquid, Jinja or undefined-value error into a TemplateError naming file, line and construct. */
export function toTemplateError(err: unknown, origin: { readonly file: string }): TemplateError {
  if (err instanceof TemplateError) return err;
  const jinja = jinjaErrorOf(err);
  if (err instanceof LiquidError && err.token) {
    const [line, column] = err.token.getPosition();
    const original = (err as LiquidError & { originalError?: unknown }).originalError;
    let message =
      original instanceof Error
        ? original.message
        : err.message.replace(/(, file:.*)?, line:\d+, col:\d+$/, '');
    if (!jinja && /tag ".*" not found/.test(message))
      message = `Encountered unknown tag '${/tag "(.*)" not found/.exec(message)![1]}' (not supported by this Jinja dialect)`;
    const cause = jinja ?? (err.name === 'ParseError' ? syntaxError(message) : err);
    if (original instanceof TemplateError) return original;
    return new TemplateError(
      `${message} (in ${construct(err.token.getText())})`,
      { file: origin.file, line, column },
      { cause },
    );
  }
  const message = err instanceof Error ? err.message : String(err);
  return new TemplateError(message, { file: origin.file }, { cause: jinja ?? err });
}
