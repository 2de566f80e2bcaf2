/**
 * SopsDecryptor on the pinned `sops` binary (getsops/sops, built by scripts/ensure-tools.sh). The text
 * goes in on stdin and the plain text comes back on stdout, so decrypted data never touches the disk
 * here. Kluctl skips the MAC check (templating may have changed unencrypted values before decryption),
 * hence `--ignore-mac`.
 */
import { SopsError } from '../errors.js';
import type { SopsDecryptor, SopsFormat } from '../ports.js';
import { Semaphore } from '../util/semaphore.js';
import { runProcess } from '../util/run-process.js';

/** Options of {@link SopsCliDecryptor}. */
export interface SopsCliOptions {
  /** Path of the sops binary (`toolPath('sops')`), or a function giving it on first use. */
  readonly binary: string | (() => string);
  /**
   * Environment of the sops process; it is where sops finds its keys. The CLI passes its own
   * environment, so `SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE`, the default `keys.txt` under
   * `$XDG_CONFIG_HOME` or `$HOME/.config/sops/age/`, GPG and cloud KMS work as with Kluctl's CLI. The
   * controller passes `{}` and only the keys of `spec.decryption`. Default `{}`.
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Extra age identities (`AGE-SECRET-KEY-1...`), e.g. the `*.agekey` entries of a decryption Secret. */
  readonly ageKeys?: readonly string[];
  /**
   * Further environments, each tried in turn when no key of the ones before could decrypt a data key
   * (Kluctl's controller asks each of its key services in turn; one sops process sees one set of AWS
   * credentials). They get the age keys too. Default none.
   */
  readonly alternativeEnvs?: readonly Readonly<Record<string, string>>[];
  /** How many sops processes run at once. Default 4. */
  readonly concurrency?: number;
}

/** Exit status of sops when no master key could decrypt the data key (codes.CouldNotRetrieveKey). */
const COULD_NOT_RETRIEVE_KEY = 128;

/** Decrypts with the real sops binary. */
export class SopsCliDecryptor implements SopsDecryptor {
  private readonly envs: readonly Record<string, string>[];
  private readonly limiter: Semaphore;

  constructor(private readonly opts: SopsCliOptions) {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.env ?? {})) if (v !== undefined) env[k] = v;
    const keys = [env.SOPS_AGE_KEY ?? '', ...(opts.ageKeys ?? [])].map((k) => k.trim()).filter((k) => k);
    const age: Record<string, string> = keys.length > 0 ? { SOPS_AGE_KEY: keys.join('\n') } : {};
    this.envs = [env, ...(opts.alternativeEnvs ?? [])].map((e) => ({ ...e, ...age }));
    this.limiter = new Semaphore(opts.concurrency ?? 4);
  }

  /** Decrypts one document; undefined when it carries no SOPS metadata. */
  async decrypt(
    text: string,
    format: Exclude<SopsFormat, 'binary'>,
    file: string,
  ): Promise<string | undefined> {
    const failures: string[] = [];
    for (const env of this.envs) {
      const res = await this.run(env, text, format, file);
      if (res.code === 0) return res.stdout;
      const detail = condense(res.stderr);
      if (res.code === COULD_NOT_RETRIEVE_KEY) {
        failures.push(detail);
        continue;
      }
      // The CLI reports a document without metadata only through its message (sops.MetadataNotFound);
      // Kluctl treats that case as "not encrypted", so it is the one message recognised here.
      if (/sops metadata not found/i.test(res.stderr)) return undefined;
      throw new SopsError(`error decrypting sops tree: sops exited with ${res.code}: ${detail}`);
    }
    throw new SopsError(`cannot get sops data key: ${failures.join(' | ')}`);
  }

  /** One sops process decrypting `text` with the keys of `env`. */
  private run(
    env: Record<string, string>,
    text: string,
    format: Exclude<SopsFormat, 'binary'>,
    file: string,
  ): Promise<{ code: number | null; stdout: string; stderr: string }> {
    // Without a file argument, `sops decrypt` reads stdin (a pipe cannot be opened as /dev/stdin).
    const args = ['decrypt', '--input-type', format, '--output-type', format, '--ignore-mac'];
    const binary = typeof this.opts.binary === 'string' ? this.opts.binary : this.opts.binary();
    return this.limiter
      .run(() => runProcess(binary, args, { env, input: text }))
      .catch((err) => {
        throw new SopsError(`failed to run sops for ${file}: ${(err as Error).message}`, { cause: err });
      });
  }
}

/** sops' multi-line, indented report as one line, bounded in length. */
function condense(stderr: string): string {
  const line = stderr
    .split('\n')
    .map((l) => l.replace(/^\s*(?:-\s*)?\|?\s*/, '').trim())
    .filter((l) => l !== '')
    .join(' ');
  return line.length > 600 ? `${line.slice(0, 600)}...` : line;
}
