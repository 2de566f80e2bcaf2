/**
 * Git over SSH for isomorphic-git, which speaks only smart HTTP: an HTTP client plugin that answers
 * each smart-HTTP request by running `git-upload-pack` on the server over an SSH exec channel (ssh2).
 * The discovery GET returns upload-pack's advertisement behind the `# service=` header HTTP servers
 * add; each POST starts a fresh upload-pack, skips its advertisement and feeds it the request body,
 * which is how `git http-backend` runs it statelessly too. Protocol v2 is asked for with the
 * `GIT_PROTOCOL` environment variable, as git's own ssh transport does; servers that do not accept it
 * answer v1, which isomorphic-git handles as well. Only fetching is possible (no `git-receive-pack`).
 *
 * The server's host key must be listed in the `known_hosts` of the matching credentials entry: an
 * unknown or mismatching host is refused, never added (there is nobody to ask in a reconcile).
 */
// ssh2 is CommonJS whose `utils` Node cannot see as a named export: take both from the default.
import ssh2 from 'ssh2';
import type { Client, ClientChannel, ConnectConfig } from 'ssh2';
import type { GitHttpRequest, GitHttpResponse, HttpClient } from 'isomorphic-git';
import { GitSourceError } from '../errors.js';
import type { GitAuth } from '../ports.js';
import {
  blobKeyType,
  knownHostsName,
  lookupKnownHost,
  preferredHostKeyAlgorithms,
  sshFingerprint,
} from './ssh-known-hosts.js';
import { readAdvertisement, SERVICE_HEADER } from './ssh-pkt-line.js';

/** Where an SSH Git URL points. */
export interface SshGitTarget {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  /** The repository path as git passes it to upload-pack (absolute, `~user/...` or home-relative). */
  readonly path: string;
}

/** Whether `url` is an SSH Git URL (`ssh://`, `git+ssh://`, `ssh+git://` or scp-like `[user@]host:path`). */
export function isSshGitUrl(url: string): boolean {
  if (/^(ssh|git\+ssh|ssh\+git):\/\//i.test(url)) return true;
  return !/^[a-z][a-z0-9+.-]*:\/\//i.test(url) && /^(?:[^@/]+@)?[^:/]+:/.test(url);
}

/** The host, port, user and path of an SSH Git URL; throws GitSourceError when it is not one. */
export function parseSshGitUrl(url: string): SshGitTarget {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    const u = new URL(url.replace(/^[a-z+]+:/i, 'ssh:'));
    if (u.protocol !== 'ssh:' || !u.hostname) throw new GitSourceError(`'${url}' is not an SSH Git URL`);
    const raw = decodeURIComponent(u.pathname);
    // git passes `ssh://host/~user/repo` as `~user/repo` (home-relative); others stay absolute.
    const path = raw.startsWith('/~') ? raw.slice(1) : raw;
    return {
      host: u.hostname,
      port: u.port ? Number(u.port) : 22,
      username: decodeURIComponent(u.username),
      path,
    };
  }
  const m = /^(?:([^@/]+)@)?([^:/]+):(.*)$/.exec(url);
  if (!m?.[2] || !m[3]) throw new GitSourceError(`'${url}' is not an SSH Git URL`);
  return { host: m[2], port: 22, username: m[1] ?? '', path: m[3] };
}

/** Quotes an argument for the remote shell as git does (single quotes, `'` as `'\''`). */
function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** An SSH connection to one Git server, exposed to isomorphic-git as its `http` plugin. */
export class SshGitTransport {
  /** Pass as isomorphic-git's `http`. */
  readonly http: HttpClient = { request: (req) => this.request(req) };
  private client: Promise<Client> | undefined;
  private v2 = false;

  constructor(
    private readonly target: SshGitTarget,
    private readonly auth: GitAuth,
    private readonly where: string,
    private readonly timeoutMs = 30_000,
  ) {}

  /** The placeholder HTTP URL to hand isomorphic-git; every request to it goes through this transport. */
  get pseudoUrl(): string {
    return 'https://ssh-transport.invalid/repo';
  }

  /** Closes the SSH connection (if one was opened). */
  close(): void {
    void this.client?.then((c) => c.end()).catch(() => undefined);
    this.client = undefined;
  }

  private async request(req: GitHttpRequest): Promise<GitHttpResponse> {
    const u = new URL(req.url);
    const discovery = u.pathname.endsWith('/info/refs');
    const service = discovery ? u.searchParams.get('service') : u.pathname.split('/').pop();
    if (service !== 'git-upload-pack')
      throw new GitSourceError(`only fetching is supported over SSH (${this.where} asked for ${service})`);
    if (discovery && req.headers?.['Git-Protocol'] === 'version=2') this.v2 = true;
    const channel = await this.exec();
    const stdout = channelReader(channel);
    const advertisement = await readAdvertisement(stdout.next);
    let body: AsyncIterableIterator<Uint8Array>;
    if (discovery) {
      channel.end(Buffer.from('0000'));
      this.v2 = this.v2 && advertisement.version2;
      body = once(Buffer.concat([SERVICE_HEADER, advertisement.raw]));
    } else {
      for await (const chunk of req.body ?? []) channel.write(Buffer.from(chunk));
      channel.end();
      body = stdout.rest(advertisement.leftover);
    }
    await stdout.failure(advertisement.raw.length === 0);
    return {
      url: req.url,
      method: req.method ?? 'GET',
      statusCode: 200,
      statusMessage: 'OK',
      headers: { 'content-type': `application/x-git-upload-pack-${discovery ? 'advertisement' : 'result'}` },
      body,
    };
  }

