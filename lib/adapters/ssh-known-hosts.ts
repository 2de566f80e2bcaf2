/**
 * Host key checking against `known_hosts` content (the `known_hosts` key of a `credentials.git`
 * Secret), as OpenSSH's client reads the file: host patterns with `*`/`?` wildcards and `!` negation,
 * `[host]:port` for other ports than 22, hashed entries (`|1|salt|hash`, HMAC-SHA1) and `@revoked`
 * markers. `@cert-authority` lines are not supported (host certificates are not checked) and are
 * skipped, so a host known only through a CA is refused rather than trusted blindly.
 */
import { createHash, createHmac } from 'node:crypto';

/** One key a host may present. */
export interface KnownHostKey {
  /** Key type as written, e.g. `ssh-ed25519`, `ssh-rsa`, `ecdsa-sha2-nistp256`. */
  readonly type: string;
  /** The public key blob, base64 as in the file. */
  readonly blob: string;
}

/** What the known_hosts content says about one host. */
export interface KnownHostMatch {
  /** Keys listed for the host. */
  readonly keys: readonly KnownHostKey[];
  /** Keys marked `@revoked` for the host. */
  readonly revoked: readonly KnownHostKey[];
}

/** The name OpenSSH looks up: `host`, or `[host]:port` when the port is not 22. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host.toLowerCase() : `[${host.toLowerCase()}]:${port}`;
}

/** The keys `content` lists (and revokes) for `host`:`port`. */
export function lookupKnownHost(content: string, host: string, port: number): KnownHostMatch {
  const name = knownHostsName(host, port);
  const keys: KnownHostKey[] = [];
  const revoked: KnownHostKey[] = [];
  for (const raw of content.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    let marker: string | undefined;
    if (fields[0]?.startsWith('@')) marker = fields.shift();
    const [patterns, type, blob] = fields;
    if (!patterns || !type || !blob) continue;
    if (marker === '@cert-authority') continue;
    if (!hostMatches(patterns, name)) continue;
    (marker === '@revoked' ? revoked : keys).push({ type, blob });
  }
  return { keys, revoked };
}

/** Whether a comma-separated pattern list (or one hashed entry) matches `name`. */
function hostMatches(patterns: string, name: string): boolean {
  if (patterns.startsWith('|1|')) {
    const [, , salt, hash] = patterns.split('|');
    if (!salt || !hash) return false;
    const mac = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
    return mac === hash;
  }
  let matched = false;
  for (const p of patterns.split(',')) {
    const negated = p.startsWith('!');
    const re = globToRegExp(negated ? p.slice(1) : p);
    if (!re.test(name)) continue;
    // A negated pattern that matches rejects the line whatever else matches (ssh's match_hostname).
    if (negated) return false;
    matched = true;
  }
  return matched;
}

function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .toLowerCase()
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/** OpenSSH's `SHA256:` fingerprint of a public key blob, for messages. */
export function sshFingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named inside an SSH public key blob (its first length-prefixed string). */
export function blobKeyType(blob: Buffer): string {
  if (blob.length < 4) return '';
  const len = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + len).toString('latin1');
}

/**
 * Host key algorithms to offer, those of the known keys first (as OpenSSH orders them), so the server
 * presents a key that can be checked rather than another of its keys.
 */
export function preferredHostKeyAlgorithms(keys: readonly KnownHostKey[]): string[] {
  const out: string[] = [];
  for (const k of keys) {
    const algs = k.type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [k.type];
    for (const a of algs) if (!out.includes(a)) out.push(a);
  }
  return out;
}
