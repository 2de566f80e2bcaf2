/**
 * A classic Helm chart repository served over HTTP by the tests: fixture charts are packaged with the
 * real `helm package` (name and version set per entry), `index.yaml` is written by `helm repo index`,
 * and a small Node HTTP server serves the folder, optionally behind basic auth and over TLS (with or
 * without client certificates).
 */
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { RequestListener, Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { createHelmHome, runHelm } from '../lib/project/helm/helm-cli.js';
import { toolPath } from './tools.js';

/** One packaged chart version. */
export interface RepoChart {
  readonly name: string;
  readonly version: string;
  /** Fixture under test/fixtures/charts/. Default `test-chart`. */
  readonly fixture?: string;
}

/** Options of {@link startHelmRepo}. */
export interface HelmRepoOptions {
  readonly charts: readonly RepoChart[];
  /** URL path the repo lives under (Kluctl's tests use e.g. `path1`). Default: the root. */
  readonly path?: string;
  /** Require these basic-auth credentials for every request. */
  readonly auth?: { readonly username: string; readonly password: string };
  /**
   * Serve HTTPS with this certificate and key (PEM files); with `clientCa`, every client must present
   * a certificate that CA signed (Kluctl's TLSClientCertEnabled). Default: plain HTTP.
   */
  readonly tls?: { readonly cert: string; readonly key: string; readonly clientCa?: string };
}

/** A running repository. */
export interface TestHelmRepo {
  /** Repo URL, e.g. `http://127.0.0.1:41234/path1`. */
  readonly url: string;
  readonly port: number;
  /** Requests seen, as `METHOD path status`. */
  readonly requests: string[];
  close(): Promise<void>;
}

const chartsRoot = fileURLToPath(new URL('../test/fixtures/charts/', import.meta.url));

/** Packages fixture chart `c` (name and version set) with the real `helm package` into `dest`. */
export async function packageChart(c: RepoChart, work: string, dest: string, helm: string): Promise<void> {
  const src = join(work, `${c.name}-${c.version}`, c.name);
  await cp(join(chartsRoot, c.fixture ?? 'test-chart'), src, { recursive: true });
  const doc = parseDocument(await readFile(join(src, 'Chart.yaml'), 'utf8'));
  doc.set('name', c.name);
  doc.set('version', c.version);
  await writeFile(join(src, 'Chart.yaml'), doc.toString());
  const home = await createHelmHome(work);
  try {
    await runHelm(['package', src, '--destination', dest], {
      binary: helm,
      home,
      what: `packaging ${c.name}`,
    });
  } finally {
    await home.dispose();
  }
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : 0);
    });
  });
}

/** Packages the charts, indexes them and serves the repo until `close()`. */
export async function startHelmRepo(opts: HelmRepoOptions): Promise<TestHelmRepo> {
  const helm = toolPath('helm');
  const root = await mkdtemp(join(tmpdir(), 'helm-repo-'));
  const sub = opts.path ?? '';
  const repoDir = join(root, 'www', sub);
  await mkdir(repoDir, { recursive: true });
  for (const c of opts.charts) await packageChart(c, join(root, 'work'), repoDir, helm);

  const requests: string[] = [];
  const expected = opts.auth
    ? `Basic ${Buffer.from(`${opts.auth.username}:${opts.auth.password}`).toString('base64')}`
    : undefined;
  const handler: RequestListener = (req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    const done = (status: number, body?: Buffer): void => {
      requests.push(`${req.method} ${path} ${status}`);
      if (status === 401) res.setHeader('WWW-Authenticate', 'Basic realm="test"');
      res.writeHead(status);
      res.end(body);
    };
    if (expected && req.headers.authorization !== expected) return done(401);
    const file = normalize(join(root, 'www', path));
    if (!file.startsWith(join(root, 'www'))) return done(403);
    readFile(file).then(
      (b) => done(200, b),
      () => done(404),
    );
  };
  const tls = opts.tls;
  const server: Server = tls
    ? createHttpsServer(
        {
          cert: await readFile(tls.cert),
          key: await readFile(tls.key),
          ...(tls.clientCa
            ? { ca: await readFile(tls.clientCa), requestCert: true, rejectUnauthorized: true }
            : {}),
        },
        handler,
      )
    : createServer(handler);
  const port = await listen(server);
  const url = `${tls ? 'https' : 'http'}://127.0.0.1:${port}${sub ? `/${sub}` : ''}`;
  const home = await createHelmHome(root);
  try {
    await runHelm(['repo', 'index', repoDir, '--url', url], {
      binary: helm,
      home,
      what: 'indexing the repo',
    });
  } finally {
    await home.dispose();
  }
  return {
    url,
    port,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await rm(root, { recursive: true, force: true });
    },
  };
}
