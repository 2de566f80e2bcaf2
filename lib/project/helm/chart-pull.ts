/**
 * Pulling charts with the real helm (classic repositories and OCI registries) or through the project's
 * GitSource (Git charts), into a temp dir first and then moved in place, so a failed pull never
 * leaves a half-written chart behind (kluctl-semantics §4.5–4.6).
 */
import { safeUrl } from '../../util/safe-url.js';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { KsError, ToolError, errorMessage } from '../../errors.js';
import type { GitAuth, GitSource } from '../../ports.js';
import type { ChartVersion, RemoteChart } from './chart-layout.js';
import { versionString } from './chart-layout.js';
import { createHelmHome, runHelm } from './helm-cli.js';
import type { HelmHome } from './helm-cli.js';
import { describeCredential, findHelmCredential } from '../../credentials/helm-credentials.js';
import type { HelmCredentials } from '../../credentials/helm-credentials.js';
import { readYaml, writeYaml } from '../../util/yaml.js';

/** What pulling needs from the outside. */
export interface ChartPullDeps {
  /** The helm binary. */
  readonly helmPath: string;
  readonly credentials: HelmCredentials;
  /** Git access for Git charts; without it Git charts fail with a clear message. */
  readonly git?: GitSource;
  /** Credentials for a Git URL, already matched by host and path. */
  readonly gitAuth?: (url: string) => GitAuth | undefined;
  /** Parent of temp dirs. Default: the OS temp dir. */
  readonly tmpDir?: string;
  readonly signal?: AbortSignal;
}

/** The file Kluctl writes next to a pulled Git chart to detect a moved ref. */
const GIT_INFO_FILE = '.git-info.yaml';

function redactAll(s: string, secrets: readonly string[]): string {
  return secrets.filter((x) => x).reduce((acc, x) => acc.split(x).join('***'), s);
}

/** Writes a one-entry repositories.yaml so helm reads credentials from a 0600 file, not argv. */
async function addRepo(home: HelmHome, repo: string, deps: ChartPullDeps): Promise<string[]> {
  const c = findHelmCredential(deps.credentials, repo);
  const entry: Record<string, unknown> = { name: 'kluctl', url: repo };
  if (c?.username !== undefined) entry.username = c.username;
  if (c?.password !== undefined) entry.password = c.password;
  if (c?.caFile) entry.caFile = c.caFile;
  if (c?.certFile) entry.certFile = c.certFile;
  if (c?.keyFile) entry.keyFile = c.keyFile;
  if (c?.insecureSkipTlsVerify) entry.insecure_skip_tls_verify = true;
  if (c?.passCredentialsAll) entry.pass_credentials_all = true;
  await writeFile(home.env.HELM_REPOSITORY_CONFIG!, writeYaml({ apiVersion: '', repositories: [entry] }), {
    mode: 0o600,
  });
  const redact = [c?.password ?? ''];
  const index = join(home.env.HELM_REPOSITORY_CACHE!, 'kluctl-index.yaml');
  let out: string;
  try {
    out = await runHelm(['repo', 'update', 'kluctl'], {
      binary: deps.helmPath,
      home,
      what: `downloading the index of ${repo}`,
      redact,
      ...(deps.signal ? { signal: deps.signal } : {}),
    });
  } catch (err) {
    // Helm 4 exits 1 when the index cannot be fetched (helm 3 exited 0); either way the cause is the
    // "Unable to get an update" report on stdout, which the message below keeps and nothing else.
    if (existsSync(index) || !(err instanceof ToolError)) throw err;
    out = err.message;
  }
  if (!existsSync(index)) {
    const m = /Unable to get an update[^\n]*\n([\s\S]*?)(?:Update Complete|$)/.exec(out);
    const why = (m ? m[1]! : out).trim();
    throw new ToolError(`failed to download the index of ${repo}: ${redactAll(why, redact)}`);
  }
  return redact;
}

