#!/usr/bin/env node
// Entry point of the `kluctl-serverless` command: runs the bundle `npm run build` writes to dist/cli/
// (from the sources, `npx tsx bin/main.ts` runs the same CLI without a build).
import { existsSync } from 'node:fs';
import module from 'node:module';

const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  process.stderr.write(
    `kluctl-serverless needs Node.js 22 or newer (this is ${process.version}); run it through npm ` +
      `("npm run cli -- <command>" or "npx kluctl-serverless"), which uses the Node 22 from node_modules.\n`,
  );
  process.exit(1);
}
const bundle = new URL('../dist/cli/kluctl-serverless.js', import.meta.url);
if (!existsSync(bundle)) {
  process.stderr.write(
    "kluctl-serverless is not built: run 'npm run build' (or run the sources: 'npx tsx bin/main.ts').\n",
  );
  process.exit(1);
}
// V8's code cache on disk (Node >= 22.1): later starts skip compiling the bundle.
module.enableCompileCache?.();
await import(bundle.href);
