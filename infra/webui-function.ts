/**
 * The web UI on AWS (docs/adr/0013-web-ui.md): one function behind `ANY /ui` and `ANY /ui/{proxy+}` of
 * the HTTP API, serving the page and its JSON API as `run --listen` does. It reads the mirrors and the
 * reconcile logs from the state bucket (no writes, no other prefixes), the registered clusters'
 * kubeconfigs (its actions patch the KluctlDeployment on its cluster, as `kluctl gitops` does), and two
 * secrets this construct creates: the users (empty until an operator adds some) and the key that signs
 * session cookies.
 */
import { Duration } from 'aws-cdk-lib';
import type { IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import type { Code } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { ClusterSecrets } from './cluster-secrets.js';
import { NodeFunction } from './node-function.js';
import type { StateBucket } from './state-bucket.js';

/** OIDC login of the web UI (Kluctl's Webui `--auth-oidc-*`). */
export interface WebuiOidcProps {
  readonly issuerUrl: string;
  readonly clientId: string;
  /** Secret holding the client secret. @default none (a public client, PKCE only) */
  readonly clientSecretArn?: string;
  /** `<ApiUrl>/ui/api/auth/oidc/callback`, as registered at the provider. */
  readonly redirectUrl: string;
  readonly adminsGroup: string;
  /** @default everyone the provider authenticates who is not an admin is refused */
  readonly viewersGroup?: string;
}

/** Props of {@link WebuiFunction}. */
export interface WebuiFunctionProps {
  readonly stateBucket: StateBucket;
  readonly clusters: ClusterSecrets;
  readonly logRetention: RetentionDays;
  /** @default none */
  readonly oidc?: WebuiOidcProps;
  /** Prebuilt code (tests). @default functions/webui/handler.ts bundled locally */
  readonly code?: Code;
  /** @default none */
  readonly alarmActions?: readonly IAlarmAction[];
}

/** Key prefixes the web UI reads (lib/state/layout.ts): mirrors and the reconcile logs. */
const READ_PREFIXES = ['clusters/*', 'results/*'] as const;

/** The web UI function, its users secret and its session key. */
export class WebuiFunction extends Construct {
  readonly fn: NodeFunction;
  /** `{"users": [{name, role, passwordHash}]}`; add users with `kluctl-serverless webui hash-password`. */
  readonly usersSecret: ISecret;
  /** Random key that signs session cookies; rotating it logs everyone out. */
  readonly sessionKey: ISecret;

  constructor(scope: Construct, id: string, props: WebuiFunctionProps) {
    super(scope, id);
    this.usersSecret = new Secret(this, 'Users', {
      description:
        'kluctl-serverless web UI users: {"users":[{"name","role":"admin|viewer","passwordHash"}]}',
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ users: [] }),
        // Required by the API; the generated key is ignored by the users parser.
        generateStringKey: 'unused',
        passwordLength: 8,
        excludePunctuation: true,
      },
    });
    this.sessionKey = new Secret(this, 'SessionKey', {
      description: 'kluctl-serverless web UI: key signing session cookies',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    const oidc = props.oidc;
    this.fn = new NodeFunction(this, 'Webui', {
      entry: 'functions/webui/handler.ts',
      code: props.code,
      description: 'kluctl-serverless web UI',
      timeout: Duration.seconds(29),
      // scrypt password checks take 32 MiB each, and more memory means more CPU for them.
      memorySize: 512,
      environment: {
        STATE_BUCKET: props.stateBucket.bucket.bucketName,
        CLUSTER_SECRET_PREFIX: props.clusters.prefix,
        WEBUI_USERS_SECRET_ARN: this.usersSecret.secretArn,
        WEBUI_SESSION_KEY_SECRET_ARN: this.sessionKey.secretArn,
        ...(oidc
          ? {
              WEBUI_OIDC_ISSUER_URL: oidc.issuerUrl,
              WEBUI_OIDC_CLIENT_ID: oidc.clientId,
              WEBUI_OIDC_REDIRECT_URL: oidc.redirectUrl,
              WEBUI_OIDC_ADMINS_GROUP: oidc.adminsGroup,
              ...(oidc.clientSecretArn ? { WEBUI_OIDC_CLIENT_SECRET_ARN: oidc.clientSecretArn } : {}),
              ...(oidc.viewersGroup ? { WEBUI_OIDC_VIEWERS_GROUP: oidc.viewersGroup } : {}),
            }
          : {}),
      },
      logRetention: props.logRetention,
      alarmActions: props.alarmActions,
    });
    const role = this.fn.function;
    props.stateBucket.grantPrefixRead(role, READ_PREFIXES);
    props.clusters.grantRead(role);
    this.usersSecret.grantRead(role);
    this.sessionKey.grantRead(role);
    if (oidc?.clientSecretArn) {
      Secret.fromSecretCompleteArn(this, 'OidcClientSecret', oidc.clientSecretArn).grantRead(role);
    }
  }
}