/**
 * Prepares helm for an OCI chart: the matching registry entry's credentials go into the isolated
 * registry config (0600, Docker's `auths` format) the way Kluctl hands them to Helm's registry client,
 * so no `registry login` round-trip is needed and a wrong password fails the pull itself with the
 * registry's 401. Returns the extra pull flags (plain HTTP, TLS files).
 */
async function ociAuth(home: HelmHome, repo: string, deps: ChartPullDeps): Promise<string[]> {
  const c = findHelmCredential(deps.credentials, repo);
  const flags: string[] = [];
  if (c?.plainHttp) flags.push('--plain-http');
  if (c?.insecureSkipTlsVerify) flags.push('--insecure-skip-tls-verify');
  if (c?.caFile) flags.push('--ca-file', c.caFile);
  if (c?.certFile) flags.push('--cert-file', c.certFile);
  if (c?.keyFile) flags.push('--key-file', c.keyFile);
  if (c?.username !== undefined && c.password !== undefined) {
    const auth = Buffer.from(`${c.username}:${c.password}`).toString('base64');
    await writeFile(
      home.env.HELM_REGISTRY_CONFIG!,
      JSON.stringify({ auths: { [new URL(repo).host]: { auth } } }),
      { mode: 0o600 },
    );
  }
  return flags;
}

async function pullRegistryChart(
  chart: RemoteChart,
  v: ChartVersion,
  out: string,
  deps: ChartPullDeps,
): Promise<void> {
  const home = await createHelmHome(deps.tmpDir);
  try {
    const untar = join(home.dir, 'untar');
    const what = `pulling chart ${chart.name} version ${v.version ?? ''}`;
    if (chart.kind === 'oci') {
      const flags = await ociAuth(home, chart.repo!, deps);
      const cred = findHelmCredential(deps.credentials, chart.repo!);
      await runHelm(
        ['pull', chart.repo!, '--version', v.version!, '--untar', '--untardir', untar, ...flags],
        {
          binary: deps.helmPath,
          home,
          what,
          redact: cred?.password ? [cred.password] : [],
          ...(deps.signal ? { signal: deps.signal } : {}),
        },
      ).catch((err: unknown) => {
        throw new ToolError(`${errorMessage(err)} (${describeCredential(cred, chart.repo!)})`, {
          cause: err,
        });
      });
    } else {
      const redact = await addRepo(home, chart.repo!, deps);
      await runHelm(
        ['pull', `kluctl/${chart.name}`, '--version', v.version!, '--untar', '--untardir', untar],
        {
          binary: deps.helmPath,
          home,
          what,
          redact,
          ...(deps.signal ? { signal: deps.signal } : {}),
        },
      );
    }
    await rename(join(untar, chart.name), out);
  } finally {
    await home.dispose();
  }
}

async function pullGitChart(
  chart: RemoteChart,
  v: ChartVersion,
  out: string,
  deps: ChartPullDeps,
): Promise<void> {
  if (!deps.git)
    throw new KsError('InvalidInput', `Git chart ${chart.name} needs Git access, which was not configured`);
  const git = chart.git!;
  const checkout = await mkdtemp(join(deps.tmpDir ?? tmpdir(), 'kluctl-helm-git-'));
  try {
    const { commit } = await deps.git.checkout(git.url, v.gitRef ?? {}, checkout, deps.gitAuth?.(git.url));
    const src = join(checkout, git.subDir ?? '');
    if (!existsSync(join(src, 'Chart.yaml')))
      throw new KsError(
        'InvalidInput',
        `no Chart.yaml in ${git.subDir ?? '/'} of ${safeUrl(git.url)} at ${versionString(v)}`,
      );
    await cp(src, out, { recursive: true, filter: (p) => !p.endsWith('/.git') });
    await writeFile(
      join(out, GIT_INFO_FILE),
      writeYaml({ checkedOutCommit: commit, checkedOutRef: v.gitRef ?? {} }),
    );
  } finally {
    await rm(checkout, { recursive: true, force: true });
  }
}

