/**
 * The `kluctl-serverless` CLI: Kluctl's command and flag names, `--help` on every command, results
 * and errors that say what to do next.
 */
import { Command } from 'commander';
import packageJson from '../package.json' with { type: 'json' };
import { clusterCommands } from './commands/cluster.js';
import {
  collect,
  gitCredentialOptions,
  helmCredentialOptions,
  lazyAction,
  outputOptions,
  projectOptions,
} from './commands/flags.js';
import { shimCommand } from './commands/shim.js';
import { errorMessage } from '../lib/errors.js';

// Each command module is imported only when its command runs (bundled as its own chunk), so start-up
// costs commander alone; see lazyAction.
const render = lazyAction(() => import('./commands/render.js'), 'render');
const listImages = lazyAction(() => import('./commands/list-images.js'), 'listImages');
const deploy = lazyAction(() => import('./commands/deploy.js'), 'deploy');
const diff = lazyAction(() => import('./commands/diff.js'), 'diff');
const prune = lazyAction(() => import('./commands/delete.js'), 'prune');
const deleteCommand = lazyAction(() => import('./commands/delete.js'), 'deleteCommand');
const validate = lazyAction(() => import('./commands/validate.js'), 'validate');
const pokeImagesCommand = lazyAction(() => import('./commands/poke-images.js'), 'pokeImagesCommand');
const listTargets = lazyAction(() => import('./commands/list-targets.js'), 'listTargets');
const helmPullCommand = lazyAction(() => import('./commands/helm-pull.js'), 'helmPullCommand');
const helmUpdateCommand = lazyAction(() => import('./commands/helm-update.js'), 'helmUpdateCommand');
const run = lazyAction(() => import('./commands/run.js'), 'run');
const hashPassword = lazyAction(() => import('./commands/webui.js'), 'hashPasswordAction');

const program = new Command('kluctl-serverless')
  .description('Kluctl deployments from Git, reconciled by serverless functions or a local runner.')
  .version(packageJson.version, '-v, --version', 'print the version')
  .showHelpAfterError('(run with --help for usage)');

// Kluctl's `kluctl version`.
program
  .command('version')
  .description('print the version')
  .action(() => void process.stdout.write(`${packageJson.version}\n`));

projectOptions(
  program.command('render').description('render the project for a target and print or write the objects'),
)
  .option('--print-all', 'print all rendered objects as multi-document YAML')
  .option('--offline-kubernetes', 'do not contact the cluster (scope of unknown kinds is guessed)')
  .option('--kubernetes-version <version>', 'the Kubernetes version assumed when offline (Helm kubeVersion)')
  .action(render);

projectOptions(
  program
    .command('list-images')
    .description('render and list the images images.get_image() resolved, as a fixed-images file'),
)
  .option('--simple', 'only image and resultImage of each entry')
  .option('--offline-kubernetes', 'do not contact the cluster')
  .option('--kubernetes-version <version>', 'the Kubernetes version assumed when offline (Helm kubeVersion)')
  .option('-o, --output <path>', "write to this file ('-' = stdout; repeatable)", collect, [])
  .action(listImages);

const deployCommand = projectOptions(
  program.command('deploy').description('deploy the project to the target cluster with server-side apply'),
)
  .option('--kubernetes-version <version>', 'override the Kubernetes version Helm charts see')
  .option('--dry-run', 'server-side dry run: change nothing')
  .option('--prune', 'delete orphaned objects after deploying')
  .option('--abort-on-error', 'stop at the first error')
  .option('--force-apply', 'force-apply conflicting fields (take ownership from other field managers)')
  .option('--replace-on-error', 'when an apply fails, retry with a replace (PUT) of the object')
  .option(
    '--force-replace-on-error',
    'like --replace-on-error, and then delete and re-create the object (not for kluctl.io/skip-delete)',
  )
  .option('--no-wait', 'do not wait for readiness of objects that ask for it')
  .option('--readiness-timeout <duration>', 'how long to wait for one object to get ready', '5m')
  .option('-y, --yes', 'do not ask for confirmation')
  .action(deploy);
outputOptions(deployCommand);

const diffCommand = projectOptions(
  program
    .command('diff')
    .description('show what a deploy would change (server-side dry run) and list orphans'),
)
  .option('--kubernetes-version <version>', 'override the Kubernetes version Helm charts see')
  .option('--force-apply', 'force-apply conflicting fields')
  .option('--replace-on-error', 'when an apply fails, retry with a replace (PUT) of the object')
  .option('--force-replace-on-error', 'like --replace-on-error, then delete and re-create the object')
  .option('--ignore-tags', 'ignore changes of kluctl.io/tag-* labels')
  .option('--ignore-labels', 'ignore changes of labels')
  .option('--ignore-annotations', 'ignore changes of annotations')
  .option('--ignore-kluctl-metadata', 'ignore changes of tags, discriminator and deployment-item-dir')
  .action(diff);
outputOptions(diffCommand);

for (const [name, description, action] of [
  ['prune', 'delete kluctl-managed objects with the discriminator that are no longer rendered', prune],
  ['delete', 'delete every kluctl-managed object with the target discriminator', deleteCommand],
] as const) {
  const cmd = projectOptions(program.command(name).description(description))
    .option('--kubernetes-version <version>', 'override the Kubernetes version Helm charts see')
    .option('--dry-run', 'send the deletes as server-side dry runs: nothing is deleted')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--discriminator <name>', 'override the target discriminator');
  if (name === 'delete') cmd.option('--no-wait', 'do not wait until deleted objects are gone');
  outputOptions(cmd.action(action));
}

