/**
 * The three small functions in front of the reconcile queue (DESIGN.md §3): ingest (the shim's pushes),
 * webhook (Git hosts' push events) and schedule (the EventBridge tick). Each only reads or writes small
 * documents and sends messages, so each is arm64, small and short, and gets exactly the grants its
 * code uses.
 */
import { Duration } from 'aws-cdk-lib';
import type { IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction as LambdaTarget } from 'aws-cdk-lib/aws-events-targets';
import type { Code } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { ClusterSecrets } from './cluster-secrets.js';
import { NodeFunction } from './node-function.js';
import type { StateBucket } from './state-bucket.js';

/** What every front function shares. */
interface FrontFunctionCommon {
  readonly stateBucket: StateBucket;
  readonly queue: IQueue;
  readonly logRetention: RetentionDays;
  /** @default none */
  readonly alarmActions?: readonly IAlarmAction[];
}

/** Props of {@link FrontFunctions}. */
export interface FrontFunctionsProps extends FrontFunctionCommon {
  readonly clusters: ClusterSecrets;
  /** Secret holding the webhook signing secret(s). */
  readonly webhookSecret: ISecret;
  /** How often the schedule function looks for due deployments. */
  readonly scheduleInterval: Duration;
  /** Prebuilt code per function (tests); @default each entry bundled with esbuild */
  readonly code?: { readonly ingest?: Code; readonly webhook?: Code; readonly schedule?: Code };
}

/** The ingest, webhook and schedule functions with their grants and the schedule rule. */
export class FrontFunctions extends Construct {
  readonly ingest: NodeFunction;
  readonly webhook: NodeFunction;
  readonly schedule: NodeFunction;
  /** The EventBridge rule that invokes the schedule function. */
  readonly tick: Rule;

  constructor(scope: Construct, id: string, props: FrontFunctionsProps) {
    super(scope, id);
    const fn = (name: 'ingest' | 'webhook' | 'schedule', description: string, timeout: Duration) =>
      new NodeFunction(this, name[0]!.toUpperCase() + name.slice(1), {
        entry: `functions/${name}/handler.ts`,
        code: props.code?.[name],
        description,
        timeout,
        memorySize: 256,
        environment: {
          STATE_BUCKET: props.stateBucket.bucket.bucketName,
          QUEUE_URL: props.queue.queueUrl,
          ...(name === 'ingest' ? { CLUSTER_SECRET_PREFIX: props.clusters.prefix } : {}),
          ...(name === 'webhook' ? { WEBHOOK_SECRET_ARN: props.webhookSecret.secretArn } : {}),
        },
        logRetention: props.logRetention,
        alarmActions: props.alarmActions,
      });

    // Ingest: verifies the shim's signature with the cluster's key, writes mirrors, enqueues changes.
    this.ingest = fn(
      'ingest',
      'kluctl-serverless ingest: mirrors KluctlDeployments pushed by shims',
      Duration.seconds(30),
    );
    props.stateBucket.grantStateAccess(this.ingest.function);
    props.clusters.grantRead(this.ingest.function);
    props.queue.grantSendMessages(this.ingest.function);

    // Webhook: verifies the Git host's signature, reads the repository index, enqueues; no Git access.
    this.webhook = fn(
      'webhook',
      'kluctl-serverless webhook: Git push events to reconciles',
      Duration.seconds(10),
    );
    props.stateBucket.grantStateRead(this.webhook.function);
    props.webhookSecret.grantRead(this.webhook.function);
    props.queue.grantSendMessages(this.webhook.function);

    // Schedule: reads the schedule index, enqueues what is due. Its own runs must not overlap much, so
    // its timeout stays below the interval.
    this.schedule = fn(
      'schedule',
      'kluctl-serverless schedule: enqueues due reconciles',
      Duration.seconds(50),
    );
    props.stateBucket.grantStateAccess(this.schedule.function);
    props.queue.grantSendMessages(this.schedule.function);
    this.tick = new Rule(this, 'Tick', {
      description: 'kluctl-serverless: look for due KluctlDeployments',
      schedule: Schedule.rate(props.scheduleInterval),
      // A missed tick is repaired by the next one; retrying a stale tick only adds load.
      targets: [new LambdaTarget(this.schedule.function, { retryAttempts: 0 })],
    });
  }
}
