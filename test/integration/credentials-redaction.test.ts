/**
 * Tokens written into URLs (`https://oauth2:<token>@host/repo.git`, a common way to reach a private
 * include) never reach an error, a warning or the status: failing git includes, git vars sources and
 * overridden includes are reported with the URL's user info removed, on the CLI and through the
 * reconciler (whose messages end up in `status.lastPrepareError`).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../support/cli.js';
import { readyCondition } from '../support/kluctl-deployment.js';
import {
  applyAndReconcile,
  startProjectScenario,
  testReconcileDeps,
  type ProjectScenario,
} from '../support/reconcile-scenario.js';

const TOKEN = 'glpat-Tok3nThatMustNotLeak';
// Port 1 refuses connections, so every fetch fails at once.
const SECRET_URL = `http://oauth2:${TOKEN}@127.0.0.1:1/org/private.git`;

let s: ProjectScenario;
let dir: string;

beforeAll(async () => {
  s = await startProjectScenario({
    name: 'redaction',
    files: () => ({
      '.kluctl.yaml': 'targets:\n  - name: test\n',
      'deployment.yaml': `deployments:\n  - git:\n      url: ${SECRET_URL}\n`,
    }),
  });
  dir = await mkdtemp(join(tmpdir(), 'ks-redaction-'));
}, 120_000);

afterAll(async () => {
  await s?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function renderProject(files: Record<string, string>, flags: string[] = []) {
  const project = await mkdtemp(join(dir, 'p-'));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(project, path, '..'), { recursive: true });
    await writeFile(join(project, path), text);
  }
  return cli(['render', '--project-dir', project, '-t', 'test', '--offline-kubernetes', ...flags]);
}

describe('CLI', () => {
  test.each([
    [
      'a git include',
      `deployments:\n  - git:\n      url: ${SECRET_URL}\n`,
      'failed to check out git include',
    ],
    [
      'a git vars source',
      `vars:\n  - git:\n      url: ${SECRET_URL}\n      path: v.yaml\ndeployments: []\n`,
      'failed to load vars from git repository',
    ],
  ])(
    '%s that fails names the URL without its token',
    async (_, deployment, message) => {
      const r = await renderProject({
        '.kluctl.yaml': 'targets:\n  - name: test\n',
        'deployment.yaml': deployment,
      });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(message);
      expect(r.stderr).toContain('127.0.0.1:1/org/private.git');
      expect(r.stderr + r.stdout).not.toContain(TOKEN);
    },
    60_000,
  );

  test('the override warning names the URL without its token', async () => {
    const local = await mkdtemp(join(dir, 'override-'));
    await writeFile(join(local, 'deployment.yaml'), 'deployments: []\n');
    const r = await renderProject(
      {
        '.kluctl.yaml': 'targets:\n  - name: test\n',
        'deployment.yaml': `deployments:\n  - git:\n      url: ${SECRET_URL}\n`,
      },
      ['--local-git-override', `127.0.0.1:1/org/private=${local}`],
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      `Overriding git repo http://127.0.0.1:1/org/private.git with local directory ${local}`,
    );
    expect(r.stderr + r.stdout).not.toContain(TOKEN);
  }, 60_000);
});

describe('reconciler', () => {
  test('a failing git include with a token in its URL is PrepareFailed without the token', async () => {
    const deps = testReconcileDeps({ kube: s.kube, workDir: s.workDir, holder: 'redaction-test' });
    const kd = await applyAndReconcile(deps, s.ns, 'redaction', {
      interval: '5m',
      source: { git: { url: s.repo.url } },
      target: 'test',
    });
    expect(readyCondition(kd)).toMatchObject({ status: 'False', reason: 'PrepareFailed' });
    expect(kd.status?.lastPrepareError).toContain('127.0.0.1:1/org/private.git');
    expect(JSON.stringify(kd)).not.toContain(TOKEN);
  }, 120_000);
});
