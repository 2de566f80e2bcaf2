/**
 * The kluctl-serverless stack (DESIGN.md §3, infra/): state bucket, reconcile FIFO queue with its
 * dead-letter queue, the registered clusters' secrets, tools layer, the reconcile function and the three
 * front functions (ingest, webhook, schedule) behind an HTTP API and an EventBridge rule, with alarms
 * and outputs. One stack serves many clusters: each is one secret under `clusterSecretPrefix`.
 */
import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { ClusterSecrets } from './cluster-secrets.js';
import { FrontFunctions } from './front-functions.js';
import { IngressApi } from './ingress-api.js';
import { WebuiFunction } from './webui-function.js';
import { ReconcileFunction } from './reconcile-function.js';
import { ReconcileQueue } from './reconcile-queue.js';
import { resolveStackProps } from './stack-props.js';
import type { KluctlServerlessStackProps } from './stack-props.js';
import { StateBucket } from './state-bucket.js';
import { ToolsLayer } from './tools-layer.js';

export type { KluctlServerlessStackProps } from './stack-props.js';

/** Everything kluctl-serverless runs on in one AWS account and region. */
export class KluctlServerlessStack extends Stack {
  /** Bucket holding mirrors, reconcile state, results and caches. */
  readonly stateBucket: StateBucket;
  /** FIFO queue of reconcile requests and its dead-letter queue. */
  readonly reconcileQueue: ReconcileQueue;
  /** Where registered clusters' secrets live. */
  readonly clusters: ClusterSecrets;
  /** Secret holding the webhook signing secret(s). */
  readonly webhookSecret: ISecret;
  /** Layer with the pinned kustomize, helm and sops in /opt/bin. */
  readonly toolsLayer: ToolsLayer;
  /** The reconcile worker. */
  readonly reconcile: ReconcileFunction;
  /** Ingest, webhook and schedule. */
  readonly front: FrontFunctions;
  /** The HTTP API of ingest and webhooks. */
  readonly ingress: IngressApi;
  /** The web UI at `<ApiUrl>/ui/`. */
  readonly webui: WebuiFunction;

