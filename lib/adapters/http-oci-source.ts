/**
 * OciSource over the registry HTTP API (OCI distribution spec v2): resolves the manifest of a tag or
 * digest, downloads the first layer and unpacks it, the layout `kluctl oci push` writes (one gzip'd
 * tarball layer, Flux's media types, the Git info in the `io.kluctl.image.git_info` annotation).
 *
 * Auth follows the registry's challenge as go-containerregistry (Kluctl's client) does: `/v2/` is pinged
 * first; a `Basic` challenge gets username/password (or the `token` as bearer); a `Bearer` challenge gets a
 * token from the realm: the `token` itself, an `identityToken` exchanged as OAuth2 refresh token, or
 * one fetched with username/password (anonymous when there are none). Errors carry the registry's
 * error text in go-containerregistry's layout (`GET <url>: MANIFEST_UNKNOWN: manifest unknown; ...`),
 * which is what Kluctl reports; credentials are never part of a message.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';
import { OciSourceError } from '../errors.js';
import type { GitRef, OciAuth, OciPull, OciRef, OciSource } from '../ports.js';
import { checkRealm, httpRequest, registryErrorText } from './registry-http.js';
import type { RegistryResponse } from './registry-http.js';

const MANIFEST_TYPES = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
];
const GIT_INFO_ANNOTATION = 'io.kluctl.image.git_info';

interface ParsedUrl {
  readonly host: string;
  readonly repository: string;
}

/** `oci://host[:port]/repo/path` into registry host and repository; refuses other schemes. */
export function parseOciUrl(url: string): ParsedUrl {
  const m = /^oci:\/\/([^/]+)\/(.+?)\/*$/.exec(url);
  if (!m) throw new OciSourceError(`unsupported OCI url ${url}, must be oci://<registry>/<repository>`);
  return { host: m[1]!, repository: m[2]! };
}

/**
 * Whether a registry is reached over plain HTTP without being told: go-containerregistry does so for
 * loopback hosts and `*.local` names.
 */
function isLocalRegistry(host: string): boolean {
  const name = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return name === 'localhost' || name.startsWith('127.') || name === '::1' || name.endsWith('.local');
}

interface Challenge {
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

function parseChallenge(header: string | undefined): Challenge | undefined {
  if (!header) return undefined;
  const m = /^(\w+)\s*(.*)$/.exec(header.trim());
  if (!m) return undefined;
  const params: Record<string, string> = {};
  for (const p of m[2]!.matchAll(/(\w+)="([^"]*)"/g)) params[p[1]!.toLowerCase()] = p[2]!;
  return { scheme: m[1]!.toLowerCase(), params };
}

/** One pull's session with a registry: base URL plus the Authorization header its challenge asks for. */
class RegistrySession {
  private authorization: string | undefined;

  constructor(
    private readonly base: string,
    private readonly repository: string,
    private readonly auth: OciAuth | undefined,
  ) {}

  private get tls(): { rejectUnauthorized: boolean } {
    return { rejectUnauthorized: !this.auth?.insecureSkipTlsVerify };
  }

  /** Pings `/v2/` and prepares the Authorization header of the later requests. */
  async login(): Promise<void> {
    const ping = await httpRequest('GET', `${this.base}/v2/`, { ...this.tls });
    if (ping.status === 200) return;
    const challenge = parseChallenge(ping.headers['www-authenticate']);
    if (ping.status !== 401 || !challenge) throw registryError('GET', `${this.base}/v2/`, ping);
    const a = this.auth ?? {};
    if (challenge.scheme === 'basic') {
      if (a.token) this.authorization = `Bearer ${a.token}`;
      else if (a.username !== undefined || a.password !== undefined)
        this.authorization = `Basic ${Buffer.from(`${a.username ?? ''}:${a.password ?? ''}`).toString('base64')}`;
      return;
    }
    if (challenge.scheme === 'bearer') this.authorization = `Bearer ${await this.bearerToken(challenge)}`;
  }

  private async bearerToken(challenge: Challenge): Promise<string> {
    const a = this.auth ?? {};
    if (a.token) return a.token;
    const realm = challenge.params.realm;
    if (!realm) throw new OciSourceError(`registry ${this.base} sent a bearer challenge without realm`);
    const refused = checkRealm(realm, new URL(this.base).host, this.base.startsWith('http:'));
    if (refused) throw new OciSourceError(refused);
    const scope = `repository:${this.repository}:pull`;
    const service = challenge.params.service ?? '';
    let res: RegistryResponse;
    if (a.identityToken) {
      const form = new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: a.identityToken,
        service,
        scope,
        client_id: 'kluctl',
      });
      res = await httpRequest('POST', realm, {
        ...this.tls,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: Buffer.from(form.toString()),
      });
    } else {
      const url = new URL(realm);
      if (service) url.searchParams.set('service', service);
      url.searchParams.set('scope', scope);
      const headers: Record<string, string> = {};
      if (a.username !== undefined || a.password !== undefined)
        headers.authorization = `Basic ${Buffer.from(`${a.username ?? ''}:${a.password ?? ''}`).toString('base64')}`;
      res = await httpRequest('GET', url.toString(), { ...this.tls, headers });
    }
    if (res.status !== 200) throw registryError(a.identityToken ? 'POST' : 'GET', realm, res);
    const body = JSON.parse(res.body.toString('utf8')) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new OciSourceError(`token service ${realm} returned no token`);
    return token;
  }

  async get(path: string, accept?: readonly string[]): Promise<RegistryResponse> {
    const url = `${this.base}/v2/${this.repository}/${path}`;
    const headers: Record<string, string> = {};
    if (this.authorization) headers.authorization = this.authorization;
    if (accept) headers.accept = accept.join(', ');
    const res = await httpRequest('GET', url, { ...this.tls, headers, followRedirects: true });
    if (res.status !== 200) throw registryError('GET', url, res);
    return res;
  }
}

