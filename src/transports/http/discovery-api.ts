/** The REST discovery paths we serve and the resource type each speaks. */
export type DiscoveryApi = 'v2' | 'v3';

/** `@type` of each resource and the response's `type_url`, per API version. */
export const CLUSTER_LOAD_ASSIGNMENT_TYPE: Readonly<Record<DiscoveryApi, string>> = {
  v3: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
  v2: 'type.googleapis.com/envoy.api.v2.ClusterLoadAssignment',
};
