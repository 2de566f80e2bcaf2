/**
 * `images.get_image()` end to end through the templates, the CLI and the real test cluster: fixed
 * images from the target, `--fixed-images-file`, `-F` and the `images` var with Kluctl's precedence,
 * matching by deployment, container and regex, the error for an image nobody fixed, and seen images in
 * `list-images` (including `deployedImage` from the cluster). Follows Kluctl's e2e `images_test`
 * (TestGetImageNotFound, TestGetImageArg, TestGetImageVars, TestGetImageMixed, TestGetImageByDeployment,
 * TestGetImageByContainer, TestGetImageRegex).
 */
import { jest } from '@jest/globals';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { fixtureDir } from '../support/fixtures.js';
import { createTestNamespace, kubectlJson, testEnv } from '../support/test-env.js';
import { cli, projectFlags } from '../support/cli.js';

// Each test runs several CLI processes (render, deploy, list-images), each a full start.
jest.setTimeout(180_000);

const PROJECT = fixtureDir('images');

interface Deployment {
  metadata: { name: string };
  spec: { template: { spec: { containers: { name: string; image: string }[] } } };
}

/** `<deployment>/<container>` → image, over every Deployment printed. */
function images(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of parseAllDocuments(stdout).map((x) => x.toJS() as Deployment))
    for (const c of d.spec.template.spec.containers) out[`${d.metadata.name}/${c.name}`] = c.image;
  return out;
}

let ns: string;
let work: string;

