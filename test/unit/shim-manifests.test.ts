// The shim's install manifests (deploy/shim) grant least privilege and run the shim locked down: the
// ClusterRole holds exactly the rules the shim needs, only the shim's ServiceAccount gets it, nothing
// else is granted, and the pod is non-root with a read-only root file system and its key from a Secret.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject } from '../../lib/ports.js';
import { oneManifest, SHIM_MANIFESTS_DIR, shimManifests } from '../support/shim-manifests.js';

const objects = shimManifests();
const NS = 'kluctl-serverless-system';
const SA = 'kluctl-serverless-shim';

type Rule = { apiGroups?: string[]; resources?: string[]; verbs?: string[]; resourceNames?: string[] };

/** Every (group, resource, verb, resourceName) the rules allow, as sortable strings. */
function grants(rules: readonly Rule[]): string[] {
  const out: string[] = [];
  for (const r of rules)
    for (const g of r.apiGroups ?? [])
      for (const res of r.resources ?? [])
        for (const v of r.verbs ?? [])
          for (const n of r.resourceNames?.length ? r.resourceNames : ['*'])
            out.push(`${g}|${res}|${v}|${n}`);
  return out.sort();
}

test('the manifests hold exactly the namespace, the identity, its binding and the Deployment', () => {
  expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
    `ClusterRole/${SA}`,
    `ClusterRoleBinding/${SA}`,
    `Deployment/${SA}`,
    `Namespace/${NS}`,
    `ServiceAccount/${SA}`,
  ]);
  const kustomization = readFileSync(join(SHIM_MANIFESTS_DIR, 'kustomization.yaml'), 'utf8');
  for (const f of ['namespace.yaml', 'rbac.yaml', 'deployment.yaml']) expect(kustomization).toContain(f);
});

test('the ClusterRole grants exactly get/list/watch/patch on kluctldeployments, patch on status, get on kube-system', () => {
  const role = oneManifest(objects, 'ClusterRole', SA) as KubeObject & {
    rules: Rule[];
    aggregationRule?: unknown;
  };
  expect(role.aggregationRule).toBeUndefined();
  expect(grants(role.rules)).toEqual(
    [
      'gitops.kluctl.io|kluctldeployments|get|*',
      'gitops.kluctl.io|kluctldeployments|list|*',
      'gitops.kluctl.io|kluctldeployments|watch|*',
      'gitops.kluctl.io|kluctldeployments|patch|*',
      'gitops.kluctl.io|kluctldeployments/status|patch|*',
      '|namespaces|get|kube-system',
    ].sort(),
  );
  // No wildcard, no non-resource URLs, no secrets in any form.
  const text = JSON.stringify(role.rules);
  expect(text).not.toContain('*');
  expect(text).not.toMatch(/secrets|nonResourceURLs|impersonate|escalate|bind/);
});

test('only the shim ServiceAccount is bound, and only to that ClusterRole', () => {
  const binding = oneManifest(objects, 'ClusterRoleBinding', SA) as KubeObject & {
    roleRef: Record<string, string>;
    subjects: Record<string, string>[];
  };
  expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: SA });
  expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: SA, namespace: NS }]);
  expect(objects.filter((o) => /Role(Binding)?$/.test(o.kind))).toHaveLength(2);
  expect(oneManifest(objects, 'ServiceAccount', SA).metadata.namespace).toBe(NS);
});

test('the Deployment runs as that ServiceAccount, non-root, read-only, with the key from a Secret file', () => {
  const dep = oneManifest(objects, 'Deployment', SA) as KubeObject & { spec: any }; // eslint-disable-line @typescript-eslint/no-explicit-any -- a manifest read as plain data
  const pod = dep.spec.template.spec;
  expect(dep.metadata.namespace).toBe(NS);
  expect(dep.spec.replicas).toBe(1);
  expect(pod.serviceAccountName).toBe(SA);
  expect(pod.securityContext).toMatchObject({
    runAsNonRoot: true,
    seccompProfile: { type: 'RuntimeDefault' },
  });
  expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
  expect(pod.hostNetwork ?? false).toBe(false);
  expect(pod.containers).toHaveLength(1);
  const c = pod.containers[0];
  expect(c.securityContext).toEqual({
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
  });
  expect(c.resources.requests).toBeDefined();
  expect(c.resources.limits.memory).toBeDefined();
  expect(c.livenessProbe.httpGet).toMatchObject({ path: '/healthz' });
  expect(c.args).toContain('--listen=0.0.0.0:8080');
  expect(c.args.some((a: string) => a.startsWith('--ingest-url='))).toBe(true);
  // The key: a Secret volume, mounted read-only, named by the environment variable; never a value.
  const keyEnv = c.env.find((e: { name: string }) => e.name === 'KLUCTL_SERVERLESS_SHIM_KEY_FILE');
  const mount = c.volumeMounts.find((m: { mountPath: string }) => keyEnv.value.startsWith(`${m.mountPath}/`));
  expect(mount.readOnly).toBe(true);
  const vol = pod.volumes.find((v: { name: string }) => v.name === mount.name);
  expect(vol.secret.secretName).toBe('kluctl-serverless-shim-key');
  // No cloud credentials of any kind reach the pod.
  for (const e of c.env) {
    expect(e.name).not.toMatch(/^(AWS_|AZURE_|GOOGLE_)/);
    expect(e.valueFrom).toBeUndefined();
  }
  expect(c.envFrom).toBeUndefined();
});
