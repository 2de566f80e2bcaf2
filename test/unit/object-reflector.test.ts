/**
 * The ordering rules of the object cache's reflector (lib/adapters/object-reflector.ts, ADR 0014),
 * with a scripted watch: events older than a write of this process do not undo it, a write that takes
 * an object out of scope is not undone by an older event, a delete of this process keeps lists away
 * from the copy until the watch confirms it, and a list older than a write keeps the write.
 */
import { ObjectReflector } from '../../lib/adapters/object-reflector.js';
import type {
  KubeObject,
  KubeWatcher,
  ResourceInfo,
  VersionedList,
  WatchEnd,
  WatchEvent,
} from '../../lib/ports.js';
import { silentLogger } from '../../lib/ports.js';
import { CONFIGMAPS } from '../support/resources.js';

const CM = CONFIGMAPS;

const cm = (name: string, rv: number, v = String(rv)): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'ns', resourceVersion: String(rv), labels: { d: 'x' } },
  data: { v },
});

/** A watch whose list and events the test decides. */
class ScriptedWatcher implements KubeWatcher {
  list: VersionedList = { items: [], resourceVersion: '1' };
  private emit: ((e: WatchEvent) => void) | undefined;
  private end: ((e: WatchEnd) => void) | undefined;
  listVersioned(): Promise<VersionedList> {
    return Promise.resolve(this.list);
  }
  watch(
    _r: ResourceInfo,
    opts: { signal: AbortSignal },
    onEvent: (e: WatchEvent) => void,
  ): Promise<WatchEnd> {
    this.emit = onEvent;
    return new Promise((resolve) => {
      this.end = resolve;
      opts.signal.addEventListener('abort', () => resolve('closed'), { once: true });
    });
  }
  send(type: WatchEvent['type'], object: KubeObject): void {
    this.emit!({ type, object });
  }
  /** Ends the watch as a 410 does: the reflector lists again. */
  expire(): void {
    this.end!('expired');
  }
}

async function started(): Promise<{ w: ScriptedWatcher; r: ObjectReflector }> {
  const w = new ScriptedWatcher();
  const r = new ObjectReflector(w, { resource: CM, labelSelector: 'd' }, { logger: silentLogger });
  expect(await r.ready()).toBe(true);
  await new Promise((res) => setImmediate(res));
  return { w, r };
}

const data = (r: ObjectReflector) =>
  r.snapshot()?.map((o) => `${o.metadata.name}=${(o.data as { v: string }).v}`);

test('an event older than a write of this process does not undo it; a newer one does', async () => {
  const { w, r } = await started();
  r.observe(cm('a', 10, 'mine'), true);
  w.send('ADDED', cm('a', 9, 'older'));
  expect(data(r)).toEqual(['a=mine']);
  w.send('MODIFIED', cm('a', 11, 'newer'));
  expect(data(r)).toEqual(['a=newer']);
  r.stop();
});

test('an object this process took out of scope is not brought back by an older event', async () => {
  const { w, r } = await started();
  w.send('ADDED', cm('a', 5));
  r.observe(cm('a', 10), false);
  w.send('MODIFIED', cm('a', 8));
  expect(data(r)).toEqual([]);
  w.send('DELETED', cm('a', 10));
  w.send('ADDED', cm('a', 12, 'labelled again'));
  expect(data(r)).toEqual(['a=labelled again']);
  r.stop();
});

test('after a delete of this process lists go to the API server until the watch confirms it', async () => {
  const { w, r } = await started();
  w.send('ADDED', cm('a', 5));
  r.forget('ns', 'a');
  expect(r.snapshot()).toBeUndefined();
  w.send('DELETED', cm('a', 6));
  expect(data(r)).toEqual([]);
  r.stop();
});

test('a list older than a write of this process keeps the write', async () => {
  const { w, r } = await started();
  r.observe(cm('a', 10, 'mine'), true);
  r.observe(cm('b', 11, 'created'), true);
  w.list = { items: [cm('a', 7, 'listed')], resourceVersion: '9' };
  w.expire();
  await new Promise((res) => setTimeout(res, 10));
  expect(data(r)).toEqual(['a=mine', 'b=created']);
  r.stop();
});

test('the label index follows every change: events, writes of this process, deletes and a new list', async () => {
  const w = new ScriptedWatcher();
  const labelled = (name: string, rv: number, d: string | undefined): KubeObject => {
    const o = cm(name, rv);
    return { ...o, metadata: { ...o.metadata, labels: d === undefined ? {} : { d } } };
  };
  w.list = { items: [labelled('a', 1, 'x'), labelled('b', 1, 'y')], resourceVersion: '1' };
  const r = new ObjectReflector(
    w,
    { resource: CM, labelSelector: 'd' },
    { logger: silentLogger, indexLabel: 'd' },
  );
  expect(await r.ready()).toBe(true);
  await new Promise((res) => setImmediate(res));
  const names = (v: string) =>
    r
      .snapshot(v)
      ?.map((o) => o.metadata.name)
      .sort();
  expect(names('x')).toEqual(['a']);

  w.send('ADDED', labelled('c', 2, 'x'));
  w.send('MODIFIED', labelled('b', 3, 'x')); // y -> x
  expect([names('x'), names('y')]).toEqual([['a', 'b', 'c'], []]);

  r.observe(labelled('a', 4, 'y'), true); // a write of this process moves a to y
  r.observe(labelled('c', 5, undefined), false); // and takes c out of scope
  expect([names('x'), names('y')]).toEqual([['b'], ['a']]);

  w.send('DELETED', labelled('b', 6, 'x'));
  expect(names('x')).toEqual([]);

  w.list = { items: [labelled('d', 7, 'y'), labelled('e', 7, 'x')], resourceVersion: '7' };
  w.expire();
  await new Promise((res) => setTimeout(res, 10));
  expect([names('x'), names('y')]).toEqual([['e'], ['d']]);
  // Without a value: every object, as before.
  expect(
    r
      .snapshot()
      ?.map((o) => o.metadata.name)
      .sort(),
  ).toEqual(['d', 'e']);
  r.stop();
});
