/** `kluctl-serverless cluster register|list`, what they do (declared in cluster.ts). */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import { createSecretsClusterRegistry, decodeShimKey } from '../../lib/adapters/secrets-cluster-registry.js';
import type { SecretsClusterRegistry } from '../../lib/adapters/secrets-cluster-registry.js';
import { KsError } from '../../lib/errors.js';

/** Flags of every `cluster` command. */
export interface RegistryFlags {
  secretPrefix: string;
  region?: string;
  endpoint?: string;
}

/** Flags of `cluster register`. */
export interface RegisterFlags extends RegistryFlags {
  kubeconfig: string;
  shimKeyFile: string;
  id?: string;
  displayName?: string;
}

function registry(flags: RegistryFlags): SecretsClusterRegistry {
  const region = flags.region ?? process.env.AWS_REGION;
  return createSecretsClusterRegistry({
    prefix: flags.secretPrefix,
    ...(region ? { region } : {}),
    ...(flags.endpoint ? { endpoint: flags.endpoint } : {}),
  });
}

/** Stores a cluster in the registry. */
export async function register(flags: RegisterFlags): Promise<void> {
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

/** Prints the registered clusters. */
export async function list(flags: RegistryFlags): Promise<void> {
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
