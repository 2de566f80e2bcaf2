// CDK assertions on the permissions of the kluctl-serverless stack and on the validation of its props.
// The function code is inline (permissions do not depend on it), and the tools layer comes from a
// temporary directory with a dummy bin/kustomize, so no real binary and no bundling are needed.
import { tmpdir } from 'node:os';
import { Duration } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import type { Template } from 'aws-cdk-lib/assertions';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { KluctlServerlessStackProps } from '../../infra/kluctl-serverless-stack.js';
import {
  asList,
  createInfraWorkspace,
  functionStatements,
  only,
  policyStatements,
} from './infra-fixtures.js';
import type { InfraWorkspace, VariantProps } from './infra-fixtures.js';
import { KsError } from '../../lib/errors.js';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:webhooks-AbC123';
let ws: InfraWorkspace;
let template: Template;

const synth = (props: VariantProps = {}): Template => ws.synth(props);

beforeAll(() => {
  ws = createInfraWorkspace();
  template = synth();
});

afterAll(() => ws?.dispose());

describe('least privilege', () => {
  it('grants no wildcard resource and no wildcard action, and no managed policies', () => {
    const statements = policyStatements(template);
    expect(statements.length).toBeGreaterThan(0);
    for (const st of statements) {
      for (const action of asList(st.Action)) expect(action).not.toContain('*');
      // The only wildcards allowed: the state bucket's objects (`<bucket ARN>/*`, and the web UI's
      // `/clusters/*` and `/results/*`) and the registered clusters' secrets
      // (`...:secret:kluctl-serverless/clusters/*`).
      for (const resource of asList(st.Resource))
        expect(
          JSON.stringify(resource)
            .replace(/"\/(clusters\/|results\/)?\*"/, '')
            .replace('kluctl-serverless/clusters/*', ''),
        ).not.toContain('*');
    }
    for (const role of Object.values(template.findResources('AWS::IAM::Role')))
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });

  const bucketObjects = () => ({
    'Fn::Join': ['', [{ 'Fn::GetAtt': [only(template.findResources('AWS::S3::Bucket'))[0], 'Arn'] }, '/*']],
  });
  const clusterSecrets = {
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        ':secretsmanager:eu-west-1:123456789012:secret:kluctl-serverless/clusters/*',
      ],
    ],
  };
  const actionsOf = (statements: ReturnType<typeof policyStatements>, service: string) =>
    statements
      .flatMap((st) => asList(st.Action))
      .filter((a) => a.startsWith(`${service}:`))
      .sort();

  it('lets the reconcile function touch state objects, consume its queue and read cluster secrets only', () => {
    const st = functionStatements(template, 'reconcile worker');
    expect(st).toContainEqual(
      expect.objectContaining({
        Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        Resource: bucketObjects(),
      }),
    );
    expect(st).toContainEqual(
      expect.objectContaining({ Action: 'secretsmanager:GetSecretValue', Resource: clusterSecrets }),
    );
    expect(actionsOf(st, 'sqs')).toEqual([
      'sqs:ChangeMessageVisibility',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:ReceiveMessage',
    ]);
    expect(actionsOf(st, 'secretsmanager')).toEqual(['secretsmanager:GetSecretValue']);
  });

  it('lets ingest write state, read cluster secrets (the shim keys) and send to the queue', () => {
    const st = functionStatements(template, 'ingest');
    expect(actionsOf(st, 's3')).toEqual(['s3:DeleteObject', 's3:GetObject', 's3:ListBucket', 's3:PutObject']);
    expect(st).toContainEqual(
      expect.objectContaining({ Action: 'secretsmanager:GetSecretValue', Resource: clusterSecrets }),
    );
    expect(actionsOf(st, 'sqs')).toEqual(['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage']);
  });

  it('lets the webhook only read state objects and its own secret, and send to the queue', () => {
    const st = functionStatements(template, 'webhook');
    const [secretId] = only(
      template.findResources('AWS::SecretsManager::Secret', {
        Properties: { Description: Match.stringLikeRegexp('webhook') },
      }),
    );
    expect(actionsOf(st, 's3')).toEqual(['s3:GetObject']);
    expect(st).toContainEqual(
      expect.objectContaining({
        Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        Resource: { Ref: secretId },
      }),
    );
    expect(JSON.stringify(st)).not.toContain('kluctl-serverless/clusters');
    expect(actionsOf(st, 'sqs')).toEqual(['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage']);
  });

  it('gives the schedule function no secret at all', () => {
    const st = functionStatements(template, 'schedule');
    expect(actionsOf(st, 'secretsmanager')).toEqual([]);
    expect(actionsOf(st, 'sqs')).toEqual(['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage']);
  });

  it('uses an imported webhook secret by its ARN and creates none (only the web UI its two)', () => {
    const t = synth({ webhookSecretArn: SECRET_ARN });
    const created = Object.keys(t.findResources('AWS::SecretsManager::Secret'));
    expect(created.every((id) => id.startsWith('Webui'))).toBe(true);
    expect(created).toHaveLength(2);
    expect(functionStatements(t, 'webhook')).toContainEqual(
      expect.objectContaining({
        Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        Resource: SECRET_ARN,
      }),
    );
  });

  it('lets the functions use the state bucket key, and only for data keys', () => {
    const keyArn = 'arn:aws:kms:eu-west-1:123456789012:key/0d1e2f3a-1111-2222-3333-444455556666';
    const t = synth((helper) => ({ stateBucketKey: Key.fromKeyArn(helper, 'Key', keyArn) }));
    t.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          Match.objectLike({
            ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyArn },
          }),
        ],
      },
    });
    expect(policyStatements(t)).toContainEqual(
      expect.objectContaining({ Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: keyArn }),
    );
  });
});

