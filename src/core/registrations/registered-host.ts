import { OrderedMap } from 'immutable';

/** A tag value as the tutorial's API accepts it. */
export type TagValue = string | number | boolean;

/**
 * The tags of the tutorial's registration API that are used, not only stored (Envoy's v1 SDS
 * names): each endpoint field and the tag it is read from and written back to.
 */
export const ENDPOINT_TAGS = {
  zone: 'az',
  region: 'region',
  subZone: 'sub_zone',
  weight: 'load_balancing_weight',
  canary: 'canary',
} as const;

/**
 * One host registered through the HTTP API. Tags are kept as given; those Envoy understands
 * (`az`, `region`, `sub_zone`, `canary`, `load_balancing_weight`) are also sent to it.
 */
export interface RegisteredHost {
  readonly ipAddress: string;
  readonly port: number;
  readonly tags: Readonly<Record<string, TagValue>>;
  /** Heartbeat registration: the host expires this long after it was last put. */
  readonly ttlSeconds: number | undefined;
  /** Epoch milliseconds at which a TTL host expires. */
  readonly expiresAt: number | undefined;
}

/** A service's hosts by `toHostKey`, in registration order. */
export type ServiceHosts = OrderedMap<string, RegisteredHost>;

/**
 * Every registered service and its hosts, in registration order. Immutable and persistent
 * (immutable-js): a change returns a new value sharing everything it did not change, so one
 * host of a service of n costs O(log n), and every state a change was made from stays as it
 * was (the state file's journal keeps the last one on disk while the next is written).
 */
export type Registrations = OrderedMap<string, ServiceHosts>;

/** No service registered. */
export const NO_REGISTRATIONS: Registrations = OrderedMap();

/** A service's hosts from a list; a host at an address listed earlier replaces the earlier one in place. */
export function toServiceHosts(hosts: Iterable<RegisteredHost>): ServiceHosts {
  return OrderedMap<string, RegisteredHost>().withMutations((table) => {
    for (const host of hosts) table.set(toHostKey(host), host);
  });
}

/** Registrations from services and their hosts, in the order given. */
export function toRegistrations(
  services: Iterable<readonly [service: string, hosts: Iterable<RegisteredHost>]>,
): Registrations {
  return OrderedMap<string, ServiceHosts>().withMutations((state) => {
    for (const [service, hosts] of services) state.set(service, toServiceHosts(hosts));
  });
}

/** The wire form of a host, as the tutorial's server spoke it. */
export interface HostJson {
  ip_address: string;
  port: number;
  tags: Record<string, TagValue>;
  ttl_seconds?: number;
}

/** `ip:port`, with brackets around IPv6, as in the per-host URL. */
export function toHostKey(host: { readonly ipAddress: string; readonly port: number }): string {
  return host.ipAddress.includes(':')
    ? `[${host.ipAddress}]:${host.port}`
    : `${host.ipAddress}:${host.port}`;
}

/** A host as the API returns it. */
export function toHostJson(host: RegisteredHost): HostJson {
  return {
    ip_address: host.ipAddress,
    port: host.port,
    tags: { ...host.tags },
    ...(host.ttlSeconds !== undefined ? { ttl_seconds: host.ttlSeconds } : {}),
  };
}
