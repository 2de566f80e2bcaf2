/**
 * Smoke tests proving the pinned kustomize and helm binaries are real and are the pinned versions.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { toolPath } from '../../devenv/tools.js';
import { readToolVersions } from '../../lib/runtime-tools.js';

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
  // Built unstamped, as Kluctl embeds Helm: the version is the source's "v<major>.<minor>".
  expect(version.trim()).toBe(`v${versions.HELM_VERSION!.split('.').slice(0, 2).join('.')}`);
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
  // Helm 4's default (offline) Kubernetes version is v1.<minor>.0 of the client-go it links, the rule
  // Kluctl's embedded Helm follows too.
  const goMod = readFileSync(new URL('../../tools/helm/go.mod', import.meta.url), 'utf8');
  const clientGoMinor = /k8s\.io\/client-go v0\.(\d+)\./.exec(goMod)![1];
  expect(cm.data.kubeVersion).toBe(`v1.${clientGoMinor}.0`);
});
