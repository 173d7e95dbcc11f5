import type { Endpoint } from '../endpoint.js';
import {
  ENDPOINT_TAGS,
  type HostJson,
  type RegisteredHost,
  type TagValue,
} from './registered-host.js';

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
    weight: numberTag(host.tags[ENDPOINT_TAGS.weight]),
    priority: 0,
    locality: {
      region: stringTag(host.tags[ENDPOINT_TAGS.region]),
      zone: stringTag(host.tags[ENDPOINT_TAGS.zone]),
      subZone: stringTag(host.tags[ENDPOINT_TAGS.subZone]),
    },
    canary: booleanTag(host.tags[ENDPOINT_TAGS.canary]),
    source: 'api',
  }));
}

/**
 * A cluster's endpoints in the v1 SDS form, `{"hosts": [{"ip_address", "port", "tags"}]}`:
 * every endpoint Envoy is served (Docker's and registered, as `ClusterResource.endpoints` lists
 * them), with the tags Envoy's v1 API knew.
 */
export function toSdsHosts(endpoints: readonly Endpoint[]): { hosts: HostJson[] } {
  return {
    hosts: endpoints.map((endpoint) => {
      const tags: Record<string, TagValue> = {};
      const { region, zone, subZone } = endpoint.locality;
      if (zone) tags[ENDPOINT_TAGS.zone] = zone;
      if (region) tags[ENDPOINT_TAGS.region] = region;
      if (subZone) tags[ENDPOINT_TAGS.subZone] = subZone;
      if (endpoint.canary !== undefined) tags[ENDPOINT_TAGS.canary] = endpoint.canary;
      if (endpoint.weight !== undefined) tags[ENDPOINT_TAGS.weight] = endpoint.weight;
      return { ip_address: endpoint.address, port: endpoint.port, tags };
    }),
  };
}

function stringTag(value: TagValue | undefined): string {
  return typeof value === 'string' ? value : '';
}

function booleanTag(value: TagValue | undefined): boolean | undefined {
  return typeof value === 'boolean' ? value : undefined;
}

function numberTag(value: TagValue | undefined): number | undefined {
  return typeof value === 'number' ? value : undefined;
}
