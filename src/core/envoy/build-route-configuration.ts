import { compareText } from '../compare-text.js';
import { Duration } from '../duration.js';
import {
  DEFAULT_NUM_RETRIES,
  DEFAULT_PATH_PREFIX,
  DEFAULT_RETRY_ON,
  GRPC_RETRY_ON,
} from '../labels/option-values.js';
import { type ServiceOptions } from '../labels/service-options.js';
import { PREVIOUS_HOSTS_PREDICATE_TYPE_URL } from '../type-urls.js';
import { type RoutePolicyJson, toRoutePolicy } from './build-route-policy.js';

/** The name of the route configuration Envoy's listener asks for, unless `--route-config-name` says otherwise. */
export const DEFAULT_ROUTE_CONFIG_NAME = 'eds-agent';

/** An Envoy v3 `RouteConfiguration` in proto3 JSON, as the agent serves it. */
export interface RouteConfigurationJson<Route extends RouteJson = RouteJson> {
  readonly name: string;
  readonly virtual_hosts: readonly VirtualHostJson<Route>[];
  readonly ignore_port_in_host_matching?: boolean;
}

export interface VirtualHostJson<Route extends RouteJson = RouteJson> {
  readonly name: string;
  readonly domains: readonly string[];
  readonly routes: readonly Route[];
  readonly retry_policy?: RetryPolicyJson;
}

/**
 * A route: to a service's cluster, or, on the front door's plain HTTP listener, a redirect or
 * the answer to an ACME HTTP-01 challenge.
 */
export type RouteJson = ForwardingRouteJson | RedirectRouteJson | DirectResponseRouteJson;

/** A route Envoy answers itself, with a fixed body. */
export interface DirectResponseRouteJson {
  readonly name: string;
  readonly match: { readonly path: string };
  readonly direct_response: {
    readonly status: number;
    readonly body: { readonly inline_string: string };
  };
}

type RouteMatchJson = { readonly prefix: string } | { readonly path_separated_prefix: string };

/**
 * A route to a service, named after it, with what its edge labels add (`RoutePolicyJson`:
 * `Strict-Transport-Security` for `eds.tls.hsts` among them); or, with `eds.redirect`, a
 * redirect Envoy answers itself.
 */
export type ForwardingRouteJson =
  | ({
      readonly name: string;
      readonly match: RouteMatchJson;
      readonly route: RouteActionJson;
    } & RoutePolicyJson)
  | (RedirectRouteJson & RoutePolicyJson);

/** A route Envoy answers with a `308`: to HTTPS, another host, another path prefix. */
export interface RedirectRouteJson {
  readonly name: string;
  readonly match: RouteMatchJson;
  readonly redirect: {
    readonly https_redirect?: true;
    readonly host_redirect?: string;
    readonly port_redirect?: number;
    readonly regex_rewrite?: RegexRewriteJson;
    readonly response_code: 'PERMANENT_REDIRECT';
  };
}

/** A path rewrite: the matched path prefix replaced (see `toRegexRewrite`). */
interface RegexRewriteJson {
  readonly pattern: { readonly regex: string };
  readonly substitution: string;
}

/** Where a route sends a request, and how (the service's route labels). */
export interface RouteActionJson {
  readonly cluster: string;
  readonly timeout?: Duration;
  readonly idle_timeout?: Duration;
  readonly regex_rewrite?: RegexRewriteJson;
  readonly retry_policy?: RetryPolicyJson;
  readonly upgrade_configs?: readonly { readonly upgrade_type: 'websocket' }[];
}

export interface RetryPolicyJson {
  readonly retry_on: string;
  readonly num_retries: number;
  readonly retry_host_predicate: readonly {
    readonly name: string;
    readonly typed_config: { readonly '@type': string };
  }[];
  readonly host_selection_retry_max_attempts: number;
}

/** A domain and path prefix that two services claimed: `winner` routes it, `service` does not. */
export interface RouteConflict {
  readonly service: string;
  readonly winner: string;
  readonly domain: string;
  readonly pathPrefix: string;
  readonly message: string;
}

