// CDK assertions on the permissions of the kluctl-serverless stack and on the validation of its props.
// The function code is inline (permissions do not depend on it), and the tools layer comes from a
// temporary directory with a dummy bin/kustomize, so no real binary and no bundling are needed.
import { tmpdir } from 'node:os';
import { Duration } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import type { Template } from 'aws-cdk-lib/assertions';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { KluctlServerlessStackProps } from '../../infra/kluctl-serverless-stack.js';
import { createInfraWorkspace, only } from './infra-fixtures.js';
import type { InfraWorkspace, VariantProps } from './infra-fixtures.js';
import { KsError } from '../../lib/errors.js';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:kubeconfig-prod-AbC123';
let ws: InfraWorkspace;
let template: Template;

const synth = (props: VariantProps = {}): Template => ws.synth(props);

/** Every statement of every identity policy in the template. */
function policyStatements(
  t: Template,
): Array<{ Action: string | string[]; Resource: unknown; Effect: string }> {
  return Object.values(t.findResources('AWS::IAM::Policy')).flatMap(
    (p) => p.Properties.PolicyDocument.Statement,
  );
}

const asList = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

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
      // The only wildcard allowed is the object path of the state bucket (`<bucket ARN>/*`).
      for (const resource of asList(st.Resource))
        expect(JSON.stringify(resource).replace('"/*"', '')).not.toContain('*');
    }
    for (const role of Object.values(template.findResources('AWS::IAM::Role')))
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('lets the function touch only state objects, its queue and its secret', () => {
    const [bucketId] = only(template.findResources('AWS::S3::Bucket'));
    const [secretId] = only(template.findResources('AWS::SecretsManager::Secret'));
    const statements = policyStatements(template);
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/*']] },
      }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({ Action: 's3:ListBucket', Resource: { 'Fn::GetAtt': [bucketId, 'Arn'] } }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        Resource: { Ref: secretId },
      }),
    );
    const actions = statements.flatMap((st) => asList(st.Action));
    expect(actions.filter((a) => a.startsWith('sqs:')).sort()).toEqual([
      'sqs:ChangeMessageVisibility',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:ReceiveMessage',
    ]);
    expect(
      actions.filter(
        (a) =>
          a.startsWith('secretsmanager:') &&
          a !== 'secretsmanager:GetSecretValue' &&
          a !== 'secretsmanager:DescribeSecret',
      ),
    ).toEqual([]);
  });

  it('reads an imported secret by its ARN and creates none', () => {
    const t = synth({ kubeconfigSecretArn: SECRET_ARN });
    t.resourceCountIs('AWS::SecretsManager::Secret', 0);
    expect(policyStatements(t)).toContainEqual(
      expect.objectContaining({
        Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        Resource: SECRET_ARN,
      }),
    );
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ KUBECONFIG_SECRET_ARN: SECRET_ARN }) },
    });
  });

  it('reads a secret imported by name, matching only its random suffix', () => {
    const t = synth({ kubeconfigSecretName: 'clusters/prod/kubeconfig' });
    t.resourceCountIs('AWS::SecretsManager::Secret', 0);
    const secretStatement = policyStatements(t).find((st) =>
      asList(st.Action).includes('secretsmanager:GetSecretValue'),
    );
    expect(JSON.stringify(secretStatement?.Resource)).toContain(':secret:clusters/prod/kubeconfig-??????');
  });
  it('lets the function use the state bucket key, and only for data keys', () => {
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
      'both secret sources',
      { kubeconfigSecretArn: SECRET_ARN, kubeconfigSecretName: 'x' },
      /set only one of them/,
    ],
    [
      'partial secret ARN',
      { kubeconfigSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:kubeconfig' },
      /not a complete secret ARN; use the full ARN/,
    ],
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
