// Kluctl's result store format (lib/results/kluctl-result-format.ts): the Secret of a command and of a
// validate result as Kluctl's controller writes them (checked against `kluctl controller run` on the
// test API server by test/parity/gitops-manual-requests.test.ts), and which results retention drops.
import type { ValidateResult } from '../../lib/api/types.js';
import type { CommandResult } from '../../lib/deploy/command-result.js';
import type { KubeObject } from '../../lib/ports.js';
import {
  commandResultSecret,
  decodeResultData,
  reducedObject,
  resultSecretName,
  resultsBeyondRetention,
  validateResultSecret,
} from '../../lib/results/kluctl-result-format.js';

const ID = '9b360fa9-647c-4644-ba21-0cef11f33405';
const target = { targetName: 't1', clusterId: 'c1', discriminator: 'd1' };
const cm = (extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: {
    name: 'cm1',
    namespace: 'ns',
    labels: { 'kluctl.io/discriminator': 'd1' },
    annotations: {},
    resourceVersion: '12',
  },
  data: { k: 'v' },
  ...extra,
});

function result(over: Partial<CommandResult> = {}): CommandResult {
  return {
    id: ID,
    reconcileId: 'r1',
    projectKey: { repoKey: 'git://127.0.0.1:39239/explore' },
    targetKey: target,
    target: { name: 't1' },
    command: {
      initiator: 'KluctlDeployment',
      startTime: '2026-12-06T01:04:17Z',
      endTime: '2026-12-06T01:04:17Z',
      command: 'deploy',
    },
    kluctlDeployment: { name: 'kd', namespace: 'gitops', clusterId: 'c1' },
    clusterInfo: { clusterId: 'c1' },
    objects: [
      {
        ref: { group: '', version: 'v1', kind: 'ConfigMap', name: 'cm1', namespace: 'ns' },
        new: true,
        rendered: cm(),
        applied: cm(),
      },
    ],
    errors: [],
    warnings: [],
    ...over,
  };
}

describe('resultSecretName', () => {
  it.each([
    ['git://127.0.0.1:39239/explore', `cr-explore-${ID}`],
    ['git://github.com/org/My_Repo.v2', `cr-my-repov2-${ID}`],
    ['', `cr-${ID}`],
    [`git://h/${'x'.repeat(80)}`, `cr-${'x'.repeat(63 - ID.length - 4)}-${ID}`],
  ])('%s → %s', (repoKey, want) => {
    const name = resultSecretName('cr', ID, { repoKey });
    expect(name).toBe(want);
    expect(name.length).toBeLessThanOrEqual(64);
  });
});

describe('commandResultSecret', () => {
  const secret = commandResultSecret(result(), 'kluctl-results');
  it('has Kluctl labels and annotations', () => {
    expect(secret.metadata).toMatchObject({
      name: `cr-explore-${ID}`,
      namespace: 'kluctl-results',
      labels: { 'kluctl.io/result': 'true', 'kluctl.io/command-result-id': ID },
      annotations: {
        'kluctl.io/result-project-repo-key': 'git://127.0.0.1:39239/explore',
        'kluctl.io/result-deployment-name': 'kd',
        'kluctl.io/result-deployment-namespace': 'gitops',
      },
    });
    expect(JSON.parse(secret.metadata.annotations!['kluctl.io/command-result-summary']!)).toMatchObject({
      id: ID,
      commandInfo: { command: 'deploy' },
      newObjects: 1,
      errors: null,
    });
  });
  it('stores the reduced result and the full objects, gzip-compressed', () => {
    const reduced = decodeResultData(secret, 'reducedResult') as {
      objects: { ref: unknown; applied: unknown }[];
    };
    expect(reduced.objects[0]).toEqual({
      ref: { version: 'v1', kind: 'ConfigMap', name: 'cm1', namespace: 'ns' },
      new: true,
      rendered: reducedObject(cm()),
      applied: reducedObject(cm()),
    });
    const compacted = decodeResultData(secret, 'compactedObjects') as { applied: string }[];
    expect(JSON.parse(compacted[0]!.applied.replace(/^full: /, ''))).toEqual(cm());
  });
  it('reduces objects to apiVersion, kind, name, namespace and non-empty labels and annotations', () =>
    expect(reducedObject(cm())).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { labels: { 'kluctl.io/discriminator': 'd1' }, name: 'cm1', namespace: 'ns' },
    }));
});

describe('validateResultSecret', () => {
  it('stores the result and a summary of counts', () => {
    const vr: ValidateResult = {
      id: ID,
      reconcileId: 'r1',
      projectKey: { repoKey: 'git://h/p', subDir: 'sub' },
      targetKey: target,
      startTime: '2026-12-06T01:03:55Z',
      endTime: '2026-12-06T01:03:56Z',
      ready: true,
      errors: [{ ref: { kind: 'ConfigMap', name: 'cm1' }, message: 'object not found' }],
    };
    const secret = validateResultSecret(vr, 'kluctl-results');
    expect(secret.metadata.name).toBe(`vr-p-${ID}`);
    expect(secret.metadata.labels).toEqual({
      'kluctl.io/result': 'true',
      'kluctl.io/validate-result-id': ID,
    });
    expect(secret.metadata.annotations?.['kluctl.io/result-project-subdir']).toBe('sub');
    expect(JSON.parse(secret.metadata.annotations!['kluctl.io/validate-result-summary']!)).toMatchObject({
      errors: 1,
      warnings: 0,
      results: 0,
      ready: true,
    });
    expect(decodeResultData(secret, 'result')).toEqual(vr);
  });
});

describe('resultsBeyondRetention', () => {
  const at = (id: string, start: string, over: Partial<CommandResult> = {}) =>
    commandResultSecret(
      result({
        id,
        command: { initiator: 'KluctlDeployment', startTime: start, endTime: start, command: 'deploy' },
        ...over,
      }),
      'kluctl-results',
    );
  const names = (l: KubeObject[]) => l.map((s) => s.metadata.labels!['kluctl.io/command-result-id']).sort();
  it('keeps the newest of the same project and target', () => {
    const all = [
      at('a', '2026-12-06T01:00:01Z'),
      at('b', '2026-12-06T01:00:03Z'),
      at('c', '2026-12-06T01:00:02Z'),
      at('other-target', '2026-12-06T00:00:00Z', { targetKey: { ...target, targetName: 't2' } }),
      at('other-project', '2026-12-06T00:00:00Z', { projectKey: { repoKey: 'git://h/other' } }),
    ];
    const key = { projectKey: { repoKey: 'git://127.0.0.1:39239/explore' }, targetKey: target };
    expect(names(resultsBeyondRetention(all, 'command', key, 2))).toEqual(['a']);
    expect(names(resultsBeyondRetention(all, 'command', key, 5))).toEqual([]);
  });
  it('leaves Secrets without a readable summary alone', () => {
    const broken = { ...at('x', '2026-12-06T00:00:00Z') };
    broken.metadata = { ...broken.metadata, annotations: { 'kluctl.io/command-result-summary': '{' } };
    expect(resultsBeyondRetention([broken], 'command', { projectKey: {}, targetKey: target }, 0)).toEqual([]);
  });
});
