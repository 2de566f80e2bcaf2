/** The `kubectl get kluctldeployments` view (Kluctl's printer columns), for the runner and the demo. */
import type { KluctlDeployment } from '../api/types.js';

/** Formats deployments as kubectl prints them: NAMESPACE NAME SUSPEND DRYRUN DEPLOYED READY DRIFT STATUS AGE. */
export function formatStatusTable(kds: readonly KluctlDeployment[], now: Date): string {
  const header = ['NAMESPACE', 'NAME', 'SUSPEND', 'DRYRUN', 'DEPLOYED', 'READY', 'DRIFT', 'STATUS', 'AGE'];
  const rows = kds.map((kd) => {
    const ready = kd.status?.conditions?.find((c) => c.type === 'Ready');
    const deployed = kd.status?.lastDeployResult?.commandInfo?.endTime;
    return [
      kd.metadata.namespace ?? '',
      kd.metadata.name,
      String(kd.spec.suspend ?? false),
      String(kd.spec.dryRun ?? false),
      deployed ? age(deployed, now) : '',
      ready?.status ?? '',
      kd.status?.lastDriftDetectionResultMessage ?? '',
      ready?.message ?? '',
      kd.metadata.creationTimestamp ? age(kd.metadata.creationTimestamp, now) : '',
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows]
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('   ')
        .trimEnd(),
    )
    .join('\n');
}

/** kubectl's short age format: 42s, 5m, 3h, 2d. */
export function age(since: string, now: Date): string {
  const s = Math.max(0, Math.floor((now.getTime() - Date.parse(since)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}
