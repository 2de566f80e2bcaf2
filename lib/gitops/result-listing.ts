/**
 * The output of `gitops list-results`: the summaries Kluctl's result store keeps for a deployment
 * (what Kluctl's web UI lists), as a kubectl-style table or as JSON/YAML of Kluctl's summary objects.
 */
import type { CommandResultSummary } from '../api/types.js';
import type { CommandResult } from '../deploy/command-result.js';
import { kluctlResultJson } from '../deploy/command-result.js';
import { formatCommandResultText } from '../deploy/result-output.js';
import type { OutputFormat } from '../deploy/result-output.js';
import { compactedObjects } from '../results/kluctl-result-format.js';
import { writeYaml } from '../util/yaml.js';
import type { ValidateResultSummary } from './result-reader.js';

/** The results of one deployment, newest first. */
export interface ResultListing {
  readonly deployment: { readonly namespace: string; readonly name: string };
  readonly commandResults: readonly CommandResultSummary[];
  readonly validateResults: readonly ValidateResultSummary[];
}

/** The listings in `format`: one table for all deployments, or a JSON/YAML list of them. */
export function formatResultListings(listings: readonly ResultListing[], format: OutputFormat): string {
  if (format === 'json') return `${JSON.stringify(listings, null, 2)}\n`;
  if (format === 'yaml') return writeYaml(listings);
  const rows: string[][] = [
    [
      'DEPLOYMENT',
      'ID',
      'COMMAND',
      'TARGET',
      'STARTED',
      'DURATION',
      'NEW',
      'CHANGED',
      'ORPHAN',
      'DELETED',
      'ERRORS',
      'WARNINGS',
    ],
  ];
  for (const l of listings) {
    const name = `${l.deployment.namespace}/${l.deployment.name}`;
    const rowsOf = [
      ...l.commandResults.map((s) => ({
        at: s.commandInfo.startTime,
        row: [
          name,
          s.id,
          (s.commandInfo.command ?? '') + (s.commandInfo.dryRun ? ' (dry-run)' : ''),
          s.target.name ?? '',
          s.commandInfo.startTime,
          duration(s.commandInfo.startTime, s.commandInfo.endTime),
          String(s.newObjects),
          String(s.changedObjects),
          String(s.orphanObjects),
          String(s.deletedObjects),
          String(s.errors?.length ?? 0),
          String(s.warnings?.length ?? 0),
        ],
      })),
      ...l.validateResults.map((s) => ({
        at: s.startTime,
        row: [
          name,
          s.id,
          s.ready ? 'validate' : 'validate (not ready)',
          s.targetKey.targetName ?? '',
          s.startTime,
          duration(s.startTime, s.endTime),
          '',
          '',
          '',
          '',
          String(s.errors),
          String(s.warnings),
        ],
      })),
    ];
    rowsOf.sort((a, b) => (Date.parse(b.at) || 0) - (Date.parse(a.at) || 0));
    rows.push(...rowsOf.map((r) => r.row));
  }
  if (rows.length === 1) return 'No results found.\n';
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map(
      (r) =>
        `${r
          .map((c, i) => c.padEnd(widths[i]!))
          .join('   ')
          .trimEnd()}\n`,
    )
    .join('');
}

/** `4.1s`, `2m3s`: the time between two RFC 3339 timestamps. */
function duration(start: string, end: string | undefined): string {
  const ms = (Date.parse(end ?? '') || 0) - (Date.parse(start) || 0);
  if (!end || ms < 0) return '';
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
}

/**
 * A command result read back from the result store, as `kluctl gitops deploy|diff|prune` prints it:
 * text as every command prints results; YAML as Kluctl's compacted result (the objects under
 * `compactedObjects`, bodies as `full: <json>`); JSON is ours (Kluctl's gitops commands refuse it), the
 * same document as the YAML.
 */
export function formatStoredCommandResult(
  r: CommandResult,
  format: OutputFormat,
  opts: { readonly short: boolean; readonly width: number },
): string {
  if (format === 'text') return formatCommandResultText(r, opts.short, opts.width);
  const { objects: _objects, ...rest } = kluctlResultJson(r);
  const doc = { ...rest, compactedObjects: compactedObjects(r.objects) };
  return format === 'json' ? `${JSON.stringify(doc, null, 2)}\n` : writeYaml(doc);
}
