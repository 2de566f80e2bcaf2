/**
 * The real `kluctl gitops ...` CLI (Kluctl v2.28.2) against two controllers on the same test API server:
 * Kluctl's own (`kluctl controller run`) and our local runner (in-process, watching its namespace on a
 * short tick). Each side has its KluctlDeployment in its own namespace, deploys into its own namespace
 * (the "slug" of Kluctl's e2e test projects) from its own repository, so a step runs on both sides at
 * once and what the CLI printed, the status and the objects can be compared with the namespaces
 * replaced by placeholders.
 */
import { appendFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsStateStore } from '../../lib/adapters/fs-state-store.js';
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import { HttpKubeClientFactory } from '../../lib/adapters/kube-client-factory.js';
import { KubeSecretsResultStore } from '../../lib/adapters/kube-secrets-result-store.js';
import { IsomorphicGitSource } from '../../lib/adapters/isomorphic-git-source.js';
import type { KluctlDeployment } from '../../lib/api/types.js';
import { jsonLogger } from '../../lib/logging/json-logger.js';
import { systemClock } from '../../lib/ports.js';
import { LocalRunner } from '../../lib/runner/local-runner.js';
import { toolPath } from '../../devenv/tools.js';
import { applyKluctlDeployment, patchKluctlDeploymentSpec } from '../support/kluctl-deployment.js';
import { createRepo } from '../../devenv/git-repo.js';
import type { TestRepo } from '../../devenv/git-repo.js';
import { startGitServer } from '../../devenv/git-server.js';
import type { GitServer } from '../../devenv/git-server.js';
import { tailFile } from '../../devenv/processes.js';
import type { ManagedProcess } from '../../devenv/processes.js';
import {
  createTestNamespace,
  eventually,
  installCrds,
  kubectlJson,
  kubectlTest,
  testEnv,
} from '../support/test-env.js';
import { startKluctlController } from './kluctl-controller.js';
import { runKluctl } from '../../devenv/reference-kluctl.js';
import type { KluctlRun } from '../../devenv/reference-kluctl.js';

/** The name of the KluctlDeployment on each side. */
export const KD_NAME = 'kd';

/** One controller's side. */
export interface Side {
  readonly label: 'kluctl' | 'ours';
  /** Namespace of the KluctlDeployment. */
  readonly gitopsNs: string;
  /** Namespace the project deploys into. */
  readonly slug: string;
  repo?: TestRepo;
}

/** What the CLI printed, with the side's namespaces replaced by `GITOPS` and `SLUG`. */
export interface CliRun extends KluctlRun {
  readonly side: Side['label'];
}

/** Both controllers, the Git server and the CLI's working folder. */
export class GitopsSides {
  private constructor(
    readonly kluctl: Side,
    readonly ours: Side,
    private readonly server: GitServer,
    private readonly controller: ManagedProcess,
    private readonly runner: LocalRunner,
    private readonly kube: HttpKubeClient,
    private readonly tmp: string,
    /** Our runner's JSON log (for failures). */
    readonly runnerLog: string,
  ) {}

  /** Starts Kluctl's controller and our runner, each on a fresh namespace pair named after `scenario`. */
  static async start(scenario: string): Promise<GitopsSides> {
    const env = testEnv();
    await installCrds();
    const server = await startGitServer();
    const tmp = await mkdtemp(join(tmpdir(), `ks-gitops-${scenario}-`));
    // Namespace names of equal length on both sides: the CLI wraps its diff tables by width.
    const side = async (label: Side['label']): Promise<Side> => ({
      label,
      gitopsNs: await createTestNamespace(`${scenario}-${label[0]}`),
      slug: await createTestNamespace(`${scenario}-${label[0]}-slug`),
    });
    const kluctl = await side('kluctl');
    const ours = await side('ours');
    await kubectlTest(['create', 'namespace', `${kluctl.gitopsNs}-system`]);
    const controller = await startKluctlController(kluctl.gitopsNs, {
      dryRun: false,
      controllerNamespace: `${kluctl.gitopsNs}-system`,
    });
    const kube = await HttpKubeClient.fromKubeconfig({ kubeconfigPath: env.kubeconfigPath });
    const runnerLog = join(env.logsDir, `runner-${ours.gitopsNs}.log`);
    const runner = new LocalRunner(
      {
        kube,
        store: new FsStateStore(join(tmp, 'state')),
        git: new IsomorphicGitSource(),
        clock: systemClock,
        logger: jsonLogger((l) => appendFileSync(runnerLog, `${l}\n`)),
        workDir: tmp,
        kustomizePath: toolPath('kustomize'),
        holder: `parity-${ours.gitopsNs}`,
        clusters: new HttpKubeClientFactory(kube),
        kluctlResults: new KubeSecretsResultStore(kube),
      },
      { namespace: ours.gitopsNs, tickMs: 500 },
    );
    runner.start();
    return new GitopsSides(kluctl, ours, server, controller, runner, kube, tmp, runnerLog);
  }