projectOptions(
  program.command('validate').description('check that every rendered object exists and is ready'),
)
  .option('--kubernetes-version <version>', 'override the Kubernetes version Helm charts see')
  .option(
    '-o, --output <format[=path]>',
    'text, json or yaml, optionally into a file (repeatable)',
    collect,
    [],
  )
  .option('--wait <duration>', 'retry until validation succeeds or this much time passed')
  .option('--sleep <duration>', 'pause between attempts', '5s')
  .option('--warnings-as-errors', 'count warnings as failures')
  .action(validate);

const pokeImagesCmd = projectOptions(
  program
    .command('poke-images')
    .description('set only the images of the live workloads to what the project renders'),
)
  .option('--kubernetes-version <version>', 'override the Kubernetes version Helm charts see')
  .option('--dry-run', 'server-side dry run: change nothing')
  .option('-y, --yes', 'do not ask for confirmation')
  .action(pokeImagesCommand);
outputOptions(pokeImagesCmd);

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
  .option('--args-from-file <file>', 'a YAML file of args merged over -a (repeatable)', collect, [])
  .option('--only-names', 'print only the names')
  .option('-o, --output <path>', "write to this file ('-' = stdout; repeatable)", collect, [])
  .action(listTargets);

gitCredentialOptions(
  helmCredentialOptions(
    program
      .command('helm-pull')
      .description('pre-pull every Helm chart of the project into .helm-charts and remove unused versions')
      .option('--project-dir <dir>', 'the Kluctl project directory', '.'),
  ),
).action(helmPullCommand);

gitCredentialOptions(
  helmCredentialOptions(
    program
      .command('helm-update')
      .description('look for newer Helm chart versions (updateConstraints apply)')
      .option('--project-dir <dir>', 'the Kluctl project directory', '.')
      .option('--upgrade', 'write new versions into helm-chart.yaml and pull them')
      .option('--commit', 'create a git commit for every updated chart'),
  ),
).action(helmUpdateCommand);

program
  .command('run')
  .description(
    'run the local runner: watch the KluctlDeployments of the cluster and reconcile them on change, on their interval and on webhooks',
  )
  .option('--kubeconfig <path>', 'the kubeconfig to use (default: $KUBECONFIG or ~/.kube/config)')
  .option('--context <name>', 'the kubeconfig context')
  .option('-n, --namespace <ns>', 'only reconcile deployments in this namespace')
  .option('--state-dir <dir>', 'keep reconcile state in this folder', '.kluctl-serverless/state')
  .option(
    '--s3-bucket <bucket>',
    'keep reconcile state in this S3 bucket instead ($KLUCTL_SERVERLESS_S3_BUCKET)',
  )
  .option('--s3-endpoint <url>', 'S3 endpoint, e.g. LocalStack ($KLUCTL_SERVERLESS_S3_ENDPOINT)')
  .option(
    '--tick <seconds>',
    'seconds between scheduling passes (each lists the deployments while the watch is down)',
    '5',
  )
  .option('--concurrency <n>', 'reconciles running at once', '4')
  .option(
    '--default-service-account <name>',
    "service account (in the deployment's namespace) to impersonate when spec.serviceAccountName is empty",
  )
  .option(
    '--quiet-steady-state',
    'a reconcile that changes nothing writes only the status: no end event, and a validate result like the last one is not stored again (Kluctl writes both every time)',
  )
  .option('--once', 'reconcile every deployment once, print the status table and exit')
  .option('--no-watch', 'list deployments on every tick instead of watching them')
  .option(
    '--listen <host:port>',
    'serve /healthz, /metrics and /webhook/<provider> here, e.g. 127.0.0.1:8080',
  )
  .option(
    '--webhook-secret-file <path>',
    'file with the webhook secret: plain text, or JSON of provider names to secrets ($KLUCTL_SERVERLESS_WEBHOOK_SECRET)',
  )
  .option(
    '--webui-users-file <path>',
    'serve the web UI at /ui/ (with --listen) for these users: YAML users: [{name, role: admin|viewer, passwordHash}] ($KLUCTL_SERVERLESS_WEBUI_USERS)',
  )
  .option('--webui-users-secret <namespace/name>', "the same users file from key 'users.yaml' of this Secret")
  .option(
    '--webui-oidc-issuer-url <url>',
    'also log in to the web UI with OIDC (code flow with PKCE) at this issuer',
  )
  .option(
    '--webui-oidc-client-id <id>',
    'the OIDC client id ($KLUCTL_SERVERLESS_WEBUI_OIDC_CLIENT_SECRET: its secret)',
  )
  .option('--webui-oidc-redirect-url <url>', 'the OIDC callback, <web UI base>/api/auth/oidc/callback')
  .option('--webui-oidc-admins-group <group>', 'members of this group (groups claim) are admins')
  .option('--webui-oidc-viewers-group <group>', 'members of this group are viewers')
  .option('--debug', 'debug logging')
  .action(run);

program.addCommand(shimCommand());
// The gitops commands load the Kubernetes client and the request protocol, so their module is loaded
// only when the command line names them; otherwise a stand-in lists them in the top-level help.
if (process.argv.slice(2).includes('gitops')) {
  program.addCommand((await import('./commands/gitops.js')).gitopsCommand());
} else {
  program
    .command('gitops')
    .description('GitOps sub-commands: drive KluctlDeployments through their reconciler');
}
program
  .command('webui')
  .description('web UI helpers (the UI itself is served by run --listen)')
  .command('hash-password')
  .description('read a password on stdin and print its scrypt hash for the web UI users file')
  .action(hashPassword);
clusterCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  process.stderr.write(`error: ${errorMessage(err).trimEnd()}\n`);
  process.exitCode = 1;
}
