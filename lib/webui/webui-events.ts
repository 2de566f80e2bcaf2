/**
 * Live updates for the web UI (Server-Sent Events, as Kluctl's Webui streams its events): while at
 * least one browser listens, the deployments of every cluster are listed every `pollMs` and, when a
 * summary or a status changed, the new list is sent as one `deployments` event with a version number.
 * A list per interval costs one API call per cluster, whatever the number of browsers.
 */
import type { ServerResponse } from 'node:http';
import { errorMessage } from '../errors.js';
import type { Logger } from '../ports.js';
import type { DeploymentSummary } from './deployment-view.js';

/** Options of {@link DeploymentEvents}. */
export interface DeploymentEventsOptions {
  /** Reads the current summaries of every cluster. */
  readonly list: () => Promise<DeploymentSummary[]>;
  /** Time between lists while someone listens; default 2000 ms. */
  readonly pollMs?: number;
  readonly logger: Logger;
}

/** Keep-alive comment interval: proxies close idle streams after about a minute. */
const KEEPALIVE_MS = 20_000;

/** The SSE hub. */
export class DeploymentEvents {
  private readonly clients = new Set<ServerResponse>();
  private timer: NodeJS.Timeout | undefined;
  private last = '';
  private version = 0;
  private lastKeepalive = 0;
  private polling = false;

  constructor(private readonly opts: DeploymentEventsOptions) {}

  /**
   * Streams events to `res` until the browser goes away or `until` (ms since the epoch) has come; the
   * current list is sent at once.
   */
  subscribe(res: ServerResponse, until?: number): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 3000\n\n');
    this.clients.add(res);
    // Timers hold 32-bit delays: a stream that would outlive ~24 days simply is not cut.
    const left = until === undefined ? undefined : until - Date.now();
    const cut =
      left !== undefined && left < 2 ** 31 - 1 ? setTimeout(() => res.end(), Math.max(0, left)) : undefined;
    cut?.unref();
    res.on('close', () => {
      if (cut) clearTimeout(cut);
      this.clients.delete(res);
      if (this.clients.size === 0) this.stopPolling();
    });
    if (this.last) res.write(this.frame());
    this.startPolling();
  }

  /** Lists now and sends the list if it changed (after an action, so its effect shows at once). */
  async poke(): Promise<void> {
    if (this.clients.size > 0) await this.poll();
  }

  /** Ends every stream (runner shutdown). */
  close(): void {
    this.stopPolling();
    for (const c of this.clients) c.end();
    this.clients.clear();
  }

  private startPolling(): void {
    if (this.timer) return;
    const loop = async (): Promise<void> => {
      await this.poll();
      if (this.clients.size > 0) this.timer = setTimeout(() => void loop(), this.opts.pollMs ?? 2000);
      else this.timer = undefined;
    };
    this.timer = setTimeout(() => void loop(), 0);
  }

  private stopPolling(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const text = JSON.stringify(await this.opts.list());
      if (text !== this.last) {
        this.last = text;
        this.version++;
        const frame = this.frame();
        for (const c of this.clients) c.write(frame);
      } else if (Date.now() - this.lastKeepalive > KEEPALIVE_MS) {
        this.lastKeepalive = Date.now();
        for (const c of this.clients) c.write(': keepalive\n\n');
      }
    } catch (err) {
      this.opts.logger.warn('web UI: listing deployments for live updates failed', {
        error: errorMessage(err),
      });
    } finally {
      this.polling = false;
    }
  }

  private frame(): string {
    return `event: deployments\nid: ${this.version}\ndata: {"version":${this.version},"deployments":${this.last}}\n\n`;
  }
}
