/**
 * Printing command and validate results (kluctl-semantics §7.9): Kluctl's text form (sections of new,
 * changed, deleted, hook and orphan objects, per-object diff tables, warnings and errors), JSON and
 * YAML; and the `-o format[=path]` flag values.
 */
import type { DeploymentError, KluctlObjectRef, ValidateResult } from '../api/types.js';
import { KsError } from '../errors.js';
import type { CommandResult } from './command-result.js';
import { kluctlResultJson, toKluctlRef } from './command-result.js';
import { writeYaml } from '../util/yaml.js';

/** The output formats. */
export type OutputFormat = 'text' | 'json' | 'yaml';

/** One `-o` value: a format and where to write it (stdout when no path). */
export interface OutputTarget {
  readonly format: OutputFormat;
  readonly path?: string;
}

/** Parses `-o` values (`text`, `yaml=out.yaml`, ...); none means text on stdout. */
export function parseOutputFlags(values: readonly string[]): OutputTarget[] {
  if (values.length === 0) return [{ format: 'text' }];
  return values.map((v) => {
    const eq = v.indexOf('=');
    const format = eq < 0 ? v : v.slice(0, eq);
    if (format !== 'text' && format !== 'json' && format !== 'yaml')
      throw new KsError(
        'InvalidInput',
        `invalid output format '${format}': use text, json or yaml (optionally =path)`,
      );
    return eq < 0 ? { format } : { format, path: v.slice(eq + 1) };
  });
}

/** Kluctl's `ObjectRef.String()`: `namespace/Kind/name`, `Kind/name` or `Kind`. */
function refText(ref: KluctlObjectRef): string {
  if (ref.namespace) return `${ref.namespace}/${ref.kind}/${ref.name}`;
  return ref.name ? `${ref.kind}/${ref.name}` : ref.kind;
}

/**
 * The width Kluctl fits its tables to when stdout is no terminal and `COLUMNS` is unset (the last
 * column of a table fills the rest of the line).
 */
export const DEFAULT_TERMINAL_WIDTH = 80;

/** A command result in the given format; `width` is the terminal's (Kluctl's tables fill it). */
export function formatCommandResult(
  r: CommandResult,
  format: OutputFormat,
  short = false,
  width = DEFAULT_TERMINAL_WIDTH,
): string {
  if (format === 'json') return `${JSON.stringify(kluctlResultJson(r), null, 2)}\n`;
  if (format === 'yaml') return writeYaml(kluctlResultJson(r));
  return formatCommandResultText(r, short, width);
}

/** Kluctl's text form of a command result. */
export function formatCommandResultText(
  r: CommandResult,
  short = false,
  width = DEFAULT_TERMINAL_WIDTH,
): string {
  const out: string[] = [];
  const section = (title: string, refs: KluctlObjectRef[]): void => {
    if (refs.length === 0) return;
    out.push(`\n${title}:\n`);
    for (const ref of refs) out.push(`  ${refText(ref)}\n`);
  };
  const refs = (p: (o: CommandResult['objects'][number]) => boolean): KluctlObjectRef[] =>
    r.objects.filter(p).map((o) => toKluctlRef(o.ref));
  section(
    'New objects',
    refs((o) => o.new === true),
  );
  const changed = r.objects.filter((o) => (o.changes?.length ?? 0) > 0);
  section(
    'Changed objects',
    changed.map((o) => toKluctlRef(o.ref)),
  );
  if (changed.length > 0 && !short) {
    changed.forEach((o, i) => {
      out.push(i === 0 ? '\n' : '\n');
      out.push(`Diff for object ${refText(toKluctlRef(o.ref))}\n`);
      out.push(
        prettyTable(
          [['Path', 'Diff'], ...o.changes!.map((c) => [c.jsonPath, c.unifiedDiff ?? ''])],
          60,
          width,
        ),
      );
    });
  }
  section(
    'Deleted objects',
    refs((o) => o.deleted === true),
  );
  section(
    'Applied hooks',
    refs((o) => o.hook === true),
  );
  section(
    'Orphan objects',
    refs((o) => o.orphan === true),
  );
  errorsSection(out, 'Warnings', r.warnings);
  errorsSection(out, 'Errors', r.errors);
  return out.join('');
}

function errorsSection(out: string[], title: string, list: readonly DeploymentError[] | undefined): void {
  if (!list || list.length === 0) return;
  out.push(`\n${title}:\n`);
  for (const e of list) {
    const s = refText(e.ref);
    out.push(`  ${s ? `${s}: ` : ''}${e.message}\n`);
  }
}

/** A validate result in the given format; `width` as for {@link formatCommandResult}. */
export function formatValidateResult(
  r: ValidateResult,
  format: OutputFormat,
  width = DEFAULT_TERMINAL_WIDTH,
): string {
  if (format === 'json') return `${JSON.stringify(r, null, 2)}\n`;
  if (format === 'yaml') return writeYaml(r);
  const out: string[] = [];
  if (r.warnings?.length) errorsSection(out, 'Validation Warnings', r.warnings);
  if (r.errors?.length) {
    out.push(out.length > 0 ? '\n' : '', 'Validation Errors:\n');
    for (const e of r.errors) out.push(`  ${refText(e.ref) ? `${refText(e.ref)}: ` : ''}${e.message}\n`);
  }
  if (r.results?.length) {
    out.push(out.length > 0 ? '\n' : '', 'Results:\n');
    out.push(
      prettyTable([['Object', 'Message'], ...r.results.map((e) => [refText(e.ref), e.message])], 60, width),
    );
  }
  return out.join('');
}

/**
 * A bordered two-column table as Kluctl draws it: the first column is at most `firstWidth` wide, the
 * second fills the rest of `lineWidth` (at least 1), and long cells wrap. Multi-line cells keep their
 * lines.
 */
function prettyTable(rows: readonly (readonly string[])[], firstWidth: number, lineWidth: number): string {
  const first = Math.min(
    firstWidth,
    Math.max(0, ...rows.flatMap((r) => (r[0] ?? '').split('\n').map((l) => l.length))),
  );
  const widths = [first, Math.max(1, lineWidth - first - 3 - 4)];
  const sep = `+-${widths.map((w) => '-'.repeat(w)).join('-+-')}-+\n`;
  let s = sep;
  for (const row of rows) {
    const cells = widths.map((w, i) => wrap(row[i] ?? '', w));
    const height = Math.max(...cells.map((c) => c.length));
    for (let l = 0; l < height; l++) {
      s += `| ${cells.map((c, i) => (c[l] ?? '').padEnd(widths[i]!)).join(' | ')} |\n`;
    }
    s += sep;
  }
  return s;
}

function wrap(cell: string, w: number): string[] {
  const out: string[] = [];
  for (const line of cell.split('\n')) {
    if (w <= 0 || line.length <= w) out.push(line);
    else for (let i = 0; i < line.length; i += w) out.push(line.slice(i, i + w));
  }
  return out;
}
