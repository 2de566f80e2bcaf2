// CDK assertions on the front of the stack: the ingest, webhook and schedule functions, the HTTP API
// that exposes the first two, and the EventBridge rule that ticks the third.
import { Duration } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import type { Template } from 'aws-cdk-lib/assertions';
import { createInfraWorkspace, functionEnv, functionNamed } from './infra-fixtures.js';
import type { InfraWorkspace } from './infra-fixtures.js';

let ws: InfraWorkspace;
let template: Template;

beforeAll(() => {
  ws = createInfraWorkspace();
  template = ws.synth();
});

afterAll(() => ws?.dispose());

const env = (what: string) => functionEnv(template, what);

describe('front functions', () => {
  it.each(['ingest', 'webhook', 'schedule'])('%s runs small on arm64 without the tools layer', (what) => {
    const [, fn] = functionNamed(template, what);
    expect(fn.Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], MemorySize: 256 });
    expect(fn.Properties['Layers']).toBeUndefined();
    const [bucketId] = Object.keys(template.findResources('AWS::S3::Bucket'));
    const [queueId] = Object.keys(
      template.findResources('AWS::SQS::Queue', { Properties: { QueueName: 'reconcile.fifo' } }),
    );
    expect(env(what)).toMatchObject({ STATE_BUCKET: { Ref: bucketId }, QUEUE_URL: { Ref: queueId } });
  });

  it('keeps the reconcile function on x86_64, the architecture of the tool binaries', () => {
    expect(functionNamed(template, 'reconcile worker')[1].Properties['Architectures']).toEqual(['x86_64']);
  });

  it('tells each function only the secrets it reads', () => {
    expect(env('ingest')).toMatchObject({ CLUSTER_SECRET_PREFIX: 'kluctl-serverless/clusters/' });
    expect(env('ingest')).not.toHaveProperty('WEBHOOK_SECRET_ARN');
    expect(env('webhook')).toHaveProperty('WEBHOOK_SECRET_ARN');
    expect(env('webhook')).not.toHaveProperty('CLUSTER_SECRET_PREFIX');
    expect(env('schedule')).not.toHaveProperty('WEBHOOK_SECRET_ARN');
    expect(env('schedule')).not.toHaveProperty('CLUSTER_SECRET_PREFIX');
  });

  it('generates a webhook secret without punctuation (it is pasted into Git hosts)', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: { PasswordLength: 48, ExcludePunctuation: true },
    });
  });
});

describe('HTTP API', () => {
  it('routes POST /ingest, POST /webhook/{provider} and the web UI (test/unit/infra-webui.test.ts), and nothing else', () => {
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map(
      (r) => r.Properties.RouteKey as string,
    );
    expect(routes.sort()).toEqual([
      'ANY /ui',
      'ANY /ui/{proxy+}',
      'POST /ingest',
      'POST /webhook/{provider}',
    ]);
    const [ingestId] = functionNamed(template, 'ingest');
    const [webhookId] = functionNamed(template, 'webhook');
    const targets = Object.values(template.findResources('AWS::Lambda::Permission')).map((p) =>
      JSON.stringify(p.Properties.FunctionName),
    );
    expect(targets.some((t) => t.includes(ingestId))).toBe(true);
    expect(targets.some((t) => t.includes(webhookId))).toBe(true);
  });

  it('throttles the stage', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
    });
    ws.synth({ apiRateLimit: 5, apiBurstLimit: 10 }).hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 },
    });
  });
});

describe('schedule rule', () => {
  it('ticks the schedule function every minute without retrying stale ticks', () => {
    const [scheduleId] = functionNamed(template, 'schedule');
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [scheduleId, 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 0 },
        }),
      ],
    });
  });

  it('takes the interval from props', () => {
    ws.synth({ scheduleInterval: Duration.minutes(5) }).hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
    });
  });
});
