/**
 * The `kluctl-serverless` CLI: Kluctl's command and flag names, `--help` on every command, results
 * and errors that say what to do next.
 */
import { Command, Option } from 'commander';
import { render } from './commands/render.js';
import { deploy } from './commands/deploy.js';
import { listTargets } from './commands/list-targets.js';
import { run } from './commands/run.js';
import { errorMessage } from '../lib/errors.js';

const collect = (v: string, prev: string[]): string[] => [...prev, v];

function projectOptions(cmd: Command): Command {
  return cmd
    .option('--project-dir <dir>', 'the Kluctl project directory', '.')
    .option('-t, --target <name>', 'the target to use')
    .option('-T, --target-name-override <name>', 'override the name of the target')
    .option(
      '-a, --arg <name=value>',
      'an argument for the project (repeatable; value parsed as YAML)',
      collect,
      [],
    )
    .option('--context <name>', 'override the kubeconfig context')
    .option('--kubeconfig <path>', 'the kubeconfig to use (default: $KUBECONFIG or ~/.kube/config)')
    .option('--render-output-dir <dir>', 'write the rendered project here instead of a temp dir');
}

const program = new Command('kluctl-serverless')
  .description('Kluctl deployments from Git, reconciled by serverless functions or a local runner.')
  .showHelpAfterError('(run with --help for usage)');

projectOptions(
  program.command('render').description('render the project for a target and print or write the objects'),
)
  .option('--print-all', 'print all rendered objects as multi-document YAML')
  .option('--offline-kubernetes', 'do not contact the cluster (scope of unknown kinds is guessed)')
  .action(render);

projectOptions(
  program.command('deploy').description('deploy the project to the target cluster with server-side apply'),
)
  .option('--dry-run', 'server-side dry run: change nothing')
  .option('--prune', 'delete orphaned objects after deploying')
  .option('--abort-on-error', 'stop at the first error')
  .option('-y, --yes', 'do not ask for confirmation')
  .addOption(
    new Option('-o, --output-format <format>', 'result output')
      .choices(['text', 'json', 'yaml'])
      .default('text'),
  )
  .action(deploy);

program
  .command('list-targets')
  .description('list the targets of the project')
  .option('--project-dir <dir>', 'the Kluctl project directory', '.')
  .option(
    '-a, --arg <name=value>',
    'an argument for the project (repeatable; value parsed as YAML)',
    collect,
    [],
  )
  .option('--only-names', 'print only the names')
  .action(listTargets);

program
  .command('run')
  .description('run the local runner: reconcile every KluctlDeployment of the cluster on its interval')
  .option('--kubeconfig <path>', 'the kubeconfig to use (default: $KUBECONFIG or ~/.kube/config)')
  .option('--context <name>', 'the kubeconfig context')
  .option('-n, --namespace <ns>', 'only reconcile deployments in this namespace')
  .option('--state-dir <dir>', 'keep reconcile state in this folder', '.kluctl-serverless/state')
  .option(
    '--s3-bucket <bucket>',
    'keep reconcile state in this S3 bucket instead ($KLUCTL_SERVERLESS_S3_BUCKET)',
  )
  .option('--s3-endpoint <url>', 'S3 endpoint, e.g. LocalStack ($KLUCTL_SERVERLESS_S3_ENDPOINT)')
  .option('--tick <seconds>', 'seconds between checks for due deployments', '5')
  .option('--concurrency <n>', 'reconciles running at once', '4')
  .option('--once', 'reconcile every deployment once, print the status table and exit')
  .option('--debug', 'debug logging')
  .action(run);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  process.stderr.write(`error: ${errorMessage(err)}\n`);
  process.exitCode = 1;
}
