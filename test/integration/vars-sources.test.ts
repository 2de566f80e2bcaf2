// Ports of Kluctl's pkg/vars/vars_loader_test.go for the sources behind a service: TestGit,
// TestGitBranch (real git server), gitFiles (vars_loader_git_files_test.go), TestHttp_GET,
// TestHttp_POST, TestHttp_JsonPath (a real HTTP server) and TestAwsSecretsManager (LocalStack).
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AwsSdkSecretsReader } from '../../lib/adapters/aws-secrets.js';
import { IsomorphicGitRefLister } from '../../lib/adapters/isomorphic-git-refs.js';
import { IsomorphicGitSource } from '../../lib/adapters/isomorphic-git-source.js';
import type { Dict } from '../../lib/project/merge.js';
import { VarsRuntime } from '../../lib/project/vars/vars-runtime.js';
import type { VarsServices } from '../../lib/project/vars/vars-services.js';
import { createRepo } from '../../devenv/git-repo.js';
import type { TestRepo } from '../../devenv/git-repo.js';
import { startGitServer } from '../../devenv/git-server.js';
import type { GitServer } from '../../devenv/git-server.js';
import { testEnv } from '../support/test-env.js';
import { varsContext, varsLoader } from '../support/vars.js';

const runtimes: VarsRuntime[] = [];
let gitServer: GitServer;
let repo: TestRepo;
let http: Server;
let httpUrl: string;
let aws: AwsSdkSecretsReader;
let secretName: string;

function ctx(services: VarsServices = {}) {
  const runtime = new VarsRuntime({
    git: new IsomorphicGitSource(),
    gitRefs: new IsomorphicGitRefLister(),
    awsSecrets: aws,
    ...services,
  });
  runtimes.push(runtime);
  return varsContext(runtime);
}

const { load, loadError } = varsLoader(() => ctx());

beforeAll(async () => {
  gitServer = await startGitServer();
  repo = await createRepo(gitServer, 'vars', {
    'test.yaml': 'test1:\n  test2: 42\n',
    'multidoc.yaml': '{"test1": {"test2": 42}}\n---\n{"test1": {"test2": 43}}\n',
    'files/a.yaml': 'a: 1\n',
    'files/sub/b.yaml': 'b: "{{ x }}"\n',
    'files/c.txt': 'plain\n',
  });
  await repo.switchBranch('testbranch');
  await repo.commit({ 'test.yaml': 'test1:\n  test2: 43\n', 'files/a.yaml': 'a: 2\n' }, 'branch');
  await repo.switchBranch('main');

  http = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const path = req.url ?? '';
      if (path.endsWith('/ok')) res.end('{"test1": {"test2": 42}}');
      else if (path.endsWith('/multidoc'))
        res.end('{"test1": {"test2": 42}}\n---\n{"test1": {"test2": 43}}\n');
      else if (path.endsWith('/error')) res.writeHead(500).end('error');
      else if (path.endsWith('/jsonpath')) res.end('{"test1": "{\\"test2\\": 42}"}');
      else if (path.endsWith('/post')) {
        if (req.method !== 'POST') res.writeHead(542).end();
        else if (body !== 'body') res.writeHead(543).end();
        else if (req.headers.h !== 'h') res.writeHead(544).end();
        else res.end('{"test1": {"test2": 42}}');
      } else res.writeHead(404).end('not found');
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  httpUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;

  const s3 = testEnv().s3;
  const credentials = { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey };
  aws = new AwsSdkSecretsReader({ endpoint: s3.endpoint, credentials });
  const admin = new SecretsManagerClient({ endpoint: s3.endpoint, region: 'eu-central-1', credentials });
  secretName = `vars-test-${Date.now()}`;
  await admin.send(new CreateSecretCommand({ Name: secretName, SecretString: '{"test1": {"test2": 42}}' }));
  admin.destroy();
});

afterAll(async () => {
  await Promise.all(runtimes.map((r) => r.dispose()));
  aws?.destroy();
  await new Promise((r) => http?.close(r));
  await repo?.cleanup();
  await gitServer?.stop();
});

