/**
 * The web UI's options and what its routes share: a leaf module, so the route modules
 * (webui-http.ts, webui-auth.ts) import it and not each other.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock, Logger } from '../ports.js';
import type { OidcConfig, OidcLogin } from './oidc.js';
import type { WebuiSessions } from './sessions.js';
import type { WebuiUser } from './users.js';
import type { WebuiApi } from './webui-api.js';
import type { WebuiCluster } from './webui-cluster.js';
import type { DeploymentEvents } from './webui-events.js';

/** Options of `createWebui` (webui-http.ts). */
export interface WebuiOptions {
  /** The clusters served, or a function listing them at each request (hosts that discover clusters). */
  readonly clusters: readonly WebuiCluster[] | (() => Promise<readonly WebuiCluster[]>);
  /** Static users; may be empty when OIDC is configured. */
  readonly users: readonly WebuiUser[];
  /** OIDC login (Kluctl's Webui `--auth-oidc-*`); default off. */
  readonly oidc?: OidcConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Folder of the page's files; default the package's `webui/`. */
  readonly assetsDir?: string;
  /** Set `Secure` on the cookie (serve behind HTTPS); default false, as the runner listens on HTTP. */
  readonly secureCookies?: boolean;
  /** Live update interval; default 2000 ms. */
  readonly pollMs?: number;
  /** Key that makes OIDC logins stateless (see OidcLogin); default none: pending logins in memory. */
  readonly oidcStateKey?: Uint8Array;
  /** Where sessions live; default in memory (one process). */
  readonly sessions?: WebuiSessions;
  /**
   * Whether `/api/events` streams (Server-Sent Events); default true. Hosts that cannot hold a response
   * open (API Gateway HTTP APIs buffer it) set false: the page then polls every `pollMs`.
   */
  readonly stream?: boolean;
}

/** What a route needs. */
export interface ApiContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly path: string;
  readonly sessions: WebuiSessions;
  readonly api: WebuiApi;
  readonly events: DeploymentEvents;
  readonly log: Logger;
  readonly opts: WebuiOptions;
  readonly oidc: OidcLogin | undefined;
}
