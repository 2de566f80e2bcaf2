/**
 * A real OCI registry for the tests: the pinned CNCF Distribution `registry` binary (tools/registry),
 * listening on 127.0.0.1 with its storage in a temp dir and, optionally, htpasswd basic auth (bcrypt
 * lines made with bcryptjs, the only hash format Distribution accepts). Charts are pushed with the real
 * `helm push`, logged in through an isolated Helm home, exactly as a user publishes a chart.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import bcrypt from 'bcryptjs';
import { createHelmHome, runHelm } from '../lib/project/helm/helm-cli.js';
import { toolPath } from './tools.js';
import { packageChart } from './helm-repo.js';
import type { RepoChart } from './helm-repo.js';
import { startRegistryTokenServer } from './registry-token-server.js';
import type { RegistryTokenServer, TokenServerOptions } from './registry-token-server.js';
import { freePort, sleep, startProcess, tailFile } from './processes.js';
import type { ManagedProcess } from './processes.js';

/** Options of {@link startOciRegistry}. */
export interface OciRegistryOptions {
  /** Charts pushed right after start, to `oci://<host>[/<path>]/<name>:<version>`. Default: none. */
  readonly charts?: readonly RepoChart[];
  /** Repository prefix the charts are pushed under (e.g. `org/charts`). Default: the root. */
  readonly path?: string;
  /** Require these basic-auth credentials for every request (htpasswd). Default: anonymous access. */
  readonly auth?: { readonly username: string; readonly password: string };
  /**
   * Bearer token auth instead (Distribution's `auth.token`) through a token service of the test
   * process: tokens for these username/password or for the identity token. Default: off.
   */
  readonly tokenAuth?: TokenServerOptions;
  /** Where the registry's log goes. Default: the registry's own temp dir (removed by `close()`). */
  readonly logsDir?: string;
  /**
   * Serve HTTPS with this certificate and key (PEM files), trusting `ca` when pushing; with
   * `clientCa`, every client must present a certificate that CA signed, and the pushes present
   * `clientCert`/`clientKey`. Default: plain HTTP.
   */
  readonly tls?: {
    readonly cert: string;
    readonly key: string;
    readonly ca: string;
    readonly clientCa?: string;
    readonly clientCert?: string;
    readonly clientKey?: string;
  };
}

/** A running registry. */
export interface TestOciRegistry {
  /** `127.0.0.1:<port>`, the key of `--registry-*` flags and `KLUCTL_REGISTRY_HOST`. */
  readonly host: string;
  readonly port: number;
  /** `oci://<host>[/<path>]`: where {@link OciRegistryOptions.charts} went. */
  readonly url: string;
  /** The `repo:` of a chart pushed under {@link url}. */
  chartUrl(name: string): string;
  /** Packages and pushes more charts under {@link url}. */
  push(charts: readonly RepoChart[]): Promise<void>;
  /** The token service, when started with {@link OciRegistryOptions.tokenAuth}. */
  readonly tokens?: RegistryTokenServer;
  close(): Promise<void>;
}

const READY_TIMEOUT_MS = 15_000;

function authYaml(htpasswd: string | undefined, token: TokenAuthConfig | undefined): string {
  if (token) {
    const t = token.server;
    return `auth:\n  token:\n    realm: ${t.realm}\n    service: ${t.service}\n    issuer: ${t.issuer}\n    jwks: ${token.jwksFile}\n`;
  }
  return htpasswd ? `auth:\n  htpasswd:\n    realm: test-registry\n    path: ${htpasswd}\n` : '';
}

interface TokenAuthConfig {
  readonly server: RegistryTokenServer;
  readonly jwksFile: string;
}

/** The header by which a registry started here says which one it is. */
const ID_HEADER = 'X-Test-Registry';

function configYaml(
  root: string,
  port: number,
  htpasswd: string | undefined,
  token: TokenAuthConfig | undefined,
  tls: OciRegistryOptions['tls'],
  id: string,
): string {
  const auth = authYaml(htpasswd, token);
  const tlsLines = tls
    ? [
        '  tls:',
        `    certificate: ${tls.cert}`,
        `    key: ${tls.key}`,
        ...(tls.clientCa ? ['    clientcas:', `      - ${tls.clientCa}`] : []),
      ]
    : [];
  return [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(root, 'data')}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    // Only signs upload state between requests of this throw-away registry.
    '  secret: test-registry-upload-state',
    // Names this registry in every answer: a port found free can be taken by another registry
    // before this one binds it, and that one's answers must not count as this one being ready.
    '  headers:',
    `    ${ID_HEADER}: [${id}]`,
    ...tlsLines,
    auth,
  ].join('\n');
}

