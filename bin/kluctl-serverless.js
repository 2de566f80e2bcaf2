#!/usr/bin/env node
// Entry point of the `kluctl-serverless` command: runs the TypeScript sources through tsx.
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  process.stderr.write(
    `kluctl-serverless needs Node.js 22 or newer (this is ${process.version}); run it through npm ` +
      `("npm run cli -- <command>" or "npx kluctl-serverless"), which uses the Node 22 from node_modules.\n`,
  );
  process.exit(1);
}
const { register } = await import('tsx/esm/api');
register();
await import('./main.ts');
