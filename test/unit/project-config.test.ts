import { ProjectLoadError } from '../../lib/errors.js';
import { parseDeploymentConfig } from '../../lib/project/deployment-config.js';
import { parseKluctlProjectConfig } from '../../lib/project/kluctl-config.js';

function loadError(fn: () => unknown): ProjectLoadError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProjectLoadError);
    return err as ProjectLoadError;
  }
  throw new Error('expected a ProjectLoadError');
}

describe('.kluctl.yaml decoding', () => {
  it('reads targets, args and the discriminator', () => {
    const c = parseKluctlProjectConfig(
      'discriminator: d-{{ target.name }}\nargs:\n  - name: a\n  - name: b\n    default: {x: 1}\ntargets:\n  - name: t\n    context: c\n    args: {a: 1}\n    images:\n      - image: nginx\n        resultImage: nginx:1\n',
      '.kluctl.yml',
    );
    expect(c.discriminator).toBe('d-{{ target.name }}');
    expect(c.args).toEqual([
      { name: 'a', default: undefined, hasDefault: false },
      { name: 'b', default: { x: 1 }, hasDefault: true },
    ]);
    expect(c.targets).toEqual([
      { name: 't', context: 'c', args: { a: 1 }, images: [{ image: 'nginx', resultImage: 'nginx:1' }] },
    ]);
  });

  it.each([
    ['an unknown top-level field', 'discriminator: x\nfoo: 1\n', 'unknown field "foo"', 2],
    [
      'an unknown target field',
      'targets:\n  - name: t\n    contxt: c\n',
      'unknown field "contxt" in targets[0]',
      3,
    ],
    ['a wrong type', 'targets:\n  - name: [a]\n', 'targets[0].name must be a string', 2],
    [
      'a template block (the file is not rendered as a whole)',
      '{% if true %}\ndiscriminator: x\n{% endif %}\n',
      'YAML syntax error',
      1,
    ],
  ])('refuses %s with file and line', (_name, text, message, line) => {
    const err = loadError(() => parseKluctlProjectConfig(text, '.kluctl.yml'));
    expect(err.message).toContain(message);
    expect(err.position).toMatchObject({ file: '.kluctl.yml', line });
  });
});

describe('deployment.yaml decoding', () => {
  it('accepts every documented field', () => {
    const c = parseDeploymentConfig(
      [
        'vars:',
        '  - values: {a: 1}',
        '  - file: v.yaml',
        '    ignoreMissing: true',
        '    noOverride: true',
        '    when: a == 1',
        '    targetPath: x.y',
        'commonLabels: {l: v}',
        'commonAnnotations: {a: v}',
        'overrideNamespace: ns',
        'tags: [t]',
        'deployments:',
        '  - path: p',
        '    tags: [x]',
        '    when: "true"',
        '    waitReadiness: true',
        '    skipDeleteIfTags: true',
        '    onlyRender: false',
        '    alwaysDeploy: true',
        '    recursive: true',
        '    vars: [{values: {b: 2}}]',
        '  - include: sub',
        '    barrier: true',
        '    message: m',
        '  - deleteObjects: [{kind: ConfigMap, name: c}]',
        '    waitReadinessObjects: [{group: apps, kind: Deployment, name: d, namespace: n}]',
      ].join('\n'),
      'deployment.yml',
    );
    expect(c.deployments).toHaveLength(3);
    expect(c.deployments?.[0]).toMatchObject({ path: 'p', waitReadiness: true, recursive: true });
    expect(c.vars?.[1]).toMatchObject({ file: 'v.yaml', targetPath: 'x.y', noOverride: true });
  });

  it.each([
    ['an unknown top-level field', 'deployments: []\nextra: 1\n', 'unknown field "extra"', 2],
    [
      'an unknown item field',
      'deployments:\n  - path: a\n  - path: b\n    pth: c\n',
      'unknown field "pth" in deployments[1]',
      4,
    ],
    ['an unknown vars field', 'vars:\n  - values: {}\n    bogus: 1\n', 'unknown field "bogus" in vars[0]', 3],
    [
      'a reserved result field',
      'deployments:\n  - path: a\n    renderedObjects: []\n',
      'unknown field "renderedObjects"',
      3,
    ],
    [
      'a non-boolean barrier',
      'deployments:\n  - barrier: "yes"\n',
      'deployments[0].barrier must be a boolean',
      2,
    ],
    ['commonLabels with a list value', 'commonLabels:\n  a: [1]\n', 'commonLabels.a must be a string', 2],
    ['bad YAML', 'deployments:\n  - path: a\n   bad: [\n', 'YAML syntax error', 3],
  ])('refuses %s with file and line', (_name, text, message, line) => {
    const err = loadError(() => parseDeploymentConfig(text, 'sub/deployment.yml'));
    expect(err.message).toContain(message);
    expect(err.message.startsWith(`sub/deployment.yml:${line}:`)).toBe(true);
    expect(err.position?.line).toBe(line);
  });

  it.each([
    [
      'path and include together',
      'deployments:\n  - path: a\n    include: b\n',
      'only one of path, include, git and oci',
    ],
    [
      'recursive without path',
      'deployments:\n  - include: a\n    recursive: true\n',
      'recursive can only be set when path is set',
    ],
    [
      'waitReadiness without path',
      'deployments:\n  - include: a\n    waitReadiness: true\n',
      'only kustomize deployments are allowed to have waitReadiness set',
    ],
    [
      'args on a path item',
      'deployments:\n  - path: a\n    args: {x: 1}\n',
      'args are only allowed when another project is included',
    ],
    [
      'passVars on a path item',
      'deployments:\n  - path: a\n    passVars: true\n',
      'passVars is only allowed',
    ],
    [
      'deleteObjects without group and kind',
      'deployments:\n  - deleteObjects: [{name: x}]\n',
      'at least one of group or kind must be set',
    ],
  ])('refuses %s as Kluctl validates items', (_name, text, message) => {
    expect(loadError(() => parseDeploymentConfig(text, 'deployment.yml')).message).toContain(message);
  });
});
