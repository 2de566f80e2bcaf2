/**
 * The web UI's JSON API against the real API server and the real reconciler: a deployment deployed,
 * then changed while `manual`, so it waits for approval with drift; the API lists it, shows its
 * detail, results and diffs (Secret values never), refuses what a viewer or a cross-site page asks,
 * and its actions set the same annotations and fields as `kluctl gitops` and Kluctl's Webui.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsStateStore } from '../../lib/adapters/fs-state-store.js';
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import { IsomorphicGitSource } from '../../lib/adapters/isomorphic-git-source.js';
import { KubeSecretsResultStore } from '../../lib/adapters/kube-secrets-result-store.js';
import type { KluctlDeployment } from '../../lib/api/types.js';
import { systemClock } from '../../lib/ports.js';
import type { Logger } from '../../lib/ports.js';
import { reconcileDeployment } from '../../lib/reconcile/reconcile.js';
import type { ReconcileDeps } from '../../lib/reconcile/reconcile.js';
import { toolPath } from '../../lib/tools.js';
import { hashPassword } from '../../lib/webui/users.js';
import { KubeWebuiCluster } from '../../lib/webui/webui-cluster.js';
import { createWebui } from '../../lib/webui/webui-http.js';
import type { Webui } from '../../lib/webui/webui-http.js';
import { applyKluctlDeployment, patchKluctlDeploymentSpec } from '../env/kluctl-deployment.js';
import { createRepo } from '../env/git-repo.js';
import type { TestRepo } from '../env/git-repo.js';
import { startGitServer } from '../env/git-server.js';
import type { GitServer } from '../env/git-server.js';
import { createTestNamespace, installCrds, kubectlJson, testEnv } from '../env/test-env.js';

let gitServer: GitServer;
let repo: TestRepo;
let kube: HttpKubeClient;
let tmp: string;
let deps: ReconcileDeps;
let webui: Webui;
let http: Server;
let base: string;
let ns: string;
let clusterId: string;
const audit: { msg: string; fields?: Record<string, unknown> }[] = [];

/** A logger that keeps what it is told (the audit trail is part of what is tested). */
const recordingLogger: Logger = {
  debug() {},
  info: (msg, fields) => void audit.push({ msg, ...(fields ? { fields } : {}) }),
  warn: (msg, fields) => void audit.push({ msg, ...(fields ? { fields } : {}) }),
  error: (msg, fields) => void audit.push({ msg, ...(fields ? { fields } : {}) }),
  child: () => recordingLogger,
};

const SECRET_V1 = 'hunter2-first-secret';
const SECRET_V2 = 'hunter2-second-secret';

function project(namespace: string, value: string, secret: string): Record<string, string> {
  return {
    '.kluctl.yml': `discriminator: "${namespace}-{{ target.name }}"\ntargets:\n  - name: t1\n`,
    'deployment.yml': 'deployments:\n  - path: app\n',
    'app/kustomization.yml': 'resources: [cm.yml, secret.yml]\n',
    'app/cm.yml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  namespace: ${namespace}\ndata:\n  k: '${value}'\n`,
    'app/secret.yml': `apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n  namespace: ${namespace}\nstringData:\n  password: '${secret}'\n`,
  };
}

