/** The shim's install manifests (deploy/shim/*.yaml), parsed, for the manifest and shim tests. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../lib/ports.js';

/** Folder of the shim's install manifests. */
export const SHIM_MANIFESTS_DIR = fileURLToPath(new URL('../../deploy/shim/', import.meta.url));

/** Every object of the `.yaml` files in deploy/shim except kustomization.yaml, in file order. */
export function shimManifests(): KubeObject[] {
  return readdirSync(SHIM_MANIFESTS_DIR)
    .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
    .sort()
    .flatMap((f) =>
      parseAllDocuments(readFileSync(join(SHIM_MANIFESTS_DIR, f), 'utf8')).map((d) => {
        if (d.errors.length) throw new Error(`deploy/shim/${f}: ${d.errors[0]!.message}`);
        return d.toJS() as KubeObject;
      }),
    )
    .filter((o) => o !== null);
}

/** The one object of `kind` (and `name`, when given); throws when there is not exactly one. */
export function oneManifest(objects: readonly KubeObject[], kind: string, name?: string): KubeObject {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (found.length !== 1)
    throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  return found[0]!;
}
