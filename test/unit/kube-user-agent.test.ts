/**
 * Every request to the API server names the reconciler in its User-Agent (client-go's form), so that
 * audit logs tell it from other clients; a kubeconfig's own headers are kept. Checked against a local
 * HTTP server standing in for the API server.
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import { KUBE_USER_AGENT } from '../../lib/adapters/kube-http-transport.js';

test('requests carry the User-Agent and the kubeconfig credentials', async () => {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ major: '1', minor: '34', gitVersion: 'v1.34.0' }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const kubeconfigYaml = JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: 'c', cluster: { server: `http://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true } },
    ],
    users: [{ name: 'u', user: { token: 'abc' } }],
    contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
    'current-context': 'x',
  });
  try {
    const kube = await HttpKubeClient.fromKubeconfig({ kubeconfigYaml });
    expect(await kube.serverVersion().finally(() => kube.close())).toBe('v1.34.0');
  } finally {
    server.closeAllConnections();
    server.close();
  }
  expect(seen).toHaveLength(1);
  expect(seen[0]!['user-agent']).toBe(KUBE_USER_AGENT);
  expect(KUBE_USER_AGENT).toMatch(/^kluctl-serverless \(\w+\/\w+\) node\/v\d+/);
  expect(seen[0]!.authorization).toBe('Bearer abc');
});
