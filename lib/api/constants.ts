/** Names shared with Kluctl: API group, labels, annotations and field managers (see kluctl-semantics §5, §9). */

export const GITOPS_GROUP = 'gitops.kluctl.io';
export const GITOPS_VERSION = 'v1beta1';
export const KD_KIND = 'KluctlDeployment';
export const KD_PLURAL = 'kluctldeployments';
export const KD_FINALIZER = 'finalizers.gitops.kluctl.io';

/** Field manager for every apply of deployed objects (CLI and controller alike). */
export const FIELD_MANAGER = 'kluctl';
/** Field manager for status and finalizer patches on KluctlDeployments. */
export const CONTROLLER_FIELD_MANAGER = 'kluctl-controller';

export const LABEL_DISCRIMINATOR = 'kluctl.io/discriminator';
/** Tags are written as `kluctl.io/tag-0`, `kluctl.io/tag-1`, ... */
export const LABEL_TAG_PREFIX = 'kluctl.io/tag-';
export const ANNOTATION_DEPLOYMENT_ITEM_DIR = 'kluctl.io/deployment-item-dir';
export const ANNOTATION_SKIP_DELETE_IF_TAGS = 'kluctl.io/skip-delete-if-tags';
export const ANNOTATION_SKIP_DELETE = 'kluctl.io/skip-delete';
export const ANNOTATION_FORCE_MANAGED = 'kluctl.io/force-managed';
export const ANNOTATION_IGNORE = 'kluctl.io/ignore';
export const ANNOTATION_WAIT_READINESS = 'kluctl.io/wait-readiness';
export const ANNOTATION_HELM_RESOURCE_POLICY = 'helm.sh/resource-policy';

/** Manual request annotations (kluctl-semantics §10.6). */
export const REQUEST_ANNOTATIONS = {
  reconcile: 'kluctl.io/request-reconcile',
  diff: 'kluctl.io/request-diff',
  deploy: 'kluctl.io/request-deploy',
  prune: 'kluctl.io/request-prune',
  validate: 'kluctl.io/request-validate',
} as const;
