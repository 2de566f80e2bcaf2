/**
 * The pure parts of reaching a deployment's target cluster (kluctl-semantics §9.5): which user is
 * impersonated, and which kubeconfigs from Secrets the runner refuses, with messages that name the
 * field and never the kubeconfig's content.
 */
import { stringify } from 'yaml';
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import { checkSelfContained, HttpKubeClientFactory } from '../../lib/adapters/kube-client-factory.js';
import type { KluctlDeploymentSpec } from '../../lib/api/types.js';
import { impersonatedUser } from '../../lib/reconcile/target-cluster.js';

const spec = (extra: Partial<KluctlDeploymentSpec>): KluctlDeploymentSpec => ({
  source: { git: { url: 'https://example.com/repo.git' } },
  interval: '5m',
  ...extra,
});

describe('impersonatedUser', () => {
  it.each<[string, Partial<KluctlDeploymentSpec>, string | undefined, string | undefined]>([
    ['no service account anywhere', {}, undefined, undefined],
    [
      'spec.serviceAccountName',
      { serviceAccountName: 'deployer' },
      undefined,
      'system:serviceaccount:team-a:deployer',
    ],
    ['the runner default', {}, 'kluctl', 'system:serviceaccount:team-a:kluctl'],
    [
      'spec wins over the default',
      { serviceAccountName: 'deployer' },
      'kluctl',
      'system:serviceaccount:team-a:deployer',
    ],
    [
      'an empty spec value falls back to the default',
      { serviceAccountName: '' },
      'kluctl',
      'system:serviceaccount:team-a:kluctl',
    ],
  ])('%s', (_name, extra, dflt, expected) => {
    expect(impersonatedUser({ namespace: 'team-a', spec: spec(extra) }, dflt)).toBe(expected);
  });
});

const TOKEN = 'sekret-token-value-123';

function kubeconfig(user: Record<string, unknown>, cluster: Record<string, unknown> = {}): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:6443', ...cluster } }],
    users: [
      { name: 'u', user },
      // Other users are not used (only the current context's), so their plugins do not matter.
      { name: 'other', user: { exec: { command: 'x' } } },
    ],
    contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
    'current-context': 'ctx',
  });
}

describe('checkSelfContained', () => {
  const source = "KubeConfig secret 'ns/kc' key 'value'";

  it('accepts embedded tokens, certificates and CA data', () => {
    expect(() =>
      checkSelfContained(
        kubeconfig(
          { token: TOKEN, 'client-certificate-data': 'Y2VydA==', 'client-key-data': 'a2V5' },
          { 'certificate-authority-data': 'Y2E=' },
        ),
        source,
      ),
    ).not.toThrow();
  });

  it.each<[string, string, RegExp]>([
    [
      'an exec plugin',
      kubeconfig({ exec: { command: 'aws' } }),
      /user "u" uses an exec credential plugin \(exec\)/,
    ],
    ['an auth provider', kubeconfig({ 'auth-provider': { name: 'gcp' } }), /auth-provider plugin/],
    ['a token file', kubeconfig({ tokenFile: '/var/run/secrets/token' }), /a token file \(tokenFile\)/],
    ['a client certificate file', kubeconfig({ 'client-certificate': '/etc/cert' }), /client-certificate\)/],
    ['a client key file', kubeconfig({ 'client-key': '/etc/key' }), /client-key\)/],
    [
      'a CA file',
      kubeconfig({ token: TOKEN }, { 'certificate-authority': '/etc/ca' }),
      /certificate-authority-data/,
    ],
    [
      'no current context',
      stringify({ apiVersion: 'v1', kind: 'Config', users: [{ name: 'u', user: { token: TOKEN } }] }),
      /sets no current-context/,
    ],
    [
      'a dangling current context',
      stringify({ 'current-context': 'x', users: [{ name: 'u', user: { token: TOKEN } }] }),
      /current-context "x" is not among its contexts/,
    ],
    ['invalid YAML', `users:\n- name: u\n  user: {token: ${TOKEN}\n`, /is not valid YAML \(line \d+\)/],
    ['a list instead of a kubeconfig', `- token: ${TOKEN}\n`, /is not a kubeconfig/],
  ])('refuses %s, naming the source and never the content', (_name, yaml, message) => {
    let thrown: Error | undefined;
    try {
      checkSelfContained(yaml, source);
    } catch (err) {
      thrown = err as Error;
    }
    expect(thrown?.message).toMatch(message);
    expect(thrown?.message.startsWith(source)).toBe(true);
    expect(thrown?.message).not.toContain(TOKEN);
  });
});

describe('HttpKubeClientFactory.connect', () => {
  const source = "KubeConfig secret 'ns/kc' key 'value'";
  let own: HttpKubeClient;
  beforeAll(async () => {
    own = await HttpKubeClient.fromKubeconfig({ kubeconfigYaml: kubeconfig({ token: TOKEN }) });
  });
  afterAll(() => own.close());

  it.each<[string, Record<string, unknown>, string]>([
    [
      'a cluster without server',
      { server: undefined },
      `${source} holds no usable kubeconfig: clusters[0].cluster.server is missing`,
    ],
    [
      'a server that is no URL',
      { server: `not a url ${TOKEN}` },
      `${source} holds no usable kubeconfig: its server is not a valid URL`,
    ],
  ])('explains %s without quoting the kubeconfig', async (_name, cluster, message) => {
    const yaml = kubeconfig({ token: TOKEN }, cluster);
    await expect(
      new HttpKubeClientFactory(own).connect({ kubeconfigYaml: yaml, kubeconfigSource: source }),
    ).rejects.toThrow(message);
  });
});
