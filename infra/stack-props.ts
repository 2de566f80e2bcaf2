/**
 * Props of {@link KluctlServerlessStack} and their validation. Every optional prop documents its
 * default; `resolveStackProps` checks them before any construct is created, with messages that name the
 * prop and the fix (CDK design guidelines), and fills in the defaults in one place (STYLE.md rule 8).
 */
import { Duration, Token } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { Code } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { KsError } from '../lib/errors.js';
import type { WebuiOidcProps } from './webui-function.js';

/** Props of the kluctl-serverless stack. */
export interface KluctlServerlessStackProps extends StackProps {
  /**
   * KMS key that encrypts the state bucket; the functions get `kms:Decrypt` and `kms:GenerateDataKey`
   * on it. @default S3-managed encryption (SSE-S3)
   */
  readonly stateBucketKey?: IKey;
  /** How long clone-cache entries (`clone-cache/` prefix) live; whole days. @default 3 days */
  readonly cloneCacheExpiration?: Duration;
  /** How long overwritten or deleted state versions are kept; whole days. @default 30 days */
  readonly noncurrentVersionExpiration?: Duration;
  /**
   * Name prefix of the registered clusters' secrets (`<prefix><clusterId>`, one per cluster: its
   * kubeconfig and the shim's signing key). The functions may read only secrets under it. Ends in '/'.
   * @default 'kluctl-serverless/clusters/'
   */
  readonly clusterSecretPrefix?: string;
  /**
   * Complete ARN of an existing secret with the webhook signing secret(s) (a string, or JSON with one
   * key per provider: github, gitlab, gitea, bitbucket, generic). @default a new secret with a random
   * 48-character string, shared by all providers
   */
  readonly webhookSecretArn?: string;
  /** How often the schedule function looks for due deployments; 1 to 60 minutes. @default 1 minute */
  readonly scheduleInterval?: Duration;
  /** How long stored command results live at most; whole days. @default 90 days */
  readonly resultsExpiration?: Duration;
  /** Steady requests per second the ingest/webhook API accepts. @default 50 */
  readonly apiRateLimit?: number;
  /** Burst the ingest/webhook API accepts. @default 100 */
  readonly apiBurstLimit?: number;
  /** Age of the oldest queued reconcile that raises an alarm. @default 15 minutes */
  readonly queueAgeAlarmThreshold?: Duration;
  /** Prebuilt code of the front functions (tests). @default each entry bundled with esbuild */
  readonly frontCode?: {
    readonly ingest?: Code;
    readonly webhook?: Code;
    readonly schedule?: Code;
    readonly webui?: Code;
  };
  /** OIDC login of the web UI (static users are in the stack's WebuiUsersSecretArn). @default none */
  readonly webuiOidc?: WebuiOidcProps;
  /**
   * Directory that becomes the tools layer; it must contain `bin/kustomize` (a linux/amd64 binary),
   * which Lambda mounts at /opt/bin/kustomize. @default the pinned kustomize from
   * ~/.cache/kluctl-serverless (tools/versions.env), staged into a temporary directory
   */
  readonly toolsLayerDir?: string;
  /**
   * Code of the reconcile function, with handler `index.handler`; meant for tests and prebuilt
   * artifacts. @default functions/reconcile/handler.ts bundled locally with esbuild (ESM)
   */
  readonly reconcileCode?: Code;
  /** Timeout of one reconcile invocation; 1 to 15 minutes. @default 10 minutes */
  readonly reconcileTimeout?: Duration;
  /** Memory of the reconcile function in MB; 128 to 10240. @default 1024 */
  readonly reconcileMemorySize?: number;
  /** Reserved concurrency of the reconcile function. @default none (account's unreserved pool) */
  readonly reconcileReservedConcurrency?: number;
  /** Name of the reconcile FIFO queue; must end in `.fifo`. @default 'reconcile.fifo' */
  readonly queueName?: string;
  /**
   * Visibility timeout of the reconcile queue; longer than `reconcileTimeout`, at most 12 hours.
   * @default reconcileTimeout + 5 minutes
   */
  readonly queueVisibilityTimeout?: Duration;
  /** Deliveries of one message before it moves to the dead-letter queue; 1 to 1000. @default 5 */
  readonly maxReceiveCount?: number;
  /** Retention of the functions' log groups. @default one month */
  readonly logRetention?: RetentionDays;
  /** Topic notified when an alarm fires or recovers. @default none (alarms only show in CloudWatch) */
  readonly alarmTopic?: ITopic;
  /**
   * Service account, in each KluctlDeployment's namespace, that the reconcile function impersonates for
   * deployments without `spec.serviceAccountName` (Kluctl's `--default-service-account`). The cluster
   * identity of the kubeconfig secret then needs `impersonate` on `serviceaccounts`.
   * @default none: such deployments are reconciled with the kubeconfig secret's own identity
   */
  readonly defaultServiceAccount?: string;
  /**
   * A scheduled reconcile that changes nothing writes only the deployment's status: no end event, and a
   * validate result with the same findings as the last is not stored again (the status keeps its id).
   * Kluctl's controller writes all three every interval; this cuts the steady-state writes to the
   * cluster's API server to one per deployment and interval.
   * @default false: Kluctl's writes
   */
  readonly quietSteadyState?: boolean;
}