/** A route's retry policy unless labels say otherwise (see {@link DEFAULT_RETRY_ON}). */
const RETRY_POLICY: RetryPolicyJson = {
  retry_on: DEFAULT_RETRY_ON,
  num_retries: DEFAULT_NUM_RETRIES,
  retry_host_predicate: [
    {
      name: 'envoy.retry_host_predicates.previous_hosts',
      typed_config: {
        '@type': PREVIOUS_HOSTS_PREDICATE_TYPE_URL,
      },
    },
  ],
  host_selection_retry_max_attempts: 5,
};

/** The host names a service answers at when its labels name none. */
export function defaultDomains(service: string): string[] {
  const host = service.toLowerCase();
  return [host, `${host}.localhost`];
}

/** A service as the route configuration sees it: its options, and the age of its claims. */
export interface RouteClaimant {
  readonly service: string;
  readonly options: ServiceOptions;
  /** When its oldest container was created (ms since the epoch); none: unknown, claims last. */
  readonly since?: number | undefined;
}

/**
 * The route configuration Envoy's own listener names (over RDS): each service is routed at its
 * domains (`eds.domains`, else `<service>` and `<service>.localhost`) and path prefix
 * (`eds.path_prefix`, else `/`). Services that share a domain share its virtual host, longest
 * prefix first. Two services claiming the same domain and prefix: the first to claim it keeps
 * it, so a container started later, whatever its labels say, cannot take a route another
 * service holds: the service whose oldest container is older wins (one of unknown age, a
 * registered one, is newest; one kept with no endpoints for its `--route-grace` keeps its age); between
 * equally old, a service's own name (a default domain) beats a label's claim, then the service
 * first in sort order. Each lost claim is a conflict. Deterministic: the same services give
 * the same JSON whatever their order, so a restarted agent routes as before. Pure.
 */
export function buildRouteConfiguration(
  name: string,
  services: Iterable<RouteClaimant>,
): { json: RouteConfigurationJson<ForwardingRouteJson>; conflicts: RouteConflict[] } {
  const sorted = [...services].sort((a, b) => compareText(a.service, b.service));
  const claims = new Map<string, { service: string; explicit: boolean; age: number }>();
  const conflicts: RouteConflict[] = [];
  for (const { service, options, since } of sorted) {
    const explicit = options.domains !== undefined;
    const age = since ?? Number.POSITIVE_INFINITY;
    const pathPrefix = options.path_prefix ?? DEFAULT_PATH_PREFIX;
    for (const domain of options.domains ?? defaultDomains(service)) {
      const key = `${domain} ${pathPrefix}`;
      const held = claims.get(key);
      const wins =
        held === undefined || age < held.age || (age === held.age && !explicit && held.explicit);
      if (held !== undefined) {
        const [winner, loser] = wins ? [service, held.service] : [held.service, service];
        const reason =
          age !== held.age
            ? 'it claimed it first'
            : explicit !== held.explicit
              ? 'it is its own name; the other claims it by a label'
              : 'first in sort order';
        const where =
          pathPrefix === DEFAULT_PATH_PREFIX ? domain : `${domain} with path prefix ${pathPrefix}`;
        conflicts.push({
          service: loser,
          winner,
          domain,
          pathPrefix,
          message: `${where} is claimed by services ${winner} and ${loser}; routing it to ${winner} (${reason})`,
        });
      }
      if (wins) claims.set(key, { service, explicit, age });
    }
  }

  const optionsOf = new Map(sorted.map(({ service, options }) => [service, options] as const));
  const routesByDomain = new Map<string, RouteTo[]>();
  for (const [key, { service }] of claims) {
    const domain = key.slice(0, key.indexOf(' '));
    const routes = routesByDomain.get(domain) ?? [];
    const options = optionsOf.get(service) ?? {};
    routes.push({ pathPrefix: options.path_prefix ?? DEFAULT_PATH_PREFIX, service, options });
    routesByDomain.set(domain, routes);
  }
  // Domains with the same routes share one virtual host, named after the services it routes to.
  const hosts = new Map<string, { domains: string[]; routes: ForwardingRouteJson[] }>();
  for (const [domain, routes] of routesByDomain) {
    routes.sort(
      (a, b) =>
        b.pathPrefix.length - a.pathPrefix.length || compareText(a.pathPrefix, b.pathPrefix),
    );
    const hostName = [...new Set(routes.map((route) => route.service))].sort().join('+');
    const host = hosts.get(hostName) ?? { domains: [], routes: routes.map(toRoute) };
    host.domains.push(domain);
    hosts.set(hostName, host);
  }
  const virtualHosts = [...hosts]
    .sort(([a], [b]) => compareText(a, b))
    .map(([hostName, { domains, routes }]) => ({
      name: hostName,
      domains: domains.sort(compareText),
      routes,
      retry_policy: RETRY_POLICY,
    }));
  return {
    json: { name, virtual_hosts: virtualHosts, ignore_port_in_host_matching: true },
    conflicts,
  };
}

