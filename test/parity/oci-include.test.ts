/**
 * `oci:` includes side by side with the real Kluctl: an artifact pushed by `kluctl oci push` to a real
 * registry (devenv/oci-registry.ts), included by tag, by digest and with subDir from a local project,
 * rendered by both tools offline; the objects and the objects hash must be equal.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOciRegistry } from '../../devenv/oci-registry.js';
import type { TestOciRegistry } from '../../devenv/oci-registry.js';
import { kluctlOciPush, writeGitProject } from '../support/kluctl-oci-push.js';
import type { PushedArtifact } from '../support/kluctl-oci-push.js';
import { isFailure, renderWithKluctl, renderWithOurs } from './render-both.js';
import type { ParityCase } from './projects.js';

let reg: TestOciRegistry;
let pushed: PushedArtifact;
let cacheDir: string;
const dirs: string[] = [];

const INCLUDED = {
  'inc/deployment.yaml': 'vars:\n  - values:\n      greeting: hello\ndeployments:\n  - path: cm\n',
  'inc/cm/cm.yaml': [
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    '  name: included-{{ target.name }}',
    '  namespace: default',
    'data:',
    '  greeting: "{{ greeting }} from {{ args.who }}"',
    '',
  ].join('\n'),
};

beforeAll(async () => {
  reg = await startOciRegistry();
  cacheDir = await mkdtemp(join(tmpdir(), 'ks-parity-oci-cache-'));
  pushed = await kluctlOciPush({ url: `oci://${reg.host}/org/included:v1`, files: INCLUDED });
  dirs.push(pushed.dir, cacheDir);
}, 120_000);

afterAll(async () => {
  await reg?.close();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** A local root project including the artifact with `ref`, rendered for target `test` by both tools. */
async function parityCase(ociItem: Record<string, unknown>): Promise<ParityCase> {
  const oci = JSON.stringify({ url: `oci://${reg.host}/org/included`, subDir: 'inc', ...ociItem });
  const { dir } = await writeGitProject({
    '.kluctl.yaml': 'targets:\n  - name: test\n    args:\n      who: root\n',
    'deployment.yaml': `deployments:\n  - path: local\n  - oci: ${oci}\n`,
    'local/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: local\n  namespace: default\n',
  });
  dirs.push(dir);
  return {
    id: `oci-include ${oci}`,
    project: 'oci-include',
    repo: { name: 'oci-include', dir },
    path: '',
    projectDir: dir,
    target: 'test',
    args: {},
  };
}

test.each([
  ['by tag', () => ({ ref: { tag: 'v1' } })],
  ['by digest', () => ({ ref: { digest: pushed.digest } })],
])(
  'an oci include %s renders the same objects and hash as Kluctl',
  async (_, item) => {
    const c = await parityCase(item());
    const [kluctl, ours] = await Promise.all([
      renderWithKluctl(c, { kind: 'offline' }, cacheDir),
      renderWithOurs(c, { kind: 'offline' }),
    ]);
    if (isFailure(kluctl)) throw new Error(kluctl.error);
    if (isFailure(ours)) throw new Error(ours.error);
    expect(ours.printed).toEqual(kluctl.objects);
    expect(ours.objectsHash).toBe(kluctl.objectsHash);
    expect(kluctl.objects.map((o) => o.metadata.name).sort()).toEqual(['included-test', 'local']);
    const included = ours.objects.find((o) => o.metadata.name === 'included-test');
    expect(included?.data).toEqual({ greeting: 'hello from root' });
  },
  180_000,
);
