import {
  CLUSTER_LOAD_ASSIGNMENT_TYPE_URL,
  V2_CLUSTER_LOAD_ASSIGNMENT_TYPE_URL,
} from '../../core/type-urls.js';

/** The REST discovery paths we serve and the resource type each speaks. */
export type DiscoveryApi = 'v2' | 'v3';

/** `@type` of each resource and the response's `type_url`, per API version. */
export const CLUSTER_LOAD_ASSIGNMENT_TYPE: Readonly<Record<DiscoveryApi, string>> = {
  v3: CLUSTER_LOAD_ASSIGNMENT_TYPE_URL,
  v2: V2_CLUSTER_LOAD_ASSIGNMENT_TYPE_URL,
};
