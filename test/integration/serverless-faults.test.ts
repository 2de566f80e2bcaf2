/**
 * Faults of the AWS-shaped stack (test/support/serverless-stack.ts): S3 and SQS unavailable for a while
 * (the functions reach LocalStack through a TCP proxy that refuses connections while cut), once while
 * the shim pushes and once while a reconcile runs: nothing is lost once they are back. And a Git server
 * that cannot be reached: PrepareFailed, nothing applied to the cluster.
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { createRepo } from '../../devenv/git-repo.js';
import type { TestRepo } from '../../devenv/git-repo.js';
import { startGitServer } from '../../devenv/git-server.js';
import type { GitServer } from '../../devenv/git-server.js';
import { queueDepth, localSqs } from '../../devenv/aws-local.js';
import { fixtureFiles } from '../support/fixtures.js';
import {
  applyKluctlDeployment,
  getKluctlDeployment,
  patchKluctlDeploymentSpec,
  readyCondition,
} from '../support/kluctl-deployment.js';
import { startServerlessStack } from '../support/serverless-stack.js';
import type { ServerlessStack } from '../support/serverless-stack.js';
import { TcpProxy } from '../support/shim-harness.js';
import { createTestNamespace, eventually, kubectlTest, testEnv } from '../support/test-env.js';

let server: GitServer;
let repo: TestRepo;
let stack: ServerlessStack;
let aws: TcpProxy;
let ns: string;

beforeAll(async () => {
  server = await startGitServer();
  repo = await createRepo(server, 'faults-project', await fixtureFiles('skeleton'));
  ns = await createTestNamespace('faults');
  const localstack = new URL(testEnv().s3.endpoint);
  aws = new TcpProxy(localstack.hostname, Number(localstack.port));
  await aws.open();
  const endpoint = `http://${aws.address}`;
  stack = await startServerlessStack({
    namespaces: [ns],
    s3Endpoint: endpoint,
    sqsEndpoint: endpoint,
    visibilityTimeoutSec: 3,
  });
});

afterAll(async () => {
  await stack?.stop();
  await aws?.cut();
  await server?.stop();
  await repo?.cleanup();
});

const spec = (namespace: string, extra?: string) => ({
  interval: '10m',
  timeout: '2m',
  source: { git: { url: repo.url } },
  target: 'dev',
  args: { namespace, ...(extra ? { extra } : {}) },
});

function readyAt(name: string, generation: number, timeoutMs = 90_000): Promise<void> {
  return eventually(
    async () => {
      const kd = await getKluctlDeployment(ns, name);
      expect(kd.status?.observedGeneration).toBe(generation);
      expect(readyCondition(kd)).toMatchObject({ status: 'True', reason: 'ReconciliationSucceeded' });
    },
    { timeoutMs, intervalMs: 250 },
  );
}

it('S3 and SQS down while the shim pushes: ingest answers 503, the shim retries, nothing is lost', async () => {
  await aws.cut();
  await applyKluctlDeployment(ns, 'during-outage', spec(ns));
  // The shim keeps trying while ingest cannot store or enqueue.
  await eventually(async () => expect(stack.api.calls.get('/ingest') ?? 0).toBeGreaterThanOrEqual(3), {
    timeoutMs: 30_000,
  });
  expect(readyCondition(await getKluctlDeployment(ns, 'during-outage'))).toBeUndefined();
  await aws.open();
  await readyAt('during-outage', 1);
});

it('S3 and SQS down while a reconcile runs: the message is redelivered and the change applied', async () => {
  await stack.pump.stop();
  await patchKluctlDeploymentSpec(ns, 'during-outage', spec(ns, 'x'));
  const sqs = localSqs(testEnv().s3.endpoint);
  try {
    await eventually(async () => expect(await queueDepth(sqs, stack.env.QUEUE_URL!)).toBe(1));
  } finally {
    sqs.destroy();
  }
  await aws.cut();
  const failedBefore = stack.pump.counts.failed;
  stack.pump.start();
  await eventually(async () => expect(stack.pump.counts.failed).toBeGreaterThan(failedBefore), {
    timeoutMs: 60_000,
  });
  await aws.open();
  await readyAt('during-outage', 2);
});

it('Git unreachable: PrepareFailed naming the source, and nothing applied to the cluster', async () => {
  const target = await createTestNamespace('faults-git');
  // A Git host that drops every connection, on a port this test holds: a port found free and then
  // closed could be taken by another process's server meanwhile, which might accept and never answer.
  const host = createServer((socket) => socket.destroy());
  await new Promise<void>((r) => host.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(host.address() as AddressInfo).port}/gone.git`;
  await applyKluctlDeployment(ns, 'no-git', { ...spec(target), source: { git: { url } } });
  const kd = await eventually(
    async () => {
      const got = await getKluctlDeployment(ns, 'no-git');
      expect(readyCondition(got)).toMatchObject({ status: 'False', reason: 'PrepareFailed' });
      return got;
    },
    { timeoutMs: 50_000, intervalMs: 250 },
  ).finally(() => host.close());
  expect(kd.status?.lastPrepareError).toContain('127.0.0.1');
  expect(kd.status?.lastDeployResult).toBeUndefined();
  const objects = await kubectlTest(['get', 'configmaps,services', '-n', target, '-o', 'name']);
  expect(objects.stdout.split('\n').filter((l) => l && !l.includes('kube-root-ca.crt'))).toEqual([]);
});