/** The props with every default filled in. */
export interface ResolvedStackProps {
  readonly stateBucketKey: IKey | undefined;
  readonly cloneCacheExpiration: Duration;
  readonly noncurrentVersionExpiration: Duration;
  readonly clusterSecretPrefix: string;
  readonly webhookSecretArn: string | undefined;
  readonly scheduleInterval: Duration;
  readonly resultsExpiration: Duration;
  readonly apiRateLimit: number;
  readonly apiBurstLimit: number;
  readonly queueAgeAlarmThreshold: Duration;
  readonly frontCode: KluctlServerlessStackProps['frontCode'];
  readonly webuiOidc: WebuiOidcProps | undefined;
  readonly toolsLayerDir: string | undefined;
  readonly reconcileCode: Code | undefined;
  readonly reconcileTimeout: Duration;
  readonly reconcileMemorySize: number;
  readonly reconcileReservedConcurrency: number | undefined;
  readonly queueName: string;
  readonly queueVisibilityTimeout: Duration;
  readonly maxReceiveCount: number;
  readonly logRetention: RetentionDays;
  readonly alarmTopic: ITopic | undefined;
  readonly defaultServiceAccount: string | undefined;
  readonly quietSteadyState: boolean;
}

const MAX_LAMBDA_TIMEOUT = Duration.minutes(15);
const MAX_VISIBILITY_TIMEOUT = Duration.hours(12);
// A complete secret ARN ends in the 6-character suffix Secrets Manager appends to the name; a partial
// ARN would make grants match other secrets with the same name prefix.
// Service account names are DNS subdomains (RFC 1123).
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const COMPLETE_SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+-[A-Za-z0-9]{6}$/;

