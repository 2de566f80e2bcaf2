/**
 * The cluster registry in AWS Secrets Manager (DESIGN.md §3, "many clusters, one stack"): one secret
 * per cluster, named `<prefix><clusterId>` (default prefix `kluctl-serverless/clusters/`), whose value
 * is the JSON {@link ClusterSecret}. Listing uses ListSecrets with a name filter and reads no secret
 * value (the display name is the secret's description), so the list permission alone reveals no key.
 *
 * Values are cached for a short time (default 60 s): ingest looks up the shim key on every push, and
 * a rotated key takes effect within that time. Unknown clusters are cached too, in a bounded map, so a
 * flood of pushes naming made-up clusters costs one lookup per name and TTL. Errors name the secret,
 * never its value.
 */
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretCommand,
} from '@aws-sdk/client-secrets-manager';
import { KsError } from '../errors.js';
import { awsClientConfig } from './aws-client-settings.js';
import type { AwsClientSettings } from './aws-client-settings.js';
import type { Clock } from '../ports.js';
import { systemClock } from '../ports.js';
import { CLUSTER_SECRET_PREFIX } from '../serverless/protocol.js';
import type { ClusterRegistration, ClusterRegistry } from '../serverless/protocol.js';

// The default prefix lives with the registry contract (so the CLI's flags need no AWS SDK).
export { CLUSTER_SECRET_PREFIX };

/** The value of a cluster secret. */
export interface ClusterSecret {
  /** Kubeconfig YAML with the reconciler's identity in the cluster. */
  readonly kubeconfig: string;
  /** The shim's HMAC key, base64. */
  readonly shimKey: string;
  readonly displayName?: string;
}

/** Options of {@link SecretsClusterRegistry}. */
export interface SecretsClusterRegistryOptions {
  readonly client: SecretsManagerClient;
  /** Default {@link CLUSTER_SECRET_PREFIX}. */
  readonly prefix?: string;
  /** How long a looked-up secret (or its absence) is reused; default 60 000 ms. */
  readonly ttlMs?: number;
  /** Default: the system clock. */
  readonly clock?: Clock;
}

/** What {@link SecretsClusterRegistry.register} stores. */
export interface ClusterRegistrationInput extends ClusterRegistration {
  readonly kubeconfig: string;
  readonly shimKey: Uint8Array;
}

/** Secrets Manager names allow these; cluster ids (kube-system UIDs) are far narrower. */
const CLUSTER_ID = /^[A-Za-z0-9._-]{1,128}$/;
/** Cached lookups beyond this many are dropped (oldest first). */
const MAX_CACHED = 1000;

interface Cached {
  readonly value: Promise<ClusterSecret | undefined>;
  readonly expires: number;
}

/** Registered clusters, one secret each. */
export class SecretsClusterRegistry implements ClusterRegistry {
  private readonly prefix: string;
  private readonly clock: Clock;
  private readonly cache = new Map<string, Cached>();

  constructor(private readonly opts: SecretsClusterRegistryOptions) {
    this.prefix = opts.prefix ?? CLUSTER_SECRET_PREFIX;
    this.clock = opts.clock ?? systemClock;
  }

