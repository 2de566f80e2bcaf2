// CDK assertions on the kluctl-serverless stack. The default stack is synthesized once with the real
// esbuild bundling of the reconcile handler; variants use inline code so they stay fast. The tools
// layer comes from a temporary directory with a dummy bin/kustomize, so no real binary is needed.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { KluctlServerlessStack } from '../../infra/kluctl-serverless-stack.js';
import { createInfraWorkspace, ENV, functionEnv, functionNamed, only } from './infra-fixtures.js';
import type { InfraWorkspace, VariantProps } from './infra-fixtures.js';

let ws: InfraWorkspace;
let app: App;
let template: Template;

const synth = (props: VariantProps = {}): Template => ws.synth(props);

beforeAll(() => {
  ws = createInfraWorkspace();
  app = new App({ outdir: join(ws.outRoot, 'default') });
  template = Template.fromStack(
    new KluctlServerlessStack(app, 'Test', { env: ENV, toolsLayerDir: ws.layerDir }),
  );
});

afterAll(() => ws?.dispose());
describe('state bucket', () => {
  it('is encrypted, versioned, private and expires caches and old versions', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Prefix: 'clone-cache/', ExpirationInDays: 3, Status: 'Enabled' }),
          Match.objectLike({ Prefix: 'results/', ExpirationInDays: 90, Status: 'Enabled' }),
          Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 30 }, Status: 'Enabled' }),
        ]),
      },
    });
    template.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain' });
  });

  it('denies requests without TLS', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('takes the lifecycle periods from props', () => {
    const t = synth({
      cloneCacheExpiration: Duration.days(1),
      noncurrentVersionExpiration: Duration.days(90),
      resultsExpiration: Duration.days(7),
    });
    t.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Prefix: 'clone-cache/', ExpirationInDays: 1 }),
          Match.objectLike({ Prefix: 'results/', ExpirationInDays: 7 }),
          Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 90 } }),
        ]),
      },
    });
  });
});

describe('reconcile queue', () => {
  it('is FIFO with explicit dedup ids, encrypted, and redrives to a FIFO dead-letter queue', () => {
    const queues = template.findResources('AWS::SQS::Queue', { Properties: { QueueName: 'reconcile.fifo' } });
    const [, queue] = only(queues);
    const [dlqId] = only(
      template.findResources('AWS::SQS::Queue', { Properties: { QueueName: 'reconcile-dlq.fifo' } }),
    );
    expect(queue.Properties).toMatchObject({
      FifoQueue: true,
      ContentBasedDeduplication: false,
      SqsManagedSseEnabled: true,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: 5 },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'reconcile-dlq.fifo',
      FifoQueue: true,
      SqsManagedSseEnabled: true,
    });
  });

  it('keeps messages invisible longer than a reconcile may run', () => {
    const [, queue] = only(
      template.findResources('AWS::SQS::Queue', { Properties: { QueueName: 'reconcile.fifo' } }),
    );
    const [, fn] = functionNamed(template, 'reconcile worker');
    expect(fn.Properties['Timeout']).toBe(600);
    expect(queue.Properties.VisibilityTimeout).toBeGreaterThan(fn.Properties['Timeout'] as number);
  });
});

