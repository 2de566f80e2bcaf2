/**
 * The flags of `kluctl-serverless gitops ...`, named and grouped as Kluctl v2.28.2's
 * (cmd/kluctl/args/gitops_args.go): which deployments (`--name`, `-n`, `-l`, `--project-dir`), which
 * cluster (`--kubeconfig`, `--context`), where results are (`--command-result-namespace`), the logs
 * flags, and the overrides that become the request's `overridesPatch`.
 */
import { Option } from 'commander';
import type { Command } from 'commander';
import type { GitopsOverrides } from '../../lib/gitops/overrides-patch.js';
import type { NoSelection, Selection } from '../../lib/gitops/select-deployments.js';
import { KsError } from '../../lib/errors.js';
import { externalArgs, fixedImagesFromFlags, fromKubeconfig } from './common.js';
import { gitInfoOf } from './command-output.js';
export { resultFormatOptions as resultOutputOptions } from './flags.js';

const collect = (v: string, prev: string[]): string[] => [...prev, v];

/** A pflag-style boolean: `--flag`, `--flag=true`, `--flag=false`. */
function parseBool(v: string | undefined): boolean {
  if (v === undefined || v === '' || /^(true|t|1)$/i.test(v)) return true;
  if (/^(false|f|0)$/i.test(v)) return false;
  throw new KsError('InvalidInput', `invalid boolean '${v}': use true or false`);
}

/** Flags every gitops command has. */
export interface GitopsFlags {
  projectDir: string;
  name?: string;
  namespace?: string;
  labelSelector?: string;
  kubeconfig?: string;
  context?: string;
  controllerNamespace: string;
  commandResultNamespace: string;
}

