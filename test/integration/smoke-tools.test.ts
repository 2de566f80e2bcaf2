/**
 * Smoke tests proving the pinned kustomize and helm binaries are real and are the pinned versions.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { readToolVersions, toolPath } from '../../lib/tools.js';

const exec = promisify(execFile);
const fixture = (p: string): string => fileURLToPath(new URL(`../fixtures/${p}`, import.meta.url));
const versions = readToolVersions();

test('kustomize build of a local fixture', async () => {
  const bin = toolPath('kustomize');
  const { stdout: version } = await exec(bin, ['version']);
  expect(version.trim()).toBe(`v${versions.KUSTOMIZE_VERSION}`);
  const { stdout } = await exec(bin, ['build', fixture('kustomize/basic')]);
  const [cm] = parseAllDocuments(stdout).map((d) => d.toJS());
  expect(cm).toEqual({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'smoke', namespace: 'smoke', labels: { smoke: 'true' } },
    data: { a: '1' },
  });
});

test('helm template of a local chart', async () => {
  const bin = toolPath('helm');
  const { stdout: version } = await exec(bin, ['version', '--template', '{{ .Version }}']);
  expect(version.trim()).toBe(`v${versions.HELM_VERSION}`);
  const { stdout } = await exec(
    bin,
    ['template', 'demo', fixture('charts/hello'), '--namespace', 'apps', '--set', 'greeting=hi'],
    {
      env: { HOME: '/nonexistent', PATH: process.env.PATH ?? '' },
    },
  );
  const [cm] = parseAllDocuments(stdout).map((d) => d.toJS());
  expect(cm.metadata).toEqual({ name: 'demo-hello', namespace: 'apps' });
  expect(cm.data.greeting).toBe('hi');
  // The build stamps the Kubernetes minor of the pinned control plane as Helm's default.
  expect(cm.data.kubeVersion).toMatch(new RegExp(`^v1\\.${versions.K8S_VERSION!.split('.')[1]}\\.`));
});
