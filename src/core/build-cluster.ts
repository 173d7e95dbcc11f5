import {
  DEFAULT_CONNECT_TIMEOUT,
  DEFAULT_LB_POLICY,
  type LbPolicy,
  type ServiceOptions,
} from './service-options.js';

/** An Envoy v3 `Cluster` in proto3 JSON, as the agent serves it. */
export interface ClusterJson {
  readonly name: string;
  readonly type: 'EDS';
  readonly connect_timeout: string;
  readonly lb_policy: LbPolicy;
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
 * the same server over ADS, round robin and a 1 s connect timeout unless `options` say
 * otherwise. Pure.
 */
export function buildCluster(name: string, options?: ServiceOptions): ClusterJson {
  return {
    name,
    type: 'EDS',
    connect_timeout: options?.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT,
    lb_policy: options?.lbPolicy ?? DEFAULT_LB_POLICY,
    eds_cluster_config: { service_name: name, eds_config: { ads: {}, resource_api_version: 'V3' } },
  };
}
