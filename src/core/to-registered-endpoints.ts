import type { ClusterLoadAssignment } from './build-cluster-load-assignment.js';
import type { Endpoint } from './endpoint.js';
import type { HostJson, RegisteredHost, TagValue } from './registered-host.js';

/**
 * A registered service's hosts as endpoints: the tutorial's tags are used, not just stored
 * (`az` → zone, `region`, `sub_zone`, `load_balancing_weight` → weight, `canary`).
 */
export function toRegisteredEndpoints(
  service: string,
  hosts: readonly RegisteredHost[],
): Endpoint[] {
  return hosts.map((host) => ({
    cluster: service,
    address: host.ipAddress,
    port: host.port,
    hostname: '',
    health: 'healthy',
    weight: numberTag(host.tags.load_balancing_weight),
    priority: 0,
    locality: {
      region: stringTag(host.tags.region),
      zone: stringTag(host.tags.az),
      subZone: stringTag(host.tags.sub_zone),
    },
    canary: typeof host.tags.canary === 'boolean' ? host.tags.canary : undefined,
    source: 'api',
  }));
}

/**
 * A cluster's assignment in the v1 SDS form, `{"hosts": [{"ip_address", "port", "tags"}]}`:
 * every endpoint Envoy is served (Docker's and registered), with the tags Envoy's v1 API knew.
 */
export function toSdsHosts(assignment: ClusterLoadAssignment): { hosts: HostJson[] } {
  return {
    hosts: assignment.endpoints.flatMap((locality) =>
      locality.lb_endpoints.map((lb) => {
        const tags: Record<string, TagValue> = {};
        if (locality.locality.zone) tags.az = locality.locality.zone;
        if (locality.locality.region) tags.region = locality.locality.region;
        if (locality.locality.sub_zone) tags.sub_zone = locality.locality.sub_zone;
        const canary = lb.metadata.filter_metadata['envoy.lb']?.canary;
        if (canary !== undefined) tags.canary = canary;
        if (lb.load_balancing_weight !== undefined)
          tags.load_balancing_weight = lb.load_balancing_weight;
        const { address, port_value } = lb.endpoint.address.socket_address;
        return { ip_address: address, port: port_value, tags };
      }),
    ),
  };
}

function stringTag(value: TagValue | undefined): string {
  return typeof value === 'string' ? value : '';
}

function numberTag(value: TagValue | undefined): number | undefined {
  return typeof value === 'number' ? value : undefined;
}
