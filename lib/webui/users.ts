/**
 * The web UI's static users (Kluctl's Webui has an `admin` and a `viewer` user with passwords from a
 * Secret; we take a list of named users, each with a role and an scrypt hash of the password). The
 * file or Secret value is YAML or JSON:
 *
 *   users:
 *     - name: alice
 *       role: admin            # admin: every action; viewer: read only
 *       passwordHash: scrypt$16384$8$1$<salt base64>$<key base64>
 *
 * Hashes are made with {@link hashPassword} (`kluctl-serverless webui hash-password`), never stored in
 * clear. Verification takes the same time whether the user exists or not.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import type { ScryptOptions } from 'node:crypto';
import { KsError, errorMessage } from '../errors.js';
import { readYaml } from '../util/yaml.js';

/** What a user may do: `viewer` reads, `admin` also acts. */
export type WebuiRole = 'viewer' | 'admin';

/** One configured user. */
export interface WebuiUser {
  readonly name: string;
  readonly role: WebuiRole;
  readonly passwordHash: string;
}

/** Who is logged in (a static user or an OIDC identity). */
export interface WebuiIdentity {
  readonly name: string;
  readonly role: WebuiRole;
}

/** scrypt cost of new hashes: N=2^15, about 32 MiB and 0.1 s per check; a hash carries its own cost. */
const NEW_HASH = { N: 32768, r: 8, p: 1, keyLen: 32 } as const;

function scrypt(password: string, salt: Buffer, keyLen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCb(password, salt, keyLen, { ...opts, maxmem: 256 * opts.N! * opts.r! }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/** An scrypt hash of `password` in the format of the users file. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const { N, r, p, keyLen } = NEW_HASH;
  const key = await scrypt(password, salt, keyLen, { N, r, p });
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

interface ParsedHash {
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly salt: Buffer;
  readonly key: Buffer;
}

function parseHash(hash: string, where: string): ParsedHash {
  const m = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(hash);
  const N = Number(m?.[1]);
  if (!m || N < 2 || (N & (N - 1)) !== 0) {
    throw new KsError(
      'InvalidInput',
      `${where}: passwordHash is not an scrypt hash (scrypt$N$r$p$salt$key); make one with 'kluctl-serverless webui hash-password'`,
    );
  }
  return {
    N,
    r: Number(m[2]),
    p: Number(m[3]),
    salt: Buffer.from(m[4]!, 'base64'),
    key: Buffer.from(m[5]!, 'base64'),
  };
}

/** Whether `password` matches `hash` (constant time in the key comparison). */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const h = parseHash(hash, 'password hash');
  const key = await scrypt(password, h.salt, h.key.length, { N: h.N, r: h.r, p: h.p });
  return timingSafeEqual(key, h.key);
}

/**
 * Parses the users file (YAML or JSON); throws naming `source`, the entry and the fix. Names must be
 * unique; the role is `admin` or `viewer`.
 */
export function parseWebuiUsers(text: string, source: string): WebuiUser[] {
  let doc: unknown;
  try {
    doc = readYaml(text, source);
  } catch (cause) {
    throw new KsError('InvalidInput', `${source}: not YAML/JSON: ${errorMessage(cause)}`, { cause });
  }
  const list = (doc as { users?: unknown } | null)?.users;
  if (!Array.isArray(list)) {
    throw new KsError('InvalidInput', `${source}: expected a 'users' list of {name, role, passwordHash}`);
  }
  const seen = new Set<string>();
  return list.map((u: unknown, i) => {
    const where = `${source}: users[${i}]`;
    const o = (typeof u === 'object' && u !== null ? u : {}) as Record<string, unknown>;
    if (typeof o.name !== 'string' || o.name === '')
      throw new KsError('InvalidInput', `${where}: name is missing`);
    if (seen.has(o.name)) throw new KsError('InvalidInput', `${where}: user '${o.name}' is listed twice`);
    seen.add(o.name);
    if (o.role !== 'admin' && o.role !== 'viewer') {
      throw new KsError(
        'InvalidInput',
        `${where}: role must be 'admin' or 'viewer', not '${String(o.role)}'`,
      );
    }
    if (typeof o.passwordHash !== 'string') {
      throw new KsError('InvalidInput', `${where}: passwordHash is missing`);
    }
    parseHash(o.passwordHash, where);
    return { name: o.name, role: o.role, passwordHash: o.passwordHash };
  });
}

/** A hash no password matches, verified for unknown names so they take as long as known ones. */
const DUMMY_HASH = `scrypt$${NEW_HASH.N}$8$1$${Buffer.alloc(16).toString('base64')}$${Buffer.alloc(32).toString('base64')}`;

/** The identity of `name` if `password` is theirs; undefined otherwise. */
export async function authenticate(
  users: readonly WebuiUser[],
  name: string,
  password: string,
): Promise<WebuiIdentity | undefined> {
  const user = users.find((u) => u.name === name);
  const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
  return ok && user ? { name: user.name, role: user.role } : undefined;
}