  /** Both sides, Kluctl's first. */
  get both(): readonly [Side, Side] {
    return [this.kluctl, this.ours];
  }

  /** Stops both controllers and removes what the sides left on disk. */
  async stop(): Promise<void> {
    await this.runner.stop();
    await this.controller.stop();
    this.kube.close();
    await Promise.all(this.both.map((s) => s.repo?.cleanup()));
    await this.server.stop();
    await rm(this.tmp, { recursive: true, force: true });
  }

  /** Commits `files(side.slug)` to the side's repository (created on first use). */
  async commit(files: (slug: string) => Record<string, string | null>, message: string): Promise<void> {
    await Promise.all(
      this.both.map(async (s) => {
        if (s.repo) await s.repo.commit(files(s.slug), message);
        else s.repo = await createRepo(this.server, s.gitopsNs, files(s.slug) as Record<string, string>);
      }),
    );
  }

  /** Creates the KluctlDeployment of both sides from the side's repository. */
  async createDeployment(spec: Readonly<Record<string, unknown>>): Promise<void> {
    await Promise.all(
      this.both.map((s) =>
        applyKluctlDeployment(s.gitopsNs, KD_NAME, { ...spec, source: { git: { url: s.repo!.url } } }),
      ),
    );
  }

  /**
   * Merge-patches the spec on both sides and waits until both reconciled the new generation (Kluctl's
   * controller sees the change through its watch at once; a request sent right after it would
   * otherwise race with that reconcile on one side only).
   */
  async patchSpec(spec: Readonly<Record<string, unknown>>): Promise<void> {
    await Promise.all(this.both.map((s) => this.patchSpecOn(s, spec)));
  }

  /** Merge-patches the spec on one side and waits until it reconciled the new generation. */
  async patchSpecOn(side: Side, spec: Readonly<Record<string, unknown>>): Promise<void> {
    await patchKluctlDeploymentSpec(side.gitopsNs, KD_NAME, spec);
    await this.settled((kd) => kd.status?.observedGeneration === kd.metadata.generation);
  }

  /** Runs `kluctl gitops <args> --name kd -n <side>` on both sides at once. */
  gitops(args: readonly string[]): Promise<[CliRun, CliRun]> {
    return Promise.all([this.gitopsOn(this.kluctl, args), this.gitopsOn(this.ours, args)]);
  }

  /** Runs the CLI against one side; output normalized. */
  async gitopsOn(side: Side, args: readonly string[]): Promise<CliRun> {
    const env = testEnv();
    const r = await runKluctl(
      [
        'gitops',
        ...args,
        '--kubeconfig',
        env.kubeconfigPath,
        '--context',
        'default',
        '--namespace',
        side.gitopsNs,
        '--name',
        KD_NAME,
        '--controller-namespace',
        `${side.gitopsNs}-system`,
      ],
      // Outside any Git repository, so the CLI does not try to override the project source.
      { cwd: this.tmp, timeoutMs: 180_000 },
    );
    const norm = (t: string) => normalize(side, t);
    return { side: side.label, code: r.code, stdout: norm(r.stdout), stderr: norm(r.stderr) };
  }

