/**
 * `tsx build/function.ts <name> <outdir>`: bundles one Lambda function (build/bundles.ts) into
 * `outdir`. The CDK app runs it from its asset bundling, which is synchronous while esbuild's plugins
 * need the asynchronous API.
 */
import { buildFunction, FUNCTION_NAMES } from './bundles.js';
import type { FunctionName } from './bundles.js';

const [name, outdir] = process.argv.slice(2);
if (!name || !outdir || !(FUNCTION_NAMES as readonly string[]).includes(name)) {
  process.stderr.write(`usage: tsx build/function.ts <${FUNCTION_NAMES.join('|')}> <outdir>\n`);
  process.exit(2);
}
await buildFunction(name as FunctionName, outdir);
