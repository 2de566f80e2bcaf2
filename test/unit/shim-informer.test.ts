// The shim's list-then-watch loop against a scripted watcher: which events count as changes, a
// watch continued from the last resourceVersion after it ends or fails, and a relist after 410 that
// reports what changed and what vanished meanwhile.
import { afterEach, describe, expect, it } from '@jest/globals';
import type {
  KubeObject,
  KubeWatcher,
  VersionedList,
  WatchEnd,
  WatchEvent,
  WatchOptions,
} from '../../lib/ports.js';
import { DeploymentInformer, type MirrorChange } from '../../lib/shim/deployment-informer.js';

function kd(name: string, rv: number, generation = 1, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'gitops.kluctl.io/v1beta1',
    kind: 'KluctlDeployment',
    metadata: { name, namespace: 'ns', uid: `uid-${name}`, generation, resourceVersion: String(rv) },
    spec: { interval: '5m' },
    ...extra,
  };
}

/** A watcher whose lists and watch events the test hands out. */
class ScriptedWatcher implements KubeWatcher {
  lists: (VersionedList | Error)[] = [];
  listCalls = 0;
  readonly watchFrom: string[] = [];
  private current: { emit: (e: WatchEvent) => void; end: (v: WatchEnd | Error) => void } | undefined;

  async listVersioned(): Promise<VersionedList> {
    this.listCalls++;
    const next = this.lists.shift();
    if (!next) throw new Error('no list scripted');
    if (next instanceof Error) throw next;
    return next;
  }

  watch(_r: unknown, opts: WatchOptions, onEvent: (e: WatchEvent) => void): Promise<WatchEnd> {
    this.watchFrom.push(opts.resourceVersion);
    return new Promise((resolve, reject) => {
      this.current = { emit: onEvent, end: (v) => (v instanceof Error ? reject(v) : resolve(v)) };
      opts.signal.addEventListener('abort', () => resolve('closed'));
    });
  }

  async emit(type: WatchEvent['type'], object: KubeObject): Promise<void> {
    await until(() => this.current !== undefined);
    this.current!.emit({ type, object });
  }

  async end(v: WatchEnd | Error): Promise<void> {
    await until(() => this.current !== undefined);
    const c = this.current!;
    this.current = undefined;
    c.end(v);
  }
}

async function until(cond: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 2));
  }
}

let informer: DeploymentInformer | undefined;
afterEach(() => informer?.stop());

function start(w: ScriptedWatcher): MirrorChange[] {
  const changes: MirrorChange[] = [];
  informer = new DeploymentInformer({
    watcher: w,
    onChange: (c) => changes.push(c),
    backoff: { baseMs: 2, maxMs: 4 },
  });
  informer.start();
  return changes;
}

const summary = (cs: MirrorChange[]): string[] =>
  cs.map((c) => `${c.type} ${c.object.metadata.name}@${c.object.metadata.resourceVersion}`);

describe('DeploymentInformer', () => {
  it('reports listed objects, then only watch events that change the mirror', async () => {
    const w = new ScriptedWatcher();
    w.lists = [{ items: [kd('a', 10)], resourceVersion: '10' }];
    const changes = start(w);
    await w.emit('MODIFIED', kd('a', 11, 1, { status: { observedGeneration: 1 } }));
    await w.emit('BOOKMARK', { ...kd('x', 12), metadata: { name: '', resourceVersion: '12' } });
    await w.emit('MODIFIED', kd('a', 13, 2));
    await w.emit('ADDED', kd('b', 14));
    await w.emit('DELETED', kd('b', 15));
    expect(summary(changes)).toEqual(['upsert a@10', 'upsert a@13', 'upsert b@14', 'delete b@15']);
    expect(informer!.synced).toBe(true);
    expect(informer!.objects().map((o) => o.metadata.resourceVersion)).toEqual(['13']);
  });

  it('continues from the last resourceVersion after a watch ends or fails, without listing again', async () => {
    const w = new ScriptedWatcher();
    w.lists = [{ items: [], resourceVersion: '5' }];
    start(w);
    await w.emit('ADDED', kd('a', 6));
    await w.end('closed');
    await w.emit('BOOKMARK', { ...kd('x', 9), metadata: { name: '', resourceVersion: '9' } });
    await w.end(new Error('connection reset'));
    await until(() => w.watchFrom.length === 3);
    expect(w.watchFrom).toEqual(['5', '6', '9']);
    expect(w.listCalls).toBe(1);
  });

  it('lists again when the resourceVersion expired and reports changes and deletions it missed', async () => {
    const w = new ScriptedWatcher();
    w.lists = [
      { items: [kd('a', 10), kd('b', 11), kd('c', 12)], resourceVersion: '12' },
      new Error('API server unavailable'),
      // While the watch was gone: a changed only in status, b deleted, c's spec changed, d created.
      { items: [kd('a', 20, 1, { status: { x: 1 } }), kd('c', 21, 2), kd('d', 22)], resourceVersion: '22' },
    ];
    const changes = start(w);
    await w.end('expired');
    await until(() => w.watchFrom.length === 2);
    expect(w.listCalls).toBe(3);
    expect(w.watchFrom).toEqual(['12', '22']);
    expect(summary(changes).slice(3)).toEqual(['upsert c@21', 'upsert d@22', 'delete b@11']);
    expect(informer!.state()).toMatchObject({ synced: true, objects: 3 });
  });

  it('relist() ends the watch, lists and resolves after the list', async () => {
    const w = new ScriptedWatcher();
    w.lists = [
      { items: [kd('a', 1)], resourceVersion: '1' },
      { items: [kd('a', 1)], resourceVersion: '30' },
    ];
    const changes = start(w);
    await until(() => w.watchFrom.length === 1);
    await informer!.relist();
    expect(w.listCalls).toBe(2);
    await until(() => w.watchFrom.length === 2);
    expect(w.watchFrom).toEqual(['1', '30']);
    expect(summary(changes)).toEqual(['upsert a@1']);
  });
});