/** Polls `/v2/` until this registry answers (200, or 401 behind auth); over TLS, until the port accepts. */
async function waitReady(proc: ManagedProcess, port: number, tls: boolean, id: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (proc.hasExited()) throw new Error(`registry exited during start-up:\n${tailFile(proc.logFile)}`);
    if (tls ? await listening(port) : await answers(port, id)) return;
    await sleep(100);
  }
  throw new Error(`registry not ready after ${READY_TIMEOUT_MS} ms:\n${tailFile(proc.logFile)}`);
}

async function answers(port: number, id: string): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/v2/`);
    return (res.status === 200 || res.status === 401) && res.headers.get(ID_HEADER) === id;
  } catch {
    return false; // not listening yet
  }
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Starts the registry, pushes `opts.charts`, and keeps it running until `close()`. */
export async function startOciRegistry(opts: OciRegistryOptions = {}): Promise<TestOciRegistry> {
  const root = await mkdtemp(join(tmpdir(), 'oci-registry-'));
  const logsDir = opts.logsDir ?? root;
  await mkdir(logsDir, { recursive: true });
  let htpasswd: string | undefined;
  if (opts.auth) {
    htpasswd = join(root, 'htpasswd');
    // Cost 5 keeps every request's bcrypt check cheap; the hash format is what matters here.
    const hash = bcrypt.hashSync(opts.auth.password, 5);
    await writeFile(htpasswd, `${opts.auth.username}:${hash}\n`, { mode: 0o600 });
  }
  let token: TokenAuthConfig | undefined;
  if (opts.tokenAuth) {
    const server = await startRegistryTokenServer(opts.tokenAuth);
    token = { server, jwksFile: join(root, 'jwks.json') };
    await writeFile(token.jwksFile, server.jwks);
  }
  const port = await freePort();
  const config = join(root, 'config.yml');
  await writeFile(config, configYaml(root, port, htpasswd, token, opts.tls, basename(root)));
  const proc = startProcess({
    name: `oci-registry-${port}`,
    command: toolPath('registry'),
    args: ['serve', config],
    // No tracing exporter: Distribution would otherwise try to reach a collector.
    env: { PATH: '/usr/bin:/bin', HOME: root, OTEL_TRACES_EXPORTER: 'none' },
    cwd: root,
    logsDir,
  });
  const close = async (): Promise<void> => {
    await proc.stop();
    await token?.server.close();
    await rm(root, { recursive: true, force: true });
  };
  try {
    await waitReady(proc, port, opts.tls !== undefined, basename(root));
  } catch (err) {
    await close();
    throw err;
  }

  const host = `127.0.0.1:${port}`;
  const url = `oci://${host}${opts.path ? `/${opts.path.replace(/^\/+|\/+$/g, '')}` : ''}`;
  const helm = toolPath('helm');
  const t = opts.tls;
  // How helm reaches the registry: plain HTTP, or TLS trusting the CA (with a client certificate).
  const transport = t
    ? [
        '--ca-file',
        t.ca,
        ...(t.clientCert && t.clientKey ? ['--cert-file', t.clientCert, '--key-file', t.clientKey] : []),
      ]
    : ['--plain-http'];
  const push = async (charts: readonly RepoChart[]): Promise<void> => {
    const work = await mkdtemp(join(root, 'push-'));
    const home = await createHelmHome(work);
    try {
      const login = opts.auth ?? opts.tokenAuth;
      if (login) {
        const args = ['registry', 'login', host, '--username', login.username, '--password-stdin'];
        await runHelm([...args, ...transport], {
          binary: helm,
          home,
          stdin: login.password,
          what: `logging into ${host}`,
          redact: [login.password],
        });
      }
      for (const c of charts) {
        const pkgDir = join(work, 'packages', `${c.name}-${c.version}`);
        await packageChart(c, join(work, 'src'), pkgDir, helm);
        await runHelm(['push', join(pkgDir, `${c.name}-${c.version}.tgz`), url, ...transport], {
          binary: helm,
          home,
          what: `pushing ${c.name} ${c.version} to ${url}`,
        });
      }
    } finally {
      await home.dispose();
      await rm(work, { recursive: true, force: true });
    }
  };
  try {
    await push(opts.charts ?? []);
  } catch (err) {
    await close();
    throw err;
  }
  return {
    host,
    port,
    url,
    chartUrl: (name) => `${url}/${name}`,
    push,
    close,
    ...(token ? { tokens: token.server } : {}),
  };
}
