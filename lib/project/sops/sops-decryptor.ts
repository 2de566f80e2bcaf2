/**
 * SOPS decryption of project files (kluctl-semantics §8.1, 8.2): vars files, files in deployment item
 * dirs (what kustomize reads) and `helm-values.yaml`. A file is decrypted when its format is one SOPS
 * stores (YAML, JSON, dotenv, INI; the extension decides) and it carries SOPS metadata; everything else
 * passes through untouched. Decryption happens after templating, so `ENC[...]` values are never
 * rendered.
 */
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { SopsError, errorMessage } from '../../errors.js';
import type { SopsDecryptor, SopsFormat } from '../../ports.js';

/** Kluctl refuses to decrypt files larger than this (5 MiB). */
const MAX_ENCRYPTED_FILE_SIZE = 5 << 20;

/** SOPS' format for a path: `.yaml`/`.yml`, `.json`, `.env`, `.ini`; anything else is binary. */
function sopsFormatForPath(path: string): SopsFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  if (ext === '.json') return 'json';
  if (ext === '.env') return 'dotenv';
  if (ext === '.ini') return 'ini';
  return 'binary';
}

// What every SOPS-encrypted document of a format contains (the encrypted MAC of its metadata). Kluctl
// hands every file containing "sops" to the decryptor and treats "metadata not found" as plain; this
// finer test gives the same answers without starting a process for each such file.
const MARKERS: Record<Exclude<SopsFormat, 'binary'>, RegExp> = {
  yaml: /^\s*"?mac"?\s*:\s*"?ENC\[/m,
  json: /"mac"\s*:\s*"ENC\[/,
  dotenv: /^sops_mac=ENC\[/m,
  ini: /^\[sops\]/m,
};

/** Whether `text` looks like a SOPS-encrypted document of `format`. */
function looksEncrypted(text: string, format: SopsFormat): boolean {
  if (format === 'binary' || !text.includes('sops')) return false;
  return MARKERS[format].test(text);
}

/** Plain text when `text` needs no decryption; throws when it does and no decryptor is configured. */
function requireDecryptor(dec: SopsDecryptor | undefined, file: string): SopsDecryptor {
  if (dec) return dec;
  throw new SopsError(
    `cannot get sops data key: no SOPS decryption is configured for ${file} ` +
      '(pass age keys via SOPS_AGE_KEY, SOPS_AGE_KEY_FILE or spec.decryption)',
  );
}

/**
 * Decrypts `text` when it is SOPS-encrypted; `decrypted` tells whether it was (Kluctl marks such vars
 * sensitive). Errors are SopsError; callers prefix them with what they were loading.
 */
export async function maybeDecrypt(
  dec: SopsDecryptor | undefined,
  text: string,
  file: string,
): Promise<{ text: string; decrypted: boolean }> {
  const format = sopsFormatForPath(file);
  if (format === 'binary' || !looksEncrypted(text, format)) return { text, decrypted: false };
  if (Buffer.byteLength(text) > MAX_ENCRYPTED_FILE_SIZE) {
    throw new SopsError(`${file} is larger than the 5 MiB limit for SOPS-encrypted files`);
  }
  const plain = await requireDecryptor(dec, file).decrypt(text, format, file);
  return plain === undefined ? { text, decrypted: false } : { text: plain, decrypted: true };
}

/** Options of {@link decryptTreeInPlace}. */
export interface DecryptTreeOptions {
  /** Prefix for file names in errors (the item dir relative to the source root). */
  readonly label: string;
}

/**
 * Decrypts, in place, every SOPS-encrypted file below `dir` (a rendered deployment item), so the real
 * kustomize and helm read plain text as Kluctl's decrypting file system hands it to them. Helm chart
 * folders (holding `Chart.yaml`) and `.git` are left alone.
 */
export async function decryptTreeInPlace(
  dec: SopsDecryptor | undefined,
  dir: string,
  opts: DecryptTreeOptions,
): Promise<number> {
  let count = 0;
  const walk = async (abs: string, rel: string): Promise<void> => {
    const entries = await readdir(abs, { withFileTypes: true });
    if (rel !== '' && entries.some((e) => e.isFile() && e.name === 'Chart.yaml')) return;
    await Promise.all(
      entries.map(async (e) => {
        const childAbs = join(abs, e.name);
        const childRel = rel === '' ? e.name : `${rel}/${e.name}`;
        if (e.isDirectory()) {
          if (e.name !== '.git') await walk(childAbs, childRel);
          return;
        }
        if (!e.isFile() || sopsFormatForPath(e.name) === 'binary') return;
        if ((await stat(childAbs)).size > MAX_ENCRYPTED_FILE_SIZE * 2) return;
        const text = await readFile(childAbs, 'utf8');
        const name = `${opts.label}/${childRel}`;
        const out = await maybeDecrypt(dec, text, name).catch((err: unknown) => {
          throw new SopsError(`failed to decrypt file ${name}: ${errorMessage(err)}`, { cause: err });
        });
        if (!out.decrypted) return;
        await writeFile(childAbs, out.text, { mode: 0o600 });
        count++;
      }),
    );
  };
  await walk(dir, '');
  return count;
}
