/**
 * `gitops list-results` and `gitops get-result`: the results Kluctl's result store keeps (Secrets in
 * `kluctl-results`, written by our reconciler and by Kluctl's controller alike), listed per deployment
 * from their summaries, and one printed in full as the request commands print it.
 */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { formatValidateResult, parseOutputFlags } from '../../lib/deploy/result-output.js';
import { KsError } from '../../lib/errors.js';
import { formatResultListings, formatStoredCommandResult } from '../../lib/gitops/result-listing.js';
import type { CommandResult } from '../../lib/deploy/command-result.js';
import type { ResultListing } from '../../lib/gitops/result-listing.js';
import { KluctlResultReader } from '../../lib/gitops/result-reader.js';
import { selectDeployments } from '../../lib/gitops/select-deployments.js';
import { kubeClient } from '../compose.js';
import { terminalWidth } from './command-output.js';
import { gitopsOptions, resultOutputOptions, selectionOf } from './gitops-flags.js';
import type { GitopsFlags } from './gitops-flags.js';

/** `-o format[=path]` and `--short-output`. */
export interface ResultFlags {
  outputFormat: string[];
  shortOutput?: boolean;
}

/** Prints a stored command result in every `-o` format (text on stdout when none). */
export function printCommandResult(r: CommandResult, f: Partial<ResultFlags>): Promise<void> {
  return writeAll(f.outputFormat ?? [], (format) =>
    formatStoredCommandResult(r, format, { short: f.shortOutput ?? false, width: terminalWidth() }),
  );
}

/** Adds `list-results` and `get-result` to `gitops`. */
export function gitopsResultCommands(gitops: Command): void {
  resultOutputOptions(
    gitopsOptions(
      gitops
        .command('list-results')
        .description('List the command and validate results kept for KluctlDeployments, newest first'),
    ),
  )
    .option('--all', 'every deployment of the namespace (all namespaces without -n)')
    .action(async (f: GitopsFlags & ResultFlags & { all?: boolean }) => {
      const kube = await client(f);
      try {
        const reader = new KluctlResultReader(kube, f.commandResultNamespace);
        const selection = await selectionOf(f, f.all ? 'all' : 'auto-detect');
        const { deployments } = await selectDeployments(kube, selection);
        const clusterId = await kube.clusterId();
        const listings: ResultListing[] = [];
        for (const kd of deployments) {
          const key = { name: kd.metadata.name, namespace: kd.metadata.namespace ?? '', clusterId };
          listings.push({
            deployment: { namespace: key.namespace, name: key.name },
            commandResults: await reader.listCommandSummaries(key),
            validateResults: await reader.listValidateSummaries(key),
          });
        }
        await writeAll(f.outputFormat, (format) => formatResultListings(listings, format));
      } finally {
        kube.close();
      }
    });

  resultOutputOptions(
    gitopsOptions(
      gitops
        .command('get-result')
        .argument('<id>', 'the result id (see list-results, or status.*RequestResult.resultId)')
        .description('Print one command or validate result, as the request commands print it'),
    ),
  ).action(async (id: string, f: GitopsFlags & ResultFlags) => {
    const kube = await client(f);
    try {
      const reader = new KluctlResultReader(kube, f.commandResultNamespace);
      const command = await reader.getCommandResult(id).catch((err: unknown) => notFoundAsUndefined(err));
      if (command) {
        await printCommandResult(command, f);
        return;
      }
      const validate = await reader.getValidateResult(id);
      await writeAll(f.outputFormat, (format) => formatValidateResult(validate, format, terminalWidth()));
    } finally {
      kube.close();
    }
  });
}

function client(f: GitopsFlags) {
  return kubeClient({
    ...(f.kubeconfig ? { kubeconfig: f.kubeconfig } : {}),
    ...(f.context ? { context: f.context } : {}),
  });
}

function notFoundAsUndefined(err: unknown): undefined {
  if (err instanceof KsError && err.code === 'KubeNotFound') return undefined;
  throw err;
}

/** Writes `text(format)` for every `-o format[=path]` (text on stdout when none). */
export async function writeAll(
  outputs: readonly string[],
  text: (format: 'text' | 'json' | 'yaml') => string,
): Promise<void> {
  for (const t of parseOutputFlags(outputs)) {
    const s = text(t.format);
    if (t.path && t.path !== '-') await writeFile(t.path, s);
    else process.stdout.write(s);
  }
}
