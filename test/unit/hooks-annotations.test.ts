import {
  isDeleteAnnotated,
  isHook,
  isPersistentHook,
  isOnlyDeleteHook,
  isOnlyRollbackHook,
  parseHook,
  selectHooks,
} from '../../lib/deploy/hooks/hook-annotations.js';
import type { Hook } from '../../lib/deploy/hooks/hook-annotations.js';
import type { KubeObject } from '../../lib/ports.js';
import { isGoTrue, parseGoBool } from '../../lib/util/go-bool.js';

const obj = (name: string, annotations: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'ns', annotations },
});

const hookOf = (name: string, annotations: Record<string, string>): Hook => {
  const p = parseHook(obj(name, annotations));
  expect(p.errors).toEqual([]);
  return p.hook!;
};

describe('parseHook (kluctl-semantics 5.5, 4.4)', () => {
  it('returns no hook for normal objects', () => {
    expect(parseHook(obj('a', {}))).toEqual({ errors: [], warnings: [] });
    expect(isHook(obj('a', { 'kluctl.io/wait-readiness': 'true' }))).toBe(false);
  });

  it('reads a comma list of hook types with defaults', () => {
    const h = hookOf('a', { 'kluctl.io/hook': 'pre-deploy, post-deploy' });
    expect([...h.types].sort()).toEqual(['post-deploy', 'pre-deploy']);
    expect(h.weight).toBe(0);
    expect([...h.deletePolicies]).toEqual(['before-hook-creation']);
    expect(h.wait).toBe(true);
    expect(h.timeoutMs).toBeUndefined();
  });

  it.each([
    ['pre-install', 'pre-deploy-initial'],
    ['post-install', 'post-deploy-initial'],
    ['pre-upgrade', 'pre-deploy-upgrade'],
    ['post-upgrade', 'post-deploy-upgrade'],
  ])('maps helm hook %s to %s without warnings', (helm, kluctl) => {
    const p = parseHook(obj('a', { 'helm.sh/hook': helm }));
    expect(p.warnings).toEqual([]);
    expect([...p.hook!.types]).toEqual([kluctl]);
  });

  it.each(['pre-delete', 'post-delete', 'pre-rollback', 'post-rollback'])(
    'accepts helm hook %s as a hook that no deploy runs',
    (helm) => {
      const p = parseHook(obj('a', { 'helm.sh/hook': helm }));
      expect(p.errors).toEqual([]);
      expect(p.hook).toBeDefined();
      expect(isOnlyDeleteHook(p.hook!) || isOnlyRollbackHook(p.hook!)).toBe(true);
      expect(selectHooks([p.hook!], ['pre-deploy', 'pre-deploy-initial', 'post-deploy'])).toEqual([]);
    },
  );

  it('warns about other helm hooks and treats such objects as normal objects', () => {
    const p = parseHook(obj('a', { 'helm.sh/hook': 'crd-install' }));
    expect(p.warnings).toEqual(["unsupported helm.sh/hook 'crd-install'"]);
    expect(p.hook).toBeUndefined();
  });

  it('rejects unknown kluctl hooks and delete policies', () => {
    const p = parseHook(
      obj('a', { 'kluctl.io/hook': 'pre-deploy,pre-delete', 'kluctl.io/hook-delete-policy': 'never' }),
    );
    expect(p.errors).toHaveLength(2);
    expect(p.errors[0]).toContain("unsupported kluctl.io/hook 'pre-delete'");
    expect(p.errors[1]).toContain("unsupported kluctl.io/hook-delete-policy 'never'");
  });

  it('takes kluctl.io/hook-weight before helm.sh/hook-weight and rejects non-integers', () => {
    expect(hookOf('a', { 'kluctl.io/hook': 'pre-deploy', 'helm.sh/hook-weight': '-5' }).weight).toBe(-5);
    expect(
      hookOf('a', {
        'kluctl.io/hook': 'pre-deploy',
        'kluctl.io/hook-weight': '3',
        'helm.sh/hook-weight': '-5',
      }).weight,
    ).toBe(3);
    const bad = parseHook(obj('a', { 'kluctl.io/hook': 'pre-deploy', 'kluctl.io/hook-weight': 'x' }));
    expect(bad.errors[0]).toContain("failed to parse hook weight 'x'");
  });

  it('unites kluctl and helm delete policies', () => {
    const h = hookOf('a', {
      'kluctl.io/hook': 'post-deploy',
      'kluctl.io/hook-delete-policy': 'hook-succeeded',
      'helm.sh/hook-delete-policy': 'hook-failed,before-hook-creation',
    });
    expect([...h.deletePolicies].sort()).toEqual(['before-hook-creation', 'hook-failed', 'hook-succeeded']);
    expect(isPersistentHook(h)).toBe(false);
    expect(isPersistentHook(hookOf('b', { 'kluctl.io/hook': 'post-deploy' }))).toBe(true);
  });

  it('reads hook-wait as a Go bool and hook-timeout as a duration', () => {
    const h = hookOf('a', {
      'kluctl.io/hook': 'post-deploy',
      'kluctl.io/hook-wait': 'False',
      'kluctl.io/hook-timeout': '1m30s',
    });
    expect(h.wait).toBe(false);
    expect(h.timeoutMs).toBe(90_000);
    const bad = parseHook(
      obj('a', {
        'kluctl.io/hook': 'post-deploy',
        'kluctl.io/hook-wait': 'yes',
        'kluctl.io/hook-timeout': '5',
      }),
    );
    expect(bad.errors).toHaveLength(2);
  });

  it('never treats kluctl.io/delete objects as hooks', () => {
    const o = obj('a', { 'kluctl.io/hook': 'pre-deploy', 'kluctl.io/delete': 'true' });
    expect(isDeleteAnnotated(o)).toBe(true);
    expect(isHook(o)).toBe(false);
    expect(parseHook(o).hook).toBeUndefined();
    expect(isDeleteAnnotated(obj('b', { 'kluctl.io/delete': 'nope' }))).toBe(false);
  });
});

describe('selectHooks', () => {
  it('selects by type and sorts stably by ascending weight', () => {
    const hooks = [
      hookOf('w5', { 'kluctl.io/hook': 'pre-deploy', 'kluctl.io/hook-weight': '5' }),
      hookOf('a0', { 'kluctl.io/hook': 'pre-deploy-initial' }),
      hookOf('post', { 'kluctl.io/hook': 'post-deploy' }),
      hookOf('m1', { 'kluctl.io/hook': 'pre-deploy', 'helm.sh/hook-weight': '-1' }),
      hookOf('b0', { 'kluctl.io/hook': 'pre-deploy' }),
    ];
    const names = selectHooks(hooks, ['pre-deploy-initial', 'pre-deploy']).map((h) => h.object.metadata.name);
    expect(names).toEqual(['m1', 'a0', 'b0', 'w5']);
    expect(
      selectHooks(hooks, ['pre-deploy-upgrade', 'pre-deploy']).map((h) => h.object.metadata.name),
    ).toEqual(['m1', 'b0', 'w5']);
  });
});

describe('parseGoBool', () => {
  it.each([
    ['true', true],
    ['1', true],
    ['T', true],
    ['FALSE', false],
    ['0', false],
    ['yes', undefined],
    ['', undefined],
  ])('%s → %s', (v, want) => expect(parseGoBool(v)).toBe(want));

  it.each([
    [undefined, false],
    ['True', true],
    ['yes', false],
    ['false', false],
  ])('isGoTrue(%s) → %s', (v, want) => expect(isGoTrue(v)).toBe(want));
});
