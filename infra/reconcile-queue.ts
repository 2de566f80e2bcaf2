/**
 * The reconcile queue: FIFO, one message group per deployment, so reconciles of one deployment run one
 * at a time and in order while different deployments run in parallel (ADR 0001). Producers (schedule,
 * webhook, ingest) set an explicit deduplication id, so content-based deduplication stays off: the
 * producer, not the body, decides what is a duplicate (every body for one deployment looks the same).
 */
import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import { DeduplicationScope, FifoThroughputLimit, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** Props of {@link ReconcileQueue}. */
export interface ReconcileQueueProps {
  /** Queue name, ending in `.fifo`; the dead-letter queue gets `-dlq` before the suffix. */
  readonly queueName: string;
  /** Visibility timeout; longer than the consumer's timeout. */
  readonly visibilityTimeout: Duration;
  /** Deliveries before a message moves to the dead-letter queue. */
  readonly maxReceiveCount: number;
  /** Actions of the dead-letter alarm. @default none */
  readonly alarmActions?: readonly IAlarmAction[];
}

/** The FIFO reconcile queue, its FIFO dead-letter queue and an alarm on dead letters. */
export class ReconcileQueue extends Construct {
  /** The queue the functions send reconcile requests to. */
  readonly queue: Queue;
  /** Messages that failed `maxReceiveCount` times. */
  readonly deadLetterQueue: Queue;
  /** Fires as soon as one message is in the dead-letter queue. */
  readonly deadLetterAlarm: Alarm;

  constructor(scope: Construct, id: string, props: ReconcileQueueProps) {
    super(scope, id);
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      queueName: props.queueName.replace(/\.fifo$/, '-dlq.fifo'),
      fifo: true,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Long enough for an operator to inspect and redrive after the alarm.
      retentionPeriod: Duration.days(14),
    });
    this.queue = new Queue(this, 'Queue', {
      queueName: props.queueName,
      fifo: true,
      contentBasedDeduplication: false,
      // Per-group throughput: groups are deployments, which are independent of each other.
      deduplicationScope: DeduplicationScope.MESSAGE_GROUP,
      fifoThroughputLimit: FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: props.visibilityTimeout,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
    });
    this.deadLetterAlarm = new Alarm(this, 'DeadLetterAlarm', {
      alarmDescription: `Reconcile requests failed ${props.maxReceiveCount} times and were moved to the dead-letter queue; inspect them and redrive`,
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: 'Maximum',
      }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    for (const action of props.alarmActions ?? []) {
      this.deadLetterAlarm.addAlarmAction(action);
      this.deadLetterAlarm.addOkAction(action);
    }
  }
}
