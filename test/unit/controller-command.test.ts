import type { KluctlDeployment } from '../../lib/api/types.js';
import type { CommandResult } from '../../lib/deploy/command-result.js';
import type { KubeClient } from '../../lib/ports.js';
import { systemClock } from '../../lib/ports.js';
import {
  asControllerResult,
  controllerCommandEnv,
  controllerDeployOptions,
} from '../../lib/reconcile/controller-command.js';

const kd = (spec: Record<string, unknown>): KluctlDeployment =>
  ({
    apiVersion: 'gitops.kluctl.io/v1beta1',
    kind: 'KluctlDeployment',
    metadata: { name: 'app', namespace: 'ns' },
    spec: { interval: '5m', source: { git: { url: 'https://git.example.com/r.git' } }, ...spec },
  }) as KluctlDeployment;
const kube = {} as KubeClient;

describe('the controller side of the one command path', () => {
  it('takes inclusion rules and command info from the spec, git info only with a checkout', () => {
    const spec = { includeTags: ['a'], excludeDeploymentDirs: ['b'], dryRun: true, args: { x: 1 } };
    const env = controllerCommandEnv(kube, systemClock, { kd: kd(spec), reconcileId: 'r', projectKey: {} });
    expect(env.inclusion).toEqual({
      includeTags: ['a'],
      excludeTags: [],
      includeDeploymentDirs: [],
      excludeDeploymentDirs: ['b'],
    });
    expect(env.info).toEqual({
      args: { x: 1 },
      includeTags: ['a'],
      excludeDeploymentDirs: ['b'],
      dryRun: true,
    });
    expect(env.gitInfo).toBeUndefined();
    const checkedOut = controllerCommandEnv(kube, systemClock, {
      kd: kd({}),
      reconcileId: 'r',
      projectKey: { subDir: 'sub' },
      commit: 'c0ffee',
    });
    expect(checkedOut.gitInfo).toEqual({
      url: 'https://git.example.com/r.git',
      ref: null,
      subDir: 'sub',
      commit: 'c0ffee',
      dirty: false,
    });
  });

  it.each<[string, Record<string, unknown>, Record<string, unknown>]>([
    ['defaults', {}, { prune: false, dryRun: false, forceApply: false, noWait: false }],
    [
      'spec flags',
      { prune: true, dryRun: true, forceApply: true, noWait: true },
      { prune: true, dryRun: true, forceApply: true, noWait: true },
    ],
  ])('deploy options: %s', (_n, spec, want) => {
    expect(controllerDeployOptions(kd(spec).spec)).toMatchObject({
      ...want,
      readinessTimeoutMs: 600_000,
      waitPrune: false,
    });
  });

  it('marks results as run by the KluctlDeployment', () => {
    const r = { command: { command: 'delete', initiator: 'CommandLine' } } as unknown as CommandResult;
    expect(asControllerResult(r, { kd: kd({}), clusterId: 'c1' })).toEqual({
      command: { command: 'delete', initiator: 'KluctlDeployment' },
      kluctlDeployment: { name: 'app', namespace: 'ns', clusterId: 'c1' },
    });
  });
});
