/**
 * `kluctl-serverless run`: the local runner. It watches KluctlDeployments (list-then-watch, listing on
 * the tick while the watch is down), and with `--listen` serves `/healthz`, `/metrics` and
 * `/webhook/<provider>`; the webhook secret comes from `--webhook-secret-file` or
 * `$KLUCTL_SERVERLESS_WEBHOOK_SECRET`; given users (bin/commands/webui.ts), it also serves the web UI
 * at `/ui/`. SIGTERM/SIGINT stop it gracefully: no new requests or
 * reconciles, running reconciles finish (status written, leases released); a second signal exits.
 */
import { readFile } from 'node:fs/promises';
import { HttpKubeWatcher } from '../../lib/adapters/http-kube-watcher.js';
import { GITOPS_GROUP, GITOPS_VERSION, KD_KIND } from '../../lib/api/constants.js';
import type { KluctlDeployment } from '../../lib/api/types.js';
import { KsError, errorMessage } from '../../lib/errors.js';
import { LocalRunner } from '../../lib/runner/local-runner.js';
import { startRunnerHttp } from '../../lib/runner/runner-http.js';
import type { RunnerHttp } from '../../lib/runner/runner-http.js';
import { RunnerMetrics } from '../../lib/runner/runner-metrics.js';
import { renderMetrics } from '../../lib/reconcile/metrics.js';
import { formatStatusTable } from '../../lib/runner/status-table.js';
import { parseWebhookSecrets, staticWebhookSecrets } from '../../lib/serverless/webhook-secrets.js';
import type { WebhookSecretSet } from '../../lib/serverless/webhook-secrets.js';
import { DeploymentInformer } from '../../lib/shim/deployment-informer.js';
import { systemClock } from '../../lib/ports.js';
import { KubeWebuiCluster } from '../../lib/webui/webui-cluster.js';
import { createWebui } from '../../lib/webui/webui-http.js';
import type { Webui } from '../../lib/webui/webui-http.js';
import { kubeClient, reconcileDeps } from '../compose.js';
import type { ClusterFlags, StateFlags } from '../compose.js';
import { loadWebuiUsers, webuiOidcConfig } from './webui.js';
import type { WebuiFlags } from './webui.js';

interface RunFlags extends ClusterFlags, StateFlags, WebuiFlags {
  namespace?: string;
  tick: string;
  concurrency: string;
  once?: boolean;
  debug?: boolean;
  defaultServiceAccount?: string;
  quietSteadyState?: boolean;
  listen?: string;
  webhookSecretFile?: string;
  /** `--no-watch` sets it to false. */
  watch: boolean;
}

/** The environment variable holding the webhook secret (text or JSON, see webhook-secrets.ts). */
export const WEBHOOK_SECRET_ENV = 'KLUCTL_SERVERLESS_WEBHOOK_SECRET';

/** Runs until Ctrl-C, or reconciles everything once with --once. */
export async function run(flags: RunFlags): Promise<void> {
  const secrets = await webhookSecrets(flags);
  // The watch-backed object caches pay off only across reconciles (ADR 0014): not for --once.
  const { deps, kube, stateWhere, stopCaches } = await reconcileDeps({ ...flags, objectCache: !flags.once });
  const metrics = new RunnerMetrics();
  const runner = new LocalRunner(deps, {
    ...(flags.namespace ? { namespace: flags.namespace } : {}),
    tickMs: Number(flags.tick) * 1000,
    concurrency: Number(flags.concurrency),
    metrics,
    onReconciled: (key, o) => process.stderr.write(`${key}: ${o.outcome}: ${o.message}\n`),
    ...(flags.watch && !flags.once
      ? {
          watch: (onChange) =>
            new DeploymentInformer({
              watcher: new HttpKubeWatcher(kube, () => kubeClient(flags)),
              ...(flags.namespace ? { namespace: flags.namespace } : {}),
              onChange,
              logger: deps.logger.child({ component: 'watch' }),
            }),
        }
      : {}),
  });
  if (flags.once) {
    await runner.tick();
    await printTable(kube, flags.namespace);
    kube.close();
    return;
  }
  let http: RunnerHttp | undefined;
  let webui: Webui | undefined;
  if (flags.listen) {
    const users = await loadWebuiUsers(flags, kube);
    const oidc = webuiOidcConfig(flags);
    webui =
      users || oidc
        ? await createWebui({
            clusters: [
              new KubeWebuiCluster(kube, {
                store: deps.store,
                ...(flags.namespace ? { namespace: flags.namespace } : {}),
              }),
            ],
            users: users ?? [],
            ...(oidc ? { oidc } : {}),
            clock: systemClock,
            logger: deps.logger,
          })
        : undefined;
    http = await startRunnerHttp({
      ...(webui ? { webui } : {}),
      listen: flags.listen,
      ...(secrets
        ? {
            webhook: {
              secrets: staticWebhookSecrets(secrets),
              store: deps.store,
              queue: runner.queue,
              logger: deps.logger.child({ component: 'webhook' }),
            },
          }
        : {}),
      health: () => runner.health(),
      // The runner's own figures, then Kluctl's controller metrics (kluctldeployments_*, gotk_*).
      metrics: () => metrics.render(runner.gauges()) + renderMetrics(),
      onWebhook: (provider, status) => metrics.webhook(provider, status),
      logger: deps.logger,
    });
    process.stderr.write(
      `listening on http://${http.address} (/healthz, /metrics${secrets ? ', /webhook/<provider>' : ''}${webui ? ', web UI at /ui/' : ''})\n`,
    );
  }
  process.stderr.write(`local runner: state in ${stateWhere}; press Ctrl-C to stop\n`);
  runner.start();
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      process.stderr.write(`${signal}: stopping; running reconciles finish and write their status\n`);
      // A second signal means "now".
      process.once(signal, () => process.exit(130));
      // The web UI's live streams end first: the server closes only when no connection is left.
      webui?.close();
      void Promise.all([http?.close(), runner.stop()]).then(() => resolve());
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  await stopCaches();
  kube.close();
  process.stderr.write('stopped\n');
}

/** The webhook secrets from the flag's file or the environment; undefined when neither is set. */
async function webhookSecrets(flags: RunFlags): Promise<WebhookSecretSet | undefined> {
  if (flags.webhookSecretFile) {
    let text: string;
    try {
      text = await readFile(flags.webhookSecretFile, 'utf8');
    } catch (err) {
      throw new KsError(
        'InvalidInput',
        `cannot read --webhook-secret-file ${flags.webhookSecretFile}: ${errorMessage(err)}`,
        { cause: err },
      );
    }
    return parseWebhookSecrets(text, `--webhook-secret-file ${flags.webhookSecretFile}`);
  }
  const env = process.env[WEBHOOK_SECRET_ENV];
  if (env !== undefined && env !== '') return parseWebhookSecrets(env, `$${WEBHOOK_SECRET_ENV}`);
  if (flags.listen) {
    process.stderr.write(`webhooks are off: no --webhook-secret-file and no $${WEBHOOK_SECRET_ENV}\n`);
  }
  return undefined;
}

/** Prints the deployments like `kubectl get kluctldeployments`. */
export async function printTable(
  kube: Awaited<ReturnType<typeof reconcileDeps>>['kube'],
  namespace?: string,
): Promise<void> {
  const info = await kube.resolve(`${GITOPS_GROUP}/${GITOPS_VERSION}`, KD_KIND);
  if (!info) return;
  const kds = (await kube.list(info, namespace ? { namespace } : {})) as KluctlDeployment[];
  process.stdout.write(`${formatStatusTable(kds, new Date())}\n`);
}