beforeAll(async () => {
  ns = await createTestNamespace('images');
  work = await mkdtemp(join(tmpdir(), 'ks-images-'));
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

const render = (...args: string[]) =>
  cli([
    'render',
    ...projectFlags(PROJECT, { namespace: ns }),
    '--offline-kubernetes',
    '--print-all',
    ...args,
  ]);

test('the images var fixes images by name, deployment, container and regex (TestGetImageVars, ByDeployment, ByContainer, Regex)', async () => {
  const r = await render('-t', 'test');
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(images(r.stdout)).toEqual({
    'web/web': 'nginx:from-vars',
    'web/sidecar': 'busybox:from-vars',
    'd1/c1': 'i3:for-d1',
    'd1/c2': 'i4:for-c2',
    'd2/c1': 'i4:for-c1',
    'd2/c2': 'i3:for-d2',
    'd2/c3': 'j:by-regex',
  });
});

test('precedence: -F over --fixed-images-file over target images over the images var (TestGetImageArg, TestGetImageMixed)', async () => {
  const target = await render('-t', 'pinned');
  expect(images(target.stdout)['web/web']).toBe('nginx:from-target');

  const file = join(work, 'fixed.yaml');
  await writeFile(
    file,
    stringify({
      images: [
        { image: 'nginx', resultImage: 'nginx:from-file' },
        { image: 'busybox', resultImage: 'busybox:from-file' },
      ],
    }),
  );
  const fromFile = await render('-t', 'pinned', '--fixed-images-file', file);
  expect(images(fromFile.stdout)).toMatchObject({
    'web/web': 'nginx:from-file',
    'web/sidecar': 'busybox:from-file',
  });

  const withFlags = await render(
    '-t',
    'pinned',
    '--fixed-images-file',
    file,
    '-F',
    'nginx=nginx:from-flag',
    // image:namespace:deployment:container; the last matching entry wins, a non-matching one is skipped
    '-F',
    `busybox:${ns}:Deployment/web:sidecar=busybox:exact`,
    '-F',
    'busybox:other-namespace=busybox:wrong',
    // an empty namespace field means "no namespace" (as in Kluctl), so it cannot match d2
    '-F',
    'i3::Deployment/d2=i3:never',
    '-F',
    `i3:${ns}:Deployment/d2=i3:flag-for-d2`,
  );
  expect(withFlags.code).toBe(0);
  expect(images(withFlags.stdout)).toEqual({
    'web/web': 'nginx:from-flag',
    'web/sidecar': 'busybox:exact',
    'd1/c1': 'i3:for-d1',
    'd1/c2': 'i4:for-c2',
    'd2/c1': 'i4:for-c1',
    'd2/c2': 'i3:flag-for-d2',
    'd2/c3': 'j:by-regex',
  });
});

test('an image nobody fixed fails the render naming it (TestGetImageNotFound)', async () => {
  const r = await render('-t', 'test', '-a', 'missing=true');
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('failed to find fixed image for i1');
});

test('list-images prints the seen images; its output works as --fixed-images-file; --simple and -o', async () => {
  const full = join(work, 'seen.yaml');
  const listed = await cli([
    'list-images',
    ...projectFlags(PROJECT, { target: 'test', namespace: ns }),
    '--offline-kubernetes',
    '-F',
    'nginx=nginx:pinned',
    '-o',
    full,
  ]);
  expect(listed.stderr).toBe('');
  expect(listed.code).toBe(0);
  const seen = (parse(await readFile(full, 'utf8')) as { images: Record<string, unknown>[] }).images;
  // Sorted by image name, render order within a name.
  expect(seen.map((s) => `${s.image}=${s.resultImage}@${s.deployment}/${s.container}`)).toEqual([
    'busybox=busybox:from-vars@Deployment/web/sidecar',
    'i3=i3:for-d1@Deployment/d1/c1',
    'i3=i3:for-d2@Deployment/d2/c2',
    'i4=i4:for-c2@Deployment/d1/c2',
    'i4=i4:for-c1@Deployment/d2/c1',
    'j1=j:by-regex@Deployment/d2/c3',
    'nginx=nginx:pinned@Deployment/web/web',
  ]);
  expect(seen.find((s) => s.image === 'nginx')).toEqual({
    image: 'nginx',
    resultImage: 'nginx:pinned',
    namespace: ns,
    object: { group: 'apps', version: 'v1', kind: 'Deployment', name: 'web', namespace: ns },
    deployment: 'Deployment/web',
    container: 'web',
    deployTags: ['web'],
    // Relative to the Git repository holding the project, as Kluctl's list-images prints it.
    deploymentDir: 'test/fixtures/projects/images/web',
  });

  // Fed back as --fixed-images-file, the listed entries pin the same images without -F.
  const again = await render('-t', 'test', '--fixed-images-file', full);
  expect(images(again.stdout)['web/web']).toBe('nginx:pinned');

  const simple = await cli([
    'list-images',
    ...projectFlags(PROJECT, { target: 'test', namespace: ns }),
    '--offline-kubernetes',
    '--simple',
    '-o',
    '-',
  ]);
  expect(simple.code).toBe(0);
  expect((parse(simple.stdout) as { images: unknown[] }).images.slice(0, 2)).toEqual([
    { image: 'busybox', resultImage: 'busybox:from-vars' },
    { image: 'i3', resultImage: 'i3:for-d1' },
  ]);
});

test('deploy applies the resolved images; online list-images reports the deployed image (images_test, seen images)', async () => {
  const { kubeconfigPath } = testEnv();
  const base = [...projectFlags(PROJECT, { target: 'test', namespace: ns }), '--kubeconfig', kubeconfigPath];
  const deployed = await cli(['deploy', ...base, '-y', '-F', 'nginx=nginx:1.0']);
  if (deployed.code !== 0)
    throw new Error(`deploy failed:
${deployed.stdout}
${deployed.stderr}`);
  const web = await kubectlJson<Deployment>(['get', 'deployment', 'web', '-n', ns]);
  expect(web.spec.template.spec.containers.map((c) => c.image)).toEqual(['nginx:1.0', 'busybox:from-vars']);

  const listed = await cli(['list-images', ...base]);
  expect(listed.code).toBe(0);
  const nginx = (parse(listed.stdout) as { images: Record<string, unknown>[] }).images.find(
    (s) => s.image === 'nginx',
  );
  expect(nginx).toMatchObject({ resultImage: 'nginx:from-vars', deployedImage: 'nginx:1.0' });
});
