/** The type URL of an Envoy v3 `Cluster`. */
export const CLUSTER_TYPE_URL = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';

/** How long Envoy waits for a connection to an endpoint of a cluster the agent serves. */
export const CONNECT_TIMEOUT = '1s';

/** An Envoy v3 `Cluster` in proto3 JSON, as the agent serves it. */
export interface ClusterJson {
  readonly name: string;
  readonly type: 'EDS';
  readonly connect_timeout: string;
  readonly lb_policy: 'ROUND_ROBIN';
  readonly eds_cluster_config: {
    readonly service_name: string;
    readonly eds_config: {
      readonly ads: Record<string, never>;
      readonly resource_api_version: 'V3';
    };
  };
}

/**
 * The cluster Envoy gets by CDS for a service the agent knows: `type: EDS`, its endpoints from
 * the same server over ADS, round robin, a 1 s connect timeout. Pure.
 */
export function buildCluster(name: string): ClusterJson {
  return {
    name,
    type: 'EDS',
    connect_timeout: CONNECT_TIMEOUT,
    lb_policy: 'ROUND_ROBIN',
    eds_cluster_config: { service_name: name, eds_config: { ads: {}, resource_api_version: 'V3' } },
  };
}
