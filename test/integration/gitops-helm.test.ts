/**
 * Ports of Kluctl's e2e/gitops_helm_test.go `TestHelm` and `TestHelmPrePull` through the reconciler:
 * a project with one Helm chart from a Helm repository, an OCI registry or Git, with and without
 * authentication, and `spec.credentials.helm|oci|git` entries that match the host (and path) or do
 * not. Without pre-pull (`skipPrePull: true`) the reconcile pulls with the spec's credentials, and a
 * pull the server refuses is PrepareFailed; with pre-pull (Kluctl's `helm-pull` with the credential
 * flags, here ours) the charts come from Git and the reconcile needs no credentials, while the cases
 * with wrong credentials already fail in `helm-pull`.
 *
 * The `*-tls-*` cases run against the test Helm repository and registry over HTTPS (demanding a client
 * certificate for the `-cert` ones). `dep-oci-creds-fail` is skipped by Kluctl's gitops test too.
 */
import { cp, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { generateControlPlaneCerts } from '../../devenv/certs.js';
import type { ControlPlaneCerts } from '../../devenv/certs.js';
import { helmPullCommand } from '../../bin/commands/helm-pull.js';
import { createRepo, git } from '../../devenv/git-repo.js';
import type { TestRepo } from '../../devenv/git-repo.js';
import { startGitServer } from '../../devenv/git-server.js';
import type { GitServer } from '../../devenv/git-server.js';
import { startHelmRepo } from '../../devenv/helm-repo.js';
import type { TestHelmRepo } from '../../devenv/helm-repo.js';
import { startOciRegistry } from '../../devenv/oci-registry.js';
import type { TestOciRegistry } from '../../devenv/oci-registry.js';
import { kubectlTest } from '../support/test-env.js';
import {
  createKluctlDeployment,
  createScenarioNamespace,
  getConfigMap,
  readiness,
  reconcile,
  startGitOpsSuite,
} from './gitops-suite.js';
import type { GitOpsSuite } from './gitops-suite.js';

const USER = 'test-user';
const PASSWORD = 'secret-password';
const PREPARE_FAILED = 'prepare failed with 1 errors. Check status.lastPrepareError for details';
const CHART = { name: 'test-chart1', version: '0.1.0' };

/** One of Kluctl's helmTests (the fields the gitops test reads). */
interface HelmCase {
  readonly name: string;
  readonly type: 'helm' | 'oci' | 'git';
  readonly auth?: boolean;
  /** Repository path of the Helm repository (Kluctl's `path`). */
  readonly path?: string;
  /** `<host>` or `<host>-invalid`: the credentials' host; absent: no credentials. */
  readonly credsHost?: string;
  readonly credsPath?: string;
  readonly password?: string;
  /** Serve over TLS; `clientCert`: and demand a client certificate. */
  readonly tls?: boolean;
  readonly clientCert?: boolean;
  /** Pass the CA, the client certificate in the credentials (Kluctl's argPassCA, argPassClientCert). */
  readonly passCa?: boolean;
  readonly passClientCert?: boolean;
  /** Kluctl's expectedPrepareError; our text where it differs is in `ours`. */
  readonly prepareError?: string;
  readonly ours?: string;
}

/** Kluctl's `*-tls-*` cases: [name, clientCert, passCa, passClientCert, expected error]. */
const TLS_CASES = [
  ['tls-missing-ca', false, false, false, 'failed to verify certificate'],
  ['tls-valid-ca', false, true, false, undefined],
  ['tls-missing-cert', true, true, false, 'certificate required'],
  ['tls-valid-cert', true, true, true, undefined],
] as const;

const CASES: readonly HelmCase[] = [
  { name: 'helm-no-creds', type: 'helm' },
  { name: 'oci-no-creds', type: 'oci' },
  { name: 'git-no-creds', type: 'git' },
  ...(['helm', 'oci'] as const).flatMap((type) =>
    TLS_CASES.map(([name, clientCert, passCa, passClientCert, prepareError]): HelmCase => ({
      name: `${type}-${name}`,
      type,
      tls: true,
      clientCert,
      passCa,
      passClientCert,
      credsHost: '<host>',
      ...(prepareError ? { prepareError } : {}),
    })),
  ),
  ...(['helm', 'oci', 'git'] as const).flatMap((type): HelmCase[] => {
    const refused = { helm: '401 Unauthorized', oci: '401: Unauthorized', git: 'authentication required' }[
      type
    ];
    const missing = { helm: refused, oci: 'basic credential not found', git: refused }[type];
    const paths = {
      helm: { repo: 'path1', wrong: 'path2', right: 'path1' },
      oci: { repo: undefined, wrong: 'test-chart2', right: 'test-chart1' },
      git: { repo: undefined, wrong: '*/helm-repo2', right: '*/helm-repo' },
    }[type];
    // helm's OCI client words a refused pull "response status code 401: unauthorized", where
    // Kluctl's in-process client says "401: Unauthorized".
    const ours = type === 'oci' ? { ours: '401: unauthorized' } : {};
    const base = { type, auth: true, credsHost: '<host>' };
    const withPath = { ...base, ...(paths.repo ? { path: paths.repo } : {}) };
    return [
      { ...base, name: `${type}-creds-missing`, credsHost: '<host>-invalid', prepareError: missing },
      { ...base, name: `${type}-creds-invalid`, password: 'invalid', prepareError: refused, ...ours },
      { ...base, name: `${type}-creds-valid` },
      { ...withPath, name: `${type}-creds-missing-path`, credsPath: paths.wrong, prepareError: missing },
      {
        ...withPath,
        name: `${type}-creds-invalid-path`,
        credsPath: paths.right,
        password: 'invalid',
        prepareError: refused,
        ...ours,
      },
      { ...withPath, name: `${type}-creds-valid-path`, credsPath: paths.right },
    ];
  }),
];

let s: GitOpsSuite;
const closers: (() => Promise<void>)[] = [];
let work: string;
/** A CA, a serving certificate for 127.0.0.1 and a client certificate, all of that CA. */
let pki: ControlPlaneCerts;

beforeAll(async () => {
  s = await startGitOpsSuite('gitops-helm');
  work = await mkdtemp(join(tmpdir(), 'ks-gitops-helm-'));
  await mkdir(join(work, 'pki'));
  pki = await generateControlPlaneCerts(join(work, 'pki'));
}, 120_000);
afterAll(async () => {
  for (const c of closers) await c();
  await s?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

/** The chart source of a case: a started server and what helm-chart.yaml names. */
interface Source {
  readonly host: string;
  readonly chart: Record<string, unknown>;
}

const sources = new Map<string, Promise<Source>>();

/** One server per kind of source (type, auth, path), shared by the cases that need the same. */
function sourceFor(c: HelmCase): Promise<Source> {
  const key = `${c.type}/${c.auth ?? false}/${c.path ?? ''}/${c.tls ?? false}/${c.clientCert ?? false}`;
  if (!sources.has(key)) sources.set(key, startSource(c));
  return sources.get(key)!;
}

async function startSource(c: HelmCase): Promise<Source> {
  const auth = c.auth ? { username: USER, password: PASSWORD } : undefined;
  if (c.type === 'helm') {
    const repo: TestHelmRepo = await startHelmRepo({
      charts: [CHART],
      ...(c.path ? { path: c.path } : {}),
      ...(auth ? { auth } : {}),
      ...(c.tls
        ? {
            tls: {
              cert: pki.servingCert,
              key: pki.servingKey,
              ...(c.clientCert ? { clientCa: pki.caCert } : {}),
            },
          }
        : {}),
    });
    closers.push(() => repo.close());
    return {
      host: new URL(repo.url).host,
      chart: { repo: repo.url, chartName: CHART.name, chartVersion: CHART.version },
    };
  }
  if (c.type === 'oci') {
    const reg: TestOciRegistry = await startOciRegistry({
      charts: [CHART],
      ...(auth ? { auth } : {}),
      ...(c.tls
        ? {
            tls: {
              cert: pki.servingCert,
              key: pki.servingKey,
              ca: pki.caCert,
              ...(c.clientCert
                ? { clientCa: pki.caCert, clientCert: pki.adminCert, clientKey: pki.adminKey }
                : {}),
            },
          }
        : {}),
    });
    closers.push(() => reg.close());
    return { host: reg.host, chart: { repo: reg.chartUrl(CHART.name), chartVersion: CHART.version } };
  }
  // Kluctl's NewHelmTestRepoGit: repository helm-repo, the chart in its own dir, a tag per version.
  const server: GitServer = await startGitServer(auth ? { auth } : {});
  closers.push(() => server.stop());
  const chartDir = fileURLToPath(new URL('../fixtures/charts/test-chart/', import.meta.url));
  const files: Record<string, string> = {};
  for (const f of ['Chart.yaml', 'values.yaml', 'templates/configmap.yaml', 'templates/hooks.yaml'])
    files[`${CHART.name}/${f}`] = await readFile(join(chartDir, f), 'utf8');
  files[`${CHART.name}/Chart.yaml`] = files[`${CHART.name}/Chart.yaml`]!.replace(
    'name: test-chart',
    `name: ${CHART.name}`,
  );
  const repo: TestRepo = await createRepo(server, 'org/helm-repo', files);
  closers.push(() => repo.cleanup());
  await repo.tag(CHART.version, { message: `chart ${CHART.name} version ${CHART.version}` });
  return {
    host: new URL(repo.url).host,
    chart: { git: { url: repo.url, ref: { tag: CHART.version }, subDir: CHART.name } },
  };
}

let secretIdx = 0;

/** Kluctl's createGitopsSecret; `files` are keys whose value is the content of a file. */
async function gitopsSecret(
  data: Record<string, string>,
  files: Record<string, string> = {},
): Promise<string> {
  const name = `gitops-secret-${secretIdx++}`;
  const r = await kubectlTest([
    'create',
    'secret',
    'generic',
    name,
    '-n',
    s.namespace,
    ...Object.entries(data).map(([k, v]) => `--from-literal=${k}=${v}`),
    ...Object.entries(files).map(([k, f]) => `--from-file=${k}=${f}`),
  ]);
  expect(r.code).toBe(0);
  return name;
}

/** spec.credentials of a case, as Kluctl's testHelmPull builds them (with the plain-HTTP fallback). */
async function specCredentials(c: HelmCase, host: string): Promise<Record<string, unknown[]>> {
  const creds: Record<string, unknown[]> = {};
  if (c.credsHost) {
    const h = c.credsHost.replace('<host>', host);
    // Kluctl's TLS cases pass an empty username and password.
    const data = c.auth
      ? { username: USER, password: c.password ?? PASSWORD }
      : { username: '', password: '' };
    const files = {
      ...(c.passCa ? { ca: pki.caCert } : {}),
      ...(c.passClientCert ? { cert: pki.adminCert, key: pki.adminKey } : {}),
    };
    const plain: Record<string, string> = c.type === 'oci' && !c.tls ? { plainHttp: 'true' } : {};
    const secretRef = { name: await gitopsSecret({ ...data, ...plain }, files) };
    const path = c.credsPath;
    if (c.type === 'oci') creds.oci = [{ registry: h, ...(path ? { repository: path } : {}), secretRef }];
    else creds[c.type] = [{ host: h, ...(path ? { path } : {}), secretRef }];
  }
  if (c.type === 'oci' && !c.tls) {
    const secretRef = { name: await gitopsSecret({ plainHttp: 'true' }) };
    creds.oci = [...(creds.oci ?? []), { registry: host, secretRef }];
  }
  return creds;
}

/** Kluctl's buildHelmTestExtraArgs: the CLI flags for helm-pull. */
function pullFlags(c: HelmCase, host: string): string[] {
  const out: string[] = [];
  const flag = { helm: 'helm', oci: 'registry', git: 'git' }[c.type];
  if (c.credsHost) {
    const key = `${c.credsHost.replace('<host>', host)}${c.credsPath ? `/${c.credsPath}` : ''}`;
    const password = c.password ?? PASSWORD;
    if (c.auth && c.type === 'git')
      out.push(`--git-username=${key}=${USER}`, `--git-password=${key}=${password}`);
    else if (c.auth) out.push(`--${flag}-creds=${key}=${USER}:${password}`);
    if (c.type === 'oci' && !c.tls) out.push(`--registry-plain-http=${key}`);
  }
  // The fallback that enables plain HTTP when no credentials match.
  if (c.type === 'oci' && !c.tls) out.push(`--registry-plain-http=${host}`);
  if (c.passCa) out.push(`--${flag}-ca-file=${host}=${pki.caCert}`);
  if (c.passClientCert)
    out.push(`--${flag}-cert-file=${host}=${pki.adminCert}`, `--${flag}-key-file=${host}=${pki.adminKey}`);
  return out;
}

/** `--a-b=v` flags as the CLI's options object (`{ aB: [v] }`). */
function parseFlags(args: readonly string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const a of args) {
    const eq = a.indexOf('=');
    const key = a.slice(2, eq).replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
    (out[key] ??= []).push(a.slice(eq + 1));
  }
  return out;
}

/** Kluctl's prepareHelmTestCase plus testHelmPull. */
async function testHelmPull(c: HelmCase, prePull: boolean): Promise<void> {
  const slug = `${prePull ? 'pp-' : ''}${c.name}`;
  const ns = await createScenarioNamespace(slug);
  const src = await sourceFor(c);
  const dir = join(work, slug);
  const files: Record<string, string> = {
    '.kluctl.yml': '{}\n',
    'deployment.yml': stringify({ deployments: [{ path: 'helm1' }] }),
    'helm1/kustomization.yml': stringify({
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      resources: ['helm-rendered.yaml'],
    }),
    'helm1/helm-chart.yaml': stringify({
      helmChart: {
        ...src.chart,
        releaseName: 'test-helm1',
        namespace: ns,
        ...(prePull ? {} : { skipPrePull: true }),
      },
    }),
  };
  const repo = await createRepo(await gitServer(), slug, files);
  closers.push(() => repo.cleanup());
  if (prePull) {
    await cp(repo.workDir, dir, { recursive: true });
    // Our `helm-pull` command, in process (Kluctl's test runs its CLI in process too).
    const failed = await helmPullCommand({ projectDir: dir, ...parseFlags(pullFlags(c, src.host)) }).then(
      () => undefined,
      (err: Error) => err,
    );
    if (c.prepareError) {
      expect(failed?.message).toContain(c.ours ?? c.prepareError);
      return;
    }
    expect(failed).toBeUndefined();
    await cp(join(dir, '.helm-charts'), join(repo.workDir, '.helm-charts'), { recursive: true });
    await git(repo.workDir, ['add', '--all']);
    await git(repo.workDir, ['commit', '-qm', 'helm-pull']);
    await git(repo.workDir, ['push', '-q', 'origin', 'HEAD']);
  }
  await createKluctlDeployment(s, slug, {
    source: { git: { url: repo.url } },
    args: { namespace: ns },
    credentials: await specCredentials(c, src.host),
  });
  const { kd } = await reconcile(s, slug);
  expect(kd?.status?.observedCommit).toBe(await repo.head());
  const ready = readiness(kd);
  if (!c.prepareError) {
    expect(ready?.status).not.toBe('False');
    expect(kd?.status?.lastDeployResult).toBeDefined();
    expect(await getConfigMap(ns, 'test-helm1-test-chart1')).toBeDefined();
  } else {
    expect(kd?.status?.lastDeployResult).toBeUndefined();
    expect(ready).toMatchObject({ status: 'False', reason: 'PrepareFailed', message: PREPARE_FAILED });
    expect(kd?.status?.lastPrepareError).toContain(c.ours ?? c.prepareError);
    expect(kd?.status?.lastPrepareError).not.toContain(PASSWORD);
  }
}

let projects: GitServer | undefined;
/** The Git server of the projects (not of Git charts, whose server may demand credentials). */
async function gitServer(): Promise<GitServer> {
  if (!projects) {
    projects = await startGitServer();
    const p = projects;
    closers.push(() => p.stop());
  }
  return projects;
}

describe('TestHelm', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', (_n, c) => testHelmPull(c, false), 120_000);
});

describe('TestHelmPrePull', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', (_n, c) => testHelmPull(c, true), 120_000);
});
