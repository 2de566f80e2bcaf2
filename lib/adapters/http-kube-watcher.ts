/**
 * {@link KubeWatcher} over {@link HttpKubeClient}: paged lists that keep the list's resourceVersion, and
 * watches read as newline-separated JSON events from one streaming GET (the API's watch protocol).
 * A too-old resourceVersion, whether answered as HTTP 410 or as an `ERROR` event with code 410, ends
 * the watch with `expired`, so the caller lists again as client-go's reflector does.
 */
import type { IncomingMessage } from 'node:http';
import { KubeApiError } from '../errors.js';
import type {
  KubeObject,
  KubeWatcher,
  ResourceInfo,
  VersionedList,
  WatchEnd,
  WatchEvent,
  WatchOptions,
} from '../ports.js';
import { collectionPath, type HttpKubeClient } from './http-kube-client.js';

/** Watch events as the API server sends them. */
interface RawEvent {
  readonly type?: string;
  readonly object?: KubeObject & { code?: number; message?: string; reason?: string };
}

/** How long past the requested timeout a silent watch is given before it is cut on this side. */
const SILENCE_GRACE_MS = 30_000;

/** Lists and watches through an HttpKubeClient; can build a fresh client when credentials expire. */
export class HttpKubeWatcher implements KubeWatcher {
  /**
   * @param reconnect Builds a new client (re-reading a rotated service-account token) after the API
   *   answered 401; default: keep the client.
   */
  constructor(
    private client: HttpKubeClient,
    private readonly reconnect?: () => Promise<HttpKubeClient>,
  ) {}

  async listVersioned(
    resource: ResourceInfo,
    opts: { namespace?: string; labelSelector?: string } = {},
  ): Promise<VersionedList> {
    const base = collectionPath(resource, opts.namespace);
    const apiVersion = resource.group ? `${resource.group}/${resource.version}` : resource.version;
    const items: KubeObject[] = [];
    let cont: string | undefined;
    let resourceVersion = '';
    do {
      const q = new URLSearchParams({ limit: '500' });
      if (opts.labelSelector) q.set('labelSelector', opts.labelSelector);
      if (cont) q.set('continue', cont);
      const body = (await this.guard(() => this.client.getPath(`${base}?${q}`, resource.plural))) as {
        items?: KubeObject[];
        metadata?: { continue?: string; resourceVersion?: string };
      };
      // List items come without apiVersion/kind; fill them in like HttpKubeClient.list.
      for (const it of body.items ?? []) items.push({ ...it, apiVersion, kind: resource.kind });
      cont = body.metadata?.continue || undefined;
      resourceVersion = body.metadata?.resourceVersion ?? resourceVersion;
    } while (cont);
    return { items, resourceVersion };
  }

  async watch(
    resource: ResourceInfo,
    opts: WatchOptions,
    onEvent: (e: WatchEvent) => void,
  ): Promise<WatchEnd> {
    // client-go picks a random timeout between 5 and 10 minutes so that watches do not end together.
    const timeoutSeconds = opts.timeoutSeconds ?? 300 + Math.floor(Math.random() * 300);
    const q = new URLSearchParams({
      watch: '1',
      allowWatchBookmarks: 'true',
      resourceVersion: opts.resourceVersion,
      timeoutSeconds: String(timeoutSeconds),
    });
    if (opts.labelSelector) q.set('labelSelector', opts.labelSelector);
    const path = `${collectionPath(resource, opts.namespace)}?${q}`;
    const local = new AbortController();
    const onAbort = (): void => local.abort();
    opts.signal.addEventListener('abort', onAbort, { once: true });
    const silence = setTimeout(() => local.abort(), timeoutSeconds * 1000 + SILENCE_GRACE_MS);
    try {
      const res = await this.guard(async () => {
        const r = await this.client.openStream(path, local.signal);
        if (r.statusCode === 410 || (r.statusCode ?? 0) < 300) return r;
        throw await httpError(r, resource.plural);
      });
      if (res.statusCode === 410) {
        res.resume();
        return 'expired';
      }
      return await readEvents(res, local.signal, onEvent);
    } catch (err) {
      if (local.signal.aborted) return 'closed';
      throw err;
    } finally {
      clearTimeout(silence);
      opts.signal.removeEventListener('abort', onAbort);
    }
  }

  /** Runs `fn`; after a 401, swaps in a fresh client (when it can) before passing the error on. */
  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 401 && this.reconnect) {
        const old = this.client;
        this.client = await this.reconnect();
        old.close();
      }
      throw err;
    }
  }
}

/** Reads events until the stream ends (`closed`) or reports 410 (`expired`); other errors throw. */
function readEvents(
  res: IncomingMessage,
  signal: AbortSignal,
  onEvent: (e: WatchEvent) => void,
): Promise<WatchEnd> {
  return new Promise((resolve, reject) => {
    let buf = '';
    let done = false;
    const finish = (end: WatchEnd | Error): void => {
      if (done) return;
      done = true;
      res.destroy();
      if (end instanceof Error) reject(end);
      else resolve(end);
    };
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buf += chunk;
      for (let nl = buf.indexOf('\n'); nl >= 0 && !done; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!line) continue;
        const outcome = handleLine(line, onEvent);
        if (outcome) finish(outcome);
      }
    });
    res.on('end', () => finish('closed'));
    res.on('close', () => finish('closed'));
    res.on('error', (err) =>
      finish(
        signal.aborted
          ? 'closed'
          : new KubeApiError('KubeApi', `watch stream broke: ${err.message}`, {
              cause: err,
              retryable: true,
            }),
      ),
    );
  });
}

/** Delivers one event line; returns how the watch ends when the line ends it. */
function handleLine(line: string, onEvent: (e: WatchEvent) => void): WatchEnd | Error | undefined {
  let ev: RawEvent;
  try {
    ev = JSON.parse(line) as RawEvent;
  } catch {
    return new KubeApiError('KubeApi', 'the watch sent a line that is not JSON', { retryable: true });
  }
  const obj = ev.object;
  if (ev.type === 'ERROR') {
    if (obj?.code === 410) return 'expired';
    return new KubeApiError('KubeApi', `watch error: ${obj?.message ?? 'unknown'}`, {
      status: obj?.code,
      retryable: true,
    });
  }
  if (
    obj &&
    (ev.type === 'ADDED' || ev.type === 'MODIFIED' || ev.type === 'DELETED' || ev.type === 'BOOKMARK')
  ) {
    onEvent({ type: ev.type, object: obj });
  }
  return undefined;
}

/** The KubeApiError of a watch request the server refused before streaming. */
async function httpError(res: IncomingMessage, what: string): Promise<KubeApiError> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  let message = `HTTP ${res.statusCode}`;
  try {
    message = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { message?: string }).message ?? message;
  } catch {
    // Not a Status object: keep the HTTP status.
  }
  const status = res.statusCode ?? 0;
  return new KubeApiError(status === 404 ? 'KubeNotFound' : 'KubeApi', `WATCH ${what}: ${message}`, {
    status,
    retryable: status === 429 || status >= 500,
    apiMessage: message,
  });
}