interface RouteTo {
  readonly pathPrefix: string;
  readonly service: string;
  readonly options: ServiceOptions;
}

/**
 * How `eds.prefix_rewrite` turns the matched path prefix into `rewrite`: the prefix and the
 * `/` after it become `rewrite` with a `/` at its end, so `/api` rewritten to `/` sends
 * `/api/users` as `/users` (Envoy's own `prefix_rewrite` would send `//users`), and `/` (every
 * path) rewritten to `/v2` sends `/users` as `/v2/users`.
 */
function toRegexRewrite(pathPrefix: string, rewrite: string) {
  const prefix = pathPrefix === DEFAULT_PATH_PREFIX ? '' : pathPrefix;
  return {
    pattern: { regex: `^${escapeRegex(prefix)}/?` },
    substitution: rewrite.endsWith('/') ? rewrite : `${rewrite}/`,
  };
}

/** `text` as an RE2 pattern that matches it literally. */
function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function toRoute({ pathPrefix, service, options }: RouteTo): ForwardingRouteJson {
  const hsts = options.tls === true ? options['tls.hsts'] : undefined;
  const match =
    pathPrefix === DEFAULT_PATH_PREFIX
      ? { prefix: DEFAULT_PATH_PREFIX }
      : { path_separated_prefix: pathPrefix };
  const policy = toRoutePolicy(service, options, hsts);
  const redirect = options.redirect;
  if (redirect)
    return {
      name: service,
      match,
      redirect: {
        ...(redirect.https ? { https_redirect: true } : {}),
        ...(redirect.host !== undefined ? { host_redirect: redirect.host } : {}),
        ...(redirect.path !== undefined
          ? { regex_rewrite: toRegexRewrite(pathPrefix, redirect.path) }
          : {}),
        response_code: 'PERMANENT_REDIRECT',
      },
      ...policy,
    };
  return { name: service, match, route: toRouteAction(service, pathPrefix, options), ...policy };
}

/**
 * The route action of a service: its cluster, and what its route labels set. A service with
 * none of them gets `{ cluster }` alone, as it always did (the virtual host's retry policy
 * applies); a retry label, or `protocol=grpc`, gives the route a retry policy of its own.
 */
function toRouteAction(
  service: string,
  pathPrefix: string,
  options: ServiceOptions,
): RouteActionJson {
  const grpc = options.protocol === 'grpc';
  const ownRetries = options.retries !== undefined || options.retry_on !== undefined || grpc;
  const timeout = options.timeout ?? (grpc ? Duration.ofSeconds(0) : undefined);
  return {
    cluster: service,
    ...(timeout !== undefined ? { timeout } : {}),
    ...(options.idle_timeout !== undefined ? { idle_timeout: options.idle_timeout } : {}),
    ...(options.prefix_rewrite !== undefined
      ? { regex_rewrite: toRegexRewrite(pathPrefix, options.prefix_rewrite) }
      : {}),
    ...(ownRetries
      ? {
          retry_policy: {
            ...RETRY_POLICY,
            retry_on:
              options.retry_on ??
              (grpc ? `${RETRY_POLICY.retry_on},${GRPC_RETRY_ON}` : RETRY_POLICY.retry_on),
            num_retries: options.retries ?? RETRY_POLICY.num_retries,
          },
        }
      : {}),
    ...(options.websocket === true ? { upgrade_configs: [{ upgrade_type: 'websocket' }] } : {}),
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
