/**
 * Conformance of our Jinja dialect with Python Jinja2 3.1 as Kluctl configures it (Kluctl's
 * `TestEmbeddedPython`/templating tests render through real Jinja2; we render the same templates with
 * both engines in the same run): every case must produce byte-identical output, or fail in both with
 * the same error class.
 */
import { TemplateError } from '../../lib/errors.js';
import { TemplateEngine } from '../../lib/templating/template-engine.js';
import { jinjaErrorOf } from '../../lib/templating/template-errors.js';
import { CASES_A, VARS } from './cases.js';
import type { Case } from './cases.js';
import { CASES_B } from './cases-b.js';
import { CASES_PUBLIC } from './cases-public.js';
import { CASES_RANGE } from './cases-range.js';
import { renderWithJinja2 } from '../../devenv/jinja2-reference.js';
import type { ReferenceResult } from '../../devenv/jinja2-reference.js';

const ALL: readonly Case[] = [...CASES_A, ...CASES_B, ...CASES_PUBLIC, ...CASES_RANGE];
const engine = new TemplateEngine({ debugPrint: () => {} });
let reference: Map<string, ReferenceResult>;

beforeAll(() => {
  const cases = ALL.map(([id, template, vars]) => ({ id, template, vars: vars ?? VARS }));
  reference = new Map(renderWithJinja2(cases).results.map((r) => [r.id, r]));
});

async function ours(
  template: string,
  vars: Record<string, unknown>,
): Promise<{ out?: string; error?: string }> {
  try {
    return { out: await engine.render(template, structuredClone(vars), { file: 'case.yaml' }) };
  } catch (err) {
    if (!(err instanceof TemplateError)) throw err;
    return { error: jinjaErrorOf(err)?.kind ?? 'TemplateError' };
  }
}

// Jinja2 reports a few errors with classes that only differ by where they are raised.
// binascii.Error (from b64decode) is a ValueError.
const SAME_CLASS: Record<string, string> = {
  TemplateAssertionError: 'TemplateSyntaxError',
  Error: 'ValueError',
};
const norm = (c: string | undefined): string | undefined => (c === undefined ? c : (SAME_CLASS[c] ?? c));

describe('Jinja dialect conformance with Python Jinja2 (Kluctl templating)', () => {
  it('has several hundred cases with unique names', () => {
    expect(new Set(ALL.map((c) => c[0])).size).toBe(ALL.length);
    expect(ALL.length).toBeGreaterThanOrEqual(250);
  });

  it.each(ALL.map((c) => [c[0], c] as const))('%s', async (id, [, template, vars]) => {
    const ref = reference.get(id)!;
    const got = await ours(template, vars ?? VARS);
    if (ref.error !== undefined)
      expect({ error: norm(got.error), out: got.out }).toEqual({ error: norm(ref.error), out: undefined });
    else expect(got).toEqual({ out: ref.out });
  });
});