/** Checks the props and fills in the defaults; throws a KsError('InvalidInput') naming the fix. */
export function resolveStackProps(props: KluctlServerlessStackProps): ResolvedStackProps {
  const reconcileTimeout = props.reconcileTimeout ?? Duration.minutes(10);
  checkRange(
    'reconcileTimeout',
    reconcileTimeout.toSeconds(),
    60,
    MAX_LAMBDA_TIMEOUT.toSeconds(),
    'seconds (Lambda allows at most 15 minutes)',
  );
  const queueVisibilityTimeout = props.queueVisibilityTimeout ?? reconcileTimeout.plus(Duration.minutes(5));
  if (queueVisibilityTimeout.toSeconds() <= reconcileTimeout.toSeconds()) {
    fail(
      `queueVisibilityTimeout (${queueVisibilityTimeout.toHumanString()}) must be longer than reconcileTimeout (${reconcileTimeout.toHumanString()}), or SQS redelivers a message while it is still being reconciled; raise it or leave it unset`,
    );
  }
  checkRange(
    'queueVisibilityTimeout',
    queueVisibilityTimeout.toSeconds(),
    1,
    MAX_VISIBILITY_TIMEOUT.toSeconds(),
    'seconds (SQS allows at most 12 hours)',
  );
  const memory = props.reconcileMemorySize ?? 1024;
  checkInteger('reconcileMemorySize', memory, 128, 10240);
  if (props.reconcileReservedConcurrency !== undefined)
    checkInteger('reconcileReservedConcurrency', props.reconcileReservedConcurrency, 1, 10000);
  const maxReceiveCount = props.maxReceiveCount ?? 5;
  checkInteger('maxReceiveCount', maxReceiveCount, 1, 1000);
  const queueName = props.queueName ?? 'reconcile.fifo';
  if (!Token.isUnresolved(queueName) && !/^[A-Za-z0-9_-]{1,71}\.fifo$/.test(queueName)) {
    fail(
      `queueName '${queueName}' is not a FIFO queue name; use letters, digits, '-' and '_' (at most 71) followed by '.fifo'`,
    );
  }
  const clusterSecretPrefix = props.clusterSecretPrefix ?? 'kluctl-serverless/clusters/';
  if (
    !Token.isUnresolved(clusterSecretPrefix) &&
    !/^[A-Za-z0-9/_+=.@-]{1,400}\/$/.test(clusterSecretPrefix)
  ) {
    fail(
      `clusterSecretPrefix '${clusterSecretPrefix}' is not a secret name prefix ending in '/'; use letters, digits and /_+=.@- only, e.g. 'kluctl-serverless/clusters/'`,
    );
  }
  const arn = props.webhookSecretArn;
  if (arn !== undefined && !Token.isUnresolved(arn) && !COMPLETE_SECRET_ARN.test(arn)) {
    fail(
      `webhookSecretArn '${arn}' is not a complete secret ARN; use the full ARN including the 6-character suffix (see 'aws secretsmanager describe-secret')`,
    );
  }
  const scheduleInterval = props.scheduleInterval ?? Duration.minutes(1);
  const minutes = scheduleInterval.toMinutes({ integral: false });
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > 60) {
    fail(
      `scheduleInterval is ${scheduleInterval.toHumanString()}; EventBridge rates count whole minutes, so use Duration.minutes(n) with 1 <= n <= 60`,
    );
  }
  const apiRateLimit = props.apiRateLimit ?? 50;
  checkInteger('apiRateLimit', apiRateLimit, 1, 10000);
  const apiBurstLimit = props.apiBurstLimit ?? 100;
  checkInteger('apiBurstLimit', apiBurstLimit, 1, 5000);
  const sa = props.defaultServiceAccount;
  if (sa !== undefined && !Token.isUnresolved(sa) && !DNS_SUBDOMAIN.test(sa)) {
    fail(
      `defaultServiceAccount '${sa}' is not a valid service account name; use lowercase letters, digits, '-' and '.' (at most 253), starting and ending with a letter or digit`,
    );
  }
  return {
    stateBucketKey: props.stateBucketKey,
    cloneCacheExpiration: wholeDays('cloneCacheExpiration', props.cloneCacheExpiration ?? Duration.days(3)),
    noncurrentVersionExpiration: wholeDays(
      'noncurrentVersionExpiration',
      props.noncurrentVersionExpiration ?? Duration.days(30),
    ),
    clusterSecretPrefix,
    webhookSecretArn: arn,
    scheduleInterval,
    resultsExpiration: wholeDays('resultsExpiration', props.resultsExpiration ?? Duration.days(90)),
    apiRateLimit,
    apiBurstLimit,
    queueAgeAlarmThreshold: props.queueAgeAlarmThreshold ?? Duration.minutes(15),
    frontCode: props.frontCode,
    webuiOidc: props.webuiOidc,
    toolsLayerDir: props.toolsLayerDir,
    reconcileCode: props.reconcileCode,
    reconcileTimeout,
    reconcileMemorySize: memory,
    reconcileReservedConcurrency: props.reconcileReservedConcurrency,
    queueName,
    queueVisibilityTimeout,
    maxReceiveCount,
    logRetention: props.logRetention ?? RetentionDays.ONE_MONTH,
    alarmTopic: props.alarmTopic,
    defaultServiceAccount: sa,
    quietSteadyState: props.quietSteadyState ?? false,
  };
}

function wholeDays(prop: string, d: Duration): Duration {
  const days = d.toDays({ integral: false });
  if (!Number.isInteger(days) || days < 1)
    fail(
      `${prop} is ${d.toHumanString()}; S3 lifecycle rules count whole days, so use Duration.days(n) with n >= 1`,
    );
  return d;
}

function checkRange(prop: string, value: number, min: number, max: number, unit: string): void {
  if (value < min || value > max) fail(`${prop} is ${value} ${unit}; use a value between ${min} and ${max}`);
}

function checkInteger(prop: string, value: number, min: number, max: number): void {
  if (!Token.isUnresolved(value) && (!Number.isInteger(value) || value < min || value > max)) {
    fail(`${prop} is ${value}; use a whole number between ${min} and ${max}`);
  }
}

function fail(message: string): never {
  throw new KsError('InvalidInput', message);
}
