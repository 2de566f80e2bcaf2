/**
 * Bundle sizes, as `npm run build` prints them and test/unit/bundle-size.test.ts checks them against
 * build/size-budget.json: each Lambda function and the CLI, in all and the part that every start loads
 * (the entry and the chunks it imports statically; what is imported dynamically comes later, if at all).
 */
import { readFileSync } from 'node:fs';
import type { Metafile } from 'esbuild';
import type { BuildReport } from './bundles.js';

/** The size of one bundle, in bytes. */
export interface BundleSize {
  readonly name: string;
  readonly bytes: number;
}

/** Upper limits in bytes, by bundle name. */
export type SizeBudget = Readonly<Record<string, number>>;

/** Reads build/size-budget.json (bundle name to KiB) as bytes. */
export function readBudget(): SizeBudget {
  const raw = JSON.parse(readFileSync(new URL('./size-budget.json', import.meta.url), 'utf8')) as Record<
    string,
    unknown
  >;
  const out: Record<string, number> = {};
  for (const [name, kib] of Object.entries(raw)) {
    if (name.startsWith('//')) continue;
    if (typeof kib !== 'number') throw new Error(`build/size-budget.json: ${name} must be a number of KiB`);
    out[name] = kib * 1024;
  }
  return out;
}

/** JavaScript outputs (no source maps) of a metafile. */
function jsOutputs(meta: Metafile): [string, Metafile['outputs'][string]][] {
  return Object.entries(meta.outputs).filter(([p]) => !p.endsWith('.map'));
}

/** Output files loaded when `entry` is imported: it and its static imports, transitively. */
export function staticClosure(meta: Metafile, entry: string): string[] {
  const seen = new Set<string>();
  const visit = (p: string): void => {
    if (seen.has(p) || !meta.outputs[p]) return;
    seen.add(p);
    for (const imp of meta.outputs[p].imports) if (imp.kind === 'import-statement') visit(imp.path);
  };
  visit(entry);
  return [...seen];
}

/** The output file of the entry point named `name` (a CLI_ENTRIES key, or `index` of a function). */
export function entryOutput(meta: Metafile, name: string): string {
  const hit = jsOutputs(meta).find(([p, o]) => o.entryPoint && /\/([^/]+)\.m?js$/.exec(p)?.[1] === name);
  if (!hit) throw new Error(`the build has no entry ${name}`);
  return hit[0];
}

/** Sizes of every bundle of a build: in all, and what loading its entry point reads. */
export function bundleSizes(report: BuildReport): BundleSize[] {
  const sum = (meta: Metafile, paths: readonly string[]): number =>
    paths.reduce((n, p) => n + (meta.outputs[p]?.bytes ?? 0), 0);
  const all = (meta: Metafile): number =>
    sum(
      meta,
      jsOutputs(meta).map(([p]) => p),
    );
  const atStart = (meta: Metafile, entry: string): number =>
    sum(meta, staticClosure(meta, entryOutput(meta, entry)));
  return [
    ...Object.entries(report.functions).flatMap(([name, meta]) => [
      { name: `function ${name} init`, bytes: atStart(meta, 'index') },
      { name: `function ${name} total`, bytes: all(meta) },
    ]),
    { name: 'cli start-up', bytes: atStart(report.cli, 'kluctl-serverless') },
    { name: 'cli total', bytes: all(report.cli) },
  ];
}

/** One message per bundle over its budget, or per bundle the budget does not name. */
export function overBudget(sizes: readonly BundleSize[], budget: SizeBudget): string[] {
  const out: string[] = [];
  for (const s of sizes) {
    const limit = budget[s.name];
    if (limit === undefined) out.push(`${s.name} has no budget; add it to build/size-budget.json`);
    else if (s.bytes > limit)
      out.push(
        `${s.name} is ${(s.bytes / 1024).toFixed(0)} KiB, over its budget of ${(limit / 1024).toFixed(0)} KiB ` +
          '(build/size-budget.json): load less, or raise the budget with a reason',
      );
  }
  return out;
}
