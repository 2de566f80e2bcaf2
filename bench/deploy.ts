/**
 * Deploy benchmark: N objects (ConfigMaps, headless Services (the test cluster has a /24 service
 * range) and Deployments across 10 deployment items) into a fresh namespace with our deploy engine:
 * first deploy, redeploy with nothing changed, redeploy with 10% of the objects changed. Baseline:
 * `kubectl apply --server-side -f -` of the same manifests into another fresh namespace of the same
 * cluster, in the same run. Reports wall time, API calls per object (kubectl's counted in a separate,
 * untimed `-v=6` run) and peak memory (our RSS high-water mark sampled every 10 ms; kubectl's maxRSS
 * from GNU time). Every case checks that every object was applied. Prints one JSON line per case.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { stringify } from 'yaml';
import { HttpKubeClient } from '../lib/adapters/http-kube-client.js';
import { deployProject } from '../lib/deploy/deploy-project.js';
import type { DeployItem } from '../lib/deploy/deploy-types.js';
import type { KubeObject } from '../lib/ports.js';
import { toolPath } from '../devenv/tools.js';
import { kubectl } from '../devenv/control-plane.js';
import { since, withCluster } from './cluster.js';

const OBJECTS = Number(process.env.BENCH_OBJECTS ?? 500);
const ITEMS = 10;
const CASES = ['first deploy', 'redeploy, nothing changed', 'redeploy, 10% changed'] as const;

/** The objects of the benchmark; `rev` 2 changes every tenth object. */
function objects(ns: string, discriminator: string, rev: 1 | 2): DeployItem[] {
  const items: DeployItem[] = [];
  const per = Math.ceil(OBJECTS / ITEMS);
  for (let i = 0; i < ITEMS; i++) {
    const objs: KubeObject[] = [];
    for (let j = 0; j < per && i * per + j < OBJECTS; j++) {
      const n = `o-${i}-${j}`;
      const v = rev === 2 && (i * per + j) % 10 === 0 ? '2' : '1';
      const labels = { 'kluctl.io/discriminator': discriminator, app: n };
      const meta = { name: n, namespace: ns, labels };
      if (j % 3 === 0)
        objs.push({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: meta,
          data: { i: String(i), j: String(j), v, payload: 'x'.repeat(200) },
        });
      else if (j % 3 === 1)
        objs.push({
          apiVersion: 'v1',
          kind: 'Service',
          metadata: meta,
          spec: {
            clusterIP: 'None',
            ports: [{ port: v === '2' ? 81 : 80, protocol: 'TCP' }],
            selector: { app: n },
          },
        });
      else
        objs.push({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: meta,
          spec: {
            replicas: 1,
            selector: { matchLabels: { app: n } },
            template: {
              metadata: { labels: { app: n } },
              spec: {
                containers: [{ name: 'main', image: `registry.k8s.io/pause:3.${v === '2' ? 10 : 9}` }],
              },
            },
          },
        });
    }
    items.push({ dir: `item-${i}`, barrier: false, objects: objs });
  }
  return items;
}

/** Samples this process's RSS every 10 ms; `stop()` returns the high-water mark in MiB. */
function rssSampler(): { stop(): number } {
  let peak = process.memoryUsage.rss();
  const t = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 10);
  return {
    stop() {
      clearInterval(t);
      return Math.round(Math.max(peak, process.memoryUsage.rss()) / 2 ** 20);
    },
  };
}

/** Runs kubectl under GNU time (when present) and returns its wall time, maxRSS and stderr. */
function timedKubectl(
  kc: string,
  args: string[],
  input: string,
): Promise<{ ms: number; rssMB?: number; stderr: string }> {
  const gnuTime = existsSync('/usr/bin/time');
  const cmd = gnuTime ? '/usr/bin/time' : toolPath('kubectl');
  const argv = gnuTime
    ? ['-f', 'KS_MAXRSS=%M', toolPath('kubectl'), '--kubeconfig', kc, ...args]
    : ['--kubeconfig', kc, ...args];
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, argv, { stdio: ['pipe', 'ignore', 'pipe'] });
    const err: Buffer[] = [];
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.once('error', reject);
    child.once('close', (code) => {
      const ms = since(t0);
      const stderr = Buffer.concat(err).toString();
      if (code !== 0)
        return reject(new Error(`kubectl ${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`));
      const m = /KS_MAXRSS=(\d+)/.exec(stderr);
      resolve({ ms, ...(m ? { rssMB: Math.round(Number(m[1]) / 1024) } : {}), stderr });
    });
    child.stdin.end(input);
  });
}