describe('props validation', () => {
  it.each<[string, KluctlServerlessStackProps, RegExp]>([
    [
      'timeout above 15 minutes',
      { reconcileTimeout: Duration.minutes(16) },
      /reconcileTimeout is 960 seconds .*between 60 and 900/,
    ],
    [
      'visibility not above timeout',
      { reconcileTimeout: Duration.minutes(10), queueVisibilityTimeout: Duration.minutes(10) },
      /queueVisibilityTimeout .* must be longer than reconcileTimeout/,
    ],
    [
      'memory too small',
      { reconcileMemorySize: 64 },
      /reconcileMemorySize is 64; use a whole number between 128 and 10240/,
    ],
    ['fractional concurrency', { reconcileReservedConcurrency: 1.5 }, /reconcileReservedConcurrency is 1.5/],
    ['maxReceiveCount zero', { maxReceiveCount: 0 }, /maxReceiveCount is 0/],
    ['non-FIFO queue name', { queueName: 'reconcile' }, /queueName 'reconcile' is not a FIFO queue name/],
    [
      'partial secret ARN',
      { webhookSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:webhooks' },
      /webhookSecretArn .* is not a complete secret ARN; use the full ARN/,
    ],
    [
      'cluster secret prefix without a trailing slash',
      { clusterSecretPrefix: 'clusters' },
      /clusterSecretPrefix 'clusters' is not a secret name prefix ending in '\/'/,
    ],
    [
      'schedule in seconds',
      { scheduleInterval: Duration.seconds(30) },
      /scheduleInterval is 30 seconds; .*Duration.minutes\(n\)/,
    ],
    ['API rate zero', { apiRateLimit: 0 }, /apiRateLimit is 0/],
    [
      'cache expiry in hours',
      { cloneCacheExpiration: Duration.hours(12) },
      /cloneCacheExpiration is 12 hours; .*Duration.days\(n\)/,
    ],
    [
      'service account name with capitals',
      { defaultServiceAccount: 'Deployer' },
      /defaultServiceAccount 'Deployer' is not a valid service account name/,
    ],
    [
      'layer dir without kustomize',
      { toolsLayerDir: tmpdir() },
      /has no bin\/kustomize; point toolsLayerDir at a directory with bin\/kustomize, bin\/helm and bin\/sops/,
    ],
  ])('rejects %s', (_name, props, message) => {
    let thrown: unknown;
    try {
      synth(props);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(KsError);
    expect((thrown as KsError).code).toBe('InvalidInput');
    expect((thrown as KsError).message).toMatch(message);
  });
});
