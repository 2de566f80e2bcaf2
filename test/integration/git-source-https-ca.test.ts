// https Git remotes whose certificate only the `caFile` of a credentials.git entry makes trusted: the
// test Git server (basic auth) behind a TLS front with a self-signed certificate. Like Kluctl's
// ListAuthProvider, the CA comes with the entry's username and password.
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IsomorphicGitRefLister } from '../../lib/adapters/isomorphic-git-refs.js';
import { IsomorphicGitSource } from '../../lib/adapters/isomorphic-git-source.js';
import { gitAuthResolver } from '../../lib/credentials/git-credentials.js';
import { GitSourceError } from '../../lib/errors.js';
import { writeSelfSignedPem } from '../../devenv/certs.js';
import { createRepo } from '../../devenv/git-repo.js';
import type { TestRepo } from '../../devenv/git-repo.js';
import { startGitServer } from '../../devenv/git-server.js';
import type { GitServer } from '../../devenv/git-server.js';

const USER = 'ca-user';
const PASSWORD = 'Ca-Pa55word';

let git: GitServer;
let tls: Server;
let repo: TestRepo;
let dir: string;
let ca: string;
let url: string;
const source = new IsomorphicGitSource();

beforeAll(async () => {
  git = await startGitServer({ auth: { username: USER, password: PASSWORD } });
  repo = await createRepo(git, 'secure', { 'deployment.yml': 'deployments: []\n' });
  dir = await mkdtemp(join(tmpdir(), 'ks-git-ca-'));
  const pem = await readFile(await writeSelfSignedPem(dir, 'git-tls'), 'utf8');
  ca = pem.slice(pem.indexOf('-----BEGIN CERTIFICATE-----'));
  const upstream = new URL(git.url('x'));
  tls = createServer({ key: pem, cert: ca }, (req, res) => {
    const fwd = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        path: req.url,
        method: req.method,
        headers: req.headers,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    req.pipe(fwd);
  });
  await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(tls.address() as AddressInfo).port}/secure.git`;
});

afterAll(async () => {
  await new Promise((resolve) => tls?.close(resolve));
  await repo?.cleanup();
  await git?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('https with caFile', () => {
  it('fails on the untrusted certificate without the CA', async () => {
    const err = await source
      .resolveRef(url, {}, { username: USER, password: PASSWORD })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitSourceError);
    expect((err as Error).message).toMatch(/self.signed certificate/);
  });

  it('resolves, lists and checks out with the entry whose caFile signs the certificate', async () => {
    const host = new URL(url).host;
    const auth = gitAuthResolver([{ host, username: USER, password: PASSWORD, caFile: ca }])(url);
    expect(auth).toEqual({ username: USER, password: PASSWORD, caBundle: ca });
    expect(await source.resolveRef(url, {}, auth)).toBe(await repo.head());
    expect((await new IsomorphicGitRefLister().listRefs(url, auth)).head).toBe('refs/heads/main');
    const out = join(dir, 'checkout');
    expect((await source.checkout(url, {}, out, auth)).commit).toBe(await repo.head());
    expect(await readFile(join(out, 'deployment.yml'), 'utf8')).toBe('deployments: []\n');
  });
});