async function mustKubectl(kc: string, args: string[]): Promise<string> {
  const r = await kubectl(kc, args);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** How many of the benchmark's objects exist in `ns`, and how many carry the 10%-change marker. */
async function countLive(kc: string, ns: string): Promise<number> {
  const out = await mustKubectl(kc, [
    'get',
    'configmaps,services,deployments',
    '-n',
    ns,
    '-l',
    'app',
    '-o',
    'name',
  ]);
  return out.split('\n').filter(Boolean).length;
}

function manifest(ns: string, rev: 1 | 2): string {
  return objects(ns, ns, rev)
    .flatMap((i) => i.objects)
    .map((o) => stringify(o))
    .join('---\n');
}

function line(fields: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ bench: 'deploy', objects: OBJECTS, ...fields })}\n`);
}

/** Runs the benchmark. */
export async function main(): Promise<void> {
  await withCluster(async (kc) => {
    const kube = await HttpKubeClient.fromKubeconfig({ kubeconfigPath: kc });
    try {
      for (const ns of ['bench-ours', 'bench-kubectl', 'bench-kubectl-count'])
        await mustKubectl(kc, ['create', 'namespace', ns]);
      // Warm discovery and connections outside the measured part, as kubectl warms its cache too.
      await kube.listResources();
      await kube.resolve('apps/v1', 'Deployment');
      const ours: Record<string, number> = {};
      line({
        case: 'process before the first case',
        tool: 'kluctl-serverless',
        rssMB: Math.round(process.memoryUsage.rss() / 2 ** 20),
      });
      // Per case ours, then kubectl's, back to back: on a shared machine this keeps both under the same load.
      for (const [idx, name] of CASES.entries()) {
        {
          const input = {
            discriminator: 'bench-ours',
            items: objects('bench-ours', 'bench-ours', idx === 2 ? 2 : 1),
          };
          const calls0 = kube.stats.total;
          const verbs0 = { ...kube.stats.byVerb };
          const sampler = rssSampler();
          const t0 = performance.now();
          const out = await deployProject(kube, input, { noWait: true });
          const ms = since(t0);
          const peakRssMB = sampler.stop();
          const applied = out.objects.filter((o) => o.applied).length;
          const changed = out.objects.filter((o) => (o.changes?.length ?? 0) > 0).length;
          if (applied !== OBJECTS || out.errors.length > 0)
            throw new Error(
              `${name}: applied ${applied}/${OBJECTS}, errors ${JSON.stringify(out.errors.slice(0, 3))}`,
            );
          const live = await countLive(kc, 'bench-ours');
          if (live !== OBJECTS) throw new Error(`${name}: ${live}/${OBJECTS} objects exist after the deploy`);
          const calls = kube.stats.total - calls0;
          ours[name] = ms;
          line({
            case: name,
            tool: 'kluctl-serverless',
            ms,
            applied,
            changed,
            apiCalls: calls,
            apiCallsPerObject: +(calls / OBJECTS).toFixed(2),
            byVerb: Object.fromEntries(
              Object.entries(kube.stats.byVerb).map(([v, n]) => [v, n - (verbs0[v] ?? 0)]),
            ),
            peakRssMB,
          });
        }
        {
          const rev = idx === 2 ? 2 : 1;
          const args = ['apply', '--server-side', '--field-manager=kluctl', '-f', '-'];
          const r = await timedKubectl(kc, args, manifest('bench-kubectl', rev));
          const live = await countLive(kc, 'bench-kubectl');
          if (live !== OBJECTS) throw new Error(`kubectl ${name}: ${live}/${OBJECTS} objects exist`);
          // API calls counted in an untimed twin run with request logging, in its own namespace.
          const counted = await timedKubectl(kc, ['-v=6', ...args], manifest('bench-kubectl-count', rev));
          const calls = (
            counted.stderr.match(/"Response" verb=|^I.*\] (GET|PATCH|POST|PUT|DELETE) https/gm) ?? []
          ).length;
          line({
            case: name,
            tool: 'kubectl apply --server-side',
            ms: r.ms,
            applied: live,
            apiCalls: calls,
            apiCallsPerObject: +(calls / OBJECTS).toFixed(2),
            ...(r.rssMB !== undefined ? { peakRssMB: r.rssMB } : {}),
            speedup: +(r.ms / (ours[name] ?? r.ms)).toFixed(2),
          });
        }
      }
    } finally {
      kube.close();
    }
  });
}
