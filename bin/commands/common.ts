/** Helpers shared by the CLI commands. */
import { parse } from 'yaml';
import { KsError } from '../../lib/errors.js';

/** Project flags as commander hands them over. */
export interface ProjectFlags {
  projectDir: string;
  target?: string;
  targetNameOverride?: string;
  arg: string[];
  context?: string;
  kubeconfig?: string;
  renderOutputDir?: string;
}

/**
 * Parses `-a name=value` flags as Kluctl does: the value is YAML (`true` is a bool, quote it to keep a
 * string), a dotted name is a nested path.
 */
export function parseArgs(flags: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of flags) {
    const m = /^([a-zA-Z0-9_./-]*)=(.*)$/s.exec(f);
    if (!m) throw new KsError('InvalidInput', `invalid --arg '${f}': expected name=value`);
    const path = m[1]!.split('.');
    let cur = out;
    for (const seg of path.slice(0, -1)) {
      const next = cur[seg];
      cur = (cur[seg] = typeof next === 'object' && next !== null ? next : {}) as Record<string, unknown>;
    }
    cur[path[path.length - 1]!] = parse(m[2]!) ?? '';
  }
  return out;
}
