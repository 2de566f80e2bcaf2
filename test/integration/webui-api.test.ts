/**
 * The web UI's JSON API against the real API server and the real reconciler: a deployment deployed,
 * then changed while `manual`, so it waits for approval with drift; the API lists it, shows its
 * detail, results and diffs (Secret values never), refuses what a viewer or a cross-site page asks,
 * and its actions set the same annotations and fields as `kluctl gitops` and Kluctl's Webui.
 */
import type { KluctlDeployment } from '../../lib/api/types.js';
import { kubectlJson } from '../support/test-env.js';
import { SECRET_V1, SECRET_V2, startWebuiScenario } from './webui-scenario.js';
import type { WebuiScenario } from './webui-scenario.js';

let sc: WebuiScenario;
let base: string;
let ns: string;
let clusterId: string;

beforeAll(async () => {
  sc = await startWebuiScenario('webui-api');
  ({ base, ns, clusterId } = sc);
}, 180_000);

afterAll(async () => {
  await sc?.close();
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
      project: sc.repo.url,
      target: 't1',
      suspended: false,
      manual: true,
      approvalPending: status.lastObjectsHash,
      drift: status.lastDriftDetectionResultMessage,
      lastDeploy: { id: status.lastDeployResult!.id, newObjects: 2 },
    });
    // The pending change is drift: what the approver reviews.
    expect(row.drift).toBe('2 chg');
  });

  it('shows the detail, the result history and a diff result, never a Secret value', async () => {
    // The diff the approver reads: a diff request, as the UI's Diff button sends it.
    const admin = await login('alice', 'alice-pw');
    expect((await act(admin, 'diff')).status).toBe(202);
    await sc.reconcile();

    const s = await login('victor', 'victor-pw');
    const r = await get(s, `/api/deployments/${clusterId}/${ns}/app`);
    expect(r.status).toBe(200);
    const d = r.body as {
      conditions: { type: string }[];
      spec: { manual: boolean };
      status: {
        lastDriftDetectionResult: {
          objects: { ref: { kind: string }; changes?: { unifiedDiff: string }[] }[];
        };
      };
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
    const drifted = d.status.lastDriftDetectionResult.objects;
    expect(drifted.find((o) => o.ref.kind === 'ConfigMap')?.changes?.[0]?.unifiedDiff).toMatch(
      /-v1[\s\S]*\+v2/,
    );
    expect(drifted.find((o) => o.ref.kind === 'Secret')?.changes?.[0]?.unifiedDiff).toMatch(
      /\*\*\*\*\* \(obfuscated\)/,
    );
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
    expect(sc.log.some((a) => a.msg === 'web UI action refused' && a.fields?.user === 'victor')).toBe(true);
  });

  it('sets the request annotation as kluctl gitops does, and logs who asked', async () => {
    const admin = await login('alice', 'alice-pw');
    const r = await act(admin, 'validate');
    expect(r.status).toBe(202);
    const annotation = (await kd()).metadata.annotations?.['kluctl.io/request-validate'];
    expect(JSON.parse(annotation!)).toEqual({ requestValue: r.body.requestValue });
    expect(sc.log).toContainEqual({
      msg: 'web UI action',
      fields: expect.objectContaining({ user: 'alice', action: 'validate', namespace: ns, name: 'app' }),
    });
    // The reconciler takes it and records the request.
    await sc.reconcile();
    const after = await kd();
    expect(after.metadata.annotations?.['kluctl.io/request-validate']).toBeUndefined();
    expect(after.status?.validateRequestResult?.request.requestValue).toBe(r.body.requestValue);
    // Its log lines are kept under its reconcile id and shown.
    const logs = await get(admin, `/api/deployments/${clusterId}/${ns}/app/logs`);
    const kept = (logs.body as { logs: { reconcileId: string; lines: { msg: string }[] }[] }).logs;
    const mine = kept.find((l) => l.reconcileId === after.status?.validateRequestResult?.reconcileId);
    expect(mine?.lines.length).toBeGreaterThan(0);
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
    await sc.reconcile();
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
