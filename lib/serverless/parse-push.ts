/**
 * Validates a shim push at the ingest trust boundary (STYLE.md rule 8). The signature already proved
 * who sent it; this proves it has the shape the mirror, the schedule index and the queue rely on, and
 * keeps only the fields of `MirroredDeployment` (a newer shim may send more; they are dropped, not
 * refused). Errors name the field (`objects[2].metadata.name`) and what was expected.
 */
import { isDuration } from '../api/durations.js';
import { KsError } from '../errors.js';
import type { MirroredDeployment, ShimPush } from './protocol.js';

const KINDS: readonly ShimPush['kind'][] = ['upsert', 'delete', 'resync'];
/** A DNS-1123 subdomain, which Kubernetes requires of namespace and KluctlDeployment names. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

type Json = Record<string, unknown>;

/**
 * Parses and checks a push body signed for `clusterId`. Throws KsError `InvalidInput` naming the
 * first bad field.
 */
export function parseShimPush(body: string, clusterId: string): ShimPush {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (err) {
    throw invalid(`body is not JSON (${(err as Error).message})`);
  }
  const push = record(raw, 'body');
  if (push.clusterId !== clusterId) {
    throw invalid(
      `clusterId ${JSON.stringify(push.clusterId)} does not match the signed cluster '${clusterId}'`,
    );
  }
  const kind = push.kind as ShimPush['kind'];
  if (!KINDS.includes(kind))
    throw invalid(`kind ${JSON.stringify(push.kind)}: expected one of ${KINDS.join(', ')}`);
  if (!Array.isArray(push.objects)) throw invalid('objects: expected an array');
  const seen = new Set<string>();
  const objects = push.objects.map((o: unknown, i) => {
    const full = kind === 'upsert' || (kind === 'resync' && (o as Json | null)?.spec !== undefined);
    const obj = parseObject(o, `objects[${i}]`, full);
    const key = `${obj.metadata.namespace}/${obj.metadata.name}`;
    if (seen.has(key)) throw invalid(`objects[${i}]: ${key} appears twice; send each deployment once`);
    seen.add(key);
    return obj;
  });
  return { clusterId, kind, objects };
}

/**
 * Whether a parsed object carries no spec: a delete entry, or a resync entry that only says the
 * object exists (protocol.ts `ShimPush`).
 */
export function namesOnly(o: MirroredDeployment): boolean {
  return Object.keys(o.spec).length === 0;
}

function parseObject(value: unknown, path: string, full: boolean): MirroredDeployment {
  const o = record(value, path);
  const m = record(o.metadata, `${path}.metadata`);
  const name = dnsName(m.name, `${path}.metadata.name`);
  const namespace = dnsName(m.namespace, `${path}.metadata.namespace`);
  const uid = optionalString(m.uid, `${path}.metadata.uid`);
  if (full && !uid) throw invalid(`${path}.metadata.uid: expected the object's UID`);
  const generation = m.generation;
  if (
    (full || generation !== undefined) &&
    (typeof generation !== 'number' || !Number.isSafeInteger(generation) || generation < 0)
  ) {
    throw invalid(`${path}.metadata.generation: expected a non-negative integer`);
  }
  const spec = full || o.spec !== undefined ? record(o.spec, `${path}.spec`) : undefined;
  if (spec) {
    if (typeof spec.interval !== 'string' || !isDuration(spec.interval)) {
      throw invalid(`${path}.spec.interval: expected a duration such as "5m"`);
    }
    record(spec.source, `${path}.spec.source`);
  }
  const metadata: MirroredDeployment['metadata'] = {
    name,
    namespace,
    ...(uid !== undefined ? { uid } : {}),
    ...(typeof generation === 'number' ? { generation } : {}),
    ...optional('resourceVersion', optionalString(m.resourceVersion, `${path}.metadata.resourceVersion`)),
    ...optional('labels', stringMap(m.labels, `${path}.metadata.labels`)),
    ...optional('annotations', stringMap(m.annotations, `${path}.metadata.annotations`)),
    ...optional('deletionTimestamp', timestamp(m.deletionTimestamp, `${path}.metadata.deletionTimestamp`)),
    ...optional('finalizers', stringList(m.finalizers, `${path}.metadata.finalizers`)),
  };
  // The API server validated the spec against the CRD; ingest checks only what it reads itself.
  return { metadata, spec: (spec ?? {}) as unknown as MirroredDeployment['spec'] };
}

function record(value: unknown, path: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(`${path}: expected an object`);
  }
  return value as Json;
}

function dnsName(value: unknown, path: string): string {
  if (typeof value !== 'string' || !DNS_SUBDOMAIN.test(value)) {
    throw invalid(`${path}: expected a Kubernetes name (lowercase letters, digits, '-' and '.')`);
  }
  return value;
}

function optionalString(value: unknown, path: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalid(`${path}: expected a string`);
  return value;
}

function timestamp(value: unknown, path: string): string | undefined {
  const s = optionalString(value, path);
  if (s !== undefined && Number.isNaN(Date.parse(s))) throw invalid(`${path}: expected an RFC 3339 time`);
  return s;
}

function stringMap(value: unknown, path: string): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  const r = record(value, path);
  for (const [k, v] of Object.entries(r)) {
    if (typeof v !== 'string') throw invalid(`${path}.${k}: expected a string value`);
  }
  return r as Record<string, string>;
}

function stringList(value: unknown, path: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw invalid(`${path}: expected a list of strings`);
  }
  return value as string[];
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function invalid(message: string): KsError {
  return new KsError('InvalidInput', `invalid shim push: ${message}`);
}