describe('TestVarsLoader git sources (Kluctl pkg/vars/vars_loader_test.go)', () => {
  it('TestGit: a file of another repo; ignoreMissing; multidoc with targetPath', async () => {
    expect(await load([{ git: { url: repo.url, path: 'test.yaml' } }])).toEqual({ test1: { test2: 42 } });
    expect(await load([{ git: { url: repo.url, path: 'test-missing.yaml' }, ignoreMissing: true }])).toEqual(
      {},
    );
    expect(
      await load([{ git: { url: repo.url, path: 'multidoc.yaml' }, multidoc: true, targetPath: 'nested' }]),
    ).toEqual({
      nested: [{ test1: { test2: 42 } }, { test1: { test2: 43 } }],
    });
  });

  it('TestGitBranch: ref.branch selects the branch', async () => {
    expect(
      await load([{ git: { url: repo.url, path: 'test.yaml', ref: { branch: 'testbranch' } } }]),
    ).toEqual({
      test1: { test2: 43 },
    });
  });

  it('gitFiles (vars_loader_git_files_test.go): branch regex, globs, render, parseYaml, filesByPath/filesTree', async () => {
    const vars = await load([
      { values: { x: 'rendered' } },
      {
        gitFiles: {
          url: repo.url,
          ref: { branch: '.*' },
          files: [{ glob: 'files/**.yaml', render: true, parseYaml: true }, { glob: 'files/*.txt' }],
        },
        targetPath: 'gf',
      },
    ]);
    const refs = vars.gf as Dict[];
    expect(refs.map((r) => r.refStr)).toEqual(['refs/heads/main', 'refs/heads/testbranch']);
    const main = refs[0]!;
    expect(main.ref).toEqual({ branch: 'main' });
    expect((main.files as Dict[]).map((f) => f.path)).toEqual([
      'files/a.yaml',
      'files/c.txt',
      'files/sub/b.yaml',
    ]);
    expect((main.filesByPath as Dict)['files/sub/b.yaml']).toMatchObject({
      content: 'b: "rendered"',
      parsed: { b: 'rendered' },
      file: { glob: 'files/**.yaml', render: true, parseYaml: true },
    });
    expect(((main.filesTree as Dict).files as Dict)['c.txt']).toMatchObject({ content: 'plain\n', size: 6 });
    expect(((refs[1]!.filesByPath as Dict)['files/a.yaml'] as Dict).parsed).toEqual({ a: 2 });
    expect(await loadError([{ gitFiles: { url: repo.url, files: [{ glob: '*.yaml' }] } }])).toContain(
      "'targetPath' is required for this variable source",
    );
  });
});

describe('TestVarsLoader http source (Kluctl pkg/vars/vars_loader_test.go)', () => {
  it('TestHttp_GET: body parsed; 404 + ignoreMissing loads nothing; 500 fails even with ignoreMissing; multidoc', async () => {
    expect(await load([{ http: { url: `${httpUrl}/ok` } }])).toEqual({ test1: { test2: 42 } });
    expect(await load([{ http: { url: `${httpUrl}/missing` }, ignoreMissing: true }])).toEqual({});
    expect(await loadError([{ http: { url: `${httpUrl}/error` }, ignoreMissing: true }])).toContain(
      'failed with status code 500',
    );
    expect(
      await load([{ http: { url: `${httpUrl}/multidoc` }, multidoc: true, targetPath: 'nested' }]),
    ).toEqual({
      nested: [{ test1: { test2: 42 } }, { test1: { test2: 43 } }],
    });
  });

  it('TestHttp_POST: method, body and headers are sent', async () => {
    const url = `${httpUrl}/post`;
    expect(await loadError([{ http: { url } }])).toContain('failed with status code 542');
    expect(await loadError([{ http: { url, method: 'POST' } }])).toContain('failed with status code 543');
    expect(await loadError([{ http: { url, method: 'POST', body: 'body' } }])).toContain(
      'failed with status code 544',
    );
    expect(await load([{ http: { url, method: 'POST', body: 'body', headers: { h: 'h' } } }])).toEqual({
      test1: { test2: 42 },
    });
  });

  it('TestHttp_JsonPath: the selected string is parsed as YAML', async () => {
    expect(await load([{ http: { url: `${httpUrl}/jsonpath`, jsonPath: 'test1' } }])).toEqual({ test2: 42 });
    expect(await loadError([{ http: { url: `${httpUrl}/ok`, jsonPath: 'test1' } }])).toContain(
      'test1 in result of http request',
    );
  });
});

describe('TestVarsLoader awsSecretsManager source (Kluctl pkg/vars/vars_loader_test.go, LocalStack)', () => {
  it('TestAwsSecretsManager: region or ARN required; by name with region; by ARN; ignoreMissing; sensitive', async () => {
    const name = secretName;
    expect(await loadError([{ awsSecretsManager: { secretName: name } }])).toBe(
      'deployment.yml: when omitting the AWS region, the secret name must be a valid ARN',
    );
    const c = ctx();
    expect(await load([{ awsSecretsManager: { secretName: name, region: 'eu-central-1' } }], c)).toEqual({
      test1: { test2: 42 },
    });
    expect(c.runtime.sensitive.map((s) => s.type)).toEqual(['awsSecretsManager']);
    expect(
      await load([
        {
          awsSecretsManager: {
            secretName: `arn:aws:secretsmanager:eu-central-1:000000000000:secret:${name}`,
          },
        },
      ]),
    ).toEqual({ test1: { test2: 42 } });
    expect(
      await load([
        { awsSecretsManager: { secretName: 'missing', region: 'eu-central-1' }, ignoreMissing: true },
      ]),
    ).toEqual({});
    expect(
      await loadError([{ awsSecretsManager: { secretName: 'missing', region: 'eu-central-1' } }]),
    ).toContain('getting secret missing from AWS secrets manager failed');
  });
});

describe('AwsSdkSecretsReader.requireSecretString (the functions read their kubeconfig with it)', () => {
  it('returns the string of an existing secret; a missing one is a retryable error naming it', async () => {
    expect(await aws.requireSecretString(secretName, 'eu-central-1')).toBe('{"test1": {"test2": 42}}');
    const err = await aws.requireSecretString('missing', 'eu-central-1').catch((e: unknown) => e);
    expect(err).toMatchObject({
      message: 'cannot read secret missing: ResourceNotFoundException',
      retryable: true,
    });
  });
});
