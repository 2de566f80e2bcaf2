/**
 * Fixes known defaulting quirks before a server-side apply, as Kluctl does (kluctl-semantics §7.6):
 * ports without `protocol` get `TCP` (the protocol is part of the list key of container and service
 * ports, so an apply without it would own a different list item than the one the server stores), and
 * numeric `cpu` quantities become strings (the API returns them as strings, which would show as a
 * change on every diff).
 */
import type { KubeObject } from '../../ports.js';

type Dict = Record<string, unknown>;

function isDict(v: unknown): v is Dict {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function dig(root: unknown, path: readonly string[]): unknown {
  let cur = root;
  for (const k of path) cur = isDict(cur) ? cur[k] : undefined;
  return cur;
}

function dicts(v: unknown): Dict[] {
  return Array.isArray(v) ? (v as unknown[]).filter(isDict) : [];
}

/** Where pod specs live in the workload kinds (Pod, templates, CronJob's job template). */
const POD_SPEC_PATHS: readonly (readonly string[])[] = [
  ['spec'],
  ['spec', 'template', 'spec'],
  ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
];

/** A copy of `obj` with the quirks fixed, or `obj` itself when nothing needed fixing. */
export function fixObjectForApply(obj: KubeObject): KubeObject {
  // Most objects have neither ports nor cpu quantities: skip the copy for them.
  const probe = { v: false };
  fixInPlace(obj, probe, false);
  if (!probe.v) return obj;
  const copy = structuredClone(obj);
  fixInPlace(copy, { v: false }, true);
  return copy;
}

function fixInPlace(target: KubeObject, changed: { v: boolean }, write: boolean): void {
  const fixPorts = (ports: unknown, c: { v: boolean }): void => {
    for (const p of dicts(ports)) {
      if (p.protocol !== undefined) continue;
      c.v = true;
      if (write) p.protocol = 'TCP';
    }
  };
  const fixCpu = (resources: unknown, c: { v: boolean }): void => {
    if (!isDict(resources) || typeof resources.cpu !== 'number') return;
    c.v = true;
    if (write) resources.cpu = String(resources.cpu);
  };
  for (const path of POD_SPEC_PATHS) {
    const spec = dig(target, path);
    if (!isDict(spec)) continue;
    for (const c of [...dicts(spec.containers), ...dicts(spec.initContainers)]) {
      fixPorts(c.ports, changed);
      const res = c.resources;
      if (isDict(res)) {
        fixCpu(res.limits, changed);
        fixCpu(res.requests, changed);
      }
    }
  }
  if (target.kind === 'Service' && target.apiVersion === 'v1')
    fixPorts(dig(target, ['spec', 'ports']), changed);
  if (target.kind === 'LimitRange' && target.apiVersion === 'v1') {
    for (const l of dicts(dig(target, ['spec', 'limits']))) {
      for (const k of ['default', 'defaultRequest', 'max', 'min', 'maxLimitRequestRatio'])
        fixCpu(l[k], changed);
    }
  }
}
