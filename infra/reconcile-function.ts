/**
 * The reconcile function (functions/reconcile/handler.ts) wired to its queue, the state bucket, the
 * registered clusters' secrets and the tools layer, with only the permissions it needs.
 */
import type { Duration } from 'aws-cdk-lib';
import type { IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import type { Code, ILayerVersion } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { ClusterSecrets } from './cluster-secrets.js';
import { NodeFunction } from './node-function.js';
import type { StateBucket } from './state-bucket.js';
import { LAYER_HELM_PATH, LAYER_KUSTOMIZE_PATH, LAYER_SOPS_PATH, TOOLS_ARCHITECTURE } from './tools-layer.js';

/** Props of {@link ReconcileFunction}. */
export interface ReconcileFunctionProps {
  readonly stateBucket: StateBucket;
  readonly queue: IQueue;
  /** The registered clusters, whose kubeconfigs the reconciles use. */
  readonly clusters: ClusterSecrets;
  /** Layer providing bin/kustomize. */
  readonly toolsLayer: ILayerVersion;
  /** @default functions/reconcile/handler.ts bundled with esbuild */
  readonly code?: Code;
  readonly timeout: Duration;
  readonly memorySize: number;
  /** @default none */
  readonly reservedConcurrentExecutions?: number;
  readonly logRetention: RetentionDays;
  /** @default none */
  readonly alarmActions?: readonly IAlarmAction[];
  /** Service account impersonated when a deployment names none. @default none */
  readonly defaultServiceAccount?: string;
  /** The stack prop `quietSteadyState` (stack-props.ts). */
  readonly quietSteadyState?: boolean;
}

/** The reconcile worker: one SQS message, one reconcile. */
export class ReconcileFunction extends Construct {
  /** The function with its log group and errors alarm. */
  readonly fn: NodeFunction;

  constructor(scope: Construct, id: string, props: ReconcileFunctionProps) {
    super(scope, id);
    this.fn = new NodeFunction(this, 'Reconcile', {
      entry: 'functions/reconcile/handler.ts',
      code: props.code,
      description: 'kluctl-serverless reconcile worker',
      timeout: props.timeout,
      memorySize: props.memorySize,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      environment: {
        STATE_BUCKET: props.stateBucket.bucket.bucketName,
        KUSTOMIZE_PATH: LAYER_KUSTOMIZE_PATH,
        HELM_PATH: LAYER_HELM_PATH,
        SOPS_PATH: LAYER_SOPS_PATH,
        // A name prefix, not kubeconfigs: environment variables are visible in the console, so the
        // composition root reads the secret of the cluster a message names when it first needs it.
        CLUSTER_SECRET_PREFIX: props.clusters.prefix,
        ...(props.defaultServiceAccount ? { DEFAULT_SERVICE_ACCOUNT: props.defaultServiceAccount } : {}),
        ...(props.quietSteadyState ? { QUIET_STEADY_STATE: 'true' } : {}),
      },
      layers: [props.toolsLayer],
      architecture: TOOLS_ARCHITECTURE,
      logRetention: props.logRetention,
      alarmActions: props.alarmActions,
    });
    const fn = this.fn.function;
    props.stateBucket.grantStateAccess(fn);
    props.clusters.grantRead(fn);
    // One message per invocation: a reconcile can take minutes, and a FIFO batch would hold the next
    // deployments' messages back behind it. Failed items go back to the queue one by one.
    fn.addEventSource(new SqsEventSource(props.queue, { batchSize: 1, reportBatchItemFailures: true }));
  }
}
