import { DEFAULT_PATH_PREFIX, type ServiceOptions } from './service-options.js';
import { PREVIOUS_HOSTS_PREDICATE_TYPE_URL } from './type-urls.js';

/** The name of the route configuration Envoy's listener asks for, unless `--route-config-name` says otherwise. */
export const DEFAULT_ROUTE_CONFIG_NAME = 'eds-agent';

/** An Envoy v3 `RouteConfiguration` in proto3 JSON, as the agent serves it. */
export interface RouteConfigurationJson {
  readonly name: string;
  readonly virtual_hosts: readonly VirtualHostJson[];
  readonly ignore_port_in_host_matching?: boolean;
}

export interface VirtualHostJson {
  readonly name: string;
  readonly domains: readonly string[];
  readonly routes: readonly RouteJson[];
  readonly retry_policy?: typeof RETRY_POLICY;
}

export interface RouteJson {
  readonly name: string;
  readonly match: { readonly prefix: string } | { readonly path_separated_prefix: string };
  readonly route: { readonly cluster: string };
}

/** A domain and path prefix that two services claimed: `winner` routes it, `service` does not. */
export interface RouteConflict {
  readonly service: string;
  readonly winner: string;
  readonly domain: string;
  readonly pathPrefix: string;
  readonly message: string;
}

/**
 * Retry a request that never reached an upstream (the connection failed or was refused) on
 * another one: safe for any request, and it covers a replica that exits between Docker's
 * event and Envoy's next pick.
 */
const RETRY_POLICY = {
  retry_on: 'connect-failure,refused-stream',
  num_retries: 2,
  retry_host_predicate: [
    {
      name: 'envoy.retry_host_predicates.previous_hosts',
      typed_config: {
        '@type': PREVIOUS_HOSTS_PREDICATE_TYPE_URL,
      },
    },
  ],
  host_selection_retry_max_attempts: 5,
} as const;

/** The host names a service answers at when its labels name none. */
export function defaultDomains(service: string): string[] {
  const host = service.toLowerCase();
  return [host, `${host}.localhost`];
}

/**
 * The route configuration Envoy's own listener names (over RDS): each service is routed at its
 * domains (`eds.domains`, else `<service>` and `<service>.localhost`) and path prefix
 * (`eds.path_prefix`, else `/`). Services that share a domain share its virtual host, longest
 * prefix first. Two services claiming the same domain and prefix: a claim made by a label
 * beats a default one, then the service first in sort order wins; each lost claim is a
 * conflict. Deterministic: the same services give the same JSON whatever their order. Pure.
 */
export function buildRouteConfiguration(
  name: string,
  services: Iterable<readonly [service: string, options: ServiceOptions]>,
): { json: RouteConfigurationJson; conflicts: RouteConflict[] } {
  const sorted = [...services].sort(([a], [b]) => compare(a, b));
  const claims = new Map<string, { service: string; explicit: boolean }>();
  const conflicts: RouteConflict[] = [];
  for (const [service, options] of sorted) {
    const explicit = options.domains !== undefined;
    const pathPrefix = options.pathPrefix ?? DEFAULT_PATH_PREFIX;
    for (const domain of options.domains ?? defaultDomains(service)) {
      const key = `${domain} ${pathPrefix}`;
      const held = claims.get(key);
      const wins = held === undefined || (explicit && !held.explicit);
      if (held !== undefined) {
        const [winner, loser] = wins ? [service, held.service] : [held.service, service];
        const byLabel = explicit !== held.explicit;
        const where =
          pathPrefix === DEFAULT_PATH_PREFIX ? domain : `${domain} with path prefix ${pathPrefix}`;
        conflicts.push({
          service: loser,
          winner,
          domain,
          pathPrefix,
          message: `${where} is claimed by services ${winner} and ${loser}; routing it to ${winner} (${byLabel ? 'its claim is set by a label' : 'first in sort order'})`,
        });
      }
      if (wins) claims.set(key, { service, explicit });
    }
  }

  const prefixes = new Map(sorted.map(([service, options]) => [service, options.pathPrefix]));
  const routesByDomain = new Map<string, { pathPrefix: string; service: string }[]>();
  for (const [key, { service }] of claims) {
    const domain = key.slice(0, key.indexOf(' '));
    const routes = routesByDomain.get(domain) ?? [];
    routes.push({ pathPrefix: prefixes.get(service) ?? DEFAULT_PATH_PREFIX, service });
    routesByDomain.set(domain, routes);
  }
  // Domains with the same routes share one virtual host, named after the services it routes to.
  const hosts = new Map<string, { domains: string[]; routes: RouteJson[] }>();
  for (const [domain, routes] of routesByDomain) {
    routes.sort(
      (a, b) => b.pathPrefix.length - a.pathPrefix.length || compare(a.pathPrefix, b.pathPrefix),
    );
    const hostName = [...new Set(routes.map((route) => route.service))].sort().join('+');
    const host = hosts.get(hostName) ?? { domains: [], routes: routes.map(toRoute) };
    host.domains.push(domain);
    hosts.set(hostName, host);
  }
  const virtualHosts = [...hosts]
    .sort(([a], [b]) => compare(a, b))
    .map(([hostName, { domains, routes }]) => ({
      name: hostName,
      domains: domains.sort(compare),
      routes,
      retry_policy: RETRY_POLICY,
    }));
  return {
    json: { name, virtual_hosts: virtualHosts, ignore_port_in_host_matching: true },
    conflicts,
  };
}

function toRoute({ pathPrefix, service }: { pathPrefix: string; service: string }): RouteJson {
  return {
    name: service,
    match:
      pathPrefix === DEFAULT_PATH_PREFIX
        ? { prefix: DEFAULT_PATH_PREFIX }
        : { path_separated_prefix: pathPrefix },
    route: { cluster: service },
  };
}

/** The name of the route configuration a proxyless gRPC client gets for `service`. */
export function toGrpcRouteConfigName(service: string): string {
  return `grpc/${service}`;
}

/**
 * The route configuration of one service's API listener, for proxyless gRPC clients
 * (`xds:///<service>`): every call, whatever its authority, goes to the service's cluster.
 * Path prefixes are Envoy's business: a gRPC method path is `/<package.Service>/<Method>`.
 */
export function buildGrpcRouteConfiguration(service: string): RouteConfigurationJson {
  return {
    name: toGrpcRouteConfigName(service),
    virtual_hosts: [
      {
        name: service,
        domains: ['*'],
        routes: [{ name: service, match: { prefix: '' }, route: { cluster: service } }],
      },
    ],
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