  constructor(scope: Construct, id: string, props: KluctlServerlessStackProps = {}) {
    // Validate before creating anything, so a bad prop fails with its own message, not a CDK one.
    const cfg = resolveStackProps(props);
    super(scope, id, props);
    const alarmActions: IAlarmAction[] = cfg.alarmTopic ? [new SnsAction(cfg.alarmTopic)] : [];

    this.stateBucket = new StateBucket(this, 'State', {
      encryptionKey: cfg.stateBucketKey,
      cloneCacheExpiration: cfg.cloneCacheExpiration,
      noncurrentVersionExpiration: cfg.noncurrentVersionExpiration,
      resultsExpiration: cfg.resultsExpiration,
    });
    this.reconcileQueue = new ReconcileQueue(this, 'ReconcileQueue', {
      queueName: cfg.queueName,
      visibilityTimeout: cfg.queueVisibilityTimeout,
      maxReceiveCount: cfg.maxReceiveCount,
      alarmActions,
    });
    this.clusters = new ClusterSecrets(this, 'Clusters', { prefix: cfg.clusterSecretPrefix });
    this.webhookSecret = cfg.webhookSecretArn
      ? Secret.fromSecretCompleteArn(this, 'WebhookSecret', cfg.webhookSecretArn)
      : new Secret(this, 'WebhookSecret', {
          description: 'kluctl-serverless: secret shared with Git hosts to sign webhook deliveries',
          generateSecretString: { passwordLength: 48, excludePunctuation: true },
        });
    this.toolsLayer = new ToolsLayer(this, 'Tools', { dir: cfg.toolsLayerDir });
    this.reconcile = new ReconcileFunction(this, 'Reconcile', {
      stateBucket: this.stateBucket,
      queue: this.reconcileQueue.queue,
      clusters: this.clusters,
      toolsLayer: this.toolsLayer.layer,
      code: cfg.reconcileCode,
      timeout: cfg.reconcileTimeout,
      memorySize: cfg.reconcileMemorySize,
      reservedConcurrentExecutions: cfg.reconcileReservedConcurrency,
      logRetention: cfg.logRetention,
      alarmActions,
      defaultServiceAccount: cfg.defaultServiceAccount,
      quietSteadyState: cfg.quietSteadyState,
    });
    this.front = new FrontFunctions(this, 'Front', {
      stateBucket: this.stateBucket,
      queue: this.reconcileQueue.queue,
      clusters: this.clusters,
      webhookSecret: this.webhookSecret,
      scheduleInterval: cfg.scheduleInterval,
      code: cfg.frontCode,
      logRetention: cfg.logRetention,
      alarmActions,
    });
    this.webui = new WebuiFunction(this, 'Webui', {
      stateBucket: this.stateBucket,
      clusters: this.clusters,
      logRetention: cfg.logRetention,
      oidc: cfg.webuiOidc,
      code: cfg.frontCode?.webui,
      alarmActions,
    });
    this.ingress = new IngressApi(this, 'Ingress', {
      ingest: this.front.ingest.function,
      webhook: this.front.webhook.function,
      webui: this.webui.fn.function,
      throttlingRateLimit: cfg.apiRateLimit,
      throttlingBurstLimit: cfg.apiBurstLimit,
    });
    this.queueAgeAlarm(cfg.queueAgeAlarmThreshold, alarmActions);

    new CfnOutput(this, 'StateBucketName', {
      value: this.stateBucket.bucket.bucketName,
      description: 'State bucket',
    });
    new CfnOutput(this, 'ReconcileQueueUrl', {
      value: this.reconcileQueue.queue.queueUrl,
      description: 'Reconcile FIFO queue',
    });
    new CfnOutput(this, 'ReconcileDeadLetterQueueUrl', {
      value: this.reconcileQueue.deadLetterQueue.queueUrl,
      description: 'Reconcile dead-letter queue',
    });
    new CfnOutput(this, 'ApiUrl', {
      value: this.ingress.api.apiEndpoint,
      description: 'Base URL: the shim pushes to <url>/ingest, Git hosts call <url>/webhook/<provider>',
    });
    new CfnOutput(this, 'WebhookSecretArn', {
      value: this.webhookSecret.secretArn,
      description: 'Secret to configure in the Git host webhooks',
    });
    new CfnOutput(this, 'ClusterSecretPrefix', {
      value: this.clusters.prefix,
      description: "Register clusters as secrets under this prefix ('kluctl-serverless cluster register')",
    });
    new CfnOutput(this, 'WebuiUrl', {
      value: `${this.ingress.api.apiEndpoint}/ui/`,
      description: 'The web UI; log in as a user of WebuiUsersSecretArn or with OIDC',
    });
    new CfnOutput(this, 'WebuiUsersSecretArn', {
      value: this.webui.usersSecret.secretArn,
      description:
        'Web UI users: {"users":[{"name","role","passwordHash"}]} (\'kluctl-serverless webui hash-password\')',
    });
  }

  /** Reconciles waiting too long mean the workers cannot keep up (or are failing and retrying). */
  private queueAgeAlarm(threshold: Duration, actions: readonly IAlarmAction[]): Alarm {
    const alarm = new Alarm(this, 'QueueAgeAlarm', {
      alarmDescription: `The oldest queued reconcile has waited more than ${threshold.toHumanString()}; check the reconcile function's errors, throttles and concurrency`,
      metric: this.reconcileQueue.queue.metricApproximateAgeOfOldestMessage({
        period: Duration.minutes(1),
        statistic: 'Maximum',
      }),
      threshold: threshold.toSeconds(),
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    for (const action of actions) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
    return alarm;
  }
}
