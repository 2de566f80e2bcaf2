/**
 * Helpers of the hook scenarios (hooks-*.test.ts). Kluctl's e2e/hooks_test.go records the ConfigMap
 * writes that reach an admission webhook; here a recording wrapper around the real KubeClient records
 * the (non-dry-run) apply and delete calls into the scenario's namespace, in call order.
 */
import type { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import { deployProject } from '../../lib/deploy/deploy-project.js';
import type { DeployItem, DeployOptions, DeployOutcome } from '../../lib/deploy/deploy-types.js';
import type { Clock, KubeClient, KubeObject } from '../../lib/ports.js';

/** A KubeClient that logs `apply:<name>` / `delete:<name>` for real writes into `ns`. */
export function recordingClient(inner: KubeClient, ns: string, ops: string[]): KubeClient {
  return new Proxy(inner, {
    get(target, prop) {
      if (prop === 'apply') {
        return async (obj: KubeObject, opts: Parameters<KubeClient['apply']>[1]) => {
          if (!opts.dryRun && obj.metadata.namespace === ns) ops.push(`apply:${obj.metadata.name}`);
          return target.apply(obj, opts);
        };
      }
      if (prop === 'delete') {
        return async (ref: Parameters<KubeClient['delete']>[0], opts?: { dryRun?: boolean }) => {
          if (!opts?.dryRun && ref.namespace === ns) ops.push(`delete:${ref.name}`);
          return target.delete(ref, opts);
        };
      }
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/** A deploy outcome plus the recorded calls. */
export type RecordedOutcome = DeployOutcome & { readonly applied: string[]; readonly ops: string[] };

/** One scenario: a namespace, the objects of its single item, and recorded deploys. */
export class HookScenario {
  ops: string[] = [];
  objects: KubeObject[] = [];
  /** Extra fields of the deployed item (deleteObjects, waitReadiness, ...). */
  item: Partial<DeployItem> = {};

  constructor(
    readonly kube: HttpKubeClient,
    readonly ns: string,
  ) {}

  get discriminator(): string {
    return `hooks-${this.ns}`;
  }

  /** Adds a ConfigMap with the discriminator label. */
  cm(name: string, annotations: Record<string, string> = {}): this {
    return this.add({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, annotations }, data: {} });
  }

  /** Adds a ConfigMap hook. */
  hook(name: string, hook: string, annotations: Record<string, string> = {}): this {
    return this.cm(name, { 'kluctl.io/hook': hook, ...annotations });
  }

  /** Adds any object (namespace and discriminator label filled in). */
  add(obj: KubeObject): this {
    obj.metadata.namespace ??= this.ns;
    obj.metadata.labels = { ...obj.metadata.labels, 'kluctl.io/discriminator': this.discriminator };
    this.objects.push(obj);
    return this;
  }

  /** Deploys the item; `applied` lists the names of the real applies in order. */
  async deploy(opts: DeployOptions = {}): Promise<RecordedOutcome> {
    this.ops = [];
    const kube = recordingClient(this.kube, this.ns, this.ops);
    const out = await deployProject(
      kube,
      {
        discriminator: this.discriminator,
        items: [{ dir: 'hook', barrier: false, ...this.item, objects: this.objects }],
      },
      { readinessTimeoutMs: 20_000, ...opts },
    );
    const applied = this.ops.filter((o) => o.startsWith('apply:')).map((o) => o.slice(6));
    return Object.assign(out, { applied, ops: [...this.ops] });
  }

  /** Deploys and asserts the exact apply order (Kluctl's ensureHookExecuted). */
  async ensureHookExecuted(...expected: string[]): Promise<RecordedOutcome> {
    const out = await this.deploy();
    expect(out.errors).toEqual([]);
    expect(out.applied).toEqual(expected);
    return out;
  }
}

/** A clock running `factor` times faster than real time. */
export function fastClock(factor: number): Clock {
  const start = Date.now();
  return { now: () => new Date(start + (Date.now() - start) * factor) };
}
