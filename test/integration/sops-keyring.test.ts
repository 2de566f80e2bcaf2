/**
 * The SOPS key session adapter on the real sops and GnuPG: bad PGP entries fail naming the entry (never
 * quoting it), a runner without GnuPG says so, and `close` leaves nothing on disk.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSopsKeySession } from '../../lib/adapters/sops-keyring.js';
import { toolPath } from '../../devenv/tools.js';
import { generatePgpKey, removePgpKey, sopsEncrypt, type PgpKey } from '../support/sops-keys.js';

let work: string;
let pgp: PgpKey | undefined;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ks-sops-keyring-'));
  pgp = await generatePgpKey('keyring');
});
afterAll(async () => {
  await removePgpKey(pgp);
  if (work) await rm(work, { recursive: true, force: true });
});

const noKeys = { ageKeys: [], pgpKeys: [] } as const;

test('a PGP key decrypts in a private GnuPG home that close removes', async () => {
  const encrypted = await sopsEncrypt('a: secret-value\n', ['--pgp', pgp!.fingerprint], {
    GNUPGHOME: pgp!.home,
  });
  const session = await openSopsKeySession(
    { ...noKeys, pgpKeys: [{ entry: 'identity.asc', armored: pgp!.armoredPrivate }] },
    { binary: toolPath('sops'), tmpDir: work },
  );
  expect(await readdir(work)).toHaveLength(1);
  expect(await session.decrypt(encrypted, 'yaml', 'v.yaml')).toBe('a: secret-value\n');
  await session.close();
  expect(await readdir(work)).toEqual([]);
}, 60_000);

test('an entry that is no PGP key fails naming the entry, not its content', async () => {
  const open = openSopsKeySession(
    { ...noKeys, pgpKeys: [{ entry: 'broken.asc', armored: 'not-a-key-SECRETVALUE' }] },
    { binary: toolPath('sops'), tmpDir: work },
  );
  await expect(open).rejects.toThrow(
    /failed to import 'broken\.asc' data from decryption Secret: gpg exited/,
  );
  await expect(open).rejects.not.toThrow(/SECRETVALUE/);
  expect(await readdir(work)).toEqual([]);
});

test('a runner without GnuPG names what is missing', async () => {
  const gpgPath = join(work, 'no-gpg-here');
  expect(existsSync(gpgPath)).toBe(false);
  await expect(
    openSopsKeySession(
      { ...noKeys, pgpKeys: [{ entry: 'identity.asc', armored: pgp!.armoredPrivate }] },
      { binary: toolPath('sops'), tmpDir: work, gpgPath },
    ),
  ).rejects.toThrow(/'identity\.asc'.*GnuPG \(.*no-gpg-here\) could not be run.*PGP keys need GnuPG/);
  expect(await readdir(work)).toEqual([]);
});

test('age keys alone need no files', async () => {
  const session = await openSopsKeySession(
    { ...noKeys, ageKeys: ['AGE-SECRET-KEY-1QQQ'] },
    { binary: toolPath('sops'), tmpDir: work },
  );
  expect(await readdir(work)).toEqual([]);
  await session.close();
});
