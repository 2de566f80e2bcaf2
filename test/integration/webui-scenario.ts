/**
 * The web UI's test scenario, shared by the API test and the browser test: a deployment of a
 * ConfigMap and a Secret deployed once, then changed in Git while `manual`, so it waits for approval;
 * the web UI served on a free port with an admin (alice) and a viewer (victor); optionally a local
 * runner that reconciles what the UI asks for.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import { KubeSecretsResultStore } from '../../lib/adapters/kube-secrets-result-store.js';
import { systemClock } from '../../lib/ports.js';
import type { Logger } from '../../lib/ports.js';
import { reconcileDeployment } from '../../lib/reconcile/reconcile.js';
import type { ReconcileDeps } from '../../lib/reconcile/reconcile.js';
import { LocalRunner } from '../../lib/runner/local-runner.js';
import { hashPassword } from '../../lib/webui/users.js';
import { KubeWebuiCluster } from '../../lib/webui/webui-cluster.js';
import { createWebui } from '../../lib/webui/webui-http.js';
import type { Webui } from '../../lib/webui/webui-http.js';
import { applyKluctlDeployment, patchKluctlDeploymentSpec } from '../support/kluctl-deployment.js';
import { createRepo } from '../../devenv/git-repo.js';
import type { TestRepo } from '../../devenv/git-repo.js';
import { startGitServer } from '../../devenv/git-server.js';
import { startOidcProvider } from '../../devenv/oidc-provider.js';
import type { OidcProvider, OidcProviderOptions } from '../../devenv/oidc-provider.js';
import type { GitServer } from '../../devenv/git-server.js';
import { testReconcileDeps } from '../support/reconcile-scenario.js';
import { createTestNamespace, installCrds, testEnv } from '../support/test-env.js';

/** Secret values of the two commits: they must never reach a browser. */
export const SECRET_V1 = 'hunter2-first-secret';
export const SECRET_V2 = 'hunter2-second-secret';

/** The users of the scenario: name → password. */
export const USERS = { admin: ['alice', 'alice-pw'], viewer: ['victor', 'victor-pw'] } as const;

/** The user the scenario's OIDC provider logs in (an admin by group). */
export const OIDC_USER = { sub: 'u1', email: 'ada@example.com', groups: ['kluctl-admins'] };

/** One log line the UI wrote (the audit trail is part of what is tested). */
export interface LogLine {
  readonly msg: string;
  readonly fields?: Record<string, unknown>;
}

/** A running scenario. */
export interface WebuiScenario {
  readonly ns: string;
  readonly clusterId: string;
  readonly repo: TestRepo;
  readonly deps: ReconcileDeps;
  /** `http://127.0.0.1:PORT`. */
  readonly base: string;
  readonly log: LogLine[];
  /** The OIDC provider, when the scenario has one. */
  readonly oidc?: OidcProvider;
  /** Reconciles the deployment once, in this process. */
  reconcile(): Promise<void>;
  close(): Promise<void>;
}

function project(namespace: string, value: string, secret: string): Record<string, string> {
  return {
    '.kluctl.yml': `discriminator: "${namespace}-{{ target.name }}"\ntargets:\n  - name: t1\n`,
    'deployment.yml': 'deployments:\n  - path: app\n',
    'app/kustomization.yml': 'resources: [cm.yml, secret.yml]\n',
    'app/cm.yml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  namespace: ${namespace}\ndata:\n  k: '${value}'\n`,
    'app/secret.yml': `apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n  namespace: ${namespace}\nstringData:\n  password: '${secret}'\n`,
  };
}

/** An HTTP server on a free loopback port that answers with the web UI handed to `serve` later. */
export async function listenForWebui(): Promise<{
  readonly base: string;
  serve(webui: Webui): void;
  close(): Promise<void>;
}> {
  let webui: Webui | undefined;
  const http: Server = createServer((req, res) => {
    void webui!.handle(req, res).then((done) => {
      if (!done) res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
  return {
    base: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    serve: (w) => void (webui = w),
    close: async () => {
      webui?.close();
      http.closeAllConnections();
      await new Promise<void>((r) => http.close(() => r()));
    },
  };
}

/**
 * Starts the scenario in a new namespace; with `runner`, a local runner ticks every second; with
 * `oidc`, the UI also offers OIDC login at devenv's provider.
 */
export async function startWebuiScenario(
  prefix: string,
  opts: { runner?: boolean; oidc?: boolean | Partial<OidcProviderOptions> } = {},
): Promise<WebuiScenario> {
  const log: LogLine[] = [];
  const logger: Logger = {
    debug() {},
    info: (msg, fields) => void log.push({ msg, ...(fields ? { fields } : {}) }),
    warn: (msg, fields) => void log.push({ msg, ...(fields ? { fields } : {}) }),
    error: (msg, fields) => void log.push({ msg, ...(fields ? { fields } : {}) }),
    child: () => logger,
  };
  await installCrds();
  const gitServer: GitServer = await startGitServer();
  const kube = await HttpKubeClient.fromKubeconfig({ kubeconfigPath: testEnv().kubeconfigPath });
  const tmp = await mkdtemp(join(tmpdir(), `ks-${prefix}-`));
  const deps = testReconcileDeps({
    kube,
    workDir: tmp,
    holder: prefix,
    logger,
    kluctlResults: new KubeSecretsResultStore(kube),
  });
  const ns = await createTestNamespace(prefix);
  const repo = await createRepo(gitServer, ns, project(ns, 'v1', SECRET_V1));
  const reconcile = () => reconcileDeployment(deps, { namespace: ns, name: 'app' }).then(() => undefined);
  await applyKluctlDeployment(ns, 'app', {
    interval: '1h',
    target: 't1',
    source: { git: { url: repo.url } },
  });
  await reconcile();
  // A change that now waits for approval: rendered, not deployed.
  await repo.commit(project(ns, 'v2', SECRET_V2), 'v2');
  await patchKluctlDeploymentSpec(ns, 'app', { manual: true });
  await reconcile();

  const runner = opts.runner ? new LocalRunner(deps, { namespace: ns, tickMs: 1000 }) : undefined;
  runner?.start();
  // The server starts first: the OIDC callback URL needs its port.
  const http = await listenForWebui();
  const base = http.base;
  const oidc = opts.oidc
    ? await startOidcProvider({
        clientId: 'kluctl-webui',
        user: OIDC_USER,
        ...(typeof opts.oidc === 'object' ? opts.oidc : {}),
      })
    : undefined;
  const webui = await createWebui({
    clusters: [new KubeWebuiCluster(kube, { namespace: ns, store: deps.store })],
    users: [
      { name: USERS.admin[0], role: 'admin', passwordHash: await hashPassword(USERS.admin[1]) },
      { name: USERS.viewer[0], role: 'viewer', passwordHash: await hashPassword(USERS.viewer[1]) },
    ],
    ...(oidc
      ? {
          oidc: {
            issuerUrl: oidc.issuer,
            clientId: 'kluctl-webui',
            redirectUrl: `${base}/api/auth/oidc/callback`,
            adminsGroup: 'kluctl-admins',
          },
        }
      : {}),
    clock: systemClock,
    logger,
    pollMs: 300,
  });
  http.serve(webui);
  return {
    ns,
    clusterId: await kube.clusterId(),
    repo,
    deps,
    base,
    log,
    ...(oidc ? { oidc } : {}),
    reconcile,
    close: async () => {
      await http.close();
      await oidc?.stop();
      await runner?.stop();
      kube.close();
      await gitServer.stop();
      await repo.cleanup();
      await rm(tmp, { recursive: true, force: true });
    },
  };
}