function registryError(method: string, url: string, res: RegistryResponse): OciSourceError {
  return new OciSourceError(`${method} ${url}: ${registryErrorText(res)}`, {
    retryable: res.status >= 500 || res.status === 429,
  });
}

function sha256(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

interface Manifest {
  readonly layers?: readonly { readonly digest: string; readonly mediaType?: string }[];
  readonly annotations?: Readonly<Record<string, string>>;
}

/** The Git commit and ref `kluctl oci push` recorded, if the annotation is there and readable. */
function gitInfoOf(manifest: Manifest): { commit?: string; ref?: GitRef } {
  const raw = manifest.annotations?.[GIT_INFO_ANNOTATION];
  if (!raw) return {};
  let info: { commit?: unknown; ref?: unknown };
  try {
    info = JSON.parse(raw) as typeof info;
  } catch (err) {
    throw new OciSourceError(`annotation ${GIT_INFO_ANNOTATION} is not valid JSON`, { cause: err });
  }
  const out: { commit?: string; ref?: GitRef } = {};
  if (typeof info.commit === 'string' && info.commit) out.commit = info.commit;
  if (info.ref && typeof info.ref === 'object') out.ref = info.ref as GitRef;
  return out;
}

/** Unpacks a gzip'd tarball layer, regular files and directories only (Kluctl skips symlinks too). */
async function unpackLayer(blob: Buffer, dir: string): Promise<void> {
  if (blob[0] !== 0x1f || blob[1] !== 0x8b)
    throw new OciSourceError('the artifact layer is not a gzip compressed tarball');
  const warnings: string[] = [];
  await pipeline(
    Readable.from([blob]),
    tar.x({
      cwd: dir,
      strict: true,
      filter: (_path, entry) => {
        const type = 'type' in entry ? entry.type : undefined;
        return type === 'File' || type === 'OldFile' || type === 'Directory' || type === 'ContiguousFile';
      },
      onwarn: (_code: string, message: string) => warnings.push(message),
    }),
  );
  if (warnings.length > 0) throw new OciSourceError(`unpacking the artifact failed: ${warnings.join('; ')}`);
}

/** The registry-API {@link OciSource}. */
export class HttpOciSource implements OciSource {
  async pull(url: string, ref: OciRef, dir: string, auth?: OciAuth): Promise<OciPull> {
    try {
      return await pullArtifact(url, ref, dir, auth);
    } catch (err) {
      if (err instanceof OciSourceError) throw err;
      // Network failures: the registry may be back on the next run.
      throw new OciSourceError((err as Error).message, { cause: err, retryable: true });
    }
  }
}

async function pullArtifact(url: string, ref: OciRef, dir: string, auth?: OciAuth): Promise<OciPull> {
  {
    const { host, repository } = parseOciUrl(url);
    const scheme = auth?.plainHttp || isLocalRegistry(host) ? 'http' : 'https';
    const session = new RegistrySession(`${scheme}://${host}`, repository, auth);
    await session.login();
    // As go-containerregistry with `tag@digest`: the digest picks the manifest, the tag is decoration.
    const reference = ref.digest || ref.tag || 'latest';
    const res = await session.get(`manifests/${reference}`, MANIFEST_TYPES);
    const digest = ref.digest || res.headers['docker-content-digest'] || sha256(res.body);
    if (ref.digest && sha256(res.body) !== ref.digest)
      throw new OciSourceError(`manifest of ${url} does not match the digest ${ref.digest}`);
    const manifest = JSON.parse(res.body.toString('utf8')) as Manifest;
    const layer = manifest.layers?.[0];
    if (!layer) throw new OciSourceError('no layers found in artifact');
    const blob = await session.get(`blobs/${layer.digest}`);
    if (sha256(blob.body) !== layer.digest)
      throw new OciSourceError(`layer ${layer.digest} of ${url} does not match its digest`);
    await unpackLayer(blob.body, dir);
    return { digest, ...gitInfoOf(manifest) };
  }
}
