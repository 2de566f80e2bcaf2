/** Resource types the tests of the object cache list and watch, as discovery describes them. */
import type { ResourceInfo } from '../../lib/ports.js';

/** ConfigMaps: namespaced, listable, watchable and deletable (so orphan search includes them). */
export const CONFIGMAPS: ResourceInfo = {
  group: '',
  version: 'v1',
  kind: 'ConfigMap',
  plural: 'configmaps',
  namespaced: true,
  verbs: ['get', 'list', 'watch', 'delete'],
};
