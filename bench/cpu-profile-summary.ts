/**
 * `npx tsx bench/cpu-profile-summary.ts FILE.cpuprofile [TOP]`: the top self-time functions and modules
 * of a V8 CPU profile (`node --cpu-prof`), as JSON lines. Self time of a node is its sample count times
 * the mean sampling interval; modules are the script URLs (dist bundle names, or node: internals).
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
}

interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

/** Self milliseconds by function (`name url:line`) and by module (url), highest first. */
export function summariseProfile(p: Profile): {
  totalMs: number;
  functions: [string, number][];
  modules: [string, number][];
} {
  const msPerSample = (p.endTime - p.startTime) / 1000 / Math.max(1, p.samples.length);
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const fn = new Map<string, number>();
  const mod = new Map<string, number>();
  for (const id of p.samples) {
    const f = byId.get(id)?.callFrame;
    if (!f) continue;
    const url = f.url.replace(/^file:\/\/.*\/(dist|node_modules)\//, '$1/') || '(native/vm)';
    const key = `${f.functionName || '(anonymous)'} ${url}:${f.lineNumber + 1}`;
    fn.set(key, (fn.get(key) ?? 0) + msPerSample);
    mod.set(url, (mod.get(url) ?? 0) + msPerSample);
  }
  const top = (m: Map<string, number>): [string, number][] =>
    [...m].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, Math.round(v)]);
  return { totalMs: Math.round(p.samples.length * msPerSample), functions: top(fn), modules: top(mod) };
}

if (process.argv[1]?.endsWith('cpu-profile-summary.ts')) {
  const [file, n = '10'] = process.argv.slice(2);
  if (!file) throw new Error('usage: cpu-profile-summary.ts FILE.cpuprofile [TOP]');
  const s = summariseProfile(JSON.parse(readFileSync(file, 'utf8')) as Profile);
  const top = Number(n);
  process.stdout.write(`${JSON.stringify({ totalMs: s.totalMs })}\n`);
  for (const [f, ms] of s.functions.slice(0, top))
    process.stdout.write(`${JSON.stringify({ fn: f, selfMs: ms })}\n`);
  for (const [m, ms] of s.modules.slice(0, top))
    process.stdout.write(`${JSON.stringify({ module: m, selfMs: ms })}\n`);
}
