/**
 * Composition root of the web UI function, built on first use and again after {@link REFRESH_MS} (so
 * added users and a rotated key take effect without a deploy), from the environment the CDK app sets:
 * `STATE_BUCKET` (mirrors and reconcile logs), `CLUSTER_SECRET_PREFIX` (the cluster registry the
 * reconcile function uses; the UI's actions patch the deployment on its cluster with that kubeconfig),
 * `WEBUI_USERS_SECRET_ARN` (the users file, YAML or JSON `{users: [{name, role, passwordHash}]}`, as
 * `run --webui-users`), `WEBUI_SESSION_KEY_SECRET_ARN` (the key that signs session cookies), and
 * optionally `WEBUI_OIDC_ISSUER_URL`, `WEBUI_OIDC_CLIENT_ID`, `WEBUI_OIDC_CLIENT_SECRET_ARN`,
 * `WEBUI_OIDC_REDIRECT_URL`, `WEBUI_OIDC_ADMINS_GROUP`, `WEBUI_OIDC_VIEWERS_GROUP`. `S3_ENDPOINT` and
 * `SECRETS_ENDPOINT` are for LocalStack.
 */
import { AwsSdkSecretsReader } from '../../lib/adapters/aws-secrets.js';
import { createS3StateStore } from '../../lib/adapters/s3-factory.js';
import { createSecretsClusterRegistry } from '../../lib/adapters/secrets-cluster-registry.js';
import { KsError } from '../../lib/errors.js';
import { jsonLogger } from '../../lib/logging/json-logger.js';
import { systemClock } from '../../lib/ports.js';
import { ClusterClients } from '../../lib/serverless/cluster-clients.js';
import { mirroredClusters } from '../../lib/webui/mirrored-webui-cluster.js';
import type { OidcConfig } from '../../lib/webui/oidc.js';
import { SignedSessions } from '../../lib/webui/signed-sessions.js';
import { parseWebuiUsers } from '../../lib/webui/users.js';
import { createWebui } from '../../lib/webui/webui-http.js';
import type { Webui } from '../../lib/webui/webui-http.js';
import { connectCluster } from '../shared/connect-cluster.js';

/** How long one set of users, key and OIDC settings is used before the secrets are read again. */
export const REFRESH_MS = 5 * 60_000;

/** Live updates: the page polls this often, as the HTTP API cannot stream. */
const POLL_MS = 5000;

let cached: { readonly webui: Promise<Webui>; readonly at: number } | undefined;

/** The web UI of this function instance. */
export function webuiFunction(env: NodeJS.ProcessEnv = process.env): Promise<Webui> {
  if (!cached || Date.now() - cached.at > REFRESH_MS) {
    const webui = buildWebuiFunction(env);
    webui.catch(() => (cached = undefined));
    cached = { webui, at: Date.now() };
  }
  return cached.webui;
}

/** Builds the web UI from `env` (uncached; tests pass their own environment). */
export async function buildWebuiFunction(env: NodeJS.ProcessEnv): Promise<Webui> {
  const region = env.AWS_REGION ? { region: env.AWS_REGION } : {};
  const store = createS3StateStore({
    bucket: required(env, 'STATE_BUCKET', 'the state bucket name'),
    ...(env.S3_ENDPOINT ? { endpoint: env.S3_ENDPOINT } : {}),
    ...region,
  });
  const registry = createSecretsClusterRegistry({
    ...(env.CLUSTER_SECRET_PREFIX ? { prefix: env.CLUSTER_SECRET_PREFIX } : {}),
    ...(env.SECRETS_ENDPOINT ? { endpoint: env.SECRETS_ENDPOINT } : {}),
    ...region,
  });
  const secrets = new AwsSdkSecretsReader(env.SECRETS_ENDPOINT ? { endpoint: env.SECRETS_ENDPOINT } : {});
  const usersArn = required(env, 'WEBUI_USERS_SECRET_ARN', "the web UI users secret's ARN");
  const keyArn = required(env, 'WEBUI_SESSION_KEY_SECRET_ARN', "the session key secret's ARN");
  const [usersText, keyText] = await Promise.all([
    secrets.requireSecretString(usersArn, env.AWS_REGION),
    secrets.requireSecretString(keyArn, env.AWS_REGION),
  ]);
  const users = parseWebuiUsers(usersText, `secret ${usersArn}`);
  const key = Buffer.from(keyText, 'utf8');
  const oidc = await oidcConfig(env, (arn) => secrets.requireSecretString(arn, env.AWS_REGION));
  const logger = jsonLogger((l) => process.stdout.write(`${l}\n`));
  const clients = new ClusterClients(registry, connectCluster);
  return createWebui({
    clusters: () =>
      mirroredClusters({ store, logger, connect: async (id) => (await clients.forCluster(id))?.kube }),
    users,
    ...(oidc ? { oidc } : {}),
    clock: systemClock,
    logger,
    ...(env.WEBUI_ASSETS_DIR ? { assetsDir: env.WEBUI_ASSETS_DIR } : {}),
    // The HTTP API is HTTPS only.
    secureCookies: env.WEBUI_INSECURE_COOKIES !== 'true',
    sessions: new SignedSessions(key, systemClock),
    // Separate HMAC domains (lib/webui/oidc.ts prefixes its inputs), one key.
    oidcStateKey: key,
    stream: false,
    pollMs: POLL_MS,
  });
}

/** OIDC login from `WEBUI_OIDC_*`; undefined without an issuer. */
async function oidcConfig(
  env: NodeJS.ProcessEnv,
  readSecret: (arn: string) => Promise<string>,
): Promise<OidcConfig | undefined> {
  if (!env.WEBUI_OIDC_ISSUER_URL) return undefined;
  const need = (name: string, what: string): string => required(env, name, what);
  return {
    issuerUrl: env.WEBUI_OIDC_ISSUER_URL,
    clientId: need('WEBUI_OIDC_CLIENT_ID', 'the OIDC client id (webuiOidc.clientId)'),
    ...(env.WEBUI_OIDC_CLIENT_SECRET_ARN
      ? { clientSecret: await readSecret(env.WEBUI_OIDC_CLIENT_SECRET_ARN) }
      : {}),
    redirectUrl: need('WEBUI_OIDC_REDIRECT_URL', '<API URL>/ui/api/auth/oidc/callback'),
    adminsGroup: need('WEBUI_OIDC_ADMINS_GROUP', 'the OIDC group of admins (webuiOidc.adminsGroup)'),
    ...(env.WEBUI_OIDC_VIEWERS_GROUP ? { viewersGroup: env.WEBUI_OIDC_VIEWERS_GROUP } : {}),
  };
}

function required(env: NodeJS.ProcessEnv, name: string, what: string): string {
  const v = env[name];
  if (!v) throw new KsError('InvalidInput', `${name} is not set; the CDK app sets it to ${what}`);
  return v;
}
