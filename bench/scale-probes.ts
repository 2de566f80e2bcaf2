/**
 * Measurements of the scale benchmark that work the same for both reconcilers: requests counted by the
 * API server itself (its audit log, by the client's User-Agent, so our runner and Kluctl's controller
 * are counted alike and the cluster's own controllers not at all), and CPU time and peak RSS of a child
 * process read from /proc.
 */
import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

/** Requests the API server has served, by `verb resource` (subresource appended with `/`). */
export type RequestCounts = Readonly<Record<string, number>>;

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

/** One line of the API server's audit log (devenv/control-plane.ts `auditLogPath`), the fields read. */
interface AuditEvent {
  readonly verb?: string;
  readonly userAgent?: string;
  readonly stageTimestamp?: string;
  readonly objectRef?: { readonly resource?: string; readonly subresource?: string };
}

/**
 * The requests of one client (its User-Agent starts with one of `userAgentPrefixes`) that ended in
 * `[fromMs, toMs)`, by `VERB resource[/subresource]`, from the API server's audit log: exact, where
 * the API server's own counters also hold every other client's requests.
 */
export async function auditRequestCounts(
  auditLogPath: string,
  userAgentPrefixes: readonly string[],
  fromMs: number,
  toMs: number,
): Promise<RequestCounts> {
  return countAudit(auditLogPath, fromMs, toMs, (e) => {
    if (!userAgentPrefixes.some((p) => e.userAgent?.startsWith(p))) return undefined;
    const resource = e.objectRef?.resource ?? '-';
    return `${(e.verb ?? '?').toUpperCase()} ${resource}${e.objectRef?.subresource ? `/${e.objectRef.subresource}` : ''}`;
  });
}

/** Every client's requests that ended in `[fromMs, toMs)`, by User-Agent (its program part). */
export function auditUserAgents(auditLogPath: string, fromMs: number, toMs: number): Promise<RequestCounts> {
  return countAudit(auditLogPath, fromMs, toMs, (e) => (e.userAgent ?? '(none)').split(' (')[0]);
}

async function countAudit(
  auditLogPath: string,
  fromMs: number,
  toMs: number,
  keyOf: (e: AuditEvent) => string | undefined,
): Promise<RequestCounts> {
  const counts: Record<string, number> = {};
  const lines = createInterface({ input: createReadStream(auditLogPath), crlfDelay: Infinity });
  for await (const line of lines) {
    const e = JSON.parse(line) as AuditEvent;
    if (!e.stageTimestamp) continue;
    const at = Date.parse(e.stageTimestamp);
    if (at < fromMs || at >= toMs) continue;
    const key = keyOf(e);
    if (key !== undefined) counts[key] = (counts[key] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(counts).sort((a, b) => b[1] - a[1]));
}