  /**
   * Kluctl's e2e `waitForReconcile`: a reconcile request on both sides, then wait until each finished
   * it with a Ready that is not Unknown.
   */
  async waitForReconcile(): Promise<void> {
    const value = `${Date.now()}`;
    await Promise.all(
      this.both.map(async (s) => {
        const r = await kubectlTest([
          'annotate',
          '--overwrite',
          'kluctldeployment',
          KD_NAME,
          '-n',
          s.gitopsNs,
          `kluctl.io/request-reconcile=${JSON.stringify({ requestValue: value })}`,
        ]);
        if (r.code !== 0) throw new Error(`annotating ${s.gitopsNs}/${KD_NAME} failed: ${r.stderr}`);
      }),
    );
    await this.settled((kd) => {
      const rr = kd.status?.reconcileRequestResult;
      return rr?.request.requestValue === value && rr.endTime !== undefined;
    });
  }

  /** Waits until both sides are idle (no Reconciling, Ready known) and `done` holds for each. */
  async settled(done: (kd: KluctlDeployment) => boolean = () => true, timeoutMs = 180_000): Promise<void> {
    try {
      await eventually(
        async () => {
          for (const s of this.both) {
            const kd = await this.get(s);
            const conds = kd.status?.conditions ?? [];
            const ready = conds.find((c) => c.type === 'Ready');
            const busy = conds.some((c) => c.type === 'Reconciling');
            if (busy || !ready || ready.status === 'Unknown' || !done(kd)) {
              throw new Error(`${s.label} not settled: ${JSON.stringify(kd.status ?? {}).slice(0, 2000)}`);
            }
          }
        },
        { timeoutMs, intervalMs: 500 },
      );
    } catch (err) {
      process.stderr.write(
        `kluctl controller log:\n${tailFile(this.controller.logFile, 60)}\nour runner log:\n${tailFile(this.runnerLog, 60)}\n`,
      );
      throw err;
    }
  }

  /** The side's KluctlDeployment. */
  get(side: Side): Promise<KluctlDeployment> {
    return kubectlJson<KluctlDeployment>(['get', 'kluctldeployment', KD_NAME, '-n', side.gitopsNs]);
  }

  /** The ConfigMaps in the side's slug namespace: name → data. */
  async configMaps(side: Side): Promise<Record<string, Record<string, string>>> {
    const l = await kubectlJson<{ items: { metadata: { name: string }; data?: Record<string, string> }[] }>([
      'get',
      'configmaps',
      '-n',
      side.slug,
      '-l',
      'kluctl.io/discriminator',
    ]);
    return Object.fromEntries(l.items.map((i) => [i.metadata.name, i.data ?? {}]));
  }
}

/** The side's namespaces replaced by placeholders. */
function normalize(side: Side, text: string): string {
  return text.split(side.slug).join('SLUG').split(side.gitopsNs).join('GITOPS');
}

/**
 * Both runs of a step exited alike and printed the same (namespaces normalized, objects in a canonical
 * order); returns ours.
 */
export function expectSameCli([k, o]: [CliRun, CliRun]): CliRun {
  expect({ code: o.code, stdout: canonicalOrder(o.stdout), stderr: o.stderr }).toEqual({
    code: k.code,
    stdout: canonicalOrder(k.stdout),
    stderr: k.stderr,
  });
  return o;
}

/**
 * The CLI's text with the objects of each list and the per-object diff tables sorted, and blank lines
 * dropped: Kluctl orders a result's objects by kind only (the rest is Go map order, so it changes from
 * run to run), and prints a blank line before the first diff table unless it is the first object.
 */
export function canonicalOrder(text: string): string {
  const chunks: string[][] = [];
  for (const line of text.split('\n').filter((l) => l.trim() !== '')) {
    const last = chunks[chunks.length - 1];
    const continues = last && (/^ {2}\S/.test(line) || /^[+|]/.test(line)) && !line.startsWith('Diff for');
    if (continues) last.push(line);
    else chunks.push([line]);
  }
  const out: string[] = [];
  let tables: string[] = [];
  const flush = () => {
    out.push(...tables.sort());
    tables = [];
  };
  for (const [head, ...rest] of chunks) {
    if (head!.startsWith('Diff for')) {
      tables.push([head, ...rest].join('\n'));
      continue;
    }
    flush();
    out.push([head, ...[...rest].sort()].join('\n'));
  }
  flush();
  return out.join('\n');
}
