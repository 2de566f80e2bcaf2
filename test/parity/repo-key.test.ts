/**
 * Repository keys (lib/serverless/repo-url.ts) against the real Kluctl: Kluctl's `--local-git-override
 * <key>=<dir>` replaces a Git include only when `<key>` equals the include URL's repo key. A project
 * includes one URL per case, each overridden with the key we compute; the render succeeds and shows
 * every case's object only if Kluctl formed the same keys. Hosts end in `.invalid`, so an include that
 * is not overridden fails at once instead of reaching a network.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoKeyOf } from '../../lib/serverless/repo-url.js';
import { runKluctl } from '../../devenv/reference-kluctl.js';

/** URL shapes; `H` is replaced by a host of its own per case, so that every key is distinct. */
const SHAPES = [
  'https://H/org/repo.git',
  'git@H:Org/Repo.git',
  'H:org/repo.git',
  'ssh://git@H:22/org/repo.git',
  'ssh://git@H:2222/org/repo.git',
  'git@H:2222:org/repo.git',
  'https://user:token@H:443/org/repo',
  'https://H:8443/org/repo.git',
  'git://H/org/repo.git',
  'https://H/org/repo.git?ref=x#frag',
  'https://H/Org/My%20Repo.git',
  'git@H:org/my%20repo.git',
  'git@H:/srv/git/repo.git',
  'https://H/org/repo.git/',
  'https://H/org/.git',
  'https://H/org/repo//',
  'http://H:80/group/sub/repo',
  'foo://H:99/org/repo.git',
] as const;

const cases = SHAPES.map((shape, i) => {
  // Mixed case on purpose: Kluctl lower-cases the host.
  const url = shape.replace('H', `H${i}.Example.INVALID`);
  return { i, url, key: repoKeyOf(url) };
});

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'ks-parity-repokey-'));
  const project = join(root, 'project');
  mkdirSync(project);
  writeFileSync(join(project, '.kluctl.yaml'), 'targets:\n  - name: t\n');
  const includes = cases.map((c) => `  - git:\n      url: ${JSON.stringify(c.url)}\n`).join('');
  writeFileSync(join(project, 'deployment.yml'), `deployments:\n${includes}`);
  for (const c of cases) {
    const dir = join(root, `override-${c.i}`, 'cm');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(root, `override-${c.i}`, 'deployment.yml'), 'deployments:\n  - path: cm\n');
    writeFileSync(
      join(dir, 'cm.yaml'),
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: probe-${c.i}\n  namespace: default\n`,
    );
  }
  const git = (...args: string[]): void => void execFileSync('git', args, { cwd: project, stdio: 'ignore' });
  git('init', '-q', '-b', 'main');
  git('remote', 'add', 'origin', 'https://example.com/org/project.git');
  git('add', '-A');
  git('-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-qm', 'init');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function render(overrides: readonly { i: number; key: string }[]) {
  return runKluctl(
    [
      'render',
      '--project-dir',
      join(root, 'project'),
      '-t',
      't',
      '--offline-kubernetes',
      '--print-all',
      ...overrides.flatMap((o) => ['--local-git-override', `${o.key}=${join(root, `override-${o.i}`)}`]),
    ],
    { timeoutMs: 120_000 },
  );
}

test('Kluctl overrides every include by the repo key we compute', async () => {
  const out = await render(cases);
  const missing = cases.filter((c) => !out.stdout.includes(`name: probe-${c.i}\n`));
  // On failure, Kluctl's stderr names the URL it tried to fetch because no override matched.
  expect({ missing: missing.map((c) => `${c.url} -> ${c.key}`), stderr: out.code ? out.stderr : '' }).toEqual(
    {
      missing: [],
      stderr: '',
    },
  );
});

test('a key that differs from Kluctl makes the render fail (the check can fail)', async () => {
  const wrong = cases.map((c) => (c.i === 13 ? { ...c, key: c.key.replace(/\.git$/, '') } : c));
  const out = await render(wrong);
  expect(out.code).not.toBe(0);
  expect(out.stderr.toLowerCase()).toContain('updating git cache for https://h13.example.invalid');
});
