/**
 * Render benchmark: the microservices fixture (13 items with a dir, 40 objects, vars files,
 * conditionals; test/fixtures/projects/microservices) rendered for `prod`, cold (fresh template engine,
 * first render of the process) and warm (median of 5 renders with a warm engine), once with the real
 * kustomize binary for every item and once with the in-process fast path for resources-only
 * kustomizations. Prints one JSON line per case with total and per-item time and the share of the wall
 * time during which kustomize processes were running.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fastPathBuilder } from '../lib/project/kustomize-fast.js';
import { binaryBuilder } from '../lib/project/render-items.js';
import type { ItemBuilder } from '../lib/project/render-items.js';
import { renderProject } from '../lib/project/render-project.js';
import { TemplateEngine } from '../lib/templating/template-engine.js';
import { toolPath } from '../lib/tools.js';

const PROJECT = fileURLToPath(new URL('../test/fixtures/projects/microservices', import.meta.url));
const WARM_RUNS = 5;

/** Wraps a builder to measure the wall time during which at least one kustomize build was running. */
function timed(inner: ItemBuilder): { builder: ItemBuilder; busyMs: () => number; reset: () => void } {
  let running = 0;
  let since = 0;
  let busy = 0;
  return {
    builder: async (dir, label, signal) => {
      if (running++ === 0) since = performance.now();
      try {
        return await inner(dir, label, signal);
      } finally {
        if (--running === 0) busy += performance.now() - since;
      }
    },
    busyMs: () => busy,
    reset: () => (busy = 0),
  };
}

async function once(
  engine: TemplateEngine,
  builder: ItemBuilder,
): Promise<{ ms: number; items: number; objects: number }> {
  const renderDir = await mkdtemp(join(tmpdir(), 'bench-render-'));
  try {
    const t0 = performance.now();
    const r = await renderProject({ projectDir: PROJECT, target: 'prod', renderDir, engine, builder });
    return {
      ms: performance.now() - t0,
      items: r.items.filter((i) => i.dir).length,
      objects: r.objects.length,
    };
  } finally {
    await rm(renderDir, { recursive: true, force: true });
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

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
    const cold = await once(engine, t.builder);
    const coldBusy = t.busyMs();
    const warm: { ms: number; busy: number }[] = [];
    for (let i = 0; i < WARM_RUNS; i++) {
      t.reset();
      const r = await once(engine, t.builder);
      warm.push({ ms: r.ms, busy: t.busyMs() });
    }
    const warmMs = median(warm.map((w) => w.ms));
    const warmBusy = median(warm.map((w) => w.busy));
    for (const [c, ms, busy] of [
      ['cold', cold.ms, coldBusy],
      ['warm (median of 5)', warmMs, warmBusy],
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
          kustomizeBusyMs: Math.round(busy),
          kustomizeShare: +(busy / ms).toFixed(2),
          ...(mode === 'fast path' ? { fastPathItems: stats.fast, binaryItems: stats.slow } : {}),
        })}\n`,
      );
    }
  }
}
