/**
 * The verdict on one parity case as readable text: empty when Kluctl and ours agree on every object
 * field, the object order, the objects hash, and when our `--print-all` output reads back (with the Go
 * reader Kluctl and kubectl use) to the objects we rendered. Differences listed in deliberate.ts are
 * left out, each being documented in docs/parity.md.
 */
import type { KubeObject } from '../../lib/ports.js';
import { compareObjects, diffValues, formatDifferences, objectId } from './compare.js';
import type { Difference } from './compare.js';
import { isDeliberate } from './deliberate.js';
import { isFailure, renderCommand, renderWithKluctl, renderWithOurs } from './render-both.js';
import type { KluctlRender, OurRender, RenderFailure, RenderMode } from './render-both.js';
import { expectedFailure } from './projects.js';
import type { ParityCase } from './projects.js';

/** Differences between our in-memory objects and our printed objects read back. */
function printedDifferences(rendered: readonly KubeObject[], printed: readonly KubeObject[]): Difference[] {
  const out: Difference[] = [];
  // Index-wise: printing keeps the order and the count, so this shows exactly what the writer changed.
  const n = Math.max(rendered.length, printed.length);
  for (let i = 0; i < n; i++) {
    const o = rendered[i] ?? printed[i]!;
    diffValues(`${objectId(o)} (object ${i})`, '', rendered[i], printed[i], out);
  }
  return out;
}

/** Renames the report's value labels (the comparison calls its sides kluctl and ours). */
function relabel(lines: readonly string[], a: string, b: string): string[] {
  return lines.map((l) => l.replace(/: kluctl (.*), ours /, `: ${a} $1, ${b} `));
}

const fieldKey = (d: Difference): string => `${d.object}\t${d.path}`;

/**
 * Fields that differ between two renders of the same case by Kluctl itself (charts that generate
 * certificates or passwords with `genCA`, `randAlphaNum`, ...): no tool can agree on those.
 */
export function unstableFields(first: KluctlRender, second: KluctlRender): ReadonlySet<string> {
  return new Set(compareObjects(first.objects, second.objects).differences.map(fieldKey));
}

/**
 * '' when the two renders agree; else a report naming the case, the command and what differs.
 * `unstable` ({@link unstableFields}) are left out, and then the objects hash cannot be compared.
 */
export function parityReport(
  c: ParityCase,
  mode: RenderMode,
  kluctl: KluctlRender | RenderFailure,
  ours: OurRender | RenderFailure,
  unstable: ReadonlySet<string> = new Set(),
): string {
  const head = `${c.id} (${mode.kind}): kluctl-serverless ${renderCommand(c, mode)}`;
  if (isFailure(kluctl) || isFailure(ours)) {
    const both = isFailure(kluctl) && isFailure(ours);
    // Both failing is agreement only where the case is meant to fail, and then with the same cause.
    const expected = expectedFailure(c, mode.kind);
    if (both && expected && kluctl.error.includes(expected) && ours.error.includes(expected)) return '';
    return [
      head,
      `  ${both ? 'both tools failed' : 'only one tool failed'}`,
      `  kluctl: ${isFailure(kluctl) ? kluctl.error : `${kluctl.objects.length} objects`}`,
      `  ours: ${isFailure(ours) ? ours.error : `${ours.objects.length} objects`}`,
    ].join('\n');
  }
  const cmp = compareObjects(kluctl.objects, ours.objects);
  const compared = cmp.differences.filter((d) => !unstable.has(fieldKey(d)));
  const shown = compared.filter((d) => !isDeliberate(d, mode.kind));
  const deliberate = compared.length - shown.length;
  const lines: string[] = [];
  if (shown.length > 0)
    lines.push(`  objects: ${shown.length} differing fields`, ...formatDifferences(shown));
  if (cmp.order) lines.push(`  order: ${cmp.order}`);
  // With deliberate or random fields the hashes cannot agree; those are documented instead.
  if (kluctl.objectsHash !== ours.objectsHash && deliberate === 0 && unstable.size === 0) {
    lines.push(`  objects hash: kluctl ${kluctl.objectsHash}, ours ${ours.objectsHash}`);
  }
  const printed = printedDifferences(ours.objects, ours.printed);
  if (printed.length > 0) {
    lines.push(
      `  --print-all: our printed YAML reads back (sigs.k8s.io/yaml) different from what we rendered`,
      ...relabel(formatDifferences(printed), 'rendered', 'read back'),
    );
  }
  return lines.length === 0 ? '' : [head, ...lines].join('\n');
}

/**
 * Renders the case with both tools (at the same time) and returns {@link parityReport}. Only when they
 * differ, Kluctl renders once more, so fields that Kluctl itself renders at random are set apart.
 */
export async function caseReport(c: ParityCase, mode: RenderMode, kluctlCacheDir: string): Promise<string> {
  const [kluctl, ours] = await Promise.all([
    renderWithKluctl(c, mode, kluctlCacheDir),
    renderWithOurs(c, mode),
  ]);
  const report = parityReport(c, mode, kluctl, ours);
  if (!report || isFailure(kluctl)) return report;
  const again = await renderWithKluctl(c, mode, kluctlCacheDir);
  return isFailure(again) ? report : parityReport(c, mode, kluctl, ours, unstableFields(kluctl, again));
}

/**
 * Why Kluctl's controller hash differs from ours for a case, or '' when it cannot agree for a good
 * reason: Kluctl renders the case differently run to run (random chart output) and every other field
 * agrees. `ours` is our reconciler's render of the same commit.
 */
export async function explainHashMismatch(
  c: ParityCase,
  mode: RenderMode,
  kluctlCacheDir: string,
  ours: OurRender,
  controllerHash: string,
): Promise<string> {
  const first = await renderWithKluctl(c, mode, kluctlCacheDir);
  const second = await renderWithKluctl(c, mode, kluctlCacheDir);
  if (isFailure(first) || isFailure(second)) return parityReport(c, mode, first, ours);
  const random = first.objectsHash !== second.objectsHash;
  const report = parityReport(c, mode, first, ours, random ? unstableFields(first, second) : new Set());
  if (random && !report) return '';
  return [
    `${c.id}: Kluctl's controller status.lastObjectsHash ${controllerHash}, ours ${ours.objectsHash}` +
      ` (kluctl render --print-all hashes to ${first.objectsHash})`,
    report,
  ].join('\n');
}
