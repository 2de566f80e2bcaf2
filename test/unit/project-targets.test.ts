import { ProjectLoadError } from '../../lib/errors.js';
import { mergeArgs } from '../../lib/project/args.js';
import { parseKluctlProjectConfig } from '../../lib/project/kluctl-config.js';
import { loadTargets, selectTarget, targetVars } from '../../lib/project/targets.js';
import { TemplateEngine } from '../../lib/templating/template-engine.js';

const engine = new TemplateEngine();
const project = (yaml: string) => parseKluctlProjectConfig(yaml, '.kluctl.yml');

describe('mergeArgs (defaults <- target args <- external args)', () => {
  const declarations = [
    { name: 'a', default: 'da', hasDefault: true },
    { name: 'd', default: { nested: 'default', keep: 1 }, hasDefault: true },
    { name: 'req', hasDefault: false },
  ];
  it.each([
    [
      'external beats target beats default',
      { a: 'ta', req: 1 },
      { a: 'ea' },
      { a: 'ea', d: { nested: 'default', keep: 1 }, req: 1 },
    ],
    [
      'nested values merge deeply',
      { req: 1 },
      { d: { nested: 'x' } },
      { a: 'da', d: { nested: 'x', keep: 1 }, req: 1 },
    ],
    [
      'undeclared args pass through',
      {},
      { req: 0, other: true },
      { a: 'da', d: { nested: 'default', keep: 1 }, req: 0, other: true },
    ],
  ])('%s', (_name, targetArgs, externalArgs, expected) => {
    expect(mergeArgs({ declarations, targetArgs, externalArgs })).toEqual(expected);
  });

  it('fails when a required argument is missing', () => {
    expect(() => mergeArgs({ declarations, targetArgs: {}, externalArgs: {} })).toThrow(
      'required argument req not set',
    );
  });

  it('checks dotted required names as nested paths', () => {
    const decl = [{ name: 'x.y', hasDefault: false }];
    expect(mergeArgs({ declarations: decl, externalArgs: { x: { y: 1 } } })).toEqual({ x: { y: 1 } });
    expect(() => mergeArgs({ declarations: decl, externalArgs: { x: {} } })).toThrow(
      'required argument x.y not set',
    );
  });
});

describe('loadTargets', () => {
  it('discriminator_test: target inherits top-level discriminator, own one wins', async () => {
    const loaded = await loadTargets(
      project(
        'discriminator: top-{{ target.name }}\ntargets:\n  - name: a\n  - name: b\n    discriminator: own-{{ target.name }}\n',
      ),
      {},
      engine,
    );
    expect(loaded.targets.map((t) => [t.name, t.discriminator])).toEqual([
      ['a', 'top-a'],
      ['b', 'own-b'],
    ]);
  });

  it('renders target strings with target and args until stable (self-references)', async () => {
    const loaded = await loadTargets(
      project(
        'args:\n  - name: env\n    default: test\ntargets:\n  - name: "t-{{ args.env }}"\n    context: "{{ target.name }}-ctx"\n    discriminator: "{{ target.context }}-{{ args.env }}"\n',
      ),
      { env: 'ext' },
      engine,
    );
    expect(loaded.targets[0]).toMatchObject({
      name: 't-ext',
      context: 't-ext-ctx',
      discriminator: 't-ext-ctx-ext',
    });
  });

  it('sorts targets, keeps the first of duplicates and skips nameless ones with warnings', async () => {
    const loaded = await loadTargets(
      project(
        'targets:\n  - name: z\n  - name: a\n    context: first\n  - name: a\n    context: second\n  - context: x\n',
      ),
      {},
      engine,
    );
    expect(loaded.targets.map((t) => [t.name, t.context])).toEqual([
      ['a', 'first'],
      ['z', undefined],
    ]);
    expect(loaded.warnings).toEqual(['Duplicate target a', 'Target at index 3 has no name']);
  });

  it('TestNoTarget: a project without targets gets the no-name target with the top-level discriminator', async () => {
    const loaded = await loadTargets(project('discriminator: "x-{{ target.name }}"\n'), {}, engine);
    expect(loaded.noNameTarget).toEqual({ name: '', aws: {}, discriminator: 'x-' });
    expect(targetVars(loaded.noNameTarget!)).toEqual({ name: '', aws: {}, discriminator: 'x-' });
  });

  it('merges project and target aws field by field', async () => {
    const loaded = await loadTargets(
      project(
        'aws:\n  profile: p\n  serviceAccount: {name: s, namespace: ns}\ntargets:\n  - name: t\n    aws:\n      profile: q\n',
      ),
      {},
      engine,
    );
    expect(loaded.targets[0]?.aws).toEqual({ profile: 'q', serviceAccount: { name: 's', namespace: 'ns' } });
  });
});

describe('selectTarget', () => {
  const withTargets = loadTargets(project('targets:\n  - name: dev\n    context: dev-ctx\n'), {}, engine);
  const withoutTargets = loadTargets(project(''), {}, engine);

  it.each([
    ['an unknown name', { name: 'nope' }, 'target nope not existent in kluctl project config'],
    [
      'no name while targets exist',
      {},
      'a target must be explicitly selected when targets are defined in the Kluctl project',
    ],
  ])('fails on %s with Kluctl wording', async (_name, opts, message) => {
    const loaded = await withTargets;
    expect(() => selectTarget(loaded, opts)).toThrow(ProjectLoadError);
    expect(() => selectTarget(loaded, opts)).toThrow(message);
  });

  it('applies the name override and the context override', async () => {
    expect(
      selectTarget(await withTargets, { name: 'dev', nameOverride: 'renamed', contextOverride: 'c2' }),
    ).toMatchObject({ name: 'renamed', context: 'c2' });
    expect(selectTarget(await withTargets, { name: 'dev' })).toMatchObject({
      name: 'dev',
      context: 'dev-ctx',
    });
  });

  it('TestNoTarget: uses the no-name target, renamed by -T', async () => {
    expect(selectTarget(await withoutTargets, {}).name).toBe('');
    expect(selectTarget(await withoutTargets, { nameOverride: 'x' }).name).toBe('x');
  });

  it('a selected target whose rendering failed reports why', async () => {
    const loaded = await loadTargets(project('args:\n  - name: req\ntargets:\n  - name: t\n'), {}, engine);
    expect(loaded.warnings[0]).toContain('Failed to load target t');
    expect(() => selectTarget(loaded, { name: 't' })).toThrow('required argument req not set');
  });
});