  private async exec(): Promise<ClientChannel> {
    const client = await (this.client ??= this.connect());
    const env = this.v2 ? { GIT_PROTOCOL: 'version=2' } : undefined;
    return new Promise((resolve, reject) => {
      client.exec(
        `git-upload-pack ${shellQuote(this.target.path)}`,
        { ...(env ? { env } : {}) },
        (err, ch) =>
          err
            ? reject(new GitSourceError(`cannot run git-upload-pack on ${this.where}`, { cause: err }))
            : resolve(ch),
      );
    });
  }

  private connect(): Promise<Client> {
    const { host, port, username } = this.target;
    const name = knownHostsName(host, port);
    if (!this.auth.sshIdentity)
      throw new GitSourceError(
        `no SSH key for ${this.where}: add a spec.credentials.git entry for host ${host} whose Secret has an 'identity' key`,
      );
    const parsed = ssh2.utils.parseKey(this.auth.sshIdentity);
    if (parsed instanceof Error)
      throw new GitSourceError(
        `the 'identity' of the credentials for ${host} is not a usable unencrypted private key: ${parsed.message}`,
      );
    const known = lookupKnownHost(this.auth.sshKnownHosts ?? '', host, port);
    if (known.keys.length === 0)
      throw new GitSourceError(
        `unknown SSH host ${name}: the 'known_hosts' of the credentials for ${host} lists no key for it; ` +
          `add its line (e.g. from 'ssh-keyscan -p ${port} ${host}') to the Secret's 'known_hosts' key`,
      );
    let refused: GitSourceError | undefined;
    const config: ConnectConfig = {
      host,
      port,
      username,
      privateKey: this.auth.sshIdentity,
      readyTimeout: this.timeoutMs,
      algorithms: { serverHostKey: preferredHostKeyAlgorithms(known.keys) as never },
      hostVerifier: (key: Buffer) => {
        const blob = key.toString('base64');
        const type = blobKeyType(key);
        if (known.revoked.some((k) => k.blob === blob)) {
          refused = new GitSourceError(`the host key of ${name} (${sshFingerprint(key)}) is marked @revoked`);
          return false;
        }
        if (known.keys.some((k) => k.blob === blob)) return true;
        refused = new GitSourceError(
          `host key verification failed for ${name}: it presented ${type} ${sshFingerprint(key)}, ` +
            `which the 'known_hosts' of its credentials does not list; if the key changed legitimately, ` +
            `update the Secret's 'known_hosts' key`,
        );
        return false;
      },
    };
    return new Promise<Client>((resolve, reject) => {
      const c = new ssh2.Client();
      c.once('ready', () => resolve(c));
      c.once('error', (err: Error & { level?: string; code?: string }) => {
        if (refused) return reject(refused);
        if (err.level === 'client-authentication')
          return reject(
            new GitSourceError(`failed to clone git source: authentication required for ${this.where}`, {
              cause: err,
            }),
          );
        reject(
          new GitSourceError(`cannot reach git server ${this.where}: ${err.code ?? err.message}`, {
            cause: err,
            retryable: err.level === 'client-socket' || err.level === 'client-timeout',
          }),
        );
      });
      c.connect(config);
    });
  }
}

function once(chunk: Uint8Array): AsyncIterableIterator<Uint8Array> {
  return (async function* () {
    yield chunk;
  })();
}

/** Reads a channel's stdout chunk by chunk and remembers its stderr and exit code for errors. */
function channelReader(channel: ClientChannel) {
  const chunks: Buffer[] = [];
  let ended = false;
  let wake: (() => void) | undefined;
  let stderr = '';
  let code: number | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  channel.on('data', (d: Buffer) => {
    chunks.push(d);
    notify();
  });
  channel.stderr.on('data', (d: Buffer) => {
    if (stderr.length < 4096) stderr += d.toString('utf8');
  });
  channel.on('exit', (c: number | null) => {
    code = c ?? undefined;
  });
  channel.on('close', () => {
    ended = true;
    notify();
  });
  const next = async (): Promise<Buffer | undefined> => {
    while (chunks.length === 0 && !ended) await new Promise<void>((r) => (wake = r));
    return chunks.shift();
  };
  return {
    next,
    async *rest(leftover: Buffer): AsyncIterableIterator<Uint8Array> {
      if (leftover.length) yield leftover;
      for (let c = await next(); c; c = await next()) yield c;
    },
    /** Throws the server's complaint when upload-pack wrote nothing (no such repository, no access). */
    async failure(empty: boolean): Promise<void> {
      if (!empty) return;
      while (!ended) await new Promise<void>((r) => (wake = r));
      const line = stderr.split('\n').find((l) => l.trim() !== '') ?? `exit code ${code ?? 'unknown'}`;
      // Over SSH the server's words are the only signal; git's own and the forges' wording for a
      // missing repository become Kluctl's message for it.
      if (/does not appear to be a git repository|repository not found|no such file or directory/i.test(line))
        throw new GitSourceError('failed to clone git source: repository not found');
      throw new GitSourceError(`failed to clone git source: git-upload-pack failed: ${line.trim()}`);
    },
  };
}
