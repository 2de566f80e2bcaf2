/**
 * `kluctl-serverless cluster register|list`: the clusters one stack serves, kept in AWS Secrets Manager
 * (lib/adapters/secrets-cluster-registry.ts). Registering stores the reconciler's kubeconfig and the
 * shim's signing key under the cluster's id (the UID of its kube-system namespace, read through the
 * kubeconfig unless `--id` names it). Neither the key nor the kubeconfig is ever printed.
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import {
  CLUSTER_SECRET_PREFIX,
  createSecretsClusterRegistry,
  decodeShimKey,
} from '../../lib/adapters/secrets-cluster-registry.js';
import type { SecretsClusterRegistry } from '../../lib/adapters/secrets-cluster-registry.js';
import { KsError } from '../../lib/errors.js';

interface RegistryFlags {
  secretPrefix: string;
  region?: string;
  endpoint?: string;
}

interface RegisterFlags extends RegistryFlags {
  kubeconfig: string;
  shimKeyFile: string;
  id?: string;
  displayName?: string;
}

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
  ).action(register);
  registryOptions(cluster.command('list').description('list the registered clusters')).action(list);
}

function registryOptions(cmd: Command): Command {
  return cmd
    .option('--secret-prefix <prefix>', 'name prefix of the cluster secrets', CLUSTER_SECRET_PREFIX)
    .option('--region <region>', 'AWS region (default: $AWS_REGION, else us-east-1)')
    .option('--endpoint <url>', 'Secrets Manager endpoint, e.g. LocalStack (default: AWS)');
}

function registry(flags: RegistryFlags): SecretsClusterRegistry {
  const region = flags.region ?? process.env.AWS_REGION;
  return createSecretsClusterRegistry({
    prefix: flags.secretPrefix,
    ...(region ? { region } : {}),
    ...(flags.endpoint ? { endpoint: flags.endpoint } : {}),
  });
}

async function register(flags: RegisterFlags): Promise<void> {
  const kubeconfig = await readInput(flags.kubeconfig, '--kubeconfig');
  const id = flags.id ?? (await clusterIdOf(flags.kubeconfig));
  const { key, created } = await shimKey(flags.shimKeyFile);
  await registry(flags).register({
    id,
    kubeconfig,
    shimKey: key,
    ...(flags.displayName ? { displayName: flags.displayName } : {}),
  });
  if (created) process.stderr.write(`wrote a new shim key to ${flags.shimKeyFile}\n`);
  process.stdout.write(
    `registered cluster ${id}${flags.displayName ? ` (${flags.displayName})` : ''} as secret ${flags.secretPrefix}${id}\n`,
  );
}

async function list(flags: RegistryFlags): Promise<void> {
  for (const c of await registry(flags).list()) process.stdout.write(`${c.id}\t${c.displayName ?? c.id}\n`);
}

async function clusterIdOf(kubeconfigPath: string): Promise<string> {
  const kube = await HttpKubeClient.fromKubeconfig({ kubeconfigPath });
  try {
    return await kube.clusterId();
  } catch (err) {
    throw new KsError(
      'InvalidInput',
      `cannot read the kube-system namespace's UID through ${kubeconfigPath}; pass --id <cluster-id>`,
      { cause: err },
    );
  } finally {
    kube.close();
  }
}

/** The key in `file`, or a new random one written there when the file does not exist. */
async function shimKey(file: string): Promise<{ key: Uint8Array; created: boolean }> {
  let text: string | undefined;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as { code?: string }).code !== 'ENOENT') throw err;
  }
  if (text !== undefined) return { key: decodeShimKey(text, `--shim-key-file ${file}`), created: false };
  const key = randomBytes(32);
  await writeFile(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  return { key, created: true };
}

async function readInput(path: string, flag: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new KsError(
      'InvalidInput',
      `${flag} ${path}: ${(err as { code?: string }).code ?? 'cannot read'}`,
      {
        cause: err,
      },
    );
  }
}
