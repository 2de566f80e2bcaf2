import type { CommandResultSummary, ValidateResult } from '../../lib/api/types.js';
import { markOneOfAList, MultiError } from '../../lib/errors.js';
import {
  cleanSubDir,
  finalReadyStatus,
  makeCondition,
  prepareErrorText,
  prepareFailedMessage,
  projectKeyOf,
  repoKeyFromGitUrl,
  setCondition,
} from '../../lib/reconcile/status.js';

const summary = (over: Partial<CommandResultSummary>): CommandResultSummary =>
  ({
    newObjects: 0,
    changedObjects: 0,
    appliedHookObjects: 0,
    deletedObjects: 0,
    orphanObjects: 0,
    errors: [],
    warnings: [],
    ...over,
  }) as CommandResultSummary;
const err = { ref: { kind: 'ConfigMap', name: 'x' }, message: 'boom' };
const validOk = { errors: [] } as unknown as ValidateResult;
const validBad = { errors: [err, err] } as unknown as ValidateResult;

describe('finalReadyStatus (kluctl-semantics §10.8)', () => {
  it.each<[string, CommandResultSummary | undefined, ValidateResult | undefined, boolean, string, string]>([
    ['no deploy result', undefined, undefined, true, 'DeployFailed', 'deployment status unknown'],
    [
      'clean deploy',
      summary({ newObjects: 3 }),
      validOk,
      true,
      'ReconciliationSucceeded',
      'deploy succeeded. 3 new objects. validate succeeded.',
    ],
    [
      'every counter',
      summary({
        newObjects: 1,
        changedObjects: 2,
        appliedHookObjects: 3,
        deletedObjects: 4,
        orphanObjects: 5,
      }),
      undefined,
      false,
      'ReconciliationSucceeded',
      'deploy succeeded. 1 new objects. 2 changed objects. 3 hooks run. 4 deleted objects. 5 orphan objects.',
    ],
    [
      'deploy errors',
      summary({ errors: [err], warnings: [err, err] }),
      validOk,
      true,
      'DeployFailed',
      // Kluctl's validate part counts the deploy result's warnings.
      'deploy failed with 1 errors and 2 warnings. validate succeeded with 2 warnings.',
    ],
    [
      'warnings only',
      summary({ warnings: [err] }),
      validOk,
      true,
      'ReconciliationSucceeded',
      'deploy succeeded with 1 warnings. validate succeeded with 1 warnings.',
    ],
    [
      'validate errors',
      summary({}),
      validBad,
      true,
      'ValidateFailed',
      'deploy succeeded. validate failed with 2 errors.',
    ],
    [
      'validate unknown',
      summary({}),
      undefined,
      true,
      'ValidateFailed',
      'deploy succeeded. Validation status unknown.',
    ],
    [
      'validate unknown after deploy errors is still ValidateFailed',
      summary({ errors: [err] }),
      undefined,
      true,
      'ValidateFailed',
      'deploy failed with 1 errors. Validation status unknown.',
    ],
    [
      'deploy and validate errors',
      summary({ errors: [err] }),
      validBad,
      true,
      'DeployFailed',
      'deploy failed with 1 errors. validate failed with 2 errors.',
    ],
  ])('%s', (_n, deploy, validate, validateOn, reason, message) => {
    const r = finalReadyStatus(deploy, validate, validateOn);
    expect(r.reason).toBe(reason);
    expect(r.message).toBe(message);
    expect(r.status).toBe(reason === 'ReconciliationSucceeded' ? 'True' : 'False');
  });
});

describe('prepareFailedMessage', () => {
  it('counts the errors of a list of failures, even of one', () => {
    expect(prepareFailedMessage(new Error('x'))).toBe(
      'prepare failed. Check status.lastPrepareError for details',
    );
    expect(prepareFailedMessage(markOneOfAList(new Error('a')))).toBe(
      'prepare failed with 1 errors. Check status.lastPrepareError for details',
    );
    const wrapped = new Error('prepare', { cause: new MultiError([new Error('a'), new Error('b')]) });
    expect(prepareFailedMessage(wrapped)).toBe(
      'prepare failed with 2 errors. Check status.lastPrepareError for details',
    );
  });

  it("writes lists of errors in the layout of Go's multierror", () => {
    expect(prepareErrorText(new Error('x'))).toBe('x');
    expect(prepareErrorText(new Error('outer', { cause: markOneOfAList(new Error('a')) }))).toBe(
      '1 error occurred:\n\t* outer\n\n',
    );
    expect(prepareErrorText(new MultiError([new Error('a'), new Error('b')]))).toBe(
      '2 errors occurred:\n\t* a\n\t* b\n\n',
    );
  });
});

describe('repo keys', () => {
  it.each([
    ['https://github.com/kluctl/kluctl-examples.git', 'git://github.com/kluctl/kluctl-examples'],
    ['http://127.0.0.1:8080/project.git', 'git://127.0.0.1:8080/project'],
    ['git@github.com:org/repo.git', 'git://github.com/org/repo'],
    ['ssh://git@GitHub.com/org/repo', 'git://github.com/org/repo'],
  ])('%s -> %s', (url, key) => expect(repoKeyFromGitUrl(url)).toBe(key));

  it.each([
    ['./microservices-demo/3-templating-and-multi-env/', 'microservices-demo/3-templating-and-multi-env'],
    ['.', ''],
    ['', ''],
    ['a/../b', 'b'],
  ])('cleans sub dir %p', (p, want) => expect(cleanSubDir(p)).toBe(want));

  it('builds the project key from the deprecated source.url too', () => {
    expect(projectKeyOf({ interval: '1m', source: { url: 'https://h/x.git', path: 'sub/' } })).toEqual({
      repoKey: 'git://h/x',
      subDir: 'sub',
    });
    expect(() => projectKeyOf({ interval: '1m', source: {} })).toThrow('missing source spec');
  });
});

describe('conditions', () => {
  const t1 = new Date('2026-01-01T00:00:00Z');
  const t2 = new Date('2026-01-02T00:00:00Z');
  it('keeps the transition time while the status stays', () => {
    const a = setCondition([], makeCondition('Ready', 'True', 'R', 'one', { now: t1 }));
    const b = setCondition(a, makeCondition('Ready', 'True', 'R', 'two', { now: t2 }));
    expect(b).toEqual([
      expect.objectContaining({ message: 'two', lastTransitionTime: '2026-01-01T00:00:00Z' }),
    ]);
    const c = setCondition(b, makeCondition('Ready', 'False', 'R', 'three', { now: t2 }));
    expect(c[0]?.lastTransitionTime).toBe('2026-01-02T00:00:00Z');
  });
  it('truncates long messages as Kluctl does', () => {
    const c = makeCondition('Ready', 'False', 'R', 'x'.repeat(20005), { now: t1 });
    expect(c.message).toHaveLength(20003);
    expect(c.message.endsWith('...')).toBe(true);
  });
});
