/**
 * `kluctl-serverless cluster register|list`: the clusters one stack serves, kept in AWS Secrets Manager
 * (lib/adapters/secrets-cluster-registry.ts). Registering stores the reconciler's kubeconfig and the
 * shim's signing key under the cluster's id (the UID of its kube-system namespace, read through the
 * kubeconfig unless `--id` names it). Neither the key nor the kubeconfig is ever printed.
 */
import type { Command } from 'commander';
import { CLUSTER_SECRET_PREFIX } from '../../lib/serverless/protocol.js';
import { lazyAction } from './flags.js';

/** Adds the `cluster` command group to `program`. */
export function clusterCommands(program: Command): void {
  const cluster = program
    .command('cluster')
    .description('register the clusters a serverless stack reconciles (AWS Secrets Manager)');
  registryOptions(
    cluster
      .command('register')
      .description("store a cluster's kubeconfig and shim key as the secret <prefix><cluster id>")
      .requiredOption(
        '--kubeconfig <path>',
        "the reconciler's kubeconfig for the cluster (its current context)",
      )
      .requiredOption(
        '--shim-key-file <path>',
        "the shim's signing key in base64; created with a new random key (mode 0600) if it does not exist",
      )
      .option('--id <cluster-id>', "the cluster id (default: the UID of the cluster's kube-system namespace)")
      .option('--display-name <name>', 'a name for people (default: the cluster id)'),
  ).action(lazyAction(() => import('./cluster-run.js'), 'register'));
  registryOptions(cluster.command('list').description('list the registered clusters')).action(
    lazyAction(() => import('./cluster-run.js'), 'list'),
  );
}

function registryOptions(cmd: Command): Command {
  return cmd
    .option('--secret-prefix <prefix>', 'name prefix of the cluster secrets', CLUSTER_SECRET_PREFIX)
    .option('--region <region>', 'AWS region (default: $AWS_REGION, else us-east-1)')
    .option('--endpoint <url>', 'Secrets Manager endpoint, e.g. LocalStack (default: AWS)');
}