  /** Every registered cluster (ListSecrets only; no secret value is read). */
  async list(): Promise<readonly ClusterRegistration[]> {
    const out: ClusterRegistration[] = [];
    let token: string | undefined;
    do {
      const page = await this.call('list cluster secrets', () =>
        this.opts.client.send(
          new ListSecretsCommand({
            Filters: [{ Key: 'name', Values: [this.prefix] }],
            ...(token ? { NextToken: token } : {}),
          }),
        ),
      );
      for (const s of page.SecretList ?? []) {
        // The name filter matches by prefix on words; check the exact prefix here.
        const id = s.Name?.startsWith(this.prefix) ? s.Name.slice(this.prefix.length) : undefined;
        if (id && CLUSTER_ID.test(id))
          out.push({ id, ...(s.Description ? { displayName: s.Description } : {}) });
      }
      token = page.NextToken;
    } while (token);
    return out.sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  /** The shim's key of a cluster; undefined for an unknown cluster. */
  async shimKey(clusterId: string): Promise<Uint8Array | undefined> {
    const s = await this.secret(clusterId);
    return s ? decodeShimKey(s.shimKey, `the secret of cluster ${clusterId}`) : undefined;
  }

  /** The kubeconfig of a cluster; undefined for an unknown cluster. */
  async kubeconfig(clusterId: string): Promise<string | undefined> {
    return (await this.secret(clusterId))?.kubeconfig;
  }

  /** Creates or replaces a cluster's secret. */
  async register(input: ClusterRegistrationInput): Promise<void> {
    const name = this.secretName(input.id);
    const value: ClusterSecret = {
      kubeconfig: input.kubeconfig,
      shimKey: Buffer.from(input.shimKey).toString('base64'),
      ...(input.displayName ? { displayName: input.displayName } : {}),
    };
    const description = input.displayName ?? input.id;
    const SecretString = JSON.stringify(value);
    try {
      await this.opts.client.send(
        new CreateSecretCommand({ Name: name, Description: description, SecretString }),
      );
    } catch (err) {
      if ((err as { name?: string }).name !== 'ResourceExistsException')
        throw this.error(`create ${name}`, err);
      await this.call(`update ${name}`, () =>
        this.opts.client.send(new PutSecretValueCommand({ SecretId: name, SecretString })),
      );
      await this.call(`update ${name}`, () =>
        this.opts.client.send(new UpdateSecretCommand({ SecretId: name, Description: description })),
      );
    }
    this.cache.delete(input.id);
  }

  private secret(clusterId: string): Promise<ClusterSecret | undefined> {
    if (!CLUSTER_ID.test(clusterId)) return Promise.resolve(undefined);
    const now = this.clock.now().getTime();
    const hit = this.cache.get(clusterId);
    if (hit && hit.expires > now) return hit.value;
    const value = this.fetch(clusterId);
    // A failed lookup is not remembered: the next call asks again.
    value.catch(() => this.cache.delete(clusterId));
    this.cache.delete(clusterId);
    this.cache.set(clusterId, { value, expires: now + (this.opts.ttlMs ?? 60_000) });
    if (this.cache.size > MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
    return value;
  }

  private async fetch(clusterId: string): Promise<ClusterSecret | undefined> {
    const name = this.secretName(clusterId);
    let text: string | undefined;
    try {
      const out = await this.opts.client.send(new GetSecretValueCommand({ SecretId: name }));
      text = out.SecretString;
    } catch (err) {
      if ((err as { name?: string }).name === 'ResourceNotFoundException') return undefined;
      throw this.error(`read ${name}`, err);
    }
    return parseClusterSecret(text, `secret ${name}`);
  }

  private secretName(clusterId: string): string {
    if (!CLUSTER_ID.test(clusterId)) {
      throw new KsError(
        'InvalidInput',
        `invalid cluster id '${clusterId}': expected letters, digits, '.', '_' or '-'`,
      );
    }
    return `${this.prefix}${clusterId}`;
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw this.error(what, err);
    }
  }

  private error(what: string, err: unknown): KsError {
    const name = (err as { name?: string }).name ?? 'Error';
    const retryable = /Throttling|InternalServiceError|TimeoutError|ECONN/.test(name);
    return new KsError('InvalidInput', `cannot ${what} in AWS Secrets Manager: ${name}`, {
      cause: err,
      retryable,
    });
  }
}

/**
 * Checks a cluster secret's value. The message names `source` and the expected shape, never the value
 * (not even a parse error's excerpt of it).
 */
export function parseClusterSecret(text: string | undefined, source: string): ClusterSecret {
  const shape = 'store JSON {"kubeconfig": "<YAML>", "shimKey": "<base64>", "displayName": "<optional>"}';
  let v: Partial<Record<keyof ClusterSecret, unknown>> | null = null;
  try {
    v = text === undefined ? null : (JSON.parse(text) as typeof v);
  } catch {
    v = null;
  }
  if (!v || typeof v !== 'object')
    throw new KsError('InvalidInput', `${source} does not hold JSON; ${shape}`);
  const { kubeconfig, shimKey, displayName } = v;
  if (typeof kubeconfig !== 'string' || kubeconfig === '') {
    throw new KsError('InvalidInput', `${source} has no "kubeconfig" string; ${shape}`);
  }
  if (typeof shimKey !== 'string') {
    throw new KsError('InvalidInput', `${source} has no "shimKey" string; ${shape}`);
  }
  decodeShimKey(shimKey, source);
  return { kubeconfig, shimKey, ...(typeof displayName === 'string' ? { displayName } : {}) };
}

/** Settings of {@link createSecretsClusterRegistry}. */
export interface SecretsRegistrySettings extends AwsClientSettings {
  /** Default {@link CLUSTER_SECRET_PREFIX}. */
  readonly prefix?: string;
}

/** A registry from plain settings, so composition roots need not import the SDK. */
export function createSecretsClusterRegistry(s: SecretsRegistrySettings = {}): SecretsClusterRegistry {
  const client = new SecretsManagerClient(awsClientConfig(s));
  return new SecretsClusterRegistry({ client, ...(s.prefix ? { prefix: s.prefix } : {}) });
}

/** A shim key from its base64 text; at least 16 bytes. The message never quotes the text. */
export function decodeShimKey(base64: string, source: string): Uint8Array {
  const text = base64.trim();
  const key = Buffer.from(text, 'base64');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || key.length < 16) {
    throw new KsError(
      'InvalidInput',
      `${source}: the shim key must be at least 16 bytes in base64 (e.g. from 'openssl rand -base64 32')`,
    );
  }
  return key;
}
