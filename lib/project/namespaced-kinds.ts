/**
 * Scope of common built-in kinds, used for the namespace fix-up (kluctl-semantics §2.10) when no API
 * server is available to ask. Keys are `<group>/<kind>` with "" for the core group.
 */

const CLUSTER_SCOPED = [
  '/Namespace',
  '/Node',
  '/PersistentVolume',
  '/ComponentStatus',
  'rbac.authorization.k8s.io/ClusterRole',
  'rbac.authorization.k8s.io/ClusterRoleBinding',
  'apiextensions.k8s.io/CustomResourceDefinition',
  'apiregistration.k8s.io/APIService',
  'storage.k8s.io/StorageClass',
  'storage.k8s.io/CSIDriver',
  'storage.k8s.io/CSINode',
  'storage.k8s.io/VolumeAttachment',
  'storage.k8s.io/VolumeAttributesClass',
  'scheduling.k8s.io/PriorityClass',
  'node.k8s.io/RuntimeClass',
  'networking.k8s.io/IngressClass',
  'networking.k8s.io/IPAddress',
  'networking.k8s.io/ServiceCIDR',
  'admissionregistration.k8s.io/MutatingWebhookConfiguration',
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicy',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding',
  'admissionregistration.k8s.io/MutatingAdmissionPolicy',
  'admissionregistration.k8s.io/MutatingAdmissionPolicyBinding',
  'certificates.k8s.io/CertificateSigningRequest',
  'certificates.k8s.io/ClusterTrustBundle',
  'flowcontrol.apiserver.k8s.io/FlowSchema',
  'flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration',
  'resource.k8s.io/DeviceClass',
];

const NAMESPACED = [
  '/ConfigMap',
  '/Secret',
  '/Service',
  '/ServiceAccount',
  '/Pod',
  '/PodTemplate',
  '/PersistentVolumeClaim',
  '/ReplicationController',
  '/Endpoints',
  '/Event',
  '/LimitRange',
  '/ResourceQuota',
  'apps/Deployment',
  'apps/StatefulSet',
  'apps/DaemonSet',
  'apps/ReplicaSet',
  'apps/ControllerRevision',
  'batch/Job',
  'batch/CronJob',
  'networking.k8s.io/Ingress',
  'networking.k8s.io/NetworkPolicy',
  'discovery.k8s.io/EndpointSlice',
  'rbac.authorization.k8s.io/Role',
  'rbac.authorization.k8s.io/RoleBinding',
  'policy/PodDisruptionBudget',
  'autoscaling/HorizontalPodAutoscaler',
  'coordination.k8s.io/Lease',
  'events.k8s.io/Event',
  'storage.k8s.io/CSIStorageCapacity',
];

const TABLE = new Map<string, boolean>([
  ...CLUSTER_SCOPED.map((k) => [k, false] as const),
  ...NAMESPACED.map((k) => [k, true] as const),
]);

/** The API group of an apiVersion ("" for `v1`). */
export function groupOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

/** Whether a built-in kind is namespaced; undefined for kinds not in the table. */
export function builtinIsNamespaced(apiVersion: string, kind: string): boolean | undefined {
  return TABLE.get(`${groupOf(apiVersion)}/${kind}`);
}
