/**
 * Measurements of the scale benchmark that work the same for both reconcilers: requests counted by the
 * API server itself (`apiserver_request_total` of its /metrics, so our runner and Kluctl's controller
 * are counted alike), and CPU time and peak RSS of a child process read from /proc.
 */
import { readFileSync } from 'node:fs';
import { kubectl } from '../devenv/control-plane.js';

/** Requests the API server has served, by `verb resource` (subresource appended with `/`). */
export type RequestCounts = Readonly<Record<string, number>>;

/** Reads `apiserver_request_total` from the API server's /metrics, summed over codes and scopes. */
export async function apiRequestCounts(kc: string): Promise<RequestCounts> {
  const r = await kubectl(kc, ['get', '--raw', '/metrics']);
  if (r.code !== 0) throw new Error(`reading the API server's /metrics failed: ${r.stderr.trim()}`);
  const counts: Record<string, number> = {};
  for (const line of r.stdout.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const labels = Object.fromEntries(
      [...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!] as const),
    );
    const key = `${labels.verb ?? '?'} ${labels.resource || labels.component || '-'}${labels.subresource ? `/${labels.subresource}` : ''}`;
    counts[key] = (counts[key] ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return counts;
}

/** `after - before` per key, leaving out keys that did not grow. */
export function countsDelta(before: RequestCounts, after: RequestCounts): Record<string, number> {
  return Object.fromEntries(
    Object.entries(after)
      .map(([k, v]) => [k, v - (before[k] ?? 0)] as const)
      .filter(([, v]) => v > 0)
      .sort((a, b) => b[1] - a[1]),
  );
}

/** Sum of the values. */
export const total = (c: Readonly<Record<string, number>>): number =>
  Object.values(c).reduce((a, b) => a + b, 0);

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux everywhere that matters). */
const USER_HZ = 100;

/** CPU seconds of process `pid` and of its children it has waited for (utime+stime+cutime+cstime). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start at field 3 (state).
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = [11, 12, 13, 14].reduce((a, i) => a + Number(f[i]), 0);
  return ticks / USER_HZ;
}

/** Peak resident set size of `pid` in MiB (VmHWM). */
export function peakRssMB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : 0;
}
