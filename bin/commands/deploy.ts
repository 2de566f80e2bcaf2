/** `kluctl-serverless deploy`: render, apply with server-side apply, optionally prune. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { stringify } from 'yaml';
import { deployProject } from '../../lib/deploy/deploy-project.js';
import { KsError } from '../../lib/errors.js';
import { parseDuration } from '../../lib/api/durations.js';
import { refString } from '../../lib/deploy/object-ref.js';
import { clientForTarget, renderFromFlags } from './common.js';
import type { ProjectFlags } from './common.js';

interface DeployFlags extends ProjectFlags {
  dryRun?: boolean;
  prune?: boolean;
  abortOnError?: boolean;
  /** commander's negation of `--no-wait`. */
  wait?: boolean;
  readinessTimeout: string;
  yes?: boolean;
  outputFormat: 'text' | 'json' | 'yaml';
}

/** Deploys; exits non-zero when any object failed. */
export async function deploy(flags: DeployFlags): Promise<void> {
  const kube = await clientForTarget(flags);
  let cleanup: string | undefined;
  try {
    const step = (m: string): void => void process.stderr.write(`${m}\n`);
    step('Rendering project');
    // Unless the user asked to keep the render output, it lives in a temp dir removed at the end.
    const renderDir = flags.renderOutputDir ?? (await mkdtemp(join(tmpdir(), 'kluctl-serverless-render-')));
    cleanup = flags.renderOutputDir ? undefined : renderDir;
    const rendered = await renderFromFlags({ ...flags, renderOutputDir: renderDir }, kube);
    step(`Rendered ${rendered.objects.length} objects in ${rendered.items.length} deployment items`);
    if (!flags.yes && !flags.dryRun)
      await confirm(
        `Deploy ${rendered.objects.length} objects to ${flags.context ?? 'the current context'}?`,
      );
    const out = await deployProject(kube, rendered, {
      dryRun: flags.dryRun ?? false,
      prune: flags.prune ?? false,
      abortOnError: flags.abortOnError ?? false,
      noWait: flags.wait === false,
      readinessTimeoutMs: parseDuration(flags.readinessTimeout),
      progress: { step },
    });
    const summary = {
      applied: out.objects.filter((o) => o.applied).length,
      new: out.objects.filter((o) => o.new).length,
      changed: out.objects.filter((o) => (o.changes?.length ?? 0) > 0).length,
      orphans: out.objects.filter((o) => o.orphan).length,
      deleted: out.objects.filter((o) => o.deleted).length,
      errors: out.errors.length,
      warnings: out.warnings.length,
    };
    if (flags.outputFormat === 'json')
      process.stdout.write(
        `${JSON.stringify({ summary, errors: out.errors, warnings: out.warnings }, null, 2)}\n`,
      );
    else if (flags.outputFormat === 'yaml')
      process.stdout.write(stringify({ summary, errors: out.errors, warnings: out.warnings }));
    else {
      for (const o of out.objects.filter((x) => x.new)) process.stdout.write(`new: ${refString(o.ref)}\n`);
      for (const o of out.objects.filter((x) => (x.changes?.length ?? 0) > 0))
        process.stdout.write(`changed: ${refString(o.ref)} (${o.changes!.length} changes)\n`);
      for (const o of out.objects.filter((x) => x.deleted))
        process.stdout.write(`deleted: ${refString(o.ref)}\n`);
      for (const o of out.objects.filter((x) => x.orphan))
        process.stdout.write(`orphan: ${refString(o.ref)}\n`);
      for (const e of out.errors) process.stdout.write(`error: ${refString(e.ref)}: ${e.message}\n`);
      process.stdout.write(
        `${summary.applied} applied, ${summary.new} new, ${summary.changed} changed, ${summary.deleted} deleted, ${summary.orphans} orphans, ${summary.errors} errors\n`,
      );
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
    throw new KsError('InvalidInput', 'refusing to deploy without confirmation; pass --yes (or --dry-run)');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await rl.question(`${question} [y/N] `);
  rl.close();
  if (!/^y(es)?$/i.test(answer.trim())) throw new KsError('Aborted', 'aborted by user');
}
