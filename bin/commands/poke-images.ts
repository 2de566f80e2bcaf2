/** `kluctl-serverless poke-images`: render, then set only the images of the live workloads. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { writeYaml } from '../../lib/util/yaml.js';
import { pokeImages } from '../../lib/deploy/poke-images.js';
import { refString } from '../../lib/deploy/object-ref.js';
import { KsError } from '../../lib/errors.js';
import { clientForTarget, renderFromFlags } from './common.js';
import type { ProjectFlags } from './common.js';

interface PokeImagesFlags extends ProjectFlags {
  dryRun?: boolean;
  yes?: boolean;
  outputFormat: 'text' | 'json' | 'yaml';
}

/** Pokes images; exits non-zero when any object failed. */
export async function pokeImagesCommand(flags: PokeImagesFlags): Promise<void> {
  const kube = await clientForTarget(flags);
  let cleanup: string | undefined;
  try {
    const step = (m: string): void => void process.stderr.write(`${m}\n`);
    const renderDir = flags.renderOutputDir ?? (await mkdtemp(join(tmpdir(), 'kluctl-serverless-render-')));
    cleanup = flags.renderOutputDir ? undefined : renderDir;
    const rendered = await renderFromFlags({ ...flags, renderOutputDir: renderDir }, kube);
    step(`Rendered ${rendered.objects.length} objects, ${rendered.seenImages.length} images`);
    if (!flags.yes && !flags.dryRun) await confirm('Do you really want to poke the images into the cluster?');
    const out = await pokeImages(kube, rendered, { dryRun: flags.dryRun ?? false, progress: { step } });
    const changed = out.objects.filter((o) => (o.changes?.length ?? 0) > 0);
    const report = {
      changed: changed.map((o) => refString(o.ref)),
      errors: out.errors.map((e) => ({ ref: refString(e.ref), message: e.message })),
      warnings: out.warnings.map((e) => ({ ref: refString(e.ref), message: e.message })),
    };
    if (flags.outputFormat === 'json') process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else if (flags.outputFormat === 'yaml') process.stdout.write(writeYaml(report));
    else {
      for (const o of changed) process.stdout.write(`changed: ${refString(o.ref)}\n`);
      for (const w of report.warnings) process.stdout.write(`warning: ${w.ref}: ${w.message}\n`);
      for (const e of report.errors) process.stdout.write(`error: ${e.ref}: ${e.message}\n`);
      process.stdout.write(`${changed.length} changed, ${report.errors.length} errors\n`);
    }
    if (out.errors.length > 0)
      throw new KsError('KubeApi', `command failed with ${out.errors.length} errors`);
  } finally {
    kube.close();
    if (cleanup) await rm(cleanup, { recursive: true, force: true });
  }
}

async function confirm(question: string): Promise<void> {
  if (!process.stdin.isTTY)
    throw new KsError(
      'InvalidInput',
      'refusing to poke images without confirmation; pass --yes (or --dry-run)',
    );
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await rl.question(`${question} [y/N] `);
  rl.close();
  if (!/^y(es)?$/i.test(answer.trim())) throw new KsError('Aborted', 'aborted by user');
}
