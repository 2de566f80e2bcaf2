/**
 * The kluctl-serverless stack (DESIGN.md §3, infra/): state bucket, reconcile FIFO queue with its
 * dead-letter queue, kubeconfig secret, tools layer and the reconcile function, with alarms and
 * outputs. The schedule, webhook and ingest functions join later as further {@link NodeFunction}s that
 * send to `reconcileQueue.queue` and use `stateBucket.grantStateAccess`.
 */
import { CfnOutput, Stack } from 'aws-cdk-lib';
import type { IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { ReconcileFunction } from './reconcile-function.js';
import { ReconcileQueue } from './reconcile-queue.js';
import { resolveStackProps } from './stack-props.js';
import type { KluctlServerlessStackProps, ResolvedStackProps } from './stack-props.js';
import { StateBucket } from './state-bucket.js';
import { ToolsLayer } from './tools-layer.js';

export type { KluctlServerlessStackProps } from './stack-props.js';

/** Everything kluctl-serverless runs on in one AWS account and region. */
export class KluctlServerlessStack extends Stack {
  /** Bucket holding mirrors, reconcile state, results and caches. */
  readonly stateBucket: StateBucket;
  /** FIFO queue of reconcile requests and its dead-letter queue. */
  readonly reconcileQueue: ReconcileQueue;
  /** Secret with the cluster kubeconfig. */
  readonly kubeconfigSecret: ISecret;
  /** Layer with the pinned kustomize in /opt/bin. */
  readonly toolsLayer: ToolsLayer;
  /** The reconcile worker. */
  readonly reconcile: ReconcileFunction;

  constructor(scope: Construct, id: string, props: KluctlServerlessStackProps = {}) {
    // Validate before creating anything, so a bad prop fails with its own message, not a CDK one.
    const cfg = resolveStackProps(props);
    super(scope, id, props);
    const alarmActions: IAlarmAction[] = cfg.alarmTopic ? [new SnsAction(cfg.alarmTopic)] : [];

    this.stateBucket = new StateBucket(this, 'State', {
      encryptionKey: cfg.stateBucketKey,
      cloneCacheExpiration: cfg.cloneCacheExpiration,
      noncurrentVersionExpiration: cfg.noncurrentVersionExpiration,
    });
    this.reconcileQueue = new ReconcileQueue(this, 'ReconcileQueue', {
      queueName: cfg.queueName,
      visibilityTimeout: cfg.queueVisibilityTimeout,
      maxReceiveCount: cfg.maxReceiveCount,
      alarmActions,
    });
    this.kubeconfigSecret = this.kubeconfigSecretFrom(cfg);
    this.toolsLayer = new ToolsLayer(this, 'Tools', { dir: cfg.toolsLayerDir });
    this.reconcile = new ReconcileFunction(this, 'Reconcile', {
      stateBucket: this.stateBucket,
      queue: this.reconcileQueue.queue,
      kubeconfigSecret: this.kubeconfigSecret,
      toolsLayer: this.toolsLayer.layer,
      code: cfg.reconcileCode,
      timeout: cfg.reconcileTimeout,
      memorySize: cfg.reconcileMemorySize,
      reservedConcurrentExecutions: cfg.reconcileReservedConcurrency,
      logRetention: cfg.logRetention,
      alarmActions,
      defaultServiceAccount: cfg.defaultServiceAccount,
    });

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
    new CfnOutput(this, 'KubeconfigSecretArn', {
      value: this.kubeconfigSecret.secretArn,
      description: 'Put the cluster kubeconfig here',
    });
  }

  private kubeconfigSecretFrom(cfg: ResolvedStackProps): ISecret {
    if (cfg.kubeconfigSecretArn)
      return Secret.fromSecretCompleteArn(this, 'Kubeconfig', cfg.kubeconfigSecretArn);
    if (cfg.kubeconfigSecretName)
      return Secret.fromSecretNameV2(this, 'Kubeconfig', cfg.kubeconfigSecretName);
    // CloudFormation fills a new secret with a random value; the operator replaces it with the kubeconfig.
    return new Secret(this, 'Kubeconfig', {
      description:
        'kubeconfig (YAML) of the cluster kluctl-serverless deploys to; replace the generated value with put-secret-value',
    });
  }
}
