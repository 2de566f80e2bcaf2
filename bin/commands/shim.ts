/**
 * `kluctl-serverless shim`: its flags; what it runs is in shim-run.ts, loaded only when it runs.
 */
import { Command } from 'commander';
import { SHIM_KEY_FILE_ENV } from '../../lib/shim/shim-key.js';
import { collect, lazyAction } from './flags.js';

/** The `shim` command, for bin/main.ts. */
export function shimCommand(): Command {
  return new Command('shim')
    .description(
      'run the in-cluster shim: watch KluctlDeployments and push their changes, signed, to the ingest endpoint',
    )
    .requiredOption('--ingest-url <url>', 'the ingest endpoint the pushes are POSTed to')
    .option('--key-file <path>', `file holding the HMAC key shared with ingest ($${SHIM_KEY_FILE_ENV})`)
    .option('--cluster-id <id>', "this cluster's id (default: the UID of the kube-system namespace)")
    .option('-n, --namespace <ns>', 'only watch this namespace (repeatable; default: all)', collect, [])
    .option('--resync-interval <duration>', "push the complete list this often ('0' disables)", '10m')
    .option('--listen <host:port>', 'serve GET /healthz here, e.g. 0.0.0.0:8080')
    .option(
      '--kubeconfig <path>',
      'the kubeconfig to use (default: $KUBECONFIG, ~/.kube/config or in-cluster)',
    )
    .option('--context <name>', 'the kubeconfig context')
    .option('--debug', 'debug logging (one line per push)')
    .action(lazyAction(() => import('./shim-run.js'), 'runShim'));
}