beforeAll(async () => {
  await installCrds();
  gitServer = await startGitServer();
  kube = await HttpKubeClient.fromKubeconfig({ kubeconfigPath: testEnv().kubeconfigPath });
  clusterId = await kube.clusterId();
  tmp = await mkdtemp(join(tmpdir(), 'ks-webui-api-'));
  deps = {
    kube,
    store: new FsStateStore(join(tmp, 'state')),
    git: new IsomorphicGitSource(),
    clock: systemClock,
    logger: recordingLogger,
    workDir: tmp,
    kustomizePath: toolPath('kustomize'),
    holder: 'webui-api',
    kluctlResults: new KubeSecretsResultStore(kube),
  };
  ns = await createTestNamespace('webui-api');
  repo = await createRepo(gitServer, ns, project(ns, 'v1', SECRET_V1));
  await applyKluctlDeployment(ns, 'app', {
    interval: '1h',
    target: 't1',
    source: { git: { url: repo.url } },
  });
  await reconcileDeployment(deps, { namespace: ns, name: 'app' });
  // A change that now waits for approval: rendered, drift detected, not deployed.
  await repo.commit(project(ns, 'v2', SECRET_V2), 'v2');
  await patchKluctlDeploymentSpec(ns, 'app', { manual: true });
  await reconcileDeployment(deps, { namespace: ns, name: 'app' });

  webui = await createWebui({
    clusters: [new KubeWebuiCluster(kube, { namespace: ns })],
    users: [
      { name: 'alice', role: 'admin', passwordHash: await hashPassword('alice-pw') },
      { name: 'victor', role: 'viewer', passwordHash: await hashPassword('victor-pw') },
    ],
    clock: systemClock,
    logger: recordingLogger,
    pollMs: 200,
  });
  http = createServer((req, res) => {
    void webui.handle(req, res).then((done) => {
      if (!done) res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
}, 180_000);

afterAll(async () => {
  webui?.close();
  http?.closeAllConnections();
  await new Promise<void>((r) => (http ? http.close(() => r()) : r()));
  kube?.close();
  await gitServer?.stop();
  await repo?.cleanup();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

interface Session {
  readonly cookie: string;
  readonly csrf: string;
}

async function login(name: string, password: string): Promise<Session> {
  const res = await fetch(`${base}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, password }),
  });
  expect(res.status).toBe(200);
  const setCookie = res.headers.get('set-cookie') ?? '';
  expect(setCookie).toMatch(/HttpOnly/);
  expect(setCookie).toMatch(/SameSite=Strict/);
  const body = (await res.json()) as { csrfToken: string; role: string };
  return { cookie: setCookie.split(';')[0]!, csrf: body.csrfToken };
}

async function get(
  s: Session | undefined,
  path: string,
): Promise<{ status: number; body: unknown; text: string }> {
  const res = await fetch(`${base}${path}`, { headers: s ? { cookie: s.cookie } : {} });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined, text };
}

async function act(
  s: Session,
  action: string,
  opts: { body?: object; csrf?: string | null; origin?: string } = {},
): Promise<{ status: number; body: { message?: string; requestValue?: string } }> {
  const res = await fetch(`${base}/api/deployments/${clusterId}/${ns}/app/actions/${action}`, {
    method: 'POST',
    headers: {
      cookie: s.cookie,
      'content-type': 'application/json',
      ...(opts.csrf === null ? {} : { 'x-csrf-token': opts.csrf ?? s.csrf }),
      ...(opts.origin ? { origin: opts.origin } : {}),
    },
    body: JSON.stringify(opts.body ?? {}),
  });
  return { status: res.status, body: (await res.json()) as { message?: string } };
}

async function kd(): Promise<KluctlDeployment> {
  return kubectlJson<KluctlDeployment>(['get', 'kluctldeployment', 'app', '-n', ns]);
}

describe('web UI API', () => {
  it('answers 401 without a session and refuses a wrong password', async () => {
    expect((await get(undefined, '/api/deployments')).status).toBe(401);
    const res = await fetch(`${base}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'alice', password: 'wrong' }),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('lists the deployment with approval pending, drift and its last deploy', async () => {
    const s = await login('victor', 'victor-pw');
    const r = await get(s, '/api/deployments');
    expect(r.status).toBe(200);
    const list = (r.body as { deployments: Record<string, unknown>[] }).deployments;
    expect(list).toHaveLength(1);
    const row = list[0]!;
    const status = (await kd()).status!;
    expect(row).toMatchObject({
      clusterId,
      namespace: ns,
      name: 'app',
      project: repo.url,
      target: 't1',
      suspended: false,
      manual: true,
      approvalPending: status.lastObjectsHash,
      lastDeploy: { id: status.lastDeployResult!.id, newObjects: 2 },
    });
  });

  it('shows the detail, the result history and a diff result, never a Secret value', async () => {
    // The diff the approver reads: a diff request, as the UI's Diff button sends it.
    const admin = await login('alice', 'alice-pw');
    expect((await act(admin, 'diff')).status).toBe(202);
    await reconcileDeployment(deps, { namespace: ns, name: 'app' });

    const s = await login('victor', 'victor-pw');
    const r = await get(s, `/api/deployments/${clusterId}/${ns}/app`);
    expect(r.status).toBe(200);
    const d = r.body as {
      conditions: { type: string }[];
      spec: { manual: boolean };
      results: {
        kind: string;
        id: string;
        command: string;
        startTime: string;
        endTime: string;
        durationS: number;
        changedObjects?: number;
      }[];
    };
    expect(d.spec.manual).toBe(true);
    expect(d.conditions.map((c) => c.type)).toContain('Ready');
    const deploy = d.results.find((e) => e.kind === 'command' && e.command === 'deploy');
    // Kluctl's result times have whole seconds, so a quick deploy lasts 0 s.
    expect(deploy?.durationS).toBe((Date.parse(deploy!.endTime) - Date.parse(deploy!.startTime)) / 1000);
    const diff = d.results.find((e) => e.kind === 'command' && e.command === 'diff');
    expect(diff?.changedObjects).toBe(2);

    const first = await get(s, `/api/deployments/${clusterId}/${ns}/app/results/command/${deploy!.id}`);
    expect(first.status).toBe(200);
    const created = (first.body as { objects: { ref: { kind: string }; new?: boolean }[] }).objects;
    expect(
      created
        .filter((o) => o.new)
        .map((o) => o.ref.kind)
        .sort(),
    ).toEqual(['ConfigMap', 'Secret']);

    const one = await get(s, `/api/deployments/${clusterId}/${ns}/app/results/command/${diff!.id}`);
    const changed = (
      one.body as { objects: { ref: { kind: string }; changes?: { unifiedDiff: string }[] }[] }
    ).objects;
    expect(changed.find((o) => o.ref.kind === 'ConfigMap')?.changes?.[0]?.unifiedDiff).toMatch(
      /-v1[\s\S]*\+v2/,
    );
    expect(changed.find((o) => o.ref.kind === 'Secret')?.changes?.[0]?.unifiedDiff).toMatch(/\*\*\*\*\*/);
    for (const text of [r.text, first.text, one.text, (await get(s, '/api/deployments')).text]) {
      expect(text).not.toContain(SECRET_V1);
      expect(text).not.toContain(SECRET_V2);
      expect(text).not.toContain(Buffer.from(SECRET_V1).toString('base64'));
      expect(text).not.toContain(Buffer.from(SECRET_V2).toString('base64'));
    }
    // A result id of another deployment (or none) is not found, whatever the id.
    expect((await get(s, `/api/deployments/${clusterId}/${ns}/app/results/command/nope`)).status).toBe(404);
  }, 120_000);

  it('refuses actions from a viewer, without the CSRF token, and from another origin', async () => {
    const viewer = await login('victor', 'victor-pw');
    const refused = await act(viewer, 'deploy');
    expect(refused.status).toBe(403);
    expect(refused.body.message).toMatch(/viewer/);
    const admin = await login('alice', 'alice-pw');
    expect((await act(admin, 'deploy', { csrf: null })).status).toBe(403);
    expect((await act(admin, 'deploy', { csrf: 'forged' })).status).toBe(403);
    expect((await act(admin, 'deploy', { origin: 'http://evil.example' })).status).toBe(403);
    expect((await kd()).metadata.annotations?.['kluctl.io/request-deploy']).toBeUndefined();
    expect(audit.some((a) => a.msg === 'web UI action refused' && a.fields?.user === 'victor')).toBe(true);
  });

  it('sets the request annotation as kluctl gitops does, and logs who asked', async () => {
    const admin = await login('alice', 'alice-pw');
    const r = await act(admin, 'validate');
    expect(r.status).toBe(202);
    const annotation = (await kd()).metadata.annotations?.['kluctl.io/request-validate'];
    expect(JSON.parse(annotation!)).toEqual({ requestValue: r.body.requestValue });
    expect(audit).toContainEqual({
      msg: 'web UI action',
      fields: expect.objectContaining({ user: 'alice', action: 'validate', namespace: ns, name: 'app' }),
    });
    // The reconciler takes it and records the request.
    await reconcileDeployment(deps, { namespace: ns, name: 'app' });
    const after = await kd();
    expect(after.metadata.annotations?.['kluctl.io/request-validate']).toBeUndefined();
    expect(after.status?.validateRequestResult?.request.requestValue).toBe(r.body.requestValue);
  }, 120_000);

  it('suspends and resumes through spec.suspend', async () => {
    const admin = await login('alice', 'alice-pw');
    expect((await act(admin, 'suspend')).status).toBe(202);
    expect((await kd()).spec.suspend).toBe(true);
    expect((await act(admin, 'resume')).status).toBe(202);
    expect((await kd()).spec.suspend).toBe(false);
  });

  it('approves only the hash shown, which then deploys', async () => {
    const admin = await login('alice', 'alice-pw');
    const hash = (await kd()).status!.lastObjectsHash!;
    const stale = await act(admin, 'approve', { body: { hash: 'f'.repeat(64) } });
    expect(stale.status).toBe(409);
    expect(stale.body.message).toMatch(/approve again/);
    expect((await act(admin, 'approve', { body: { hash } })).status).toBe(202);
    expect((await kd()).spec.manualObjectsHash).toBe(hash);
    await reconcileDeployment(deps, { namespace: ns, name: 'app' });
    const cm = await kubectlJson<{ data: { k: string } }>(['get', 'configmap', 'cm', '-n', ns]);
    expect(cm.data.k).toBe('v2');
    const list = (await get(admin, '/api/deployments')).body as {
      deployments: { approvalPending?: string }[];
    };
    expect(list.deployments[0]!.approvalPending).toBeUndefined();
  }, 120_000);

  it('streams the list and its changes as server-sent events', async () => {
    const admin = await login('alice', 'alice-pw');
    const ctrl = new AbortController();
    const res = await fetch(`${base}/api/events`, { headers: { cookie: admin.cookie }, signal: ctrl.signal });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    const next = async (pred: (t: string) => boolean): Promise<void> => {
      while (!pred(text)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended: ${text}`);
        text += Buffer.from(value).toString('utf8');
      }
    };
    await next((t) => /event: deployments\n.*\ndata: .*"suspended":false/.test(t));
    text = '';
    expect((await act(admin, 'suspend')).status).toBe(202);
    await next((t) => /"suspended":true/.test(t));
    ctrl.abort();
    await act(admin, 'resume');
  });

  it('serves the page and the vendored libraries with a strict Content-Security-Policy', async () => {
    const page = await fetch(`${base}/ui/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    const html = await page.text();
    expect(html).not.toMatch(/https?:\/\//);
    for (const f of ['app.js', 'vendor/preact.mjs', 'vendor/hooks.mjs', 'vendor/htm.mjs']) {
      const r = await fetch(`${base}/ui/${f}`);
      expect([f, r.status, r.headers.get('content-type')]).toEqual([
        f,
        200,
        'text/javascript; charset=utf-8',
      ]);
      expect(await r.text()).not.toMatch(/from\s*"preact"/);
    }
  });
});
