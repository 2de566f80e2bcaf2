/**
 * Runs the pinned `helm` binary with an explicit, isolated environment: its own HOME and XDG dirs in a
 * throw-away folder, no variable of the caller (so no stray `HELM_*`, proxies or kube contexts leak in,
 * and nothing is written to the user's Helm config). Credentials reach helm through files in that
 * folder or stdin, never through arguments that end up in messages.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ToolError } from '../../errors.js';
import { runProcess } from '../../util/run-process.js';

/** A throw-away Helm home; `dispose()` removes it with everything helm wrote. */
export interface HelmHome {
  readonly dir: string;
  readonly env: Readonly<Record<string, string>>;
  dispose(): Promise<void>;
}

/** Creates an isolated Helm home below `parent` (default: the OS temp dir). */
export async function createHelmHome(parent?: string): Promise<HelmHome> {
  const dir = await mkdtemp(join(parent ?? tmpdir(), 'kluctl-helm-home-'));
  const env = {
    HOME: dir,
    XDG_CONFIG_HOME: join(dir, 'config'),
    XDG_CACHE_HOME: join(dir, 'cache'),
    XDG_DATA_HOME: join(dir, 'data'),
    HELM_CONFIG_HOME: join(dir, 'config', 'helm'),
    HELM_CACHE_HOME: join(dir, 'cache', 'helm'),
    HELM_DATA_HOME: join(dir, 'data', 'helm'),
    HELM_REPOSITORY_CONFIG: join(dir, 'config', 'helm', 'repositories.yaml'),
    HELM_REPOSITORY_CACHE: join(dir, 'cache', 'helm', 'repository'),
    HELM_REGISTRY_CONFIG: join(dir, 'config', 'helm', 'registry', 'config.json'),
    // No kubeconfig: rendering is client-side; an empty path keeps helm off ~/.kube/config.
    KUBECONFIG: join(dir, 'no-kubeconfig'),
    PATH: '/usr/bin:/bin',
  };
  await mkdir(env.HELM_REPOSITORY_CACHE, { recursive: true });
  await mkdir(join(dir, 'config', 'helm', 'registry'), { recursive: true });
  return { dir, env, dispose: () => rm(dir, { recursive: true, force: true }) };
}

/** Options of {@link runHelm}. */
export interface RunHelmOptions {
  readonly binary: string;
  readonly home: HelmHome;
  /** Written to helm's stdin (e.g. `--password-stdin`). */
  readonly stdin?: string;
  readonly cwd?: string;
  readonly signal?: AbortSignal;
  /** What is being done, for the error message (`pulling chart x 1.0.0`). */
  readonly what: string;
  /** Strings to blank out of helm's output before it goes into an error (secrets, temp paths). */
  readonly redact?: readonly string[];
}

/** Runs helm; resolves with stdout, throws ToolError with helm's stderr on a non-zero exit. */
export async function runHelm(args: readonly string[], opts: RunHelmOptions): Promise<string> {
  let res;
  try {
    res = await runProcess(opts.binary, args, {
      env: { ...opts.home.env },
      cwd: opts.cwd ?? opts.home.dir,
      input: opts.stdin ?? '',
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  } catch (e) {
    throw new ToolError(`failed to run helm while ${opts.what}: ${(e as Error).message}`, { cause: e });
  }
  if (res.code === 0) return res.stdout;
  // Some helm commands (repo update) report the cause on stdout and only a summary on stderr.
  const both = [res.stderr, res.stdout].map((x) => x.trim());
  let msg = both.filter((x) => x).join('\n') || `exit code ${res.code}`;
  for (const r of opts.redact ?? []) if (r) msg = msg.split(r).join('***');
  msg = msg.split(opts.home.dir).join('<helm-home>');
  throw new ToolError(`helm failed while ${opts.what}: ${msg.replace(/^Error: /, '')}`);
}
