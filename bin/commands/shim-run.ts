/**
 * `kluctl-serverless shim`, what it does (declared in shim.ts): the in-cluster shim (lib/shim/shim.ts).
 * This is its composition root: it reads flags, the key file and the environment once, builds the
 * watcher and the ingest endpoint, serves /healthz when asked to, and stops cleanly on SIGTERM.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { FetchIngestEndpoint } from '../../lib/adapters/fetch-ingest-endpoint.js';
import { HttpKubeWatcher } from '../../lib/adapters/http-kube-watcher.js';
import { parseDuration } from '../../lib/api/durations.js';
import { errorMessage, KsError } from '../../lib/errors.js';
import type { Logger } from '../../lib/ports.js';
import { Shim } from '../../lib/shim/shim.js';
import { parseShimKey, SHIM_KEY_FILE_ENV } from '../../lib/shim/shim-key.js';
import { cliLogger, kubeClient } from '../compose.js';
import type { ClusterFlags } from '../compose.js';

/** Runs the shim until SIGTERM or SIGINT. */
/** Flags of `shim`. */
export interface ShimFlags extends ClusterFlags {
  ingestUrl: string;
  keyFile?: string;
  clusterId?: string;
  namespace: string[];
  resyncInterval: string;
  listen?: string;
  debug?: boolean;
}

export async function runShim(flags: ShimFlags): Promise<void> {
  const log = cliLogger(flags.debug);
  const key = readKey(flags.keyFile ?? process.env[SHIM_KEY_FILE_ENV]);
  const ingestUrl = checkIngestUrl(flags.ingestUrl, log);
  const resyncIntervalMs = resyncInterval(flags.resyncInterval);
  const kube = await kubeClient(flags);
  const clusterId = flags.clusterId ?? (await readClusterId(kube));
  const shim = new Shim({
    watcher: new HttpKubeWatcher(kube, () => kubeClient(flags)),
    endpoint: new FetchIngestEndpoint(ingestUrl.href),
    clusterId,
    key,
    namespaces: flags.namespace,
    resyncIntervalMs,
    logger: log.child({ component: 'shim' }),
  });
  const health = flags.listen ? await serveHealth(flags.listen, shim, log) : undefined;
  shim.start();
  log.info('pushing to ingest', { ingest: `${ingestUrl.origin}${ingestUrl.pathname}` });
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      log.info('stopping', { signal });
      void shim.stop({ flush: true }).then(resolve);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  health?.close();
  kube.close();
}

function checkIngestUrl(raw: string, log: Logger): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new KsError(
      'InvalidInput',
      `--ingest-url ${JSON.stringify(raw)} is not a URL; give https://host/path`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new KsError('InvalidInput', `--ingest-url must be an http(s) URL, not ${url.protocol}`);
  }
  if (url.protocol === 'http:' && !['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)) {
    // Signatures protect integrity, not confidentiality: deployment specs would travel in clear text.
    log.warn('ingest URL is plain http; specs travel unencrypted', { host: url.host });
  }
  return url;
}

function readKey(path: string | undefined): Uint8Array {
  if (!path) {
    throw new KsError('InvalidInput', `no shim key: pass --key-file PATH or set ${SHIM_KEY_FILE_ENV}`);
  }
  let raw: Buffer;
  try {
    raw = readFileSync(path);
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'error';
    throw new KsError('InvalidInput', `cannot read the shim key file ${path} (${code}); check the path`, {
      cause: err,
    });
  }
  return parseShimKey(raw, path);
}

function resyncInterval(value: string): number {
  const ms = parseDuration(value);
  if (ms !== 0 && ms < 10_000) {
    throw new KsError(
      'InvalidInput',
      `--resync-interval ${value} is too short; use at least 10s (or 0 to disable)`,
    );
  }
  return ms;
}

async function readClusterId(kube: Awaited<ReturnType<typeof kubeClient>>): Promise<string> {
  try {
    return await kube.clusterId();
  } catch (err) {
    throw new KsError(
      'KubeApi',
      `cannot read the cluster id (UID of namespace kube-system): ${errorMessage(err)}; grant get on ` +
        'namespaces/kube-system (deploy/shim/rbac.yaml does) or pass --cluster-id',
      { cause: err },
    );
  }
}

/** Serves GET /healthz: 200 with the shim's state while it runs, 503 once it stopped. */
async function serveHealth(listen: string, shim: Shim, log: Logger): Promise<Server> {
  const m = /^(.*):(\d+)$/.exec(listen);
  if (!m) throw new KsError('InvalidInput', `--listen ${listen} is not host:port, e.g. 0.0.0.0:8080`);
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/healthz') {
      res.writeHead(404).end();
      return;
    }
    const state = shim.state();
    res.writeHead(state.running ? 200 : 503, { 'content-type': 'application/json' });
    res.end(JSON.stringify(state));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(m[2]), m[1] || undefined, resolve);
  });
  log.info('serving /healthz', { listen });
  return server;
}
