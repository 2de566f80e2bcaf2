/**
 * `npm run build`: bundles the CLI and the Lambda functions (build/bundles.ts) into dist/, prints the
 * size of each bundle against its budget (build/size-budget.json) and warns when one is over (the
 * unit test test/unit/bundle-size.test.ts fails then; the build itself still succeeds, as `npm ci`
 * runs it through `prepare`).
 */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildAll, DIST_DIR } from './bundles.js';
import { bundleSizes, overBudget, readBudget } from './sizes.js';

const t0 = performance.now();
await rm(DIST_DIR, { recursive: true, force: true });
const report = await buildAll();
const sizes = bundleSizes(report);
// For `npm run bench -- startup`.
await writeFile(join(DIST_DIR, 'sizes.json'), `${JSON.stringify(sizes, null, 2)}\n`);
const budget = readBudget();
for (const s of sizes) {
  const limit = budget[s.name];
  process.stdout.write(
    `${s.name.padEnd(32)} ${(s.bytes / 1024).toFixed(0).padStart(6)} KiB` +
      (limit === undefined ? '' : ` (budget ${(limit / 1024).toFixed(0)} KiB)`) +
      '\n',
  );
}
process.stdout.write(`built dist/ in ${Math.round(performance.now() - t0)} ms\n`);
for (const o of overBudget(sizes, budget)) process.stderr.write(`warning: ${o}\n`);
