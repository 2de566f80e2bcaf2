// The KluctlDeployment CRD against a real API server: it installs (idempotently) and becomes Established,
// accepts a manifest from Kluctl's documentation unchanged and defaults it like Kluctl's CRD, rejects
// malformed objects with a message naming the bad field, and prints Kluctl's columns.
import { kluctlDeploymentCrdPath } from '../../lib/api/crd.js';
import { DEFAULTS } from '../../lib/api/spec-defaults.js';
import { kubectl } from '../../devenv/control-plane.js';
import { kluctlDeployment } from '../support/kluctl-deployment.js';
import { createTestNamespace, eventually, installCrds, testEnv } from '../support/test-env.js';

const CRD_NAME = 'kluctldeployments.gitops.kluctl.io';

let kubeconfig: string;
let ns: string;

async function run(args: readonly string[], input?: string) {
  return await kubectl(kubeconfig, [...args], input === undefined ? {} : { input });
}

/**
 * Applies the CRD server-side under a field manager of its own: repeating it, or applying it next to the
 * shared installer (installCrds, another manager), must not conflict.
 */
async function installCrd() {
  return await run([
    'apply',
    '--server-side',
    '--field-manager=crd-test-installer',
    '-f',
    kluctlDeploymentCrdPath(),
  ]);
}

/** Server-side apply of one object with strict field validation, as JSON on stdin. */
async function applyObject(obj: unknown) {
  return await run(
    ['apply', '--server-side', '--validate=strict', '--field-manager=crd-test', '-f', '-'],
    JSON.stringify(obj),
  );
}

const kd = (name: string, spec: Record<string, unknown>) => kluctlDeployment(ns, name, spec);

// The example of Kluctl's KluctlDeployment documentation, verbatim apart from the namespace.
const microservicesDemoSpec = {
  interval: '10m',
  source: {
    git: {
      url: 'https://github.com/kluctl/kluctl-examples.git',
      path: './microservices-demo/3-templating-and-multi-env/',
    },
  },
  timeout: '2m',
  target: 'test',
  context: 'default',
  prune: true,
};

beforeAll(async () => {
  kubeconfig = testEnv().kubeconfigPath;
  const installed = await installCrd();
  expect(installed.stderr).toBe('');
  expect(installed.code).toBe(0);
  ns = await createTestNamespace('crd');
});

describe('installation', () => {
  it('is idempotent, coexists with the shared installer, and the CRD becomes Established', async () => {
    await installCrds();
    const again = await installCrd();
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(
      `customresourcedefinition.apiextensions.k8s.io/${CRD_NAME} serverside-applied`,
    );
    await eventually(async () => {
      const r = await run([
        'get',
        'crd',
        CRD_NAME,
        '-o',
        'jsonpath={.status.conditions[?(@.type=="Established")].status}',
      ]);
      expect(r.stdout).toBe('True');
    });
  });
});

describe('valid objects', () => {
  it("accepts Kluctl's microservices-demo example unchanged and fills Kluctl's defaults", async () => {
    const applied = await applyObject(kd('microservices-demo-test', microservicesDemoSpec));
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);

    const got = await run(['get', 'kluctldeployment', 'microservices-demo-test', '-n', ns, '-o', 'json']);
    expect(got.code).toBe(0);
    const spec = JSON.parse(got.stdout).spec;
    expect(spec.validate).toBe(true);
    expect(spec.deployMode).toBe('full-deploy');
    expect(spec).toEqual({ ...DEFAULTS, ...microservicesDemoSpec });
  });

  it('accepts the deprecated flat source.url form and free-form args', async () => {
    const spec = {
      interval: '5m',
      source: { url: 'https://example.com/repo.git', ref: { branch: 'main' }, path: 'sub' },
      args: { env: 'prod', nested: { replicas: 3, list: [1, 'two'] } },
      deployInterval: '1h30m',
      validateInterval: '500ms',
    };
    const applied = await applyObject(kd('legacy-source', spec));
    expect(applied.stderr).toBe('');
    const got = JSON.parse(
      (await run(['get', 'kluctldeployment', 'legacy-source', '-n', ns, '-o', 'json'])).stdout,
    );
    expect(got.spec.args).toEqual(spec.args);
    expect(got.spec.source).toEqual(spec.source);
  });
});