describe('reconcile function', () => {
  it('runs the bundled handler on nodejs22.x x86_64 with the state, tool and secret settings', () => {
    const [bucketId] = only(template.findResources('AWS::S3::Bucket'));
    const [layerId] = only(template.findResources('AWS::Lambda::LayerVersion'));
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['x86_64'],
      Handler: 'index.handler',
      MemorySize: 1024,
      Timeout: 600,
      Layers: [{ Ref: layerId }],
      Environment: {
        Variables: Match.objectLike({
          STATE_BUCKET: { Ref: bucketId },
          KUSTOMIZE_PATH: '/opt/bin/kustomize',
          HELM_PATH: '/opt/bin/helm',
          SOPS_PATH: '/opt/bin/sops',
          CLUSTER_SECRET_PREFIX: 'kluctl-serverless/clusters/',
        }),
      },
    });
  });

  it.each(['reconcile worker', 'ingest', 'webhook', 'schedule'])(
    'bundles the %s handler with the local esbuild into one ESM file',
    (what) => {
      const [, fn] = functionNamed(template, what);
      const assetHash = String((fn.Properties['Code'] as { S3Key: string }).S3Key).replace(/\.zip$/, '');
      const bundle = join(app.outdir, `asset.${assetHash}`, 'index.mjs');
      expect(existsSync(bundle)).toBe(true);
      const head = readFileSync(bundle, 'utf8').slice(0, 200);
      expect(head).toMatch(/^import \{ createRequire( as \w+)? \} from 'node:module'/);
    },
  );

  it('ships the layer directory, with bin/kustomize, for x86_64 and nodejs22.x', () => {
    const [, layer] = only(template.findResources('AWS::Lambda::LayerVersion'));
    expect(layer.Properties).toMatchObject({
      CompatibleArchitectures: ['x86_64'],
      CompatibleRuntimes: ['nodejs22.x'],
    });
    const assetHash = String(layer.Properties.Content.S3Key).replace(/\.zip$/, '');
    expect(readFileSync(join(app.outdir, `asset.${assetHash}`, 'bin', 'kustomize'), 'utf8')).toContain(
      'echo dummy',
    );
  });

  it('consumes the queue one message at a time and reports item failures', () => {
    const [queueId] = only(
      template.findResources('AWS::SQS::Queue', { Properties: { QueueName: 'reconcile.fifo' } }),
    );
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it("keeps each function's logs for a month in its own log group", () => {
    const groups = Object.entries(template.findResources('AWS::Logs::LogGroup'));
    expect(groups).toHaveLength(5);
    for (const [, g] of groups) expect(g.Properties.RetentionInDays).toBe(30);
    const used = Object.values(template.findResources('AWS::Lambda::Function')).map(
      (f) => f.Properties.LoggingConfig.LogGroup.Ref,
    );
    expect(used.sort()).toEqual(groups.map(([id]) => id).sort());
  });

  it('passes the default service account (Kluctl --default-service-account) only when set', () => {
    const vars = (t: Template) => functionEnv(t, 'reconcile worker');
    expect(vars(template)).not.toHaveProperty('DEFAULT_SERVICE_ACCOUNT');
    expect(vars(synth({ defaultServiceAccount: 'kluctl-deployer' }))).toMatchObject({
      DEFAULT_SERVICE_ACCOUNT: 'kluctl-deployer',
    });
  });

  it('turns on the quiet steady state only when asked', () => {
    const vars = (t: Template) => functionEnv(t, 'reconcile worker');
    expect(vars(template)).not.toHaveProperty('QUIET_STEADY_STATE');
    expect(vars(synth({ quietSteadyState: true }))).toMatchObject({ QUIET_STEADY_STATE: 'true' });
  });

  it('applies sizing props', () => {
    const t = synth({
      reconcileTimeout: Duration.minutes(14),
      reconcileMemorySize: 2048,
      reconcileReservedConcurrency: 7,
      queueVisibilityTimeout: Duration.minutes(20),
    });
    t.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'kluctl-serverless reconcile worker',
      Timeout: 840,
      MemorySize: 2048,
      ReservedConcurrentExecutions: 7,
    });
    t.hasResourceProperties('AWS::SQS::Queue', { QueueName: 'reconcile.fifo', VisibilityTimeout: 1200 });
  });
});
describe('alarms and outputs', () => {
  it("alarms on dead letters, on old queued reconciles, and on every function's errors and throttles", () => {
    const [dlqId] = only(
      template.findResources('AWS::SQS::Queue', { Properties: { QueueName: 'reconcile-dlq.fifo' } }),
    );
    const [queueId] = only(
      template.findResources('AWS::SQS::Queue', { Properties: { QueueName: 'reconcile.fifo' } }),
    );
    template.resourceCountIs('AWS::CloudWatch::Alarm', 2 + 5 * 2);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlqId, 'QueueName'] } }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
      Threshold: 900,
    });
    for (const what of ['reconcile worker', 'ingest', 'webhook', 'schedule', 'web UI']) {
      const [fnId] = functionNamed(template, what);
      for (const metric of ['Errors', 'Throttles']) {
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          MetricName: metric,
          Namespace: 'AWS/Lambda',
          Dimensions: [{ Name: 'FunctionName', Value: { Ref: fnId } }],
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
        });
      }
    }
  });

  it('notifies the alarm topic when one is given', () => {
    const t = synth((helper) => ({
      alarmTopic: Topic.fromTopicArn(helper, 'Topic', 'arn:aws:sns:eu-west-1:123456789012:ops'),
    }));
    const alarms = Object.values(t.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(12);
    for (const alarm of alarms)
      expect(alarm.Properties.AlarmActions).toEqual(['arn:aws:sns:eu-west-1:123456789012:ops']);
  });

  it('outputs the bucket, the queue, the API URL, the webhook secret, the cluster secret prefix and the web UI', () => {
    const [bucketId] = only(template.findResources('AWS::S3::Bucket'));
    const [queueId] = only(
      template.findResources('AWS::SQS::Queue', { Properties: { QueueName: 'reconcile.fifo' } }),
    );
    const [secretId] = only(
      template.findResources('AWS::SecretsManager::Secret', {
        Properties: { Description: Match.stringLikeRegexp('webhook') },
      }),
    );
    const [usersId] = only(
      template.findResources('AWS::SecretsManager::Secret', {
        Properties: { Description: Match.stringLikeRegexp('web UI users') },
      }),
    );
    template.hasOutput('WebuiUsersSecretArn', { Value: { Ref: usersId } });
    template.hasOutput('WebuiUrl', { Value: Match.anyValue() });
    template.hasOutput('StateBucketName', { Value: { Ref: bucketId } });
    template.hasOutput('ReconcileQueueUrl', { Value: { Ref: queueId } });
    template.hasOutput('WebhookSecretArn', { Value: { Ref: secretId } });
    template.hasOutput('ClusterSecretPrefix', { Value: 'kluctl-serverless/clusters/' });
    template.hasOutput('ApiUrl', { Value: Match.anyValue() });
  });
});