/** Pulls one version of a chart into `destDir` (replaced if it exists). */
export async function pullChart(
  chart: RemoteChart,
  v: ChartVersion,
  destDir: string,
  deps: ChartPullDeps,
): Promise<void> {
  await mkdir(dirname(destDir), { recursive: true });
  // A sibling temp dir, so the final rename stays on one filesystem.
  const tmp = await mkdtemp(join(dirname(destDir), `.${chart.name}-pull-`));
  try {
    const out = join(tmp, 'chart');
    if (chart.kind === 'git') await pullGitChart(chart, v, out, deps);
    else await pullRegistryChart(chart, v, out, deps);
    await rm(destDir, { recursive: true, force: true });
    await rename(out, destDir);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** The `version` field of a chart dir's Chart.yaml, or undefined when there is none. */
function chartYamlVersion(dir: string): string | undefined {
  const p = join(dir, 'Chart.yaml');
  if (!existsSync(p)) return undefined;
  // Helm reads Chart.yaml with sigs.k8s.io/yaml, not strictly.
  const doc = readYaml(readFileSync(p, 'utf8'), p, { strict: false }) as { version?: unknown } | null;
  return doc?.version === undefined ? undefined : String(doc.version);
}

/** Result of {@link checkPulledChart}. */
export interface PulledState {
  readonly needsPull: boolean;
  /** The version found when it differs from the wanted one. */
  readonly otherVersion?: string;
}

/**
 * Whether `dir` holds version `v` of `chart`. Registry charts compare Chart.yaml's version; Git charts
 * compare the pulled commit with the ref's current commit. `maxAgeMs` re-pulls cache entries.
 */
export async function checkPulledChart(
  chart: RemoteChart,
  v: ChartVersion,
  dir: string,
  deps: ChartPullDeps,
  maxAgeMs?: number,
): Promise<PulledState> {
  const chartYaml = join(dir, 'Chart.yaml');
  if (!existsSync(chartYaml)) return { needsPull: true };
  if (maxAgeMs !== undefined && Date.now() - (await stat(chartYaml)).mtimeMs >= maxAgeMs)
    return { needsPull: true };
  if (chart.kind !== 'git') {
    const found = chartYamlVersion(dir);
    return found === v.version ? { needsPull: false } : { needsPull: true, otherVersion: found ?? '' };
  }
  let info: { checkedOutCommit?: string };
  try {
    const p = join(dir, GIT_INFO_FILE);
    info = (readYaml(await readFile(p, 'utf8'), p) ?? {}) as typeof info;
  } catch {
    return { needsPull: true };
  }
  if (!deps.git) return { needsPull: false };
  const commit = await deps.git.resolveRef(chart.git!.url, v.gitRef ?? {}, deps.gitAuth?.(chart.git!.url));
  return commit === info.checkedOutCommit
    ? { needsPull: false }
    : { needsPull: true, otherVersion: versionString(v) };
}

/** Versions a classic repo offers for `chart`, read from its index.yaml (downloaded by helm). */
export async function listRepoVersions(chart: RemoteChart, deps: ChartPullDeps): Promise<string[]> {
  const home = await createHelmHome(deps.tmpDir);
  try {
    await addRepo(home, chart.repo!, deps);
    const indexFile = join(home.env.HELM_REPOSITORY_CACHE!, 'kluctl-index.yaml');
    const index = readYaml(await readFile(indexFile, 'utf8'), indexFile, { strict: false }) as {
      entries?: Record<string, { version?: unknown }[]>;
    } | null;
    const entries = index?.entries?.[chart.name];
    if (!entries || entries.length === 0)
      throw new ToolError(`helm chart ${chart.name} not found in Repo index`);
    return entries.map((e) => String(e.version));
  } finally {
    await home.dispose();
  }
}
