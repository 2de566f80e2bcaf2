/**
 * Which credentials reach which repository, ours against the real Kluctl: the same project (a git
 * include on a Git server with basic auth, an oci include on a registry with basic auth) is rendered
 * by both CLIs with the same `--git-username/--git-password` or `--registry-creds` flags, and both must
 * succeed or both fail. Covers Kluctl's matching facts: the URL's host and path are lower-cased but the
 * entry's are not, the path glob must cover the whole path, `*` stays within one path segment.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRepo } from '../../devenv/git-repo.js';
import type { TestRepo } from '../../devenv/git-repo.js';
import { startGitServer } from '../../devenv/git-server.js';
import type { GitServer } from '../../devenv/git-server.js';
import { startOciRegistry } from '../../devenv/oci-registry.js';
import type { TestOciRegistry } from '../../devenv/oci-registry.js';
import { runKluctl } from '../../devenv/reference-kluctl.js';
import { cli } from '../support/cli.js';
import { kluctlOciPush, writeGitProject } from '../support/kluctl-oci-push.js';

const USER = 'deployer';
const PASSWORD = 'Pa55-w0rd-xyz';
const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: inc\n  namespace: default\ndata:\n  a: v\n';
const includeFiles = { 'deployment.yaml': 'deployments:\n  - path: cm\n', 'cm/cm.yaml': cm };

let server: GitServer;
let reg: TestOciRegistry;
let include: TestRepo;
let port: string;
let kluctlCache: string;
const cleanups: string[] = [];

beforeAll(async () => {
  server = await startGitServer({ auth: { username: USER, password: PASSWORD } });
  include = await createRepo(server, 'repos/inc', includeFiles);
  port = new URL(include.url).port;
  reg = await startOciRegistry({ auth: { username: USER, password: PASSWORD } });
  const pushed = await kluctlOciPush({
    url: `oci://${reg.host}/org/inc`,
    files: includeFiles,
    creds: { host: reg.host, username: USER, password: PASSWORD },
  });
  kluctlCache = await mkdtemp(join(tmpdir(), 'ks-credmatch-kluctl-'));
  cleanups.push(pushed.dir, kluctlCache);
}, 240_000);

afterAll(async () => {
  await include?.cleanup();
  await server?.stop();
  await reg?.close();
  for (const d of cleanups) await rm(d, { recursive: true, force: true });
});

/** Renders a root project with one include through both CLIs; returns whether each succeeded. */
async function renderBoth(item: string, flags: readonly string[]) {
  const { dir } = await writeGitProject({
    '.kluctl.yaml': 'targets:\n  - name: test\n',
    'deployment.yaml': `deployments:\n${item}`,
  });
  cleanups.push(dir);
  const args = ['render', '--project-dir', dir, '-t', 'test', '--offline-kubernetes', ...flags];
  const [ours, theirs] = await Promise.all([cli(args), runKluctl(args, { cacheDir: kluctlCache })]);
  return { ours, theirs };
}

const gitItem = (host: string) => `  - git:\n      url: http://${host}:${port}/repos/inc.git\n`;
const gitFlags = (key: string) => [
  '--git-username',
  `${key}=${USER}`,
  '--git-password',
  `${key}=${PASSWORD}`,
];

describe('git credentials (--git-username/--git-password)', () => {
  test.each<[string, string, string, boolean]>([
    ['the URL host is lower-cased', 'LOCALHOST', 'localhost', true],
    ['the entry host is compared as written', 'localhost', 'LOCALHOST', false],
    ['a path glob over the whole path', 'localhost', 'localhost:P/repos/*', true],
    ['a path glob that covers only a prefix', 'localhost', 'localhost:P/repos', false],
    ['the URL path is lower-cased, the glob is not', 'localhost', 'localhost:P/REPOS/*', false],
    ['** crosses segments', 'localhost', 'localhost:P/**', true],
  ])(
    '%s',
    async (_, urlHost, key, ok) => {
      const entry = key.includes(':P') ? key.replace(':P', `:${port}`) : `${key}:${port}`;
      const { ours, theirs } = await renderBoth(gitItem(urlHost), gitFlags(entry));
      expect({ theirs: theirs.code === 0 }).toEqual({ theirs: ok });
      expect({ ours: ours.code === 0, stderr: ours.code === 0 ? '' : ours.stderr }).toMatchObject({
        ours: ok,
      });
      expect(ours.stderr + ours.stdout).not.toContain(PASSWORD);
    },
    180_000,
  );
});

describe('registry credentials (--registry-creds) for oci includes', () => {
  test.each<[string, string, boolean]>([
    ['registry and repository glob', 'R/org/*', true],
    ['registry alone', 'R', true],
    ['a glob that covers only a prefix', 'R/org', false],
    ['another registry', '127.0.0.2:1', false],
  ])(
    '%s',
    async (_, key, ok) => {
      const { ours, theirs } = await renderBoth(`  - oci:\n      url: oci://${reg.host}/org/inc\n`, [
        '--registry-creds',
        `${key.replace('R', reg.host)}=${USER}:${PASSWORD}`,
      ]);
      expect({ theirs: theirs.code === 0 }).toEqual({ theirs: ok });
      expect({ ours: ours.code === 0, stderr: ours.code === 0 ? '' : ours.stderr }).toMatchObject({
        ours: ok,
      });
      expect(ours.stderr + ours.stdout).not.toContain(PASSWORD);
    },
    180_000,
  );
});
