/** A tag value as the tutorial's API accepts it. */
export type TagValue = string | number | boolean;

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

/** Every registered service and its hosts, in registration order. Immutable. */
export type Registrations = ReadonlyMap<string, readonly RegisteredHost[]>;

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
