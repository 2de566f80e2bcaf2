// Ports of Kluctl's e2e/sops_test.go (TestSopsVars, TestSopsResources, TestSopsHelmValues), of
// pkg/vars/vars_loader_test.go TestSopsFile and of the missing-key case of e2e/gitops_sops_test.go.
// The age key pair comes from the pinned age-keygen; fixtures are encrypted here with the real sops.
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { SopsCliDecryptor } from '../../lib/adapters/sops-cli.js';
import { renderProject } from '../../lib/project/render-project.js';
import type { RenderedProject } from '../../lib/project/render-project.js';
import { loadVarsSource } from '../../lib/project/vars/vars-loader.js';
import { VarsRuntime } from '../../lib/project/vars/vars-runtime.js';
import { toolPath } from '../../devenv/tools.js';
import { TemplateEngine } from '../../lib/templating/template-engine.js';
import { fixtureDir } from '../support/fixtures.js';
import { writeFiles } from '../support/files.js';

const exec = promisify(execFile);
let work: string;
let identity: string; // AGE-SECRET-KEY-1...
let recipient: string; // age1...
const renders: RenderedProject[] = [];

/** Encrypts `plain` (YAML) for the test recipient with the real sops; `regex` limits the encrypted keys. */
async function encrypt(plain: string, regex?: string): Promise<string> {
  const file = join(work, `plain-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(file, plain);
  const args = ['encrypt', '--age', recipient, ...(regex ? ['--encrypted-regex', regex] : []), file];
  const { stdout } = await exec(toolPath('sops'), args, { env: {} });
  return stdout;
}

async function project(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(work, 'p-'));
  writeFiles(dir, files);
  return dir;
}

async function render(dir: string, keys: string[] | undefined): Promise<RenderedProject> {
  const r = await renderProject({
    projectDir: dir,
    target: 'test',
    renderDir: join(dir, '.rendered'),
    ...(keys ? { sops: new SopsCliDecryptor({ binary: toolPath('sops'), ageKeys: keys }) } : {}),
  });
  renders.push(r);
  return r;
}

const configMap = (name: string, data: Record<string, string>) =>
  stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data });

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ks-sops-'));
  await exec(toolPath('age-keygen'), ['-o', join(work, 'keys.txt')]);
  const keys = await readFile(join(work, 'keys.txt'), 'utf8');
  identity = /^AGE-SECRET-KEY-1\S+$/m.exec(keys)![0];
  recipient = /public key: (age1\S+)/.exec(keys)![1]!;
});
afterAll(() => rm(work, { recursive: true, force: true }));

const KLUCTL_YML = stringify({ targets: [{ name: 'test' }] });

test('TestSopsFile: an encrypted vars file is decrypted and marked sensitive', async () => {
  const dir = await project({ 'test.yaml': await encrypt('test1:\n  test2: 42\n') });
  const runtime = new VarsRuntime({
    sops: new SopsCliDecryptor({ binary: toolPath('sops'), ageKeys: [identity] }),
  });
  const vars = await loadVarsSource(
    {},
    { file: 'test.yaml' },
    {
      engine: new TemplateEngine(),
      sourceRoot: dir,
      searchDirs: [dir],
      file: 'deployment.yml',
      runtime,
    },
  );
  expect(vars).toEqual({ test1: { test2: 42 } });
  expect(runtime.sensitive).toEqual([
    { file: 'deployment.yml', type: 'file', paths: ['test1.test2'], values: [] },
  ]);
});

test('TestSopsVars: vars from an encrypted file reach the templates; the render lists them as sensitive', async () => {
  const dir = await project({
    '.kluctl.yml': KLUCTL_YML,
    'deployment.yml': stringify({ vars: [{ file: 'encrypted-vars.yaml' }], deployments: [{ path: 'cm' }] }),
    'encrypted-vars.yaml': await encrypt('test1:\n  test2: 42\n  secret: s3cr3t-value\n'),
    'cm/configmap.yml': configMap('cm', { v1: '{{ test1.test2 }}' }),
  });
  const r = await render(dir, [identity]);
  expect(r.objects.find((o) => o.metadata.name === 'cm')?.data).toEqual({ v1: '42' });
  expect(r.sensitiveVars).toEqual([
    {
      file: 'deployment.yml',
      type: 'file',
      paths: ['test1.test2', 'test1.secret'],
      values: ['s3cr3t-value'],
    },
  ]);
});

test('TestSopsResources: an encrypted kustomize resource is decrypted before kustomize reads it', async () => {
  const dir = await project({
    '.kluctl.yml': KLUCTL_YML,
    'deployment.yml': stringify({ deployments: [{ path: 'cm' }] }),
    'cm/kustomization.yml': stringify({ resources: ['encrypted-cm.yaml'] }),
    'cm/encrypted-cm.yaml': await encrypt(configMap('encrypted-cm', { a: 'b' }), '^(data|stringData)$'),
  });
  const r = await render(dir, [identity]);
  expect(r.objects.find((o) => o.metadata.name === 'encrypted-cm')?.data).toEqual({ a: 'b' });
  // The SOPS metadata is gone with the decryption.
  expect(r.objects.find((o) => o.metadata.name === 'encrypted-cm')).not.toHaveProperty('sops');
});

test('TestSopsHelmValues: encrypted helm-values.yaml is decrypted before helm renders the chart', async () => {
  const dir = await project({
    '.kluctl.yml': KLUCTL_YML,
    'deployment.yml': stringify({ deployments: [{ path: 'helm1' }] }),
    'helm1/helm-chart.yaml': stringify({
      helmChart: { path: '../charts/test-chart1', releaseName: 'test-helm1' },
    }),
    'helm1/helm-values.yaml': await encrypt(stringify({ data: { a: 'secret1', b: 'secret2' } })),
  });
  await cp(join(fixtureDir('..'), 'charts/test-chart'), join(dir, 'charts/test-chart1'), { recursive: true });
  const r = await render(dir, [identity]);
  const cm = r.objects.find(
    (o) => o.kind === 'ConfigMap' && String(o.metadata.name).startsWith('test-helm1'),
  );
  expect(cm?.data).toMatchObject({ a: 'secret1', b: 'secret2' });
});

test('gitops_sops_test missing key: rendering fails with "cannot get sops data key"', async () => {
  const dir = await project({
    '.kluctl.yml': KLUCTL_YML,
    'deployment.yml': stringify({ deployments: [{ path: 'cm' }] }),
    'cm/encrypted-cm.yaml': await encrypt(configMap('encrypted-cm', { a: 'b' }), '^(data|stringData)$'),
  });
  await expect(render(dir, [])).rejects.toThrow(
    /failed to decrypt file cm\/encrypted-cm.yaml: cannot get sops data key/,
  );
  // Without any decryptor configured the message is the same, with a hint where keys come from.
  await expect(render(dir, undefined)).rejects.toThrow(
    /cannot get sops data key: no SOPS decryption is configured/,
  );
  // A vars file fails the same way, named as Kluctl names it.
  const varsDir = await project({
    '.kluctl.yml': KLUCTL_YML,
    'deployment.yml': stringify({ vars: [{ file: 'v.yaml' }], deployments: [] }),
    'v.yaml': await encrypt('a: 1\n'),
  });
  await expect(render(varsDir, [])).rejects.toThrow(
    /failed to decrypt vars file v.yaml: cannot get sops data key/,
  );
});
