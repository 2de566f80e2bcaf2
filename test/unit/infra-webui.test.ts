// CDK assertions on the web UI on AWS (infra/webui-function.ts): its routes on the HTTP API, its
// function and secrets, and an IAM policy that reads only what the UI shows.
import type { Template } from 'aws-cdk-lib/assertions';
import {
  asList,
  createInfraWorkspace,
  functionEnv,
  functionNamed,
  functionStatements,
} from './infra-fixtures.js';
import type { InfraWorkspace } from './infra-fixtures.js';

let ws: InfraWorkspace;
let template: Template;

beforeAll(() => {
  ws = createInfraWorkspace();
  template = ws.synth();
});

afterAll(() => ws?.dispose());

const webuiEnv = (t: Template) => functionEnv(t, 'web UI');

it('routes ANY /ui and ANY /ui/{proxy+} to the web UI function', () => {
  const [fnId] = functionNamed(template, 'web UI');
  const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route'))
    .map((r) => r.Properties.RouteKey as string)
    .filter((k) => k.includes('/ui'));
  expect(routes.sort()).toEqual(['ANY /ui', 'ANY /ui/{proxy+}']);
  const integrations = Object.values(template.findResources('AWS::ApiGatewayV2::Integration')).map((i) =>
    JSON.stringify(i.Properties.IntegrationUri),
  );
  expect(integrations.filter((u) => u.includes(fnId))).toHaveLength(1);
});

it('gives the function the state bucket, the cluster registry and its two secrets', () => {
  const [bucketId] = Object.keys(template.findResources('AWS::S3::Bucket'));
  const env = webuiEnv(template);
  expect(env).toMatchObject({
    STATE_BUCKET: { Ref: bucketId },
    CLUSTER_SECRET_PREFIX: 'kluctl-serverless/clusters/',
    WEBUI_USERS_SECRET_ARN: { Ref: expect.stringMatching(/^WebuiUsers/) },
    WEBUI_SESSION_KEY_SECRET_ARN: { Ref: expect.stringMatching(/^WebuiSessionKey/) },
  });
  expect(env).not.toHaveProperty('QUEUE_URL');
  expect(env).not.toHaveProperty('WEBUI_OIDC_ISSUER_URL');
  template.hasResourceProperties('AWS::SecretsManager::Secret', {
    GenerateSecretString: { SecretStringTemplate: '{"users":[]}' },
  });
  template.hasResourceProperties('AWS::SecretsManager::Secret', {
    GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true },
  });
});

it('reads only mirrors and results, never writes state, and reads only its secrets and the clusters', () => {
  const statements = functionStatements(template, 'web UI');
  const actions = statements.flatMap((s) => asList(s.Action)).sort();
  expect(actions).toEqual(
    [
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      's3:GetObject',
      's3:ListBucket',
      'secretsmanager:GetSecretValue',
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
    ].sort(),
  );
  const get = statements.find((s) => asList(s.Action).includes('s3:GetObject'))!;
  const resources = JSON.stringify(get.Resource);
  expect(resources).toContain('/clusters/*');
  expect(resources).toContain('/results/*');
  expect(asList(get.Resource)).toHaveLength(2);
  const list = statements.find((s) => asList(s.Action).includes('s3:ListBucket')) as unknown as {
    Condition: unknown;
  };
  expect(list.Condition).toEqual({ StringLike: { 's3:prefix': ['clusters/*', 'results/*'] } });
  const clusterRead = statements.find((s) =>
    JSON.stringify(s.Resource).includes('kluctl-serverless/clusters/*'),
  );
  expect(clusterRead).toBeDefined();
});

it('passes OIDC settings, and grants the client secret, when configured', () => {
  const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:oidc-client-AbCdEf';
  const t = ws.synth({
    webuiOidc: {
      issuerUrl: 'https://login.example.com',
      clientId: 'kluctl',
      clientSecretArn: arn,
      redirectUrl: 'https://api.example.com/ui/api/auth/oidc/callback',
      adminsGroup: 'ops',
    },
  });
  expect(webuiEnv(t)).toMatchObject({
    WEBUI_OIDC_ISSUER_URL: 'https://login.example.com',
    WEBUI_OIDC_CLIENT_ID: 'kluctl',
    WEBUI_OIDC_CLIENT_SECRET_ARN: arn,
    WEBUI_OIDC_ADMINS_GROUP: 'ops',
  });
  const statements = functionStatements(t, 'web UI');
  const read = statements.find((s) => s.Resource === arn);
  expect(asList(read!.Action)).toContain('secretsmanager:GetSecretValue');
});