describe('invalid objects are rejected, naming the field', () => {
  const base = { interval: '10m', source: { git: { url: 'https://example.com/repo.git' } } };
  it.each<[string, Record<string, unknown>, RegExp]>([
    ['missing source', { interval: '10m' }, /spec\.source: Required value/],
    ['missing interval', { source: base.source }, /spec\.interval: Required value/],
    ['a string for a boolean', { ...base, prune: 'yes' }, /\.spec\.prune: expected boolean/],
    ['a number for a duration', { ...base, interval: 5 }, /\.spec\.interval: expected string/],
    ['a bad duration', { ...base, interval: 'tenminutes' }, /spec\.interval: Invalid value: "tenminutes"/],
    ['a bad timeout', { ...base, timeout: '1d' }, /spec\.timeout: Invalid value: "1d"/],
    ['an unknown field', { ...base, foo: 1 }, /\.spec\.foo: field not declared in schema/],
    [
      'an unknown nested field',
      { ...base, source: { git: { url: 'x', branch: 'main' } } },
      /\.spec\.source\.git\.branch: field not declared in schema/,
    ],
    [
      'a source without git, oci or url',
      { ...base, source: { path: 'x' } },
      /spec\.source: .*must set git, oci or/,
    ],
    [
      'an unknown deploy mode',
      { ...base, deployMode: 'yolo' },
      /spec\.deployMode: Unsupported value: "yolo"/,
    ],
    ['an empty target', { ...base, target: '' }, /spec\.target: Invalid value: "": .*at least 1 chars long/],
    [
      'decryption without provider',
      { ...base, decryption: {} },
      /spec\.decryption\.provider: Required value/,
    ],
  ])('%s', async (name, spec, message) => {
    const r = await applyObject(kd(`bad-${name.replaceAll(/[^a-z]+/g, '-')}`.slice(0, 60), spec));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
  });
});

describe('status and printer columns', () => {
  it("prints Kluctl's columns with values from spec and status", async () => {
    const name = 'columns';
    expect(
      (await applyObject(kd(name, { interval: '1m', source: { git: { url: 'x' } }, suspend: true }))).code,
    ).toBe(0);
    const status = {
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'ReconciliationSucceeded',
          message: 'deploy succeeded.',
          lastTransitionTime: '2026-01-02T03:04:05Z',
        },
      ],
      lastDeployResult: {
        id: 'abc',
        commandInfo: { endTime: '2026-01-02T03:04:05Z' },
        anything: { goes: [1] },
      },
      lastDriftDetectionResultMessage: 'no drift',
    };
    const patched = await run([
      'patch',
      'kluctldeployment',
      name,
      '-n',
      ns,
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({ status }),
    ]);
    expect(patched.stderr).toBe('');

    const table = await run(['get', 'kluctldeployments', '-n', ns, name]);
    const [header, row] = table.stdout.trim().split('\n');
    expect(header?.split(/\s+/)).toEqual([
      'NAME',
      'SUSPEND',
      'DRYRUN',
      'DEPLOYED',
      'READY',
      'DRIFT',
      'STATUS',
      'AGE',
    ]);
    expect(row).toMatch(/^columns\s+true\s+false\s+\S+\s+True\s+no drift\s+deploy succeeded\.\s+\S+$/);

    // Free-form result summaries keep every field (preserve-unknown-fields).
    const got = JSON.parse((await run(['get', 'kluctldeployment', name, '-n', ns, '-o', 'json'])).stdout);
    expect(got.status.lastDeployResult).toEqual(status.lastDeployResult);
  });
});
