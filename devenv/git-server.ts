/**
 * A Git smart-HTTP server for the tests, the demo and the benchmarks: a small Node HTTP server that hands every request to the real
 * `git http-backend` as a CGI program (reference/test-infra.md §7, option B). isomorphic-git cannot
 * use `file://` remotes, so every test repository is served from here.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Basic-auth credentials the server demands when set. */
export interface GitServerAuth {
  readonly username: string;
  readonly password: string;
}

/** Options of {@link startGitServer}. */
export interface GitServerOptions {
  /** Folder holding the bare repositories (`<name>.git`); default: a fresh temp dir removed on stop. */
  readonly root?: string;
  /** When set, every request without these credentials gets 401; default: no authentication. */
  readonly auth?: GitServerAuth;
  /** Answer each request only after this many ms, as a distant Git host would (benchmarks); default 0. */
  readonly delayMs?: number;
}

/** A running server. */
export interface GitServer {
  /** Folder holding the bare repositories. */
  readonly root: string;
  /** Credentials the server demands, if any. */
  readonly auth: GitServerAuth | undefined;
  /** Requests served so far (every smart-HTTP round trip counts one). */
  requests(): number;
  /** The clone URL of repository `name` (without credentials). */
  url(name: string): string;
  /** Stops the server (and removes `root` when the server created it). */
  stop(): Promise<void>;
}

/** Starts the server on 127.0.0.1 and a free port. */
export async function startGitServer(opts: GitServerOptions = {}): Promise<GitServer> {
  const ownRoot = opts.root === undefined;
  const root = opts.root ?? (await mkdtemp(join(tmpdir(), 'ks-git-root-')));
  let served = 0;
  const server = createServer((req, res) => {
    served++;
    if (opts.delayMs) {
      setTimeout(() => handle(req, res), opts.delayMs);
      return;
    }
    handle(req, res);
  });
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    if (opts.auth && !authorized(req, opts.auth)) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' }).end('authentication required\n');
      return;
    }
    runBackend(root, req, res);
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    root,
    auth: opts.auth,
    requests: () => served,
    url: (name) => `http://127.0.0.1:${port}/${name}.git`,
    stop: async () => {
      await closeServer(server);
      if (ownRoot) await rm(root, { recursive: true, force: true });
    },
  };
}

function authorized(req: IncomingMessage, auth: GitServerAuth): boolean {
  const header = req.headers.authorization ?? '';
  const m = /^Basic\s+(.+)$/i.exec(header);
  if (!m) return false;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  return decoded === `${auth.username}:${auth.password}`;
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
}

/** Runs one request through `git http-backend` and copies its CGI response back. */
function runBackend(root: string, req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GIT_PROJECT_ROOT: root,
    GIT_HTTP_EXPORT_ALL: '1',
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.slice(1),
    REQUEST_METHOD: req.method ?? 'GET',
    CONTENT_TYPE: req.headers['content-type'] ?? '',
    // receive-pack is refused to anonymous users; a REMOTE_USER enables pushes (git-http-backend(1)).
    REMOTE_USER: 'test',
    REMOTE_ADDR: '127.0.0.1',
    GIT_HTTP_MAX_REQUEST_BUFFER: '100M',
    HTTP_GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
    HTTP_CONTENT_ENCODING: String(req.headers['content-encoding'] ?? ''),
  };
  // isomorphic-git streams chunked bodies; without CONTENT_LENGTH http-backend reads to EOF.
  if (req.headers['content-length']) env.CONTENT_LENGTH = req.headers['content-length'];
  else delete env.CONTENT_LENGTH;
  const cgi = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  req.pipe(cgi.stdin);
  cgi.stdin.on('error', () => {}); // the backend may exit before reading the whole body (e.g. 404)
  let stderr = '';
  cgi.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  cgi.on('error', (err) => fail(res, `cannot run git http-backend: ${err.message}`));
  let head = Buffer.alloc(0);
  let headersDone = false;
  cgi.stdout.on('data', (chunk: Buffer) => {
    if (headersDone) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const split = findHeaderEnd(head);
    if (!split) return;
    headersDone = true;
    writeCgiHeaders(res, head.subarray(0, split.start).toString('latin1'));
    res.write(head.subarray(split.end));
  });
  cgi.on('close', (code) => {
    if (!headersDone) fail(res, `git http-backend exited with ${code}: ${stderr.trim()}`);
    else res.end();
  });
}

function findHeaderEnd(buf: Buffer): { start: number; end: number } | undefined {
  const crlf = buf.indexOf('\r\n\r\n');
  const lf = buf.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { start: crlf, end: crlf + 4 };
  if (lf >= 0) return { start: lf, end: lf + 2 };
  return undefined;
}

/** Maps CGI header lines onto the response; `Status:` becomes the status code. */
function writeCgiHeaders(res: ServerResponse, block: string): void {
  let status = 200;
  let message: string | undefined;
  for (const line of block.split(/\r?\n/)) {
    const idx = line.indexOf(':');
    if (idx <= 0) continue;
    const name = line.slice(0, idx).trim();
    const value = line.slice(idx + 1).trim();
    if (name.toLowerCase() === 'status') {
      const m = /^(\d{3})\s*(.*)$/.exec(value);
      if (m) {
        status = Number(m[1]);
        message = m[2] || undefined;
      }
    } else {
      res.appendHeader(name, value);
    }
  }
  res.statusCode = status;
  if (message) res.statusMessage = message;
}

function fail(res: ServerResponse, msg: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${msg}\n`);
}