/** `--name`, `-n`, `-l`, `--kubeconfig`, `--context`, `--project-dir` and the result namespace. */
export function gitopsOptions(cmd: Command): Command {
  return cmd
    .option('--project-dir <dir>', 'the local project; without --name/-l, its deployments are picked', '.')
    .option('--name <name>', 'the name of the KluctlDeployment')
    .option(
      '-n, --namespace <ns>',
      "the namespace of the KluctlDeployment (default: the kubeconfig context's)",
    )
    .option('-l, --label-selector <selector>', 'pick KluctlDeployments by this label selector')
    .option('--kubeconfig <path>', 'the kubeconfig to use (default: $KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'the kubeconfig context to use')
    .option(
      '--controller-namespace <ns>',
      "accepted for Kluctl's CLI compatibility; there is no controller pod (logs come from the result store)",
      'kluctl-system',
    )
    .option(
      '--command-result-namespace <ns>',
      "where the results are (Kluctl's result store)",
      'kluctl-results',
    );
}

/** Kluctl's log flags. */
export interface LogFlags {
  logSince: string;
  logGroupingTime: string;
  logTime?: boolean;
}

/** `--log-since`, `--log-grouping-time`, `--log-time`. */
export function logOptions(cmd: Command): Command {
  return cmd
    .option('--log-since <duration>', 'show logs of reconciles that ended this recently', '60s')
    .option(
      '--log-grouping-time <duration>',
      "accepted for Kluctl's CLI compatibility (lines are printed per reconcile)",
      '1s',
    )
    .option('--log-time', 'prefix log lines with their time');
}

/** The override flags as commander hands them over. */
export interface OverrideFlags {
  target?: string;
  targetNameOverride?: string;
  targetContext?: string;
  arg: string[];
  argsFromFile: string[];
  fixedImage: string[];
  fixedImagesFile?: string;
  includeTag: string[];
  excludeTag: string[];
  includeDeploymentDir: string[];
  excludeDeploymentDir: string[];
  dryRun?: boolean;
  forceApply?: boolean;
  replaceOnError?: boolean;
  forceReplaceOnError?: boolean;
  abortOnError?: boolean;
  noWait?: boolean;
  prune?: boolean;
}

/** Kluctl's "GitOps overrides"; `deployExtras` adds `--no-wait` and `--prune` (deploy only). */
export function overrideOptions(cmd: Command, deployExtras = false): Command {
  const bool = (flags: string, help: string) => new Option(flags, help).argParser(parseBool);
  cmd
    .option('-t, --target <name>', 'the target to use instead of spec.target')
    .option('-T, --target-name-override <name>', 'rename the target')
    .option('--target-context <name>', "the context name instead of the target's")
    .option(
      '-a, --arg <name=value>',
      'a target arg, merged over spec.args (value parsed as YAML; repeatable)',
      collect,
      [],
    )
    .option('--args-from-file <file>', 'a YAML file of args (repeatable)', collect, [])
    .option(
      '-F, --fixed-image <image=result>',
      "pin an image: 'image[:namespace[:deployment[:container]]]=result' (repeatable)",
      collect,
      [],
    )
    .option('--fixed-images-file <file>', 'a YAML file of fixed images')
    .option('-I, --include-tag <tag>', 'only items with this tag (repeatable)', collect, [])
    .option('-E, --exclude-tag <tag>', 'skip items with this tag (repeatable)', collect, [])
    .option('--include-deployment-dir <dir>', 'only this item dir (repeatable)', collect, [])
    .option('--exclude-deployment-dir <dir>', 'skip this item dir (repeatable)', collect, [])
    .addOption(bool('--dry-run [bool]', 'run every API call as a dry run'))
    .addOption(bool('--force-apply [bool]', 'force conflicting fields on apply'))
    .addOption(bool('--replace-on-error [bool]', 'replace an object when patching it fails'))
    .addOption(bool('--force-replace-on-error [bool]', 'like --replace-on-error, then delete and re-create'))
    .addOption(bool('--abort-on-error [bool]', 'stop at the first error'));
  if (deployExtras) {
    cmd
      // commander makes `--no-wait` the negation of `wait`; noWaitOf() tells given from default.
      .option('--no-wait', 'do not wait for readiness')
      .addOption(bool('--prune [bool]', 'prune orphans right after deploying'));
  }
  return cmd;
}

/** `--no-wait` as Kluctl's `noWait` override: undefined unless given. */
export function noWaitOf(cmd: Command): boolean | undefined {
  return cmd.getOptionValueSource('wait') === 'cli' ? cmd.getOptionValue('wait') === false : undefined;
}

/** The overrides the flags ask for (only those given). */
export function overridesOf(f: Partial<OverrideFlags>): GitopsOverrides {
  for (const d of [...(f.includeDeploymentDir ?? []), ...(f.excludeDeploymentDir ?? [])]) {
    if (d.startsWith('/'))
      throw new KsError('InvalidInput', `--include/exclude-deployment-dir ${d}: the path must be relative`);
  }
  const args = externalArgs({ arg: f.arg ?? [], argsFromFile: f.argsFromFile ?? [] });
  const images = fixedImagesFromFlags({
    fixedImage: f.fixedImage ?? [],
    ...(f.fixedImagesFile ? { fixedImagesFile: f.fixedImagesFile } : {}),
  });
  const given = <K extends keyof GitopsOverrides>(k: K, v: GitopsOverrides[K] | undefined) =>
    v === undefined ? {} : { [k]: v };
  return {
    ...given('dryRun', f.dryRun),
    ...given('forceApply', f.forceApply),
    ...given('replaceOnError', f.replaceOnError),
    ...given('forceReplaceOnError', f.forceReplaceOnError),
    ...given('abortOnError', f.abortOnError),
    ...given('noWait', f.noWait),
    ...given('prune', f.prune),
    ...given('target', f.target),
    ...given('targetNameOverride', f.targetNameOverride),
    ...given('targetContext', f.targetContext),
    ...(images.length > 0 ? { images } : {}),
    includeTags: f.includeTag ?? [],
    excludeTags: f.excludeTag ?? [],
    includeDeploymentDirs: f.includeDeploymentDir ?? [],
    excludeDeploymentDirs: f.excludeDeploymentDir ?? [],
    ...(Object.keys(args).length > 0 ? { args } : {}),
  };
}

/** The selection the flags describe; the local project's key only when it is needed. */
export async function selectionOf(f: GitopsFlags, noSelection: NoSelection): Promise<Selection> {
  const namespace = f.namespace ?? contextNamespace(f.kubeconfig, f.context);
  const needsProject = !f.name && !f.labelSelector && noSelection === 'auto-detect';
  const projectKey = needsProject ? (await gitInfoOf(f.projectDir)).projectKey : undefined;
  return {
    ...(f.name ? { name: f.name } : {}),
    ...(namespace ? { namespace } : {}),
    ...(f.labelSelector ? { labelSelector: f.labelSelector } : {}),
    noSelection,
    ...(projectKey ? { projectKey } : {}),
  };
}

/** The namespace of the kubeconfig context (`--context`, else the current one), as kubectl reads it. */
function contextNamespace(kubeconfig: string | undefined, context: string | undefined): string | undefined {
  const ns = fromKubeconfig(kubeconfig, (doc) => {
    const name = context ?? doc['current-context'];
    const contexts = (doc.contexts ?? []) as { name: string; context?: { namespace?: string } }[];
    const ctx = contexts.find((c) => c.name === name);
    return ctx ? (ctx.context?.namespace ?? '') : undefined;
  });
  return ns || undefined;
}
