// packageRoot() finds this repository from the sources (the bundles in dist/cli/ find it the same way;
// test/integration/cli-render.test.ts runs them, and they read tools/versions.env through it).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageFile, packageRoot } from '../../lib/util/package-root.js';

it('is the folder holding package.json above the module', () => {
  const root = packageRoot();
  expect(root).toBe(fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, ''));
  expect(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))).toMatchObject({
    name: 'kluctl-serverless',
  });
});

it('resolves files of the package relative to the root', () => {
  expect(packageFile('tools/versions.env')).toBe(join(packageRoot(), 'tools', 'versions.env'));
  expect(readFileSync(packageFile('tools/versions.env'), 'utf8')).toMatch(/^KUSTOMIZE_VERSION=/m);
});
