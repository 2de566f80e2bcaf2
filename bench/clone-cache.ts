/**
 * Clone cache benchmark: a repository the size of kluctl-examples (its whole tree, with several commits
 * of history) served by the test Git server, S3 on LocalStack. Three cases, each from a cold process's
 * point of view (a new CachedGitSource over the same bucket): a plain clone (the baseline, what every
 * reconcile did before), a miss (clone, then pack and upload the snapshot) and a hit (probe the ref,
 * download, check the digest and unpack). Each case runs against the server on loopback and again
 * against one that answers every request 50 ms late, as a distant Git host does. The Git requests each
 * case makes are counted at the server. Prints one JSON line per case with the baseline's figure.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { IsomorphicGitSource } from '../lib/adapters/isomorphic-git-source.js';
import { S3StateStore } from '../lib/adapters/s3-state-store.js';
import { TarArchiver } from '../lib/adapters/tar-archiver.js';
import { silentLogger, systemClock } from '../lib/ports.js';
import { CachedGitSource } from '../lib/serverless/clone-cache.js';
import { git } from '../devenv/git-repo.js';
import { startGitServer } from '../devenv/git-server.js';
import type { GitServer } from '../devenv/git-server.js';
import { LOCALSTACK_CREDENTIALS, startLocalStack } from '../devenv/localstack.js';
import { stopAll } from '../devenv/processes.js';
import { kluctlExamplesTarball } from '../devenv/reference-kluctl.js';
import { countingStore } from './counting-store.js';
import { since } from './cluster.js';

const run = promisify(execFile);
const ROUNDS = 5;
/** Delay per Git request of the "distant host" cases: one round trip to a far Git host. */
const REMOTE_DELAY_MS = 50;

interface Setup {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly url: string;
  readonly files: number;
  readonly work: string;
  readonly server: GitServer;
  /** `loopback`: the server as is; `delayed`: each request answered REMOTE_DELAY_MS late. */
  readonly remote: 'loopback' | 'delayed';
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Runs the benchmark. */
export async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'ks-bench-clone-'));
  const server = await startGitServer();
  const ls = await startLocalStack({ workDir: join(work, 'localstack'), logsDir: join(work, 'logs') });
  const s3 = new S3Client({
    endpoint: ls.endpoint,
    region: LOCALSTACK_CREDENTIALS.region,
    forcePathStyle: true,
    credentials: LOCALSTACK_CREDENTIALS,
  });
  try {
    // The repository: kluctl-examples' tree, committed in a few steps so there is history to skip.
    const bare = join(server.root, 'examples.git');
    const tree = join(work, 'tree');
    await mkdir(tree);
    await run('tar', ['-xJf', kluctlExamplesTarball(), '-C', tree, '--strip-components=1']);
    await git(server.root, ['init', '--quiet', '--bare', '--initial-branch=main', bare]);
    await git(tree, ['init', '--quiet', '--initial-branch=main']);
    await git(tree, ['-c', 'user.email=b@b', '-c', 'user.name=b', 'add', '-A']);
    await git(tree, ['-c', 'user.email=b@b', '-c', 'user.name=b', 'commit', '--quiet', '-m', 'examples']);
    for (let i = 0; i < 5; i++) {
      await run('sh', ['-c', `echo ${i} >> README.md`], { cwd: tree });
      await git(tree, ['-c', 'user.email=b@b', '-c', 'user.name=b', 'commit', '--quiet', '-am', `c${i}`]);
    }
    await git(tree, ['push', '--quiet', bare, 'main']);
    const url = server.url('examples');
    const files = (await git(tree, ['ls-files'])).split('\n').filter(Boolean).length;

    const bucket = `bench-clone-${Date.now()}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await measure({ s3, bucket, url, files, work, server, remote: 'loopback' });
    // The same repository behind a server that answers each request 50 ms late: a distant Git host.
    const far = await startGitServer({ root: server.root, delayMs: REMOTE_DELAY_MS });
    try {
      await measure({ s3, bucket, url: far.url('examples'), files, work, server: far, remote: 'delayed' });
    } finally {
      await far.stop();
    }
  } finally {
    s3.destroy();
    await ls.stop();
    await server.stop();
    await stopAll();
    await rm(work, { recursive: true, force: true });
  }
}

/** Five rounds of plain clone, cache miss and cache hit; one JSON line per case. */
async function measure(o: Setup): Promise<void> {
  const { s3, bucket, url, server } = o;
  const cases = { plain: [] as number[], miss: [] as number[], hit: [] as number[] };
  const gitRequests = { plain: 0, miss: 0, hit: 0 };
  const missCalls: Record<string, number> = {};
  const hitCalls: Record<string, number> = {};
  let snapshotBytes = 0;
  const timed = async (name: keyof typeof cases, f: () => Promise<unknown>): Promise<void> => {
    const r0 = server.requests();
    const t0 = performance.now();
    await f();
    cases[name].push(since(t0));
    gitRequests[name] += server.requests() - r0;
  };
  for (let r = 0; r < ROUNDS; r++) {
    const dir = (name: string) => join(o.work, `${o.remote}-${name}-${r}`);
    await timed('plain', () => new IsomorphicGitSource().checkout(url, { branch: 'main' }, dir('plain')));
    // A fresh prefix per round: each miss is a first clone for the cache.
    const base = new S3StateStore({ client: s3, bucket, prefix: `${o.remote}-r${r}/` });
    const source = (counts: Record<string, number>) =>
      new CachedGitSource({
        inner: new IsomorphicGitSource(),
        store: countingStore(base, r === 0 ? counts : {}),
        archiver: new TarArchiver(),
        clock: systemClock,
        logger: silentLogger,
      });
    await timed('miss', () => source(missCalls).checkout(url, { branch: 'main' }, dir('miss')));
    const hitSource = source(hitCalls);
    await timed('hit', () => hitSource.checkout(url, { branch: 'main' }, dir('hit')));
    if (hitSource.stats.snapshotHits !== 1) throw new Error('expected a snapshot hit');
    const snap = (await base.list('clone-cache/')).find((k) => k.endsWith('.tar.gz'));
    snapshotBytes = snap ? ((await base.get(snap))?.body.byteLength ?? 0) : 0;
  }
  const baseline = median(cases.plain);
  const line = (name: keyof typeof cases, extra: Record<string, unknown>) =>
    process.stdout.write(
      `${JSON.stringify({
        bench: 'clone-cache',
        case: o.remote === 'loopback' ? name : `${name}, Git host ${REMOTE_DELAY_MS} ms away`,
        repository: `kluctl-examples (${o.files} files, 6 commits)`,
        rounds: ROUNDS,
        p50Ms: median(cases[name]),
        gitRequestsPerRound: gitRequests[name] / ROUNDS,
        baseline: { case: 'plain clone (isomorphic-git, shallow)', p50Ms: baseline },
        speedup: Number((baseline / median(cases[name])).toFixed(2)),
        ...extra,
      })}\n`,
    );
  line('plain', {});
  line('miss', { s3Calls: missCalls, snapshotBytes });
  line('hit', { s3Calls: hitCalls });
}
