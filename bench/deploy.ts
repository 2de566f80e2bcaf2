/**
 * Deploy benchmark: N objects (ConfigMaps, headless Services (the test cluster has a /24 service range), ServiceAccounts across 10 deployment items) into a
 * fresh namespace with our deploy engine, against `kubectl apply --server-side` of the same manifests
 * into another fresh namespace of the same cluster, in the same run. Also a redeploy with nothing
 * changed. Prints one JSON line per case.
 */
import { stringify } from 'yaml';
import { HttpKubeClient } from '../lib/adapters/http-kube-client.js';
import { deployProject } from '../lib/deploy/deploy-project.js';
import type { DeployItem } from '../lib/deploy/deploy-project.js';
import type { KubeObject } from '../lib/ports.js';
import { kubectl } from '../test/env/control-plane.js';
import { since, withCluster } from './cluster.js';

const OBJECTS = Number(process.env.BENCH_OBJECTS ?? 500);
const ITEMS = 10;

function objects(ns: string, discriminator: string): DeployItem[] {
  const items: DeployItem[] = [];
  const per = Math.ceil(OBJECTS / ITEMS);
  for (let i = 0; i < ITEMS; i++) {
    const objs: KubeObject[] = [];
    for (let j = 0; j < per && i * per + j < OBJECTS; j++) {
      const n = `o-${i}-${j}`;
      const labels = { 'kluctl.io/discriminator': discriminator, app: n };
      const kind = j % 3;
      if (kind === 0)
        objs.push({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: n, namespace: ns, labels },
          data: { i: String(i), j: String(j), payload: 'x'.repeat(200) },
        });
      else if (kind === 1)
        objs.push({
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: n, namespace: ns, labels },
          spec: { clusterIP: 'None', ports: [{ port: 80, protocol: 'TCP' }], selector: { app: n } },
        });
      else
        objs.push({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: n, namespace: ns, labels } });
    }
    items.push({ dir: `item-${i}`, barrier: false, objects: objs });
  }
  return items;
}

async function mustKubectl(kc: string, args: string[], input?: string): Promise<void> {
  const r = await kubectl(kc, args, input === undefined ? {} : { input });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
}

/** Runs the benchmark. */
export async function main(): Promise<void> {
  await withCluster(async (kc) => {
    const kube = await HttpKubeClient.fromKubeconfig({ kubeconfigPath: kc });
    try {
      await mustKubectl(kc, ['create', 'namespace', 'bench-ours']);
      await mustKubectl(kc, ['create', 'namespace', 'bench-kubectl']);
      // Warm discovery and connections outside the measured part, as kubectl warms its cache too.
      await kube.listResources();
      const ours = { discriminator: 'bench-ours', items: objects('bench-ours', 'bench-ours') };
      for (const [name, expectApplied] of [
        ['first deploy', OBJECTS],
        ['redeploy, nothing changed', OBJECTS],
      ] as const) {
        const calls0 = kube.stats.total;
        const rss0 = process.memoryUsage().rss;
        const t0 = performance.now();
        const out = await deployProject(kube, ours);
        const ms = since(t0);
        const applied = out.objects.filter((o) => o.applied).length;
        if (applied !== expectApplied || out.errors.length > 0)
          throw new Error(
            `${name}: applied ${applied}/${expectApplied}, errors ${JSON.stringify(out.errors.slice(0, 3))}`,
          );
        process.stdout.write(
          `${JSON.stringify({ bench: 'deploy', case: name, tool: 'kluctl-serverless', objects: OBJECTS, ms, apiCalls: kube.stats.total - calls0, apiCallsPerObject: +((kube.stats.total - calls0) / OBJECTS).toFixed(2), rssDeltaMB: Math.round((process.memoryUsage().rss - rss0) / 2 ** 20) })}\n`,
        );
      }
      const manifest = objects('bench-kubectl', 'bench-kubectl')
        .flatMap((i) => i.objects)
        .map((o) => stringify(o))
        .join('---\n');
      for (const name of ['first deploy', 'redeploy, nothing changed']) {
        const t0 = performance.now();
        await mustKubectl(kc, ['apply', '--server-side', '--field-manager=kluctl', '-f', '-'], manifest);
        process.stdout.write(
          `${JSON.stringify({ bench: 'deploy', case: name, tool: 'kubectl apply --server-side', objects: OBJECTS, ms: since(t0) })}\n`,
        );
      }
    } finally {
      kube.close();
    }
  });
}
