// The bundles of `npm run build` (build/bundles.ts), built into a temp folder: each within its budget
// (build/size-budget.json), the CLI's start-up free of the heavy modules only some commands use, each
// function without the modules only another function needs, and each function loadable on its own.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Metafile } from 'esbuild';
import { buildAll } from '../../build/bundles.js';
import type { BuildReport } from '../../build/bundles.js';
import { bundleSizes, entryOutput, overBudget, readBudget, staticClosure } from '../../build/sizes.js';

const exec = promisify(execFile);
let dist: string;
let report: BuildReport;

beforeAll(async () => {
  dist = mkdtempSync(join(tmpdir(), 'ks-bundle-size-'));
  report = await buildAll(dist);
}, 300_000);

afterAll(() => rmSync(dist, { recursive: true, force: true }));

/**
 * Packages (node_modules/<name>) bundled into the given outputs; isomorphic-git's small HTTP client
 * (`isomorphic-git/http`) counts apart from the library.
 */
function packagesIn(meta: Metafile, outputs: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const o of outputs)
    for (const input of Object.keys(meta.outputs[o]?.inputs ?? {})) {
      const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
      if (m) out.add(input.includes('/isomorphic-git/http/') ? 'isomorphic-git/http' : m[1]!);
    }
  return out;
}

const HEAVY = [
  '@aws-sdk/client-s3',
  '@aws-sdk/client-secrets-manager',
  '@aws-sdk/client-sqs',
  '@kubernetes/client-node',
  'undici',
  'isomorphic-git',
  'ssh2',
  'liquidjs',
  'tar',
  'aws-cdk-lib',
];

/** What only the reconcile function needs: the cluster, Git, SSH and the template engine. */
const RECONCILE_ONLY = ['@kubernetes/client-node', 'undici', 'isomorphic-git', 'ssh2', 'liquidjs', 'tar'];

it('keeps every bundle within its budget', () => {
  expect(overBudget(bundleSizes(report), readBudget())).toEqual([]);
});

it('starts the CLI with commander only: no SDK, Git, SSH or template engine before a command runs', () => {
  const meta = report.cli;
  const loaded = packagesIn(meta, staticClosure(meta, entryOutput(meta, 'kluctl-serverless')));
  expect(HEAVY.filter((p) => loaded.has(p))).toEqual([]);
  expect(loaded.has('commander')).toBe(true);
});

it.each(['schedule', 'webhook', 'ingest'] as const)(
  'bundles into the %s function none of what only the reconcile function needs',
  (name) => {
    const meta = report.functions[name];
    const loaded = packagesIn(meta, Object.keys(meta.outputs));
    expect(RECONCILE_ONLY.filter((p) => loaded.has(p))).toEqual([]);
  },
);

it('loads the Kubernetes client, Git, SSH and tar into the reconcile function only when first used', () => {
  const meta = report.functions.reconcile;
  const loaded = packagesIn(meta, staticClosure(meta, entryOutput(meta, 'index')));
  expect(RECONCILE_ONLY.filter((p) => p !== 'liquidjs' && loaded.has(p))).toEqual([]);
  expect(loaded.has('liquidjs')).toBe(true);
});

it.each(['reconcile', 'schedule', 'webhook', 'ingest', 'webui'] as const)(
  'loads the %s function bundle alone in a fresh Node process, exporting handler',
  async (name) => {
    const bundle = join(dist, 'functions', name, 'index.mjs');
    const { stdout } = await exec(process.execPath, [
      '--input-type=module',
      '-e',
      `const m = await import(${JSON.stringify(bundle)}); process.stdout.write(typeof m.handler);`,
    ]);
    expect(stdout).toBe('function');
  },
  60_000,
);

it('puts the web UI page and its linked libraries beside the webui function bundle', () => {
  const dir = join(dist, 'functions', 'webui', 'webui');
  for (const f of [
    'index.html',
    'app.js',
    'style.css',
    'vendor/preact.mjs',
    'vendor/hooks.mjs',
    'vendor/htm.mjs',
  ])
    expect(existsSync(join(dir, f))).toBe(true);
});
