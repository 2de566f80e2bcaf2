/**
 * The web UI's command-line parts: where `run --listen` takes its users from (a file, the
 * `$KLUCTL_SERVERLESS_WEBUI_USERS` variable, or a Kubernetes Secret, as Kluctl's Webui reads its
 * `webui-secret`), and `webui hash-password`, which makes a password hash for the users file.
 */
import { readFile } from 'node:fs/promises';
import { KsError, errorMessage } from '../../lib/errors.js';
import type { KubeClient } from '../../lib/ports.js';
import { hashPassword, parseWebuiUsers } from '../../lib/webui/users.js';
import type { WebuiUser } from '../../lib/webui/users.js';
import type { OidcConfig } from '../../lib/webui/oidc.js';

/** The environment variable that may hold the users file's text (e.g. set from a Secret). */
export const WEBUI_USERS_ENV = 'KLUCTL_SERVERLESS_WEBUI_USERS';
/** The key of the users Secret that holds the users file. */
export const WEBUI_USERS_SECRET_KEY = 'users.yaml';

/** The flags of `run` that configure the web UI. */
export interface WebuiFlags {
  webuiUsersFile?: string;
  webuiUsersSecret?: string;
  webuiOidcIssuerUrl?: string;
  webuiOidcClientId?: string;
  webuiOidcRedirectUrl?: string;
  webuiOidcAdminsGroup?: string;
  webuiOidcViewersGroup?: string;
}

/** The environment variable with the OIDC client secret (absent: a public client, PKCE alone). */
export const WEBUI_OIDC_SECRET_ENV = 'KLUCTL_SERVERLESS_WEBUI_OIDC_CLIENT_SECRET';

/** The OIDC login of `--webui-oidc-*`; undefined without an issuer. Throws naming a missing flag. */
export function webuiOidcConfig(flags: WebuiFlags): OidcConfig | undefined {
  if (!flags.webuiOidcIssuerUrl) return undefined;
  const need = (v: string | undefined, flag: string): string => {
    if (!v) throw new KsError('InvalidInput', `--webui-oidc-issuer-url needs ${flag} as well`);
    return v;
  };
  const secret = process.env[WEBUI_OIDC_SECRET_ENV];
  return {
    issuerUrl: flags.webuiOidcIssuerUrl,
    clientId: need(flags.webuiOidcClientId, '--webui-oidc-client-id'),
    redirectUrl: need(
      flags.webuiOidcRedirectUrl,
      '--webui-oidc-redirect-url (<UI base>/api/auth/oidc/callback)',
    ),
    adminsGroup: need(flags.webuiOidcAdminsGroup, '--webui-oidc-admins-group'),
    ...(flags.webuiOidcViewersGroup ? { viewersGroup: flags.webuiOidcViewersGroup } : {}),
    ...(secret ? { clientSecret: secret } : {}),
  };
}

/**
 * The web UI's users from `--webui-users-file`, `--webui-users-secret <namespace>/<name>` (key
 * `users.yaml`) or `$KLUCTL_SERVERLESS_WEBUI_USERS`; undefined when none is given (no web UI).
 */
export async function loadWebuiUsers(flags: WebuiFlags, kube: KubeClient): Promise<WebuiUser[] | undefined> {
  if (flags.webuiUsersFile) {
    let text: string;
    try {
      text = await readFile(flags.webuiUsersFile, 'utf8');
    } catch (err) {
      throw new KsError(
        'InvalidInput',
        `cannot read --webui-users-file ${flags.webuiUsersFile}: ${errorMessage(err)}`,
        { cause: err },
      );
    }
    return parseWebuiUsers(text, `--webui-users-file ${flags.webuiUsersFile}`);
  }
  if (flags.webuiUsersSecret) return parseWebuiUsers(...(await secretText(flags.webuiUsersSecret, kube)));
  const env = process.env[WEBUI_USERS_ENV];
  if (env) return parseWebuiUsers(env, `$${WEBUI_USERS_ENV}`);
  return undefined;
}

async function secretText(ref: string, kube: KubeClient): Promise<[string, string]> {
  const m = /^([a-z0-9-]+)\/([a-z0-9.-]+)$/.exec(ref);
  if (!m) {
    throw new KsError(
      'InvalidInput',
      `--webui-users-secret '${ref}' must be <namespace>/<name>, e.g. kluctl-system/webui-users`,
    );
  }
  const secret = await kube.get({ group: '', version: 'v1', kind: 'Secret', namespace: m[1]!, name: m[2]! });
  const data = (secret as { data?: Record<string, string> } | undefined)?.data?.[WEBUI_USERS_SECRET_KEY];
  if (data === undefined) {
    throw new KsError(
      'InvalidInput',
      `--webui-users-secret ${ref}: ${secret ? `no key ${WEBUI_USERS_SECRET_KEY}` : 'no such Secret'}; create it with: kubectl create secret generic ${m[2]} -n ${m[1]} --from-file=${WEBUI_USERS_SECRET_KEY}=users.yaml`,
    );
  }
  return [Buffer.from(data, 'base64').toString('utf8'), `Secret ${ref} key ${WEBUI_USERS_SECRET_KEY}`];
}

/** `webui hash-password`: reads a password from stdin (its first line) and prints its hash. */
export async function hashPasswordAction(): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin as AsyncIterable<Buffer>) chunks.push(c);
  const password = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  if (password === '') {
    throw new KsError(
      'InvalidInput',
      'no password on stdin, e.g. echo -n secret | kluctl-serverless webui hash-password',
    );
  }
  process.stdout.write(`${await hashPassword(password)}\n`);
}
