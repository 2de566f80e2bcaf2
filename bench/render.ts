/**
 * Render benchmark: the microservices fixture (14 items with a dir, 43 objects, vars files,
 * conditionals, one local Helm chart; test/fixtures/projects/microservices) rendered for `prod`, cold
 * (fresh template engine, first render of the process) and warm (median of 5 renders with a warm
 * engine), once with the real kustomize binary for every item and once with the in-process fast path
 * for resources-only kustomizations. Prints one JSON line per case with total and per-item time and the
 * share of the wall time during which kustomize processes, helm processes, or either were running.
 * Then the seed example rendered by the reference Kluctl and by our CLI (bench/render-vs-kluctl.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fastPathBuilder } from '../lib/project/kustomize-fast.js';
import { binaryBuilder } from '../lib/project/build-item.js';
import type { ItemBuilder } from '../lib/project/build-item.js';
import { renderProject } from '../lib/project/render-project.js';
import { TemplateEngine } from '../lib/templating/template-engine.js';
import { toolPath } from '../devenv/tools.js';
import { main as seedVsKluctl } from './render-vs-kluctl.js';

const PROJECT = fileURLToPath(new URL('../test/fixtures/projects/microservices', import.meta.url));
const WARM_RUNS = 5;

type Interval = readonly [number, number];

/** Wall time covered by at least one of the intervals. */
function unionMs(intervals: readonly Interval[]): number {
  let total = 0;
  let end = -Infinity;
  for (const [s, e] of [...intervals].sort((a, b) => a[0] - b[0])) {
    if (e <= end) continue;
    total += e - Math.max(s, end);
    end = e;
  }
  return total;
}

/** Records when kustomize builds (through the builder) and `helm template` runs were in flight. */
function timed(inner: ItemBuilder): {
  builder: ItemBuilder;
  onHelmRun: (start: number, end: number) => void;
  busy: () => { kustomize: number; helm: number; either: number };
  reset: () => void;
} {
  let kustomize: Interval[] = [];
  let helm: Interval[] = [];
  return {
    builder: async (dir, label, signal) => {
      const start = performance.now();
      try {
        return await inner(dir, label, signal);
      } finally {
        kustomize.push([start, performance.now()]);
      }
    },
    onHelmRun: (start, end) => void helm.push([start, end]),
    busy: () => ({
      kustomize: unionMs(kustomize),
      helm: unionMs(helm),
      either: unionMs([...kustomize, ...helm]),
    }),
    reset: () => {
      kustomize = [];
      helm = [];
    },
  };
}

async function once(
  engine: TemplateEngine,
  t: ReturnType<typeof timed>,
): Promise<{ ms: number; items: number; objects: number }> {
  const renderDir = await mkdtemp(join(tmpdir(), 'bench-render-'));
  try {
    const t0 = performance.now();
    const r = await renderProject({
      projectDir: PROJECT,
      target: 'prod',
      renderDir,
      engine,
      builder: t.builder,
      helm: { onHelmRun: t.onHelmRun },
    });
    return {
      ms: performance.now() - t0,
      items: r.items.filter((i) => i.dir).length,
      objects: r.objects.length,
    };
  } finally {
    await rm(renderDir, { recursive: true, force: true });
  }
}

/** Runs the benchmark. */
export async function main(): Promise<void> {
  const kustomize = binaryBuilder(toolPath('kustomize'));
  const stats = { fast: 0, slow: 0 };
  for (const [mode, inner] of [
    ['kustomize binary', kustomize],
    ['fast path', fastPathBuilder(kustomize, stats)],
  ] as const) {
    const t = timed(inner);
    const engine = new TemplateEngine();
    const cold = await once(engine, t);
    const coldBusy = t.busy();
    const warm: { ms: number; busy: ReturnType<typeof t.busy> }[] = [];
    for (let i = 0; i < WARM_RUNS; i++) {
      t.reset();
      const r = await once(engine, t);
      warm.push({ ms: r.ms, busy: t.busy() });
    }
    // The run with the median total time, so its busy times belong to the reported total.
    const warmRun = [...warm].sort((a, b) => a.ms - b.ms)[Math.floor(warm.length / 2)]!;
    for (const [c, ms, busy] of [
      ['cold', cold.ms, coldBusy],
      ['warm (median of 5)', warmRun.ms, warmRun.busy],
    ] as const) {
      process.stdout.write(
        `${JSON.stringify({
          bench: 'render',
          case: c,
          mode,
          items: cold.items,
          objects: cold.objects,
          ms: Math.round(ms),
          msPerItem: +(ms / cold.items).toFixed(1),
          kustomizeBusyMs: Math.round(busy.kustomize),
          kustomizeShare: +(busy.kustomize / ms).toFixed(2),
          helmBusyMs: Math.round(busy.helm),
          helmShare: +(busy.helm / ms).toFixed(2),
          spawnShare: +(busy.either / ms).toFixed(2),
          ...(mode === 'fast path' ? { fastPathItems: stats.fast, binaryItems: stats.slow } : {}),
        })}\n`,
      );
    }
  }
  await seedVsKluctl();
}
