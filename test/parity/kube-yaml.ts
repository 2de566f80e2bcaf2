/**
 * The YAML reader of the parity suite: test/parity/kube-yaml (Go, sigs.k8s.io/yaml behind
 * apimachinery's document splitter, as Kluctl and kubectl read YAML). Both tools' printed output goes
 * through it, so a scalar we print ambiguously (`yes`, `0755`, `1:20`) is read as the Go ecosystem
 * reads it, and Kluctl's objects hash is recomputed with Go's encoding/json instead of our own code.
 * Built on first use into the tool cache, keyed by the hash of its sources.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubeObject } from '../../lib/ports.js';
import { runProcess } from '../../lib/util/run-process.js';
import { defaultCacheDir } from '../../lib/runtime-tools.js';

const SOURCE_DIR = fileURLToPath(new URL('./kube-yaml/', import.meta.url));
const SOURCES = ['main.go', 'go.mod', 'go.sum'];

/** What the reader makes of one YAML stream. */
export interface ReadStream {
  /** The documents, empty ones dropped, as Go's encoding/json prints them. */
  readonly objects: readonly KubeObject[];
  /** Kluctl's objects hash over these objects, computed in Go. */
  readonly objectsHash: string;
}

let built: Promise<string> | undefined;

/** Path of the reader binary, building it (once per source version and machine) when missing. */
export function kubeYamlReader(): Promise<string> {
  built ??= build();
  return built;
}

async function build(): Promise<string> {
  const h = createHash('sha256');
  for (const f of SOURCES) h.update(f).update(readFileSync(join(SOURCE_DIR, f)));
  const dir = join(defaultCacheDir(), `parity-kube-yaml-${h.digest('hex').slice(0, 12)}`);
  const bin = join(dir, 'kube-yaml');
  if (existsSync(bin)) return bin;
  await mkdir(dir, { recursive: true });
  // Built under a unique name and renamed, so concurrent jest workers never run a half-written file.
  const tmp = `${bin}.${process.pid}.tmp`;
  const res = await runProcess('go', ['build', '-trimpath', '-o', tmp, '.'], {
    cwd: SOURCE_DIR,
    env: { ...(process.env as Record<string, string>), GOFLAGS: '-mod=readonly', CGO_ENABLED: '0' },
  });
  if (res.code !== 0) {
    await rm(tmp, { force: true });
    throw new Error(`building the parity YAML reader (${SOURCE_DIR}) failed:\n${res.stderr}`);
  }
  await rename(tmp, bin);
  return bin;
}

/** Reads a YAML stream (`--print-all` output) as Kluctl and kubectl would. */
export async function readKubeYaml(text: string, what: string): Promise<ReadStream> {
  const res = await runProcess(await kubeYamlReader(), [], { input: text });
  if (res.code !== 0) throw new Error(`${what}: not readable as Kubernetes YAML: ${res.stderr.trim()}`);
  return JSON.parse(res.stdout) as ReadStream;
}
