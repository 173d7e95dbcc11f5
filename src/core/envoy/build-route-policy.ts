import { Duration } from '../duration.js';
import { DEFAULT_STICKY_COOKIE } from '../labels/option-values.js';
import type { Cidr, Rate } from '../labels/parse-edge-values.js';
import type { ServiceOptions } from '../labels/service-options.js';
import {
  BASIC_AUTH_PER_ROUTE_TYPE_URL,
  COMPRESSOR_PER_ROUTE_TYPE_URL,
  COOKIE_SESSION_STATE_TYPE_URL,
  CORS_POLICY_TYPE_URL,
  EXT_AUTHZ_PER_ROUTE_TYPE_URL,
  FILTER_CONFIG_TYPE_URL,
  HEADER_MUTATION_PER_ROUTE_TYPE_URL,
  JWT_PER_ROUTE_TYPE_URL,
  LOCAL_RATE_LIMIT_TYPE_URL,
  RBAC_PER_ROUTE_TYPE_URL,
  STATEFUL_SESSION_PER_ROUTE_TYPE_URL,
} from '../type-urls.js';
import { forwardAuthFilterName, JWT_FILTER, jwtRequirementName } from './auth-filters.js';
import { EDGE_FILTERS } from './edge-filters.js';

/** A header a route adds, replacing one of the same name. */
export interface HeaderToAddJson {
  readonly header: { readonly key: string; readonly value: string };
  readonly append_action: 'OVERWRITE_IF_EXISTS_OR_ADD';
}

/** A route's config of one filter of the chain, which turns that filter on for the route. */
export interface FilterConfigJson {
  readonly '@type': typeof FILTER_CONFIG_TYPE_URL;
  readonly config: { readonly '@type': string } & Readonly<Record<string, unknown>>;
}

/** What a service's edge labels add to its route, in proto3 JSON; `{}` without any. */
export interface RoutePolicyJson {
  readonly typed_per_filter_config?: Readonly<Record<string, FilterConfigJson>>;
  readonly request_headers_to_add?: readonly HeaderToAddJson[];
  readonly request_headers_to_remove?: readonly string[];
  readonly response_headers_to_add?: readonly HeaderToAddJson[];
  readonly response_headers_to_remove?: readonly string[];
}

const SECONDS_PER: Readonly<Record<Rate['per'], number>> = { s: 1, m: 60, h: 3600 };
/** Methods a CORS preflight may ask for unless `eds.cors.methods` says otherwise. */
const CORS_SAFE_METHODS = 'GET,HEAD,POST';
/** Every share of requests: a rate limit that applies to and is enforced on all of them. */
const ALL_REQUESTS = (key: string) => ({
  default_value: { numerator: 100, denominator: 'HUNDRED' },
  runtime_key: `eds_ratelimit.${key}`,
});

function turnOn(config: FilterConfigJson['config']): FilterConfigJson {
  return { '@type': FILTER_CONFIG_TYPE_URL, config };
}

/** A header `key: value` Envoy sends as written: `%` escaped, never a command. */
function header(key: string, value: string): HeaderToAddJson {
  return {
    header: { key, value: value.replace(/%/g, '%%') },
    append_action: 'OVERWRITE_IF_EXISTS_OR_ADD',
  };
}

const remoteIp = ({ address, prefixLen }: Cidr) => ({
  remote_ip: { address_prefix: address, prefix_len: prefixLen },
});

/**
 * Who reaches the service under `eds.allow_ips` and `eds.deny_ips`: a client (its downstream
 * remote address, the real client's with `--trusted-hops` or `--proxy-protocol`) in an
 * allowed range, when there are any, and in no denied one.
 */
function toPrincipal(allow: readonly Cidr[] | undefined, deny: readonly Cidr[] | undefined) {
  const allowed = allow && { or_ids: { ids: allow.map(remoteIp) } };
  const notDenied = deny && { not_id: { or_ids: { ids: deny.map(remoteIp) } } };
  if (allowed && notDenied) return { and_ids: { ids: [allowed, notDenied] } };
  return allowed ?? notDenied;
}

/** The filter configs a service's labels turn on for its route, by filter name, in chain order. */
function toFilterConfigs(service: string, options: ServiceOptions): [string, FilterConfigJson][] {
  const configs: [string, FilterConfigJson][] = [];
  const origins = options['cors.origins'];
  if (origins)
    configs.push([
      EDGE_FILTERS.cors,
      turnOn({
        '@type': CORS_POLICY_TYPE_URL,
        allow_origin_string_match: origins.map((origin) =>
          origin === '*' ? { safe_regex: { regex: '.*' } } : { exact: origin },
        ),
        allow_methods: options['cors.methods']?.join(',') ?? CORS_SAFE_METHODS,
        ...(options['cors.headers'] ? { allow_headers: options['cors.headers'].join(',') } : {}),
        ...(options['cors.credentials'] ? { allow_credentials: true } : {}),
      }),
    ]);
  const principal = toPrincipal(options.allow_ips, options.deny_ips);
  if (principal)
    configs.push([
      EDGE_FILTERS.rbac,
      turnOn({
        '@type': RBAC_PER_ROUTE_TYPE_URL,
        rbac: {
          rules: {
            action: 'ALLOW',
            policies: {
              [`ips/${service}`]: { permissions: [{ any: true }], principals: [principal] },
            },
          },
        },
      }),
    ]);
  const rate = options.ratelimit;
  if (rate)
    configs.push([
      EDGE_FILTERS.rateLimit,
      turnOn({
        '@type': LOCAL_RATE_LIMIT_TYPE_URL,
        stat_prefix: 'eds_ratelimit',
        token_bucket: {
          max_tokens: options['ratelimit.burst'] ?? rate.requests,
          tokens_per_fill: rate.requests,
          fill_interval: Duration.ofSeconds(SECONDS_PER[rate.per]),
        },
        filter_enabled: ALL_REQUESTS('enabled'),
        filter_enforced: ALL_REQUESTS('enforced'),
        enable_x_ratelimit_headers: 'DRAFT_VERSION_03',
      }),
    ]);
  const forward = forwardAuthFilterName(options);
  const vouched = options['auth.forward.headers'];
  // The headers the auth service vouches for are the client's to send only through it: a
  // client's own `Remote-User` would reach the service when the auth answer lacks one.
  if (forward && vouched)
    configs.push([
      EDGE_FILTERS.headerMutation,
      turnOn({
        '@type': HEADER_MUTATION_PER_ROUTE_TYPE_URL,
        mutations: { request_mutations: vouched.map((name) => ({ remove: name })) },
      }),
    ]);
  if (forward)
    configs.push([forward, turnOn({ '@type': EXT_AUTHZ_PER_ROUTE_TYPE_URL, check_settings: {} })]);
  const requirement = jwtRequirementName(options);
  if (requirement)
    configs.push([
      JWT_FILTER,
      turnOn({ '@type': JWT_PER_ROUTE_TYPE_URL, requirement_name: requirement }),
    ]);
  const users = options['auth.basic'];
  if (users)
    configs.push([
      EDGE_FILTERS.basicAuth,
      turnOn({
        '@type': BASIC_AUTH_PER_ROUTE_TYPE_URL,
        users: { inline_string: users.join('\n') },
      }),
    ]);
  if (options.sticky === 'cookie') {
    const ttl = options['sticky.ttl'];
    configs.push([
      EDGE_FILTERS.sticky,
      turnOn({
        '@type': STATEFUL_SESSION_PER_ROUTE_TYPE_URL,
        stateful_session: {
          session_state: {
            name: 'envoy.http.stateful_session.cookie',
            typed_config: {
              '@type': COOKIE_SESSION_STATE_TYPE_URL,
              cookie: {
                name: options['sticky.name'] ?? DEFAULT_STICKY_COOKIE,
                path: '/',
                ...(ttl ? { ttl } : {}),
              },
            },
          },
        },
      }),
    ]);
  }
  if (options.compress === true)
    for (const name of [EDGE_FILTERS.brotli, EDGE_FILTERS.gzip])
      configs.push([
        name,
        turnOn({
          '@type': COMPRESSOR_PER_ROUTE_TYPE_URL,
          overrides: { response_direction_config: {} },
        }),
      ]);
  return configs;
}

/**
 * What a service's edge labels add to its route: the filters they turn on (each with the
 * route's own settings), and the headers they set or remove; `hsts` first among the response
 * headers. `{}` for a service with none, so its route is what it was before these labels.
 * Pure.
 */
export function toRoutePolicy(
  service: string,
  options: ServiceOptions,
  hsts?: number,
): RoutePolicyJson {
  const filters = toFilterConfigs(service, options);
  const requestSet = Object.entries(options['headers.request.set'] ?? {});
  const responseSet = [
    ...(hsts === undefined ? [] : [['strict-transport-security', `max-age=${hsts}`] as const]),
    ...Object.entries(options['headers.response.set'] ?? {}),
  ];
  const requestRemove = options['headers.request.remove'];
  const responseRemove = options['headers.response.remove'];
  return {
    ...(filters.length > 0 ? { typed_per_filter_config: Object.fromEntries(filters) } : {}),
    ...(requestSet.length > 0
      ? { request_headers_to_add: requestSet.map(([key, value]) => header(key, value)) }
      : {}),
    ...(requestRemove ? { request_headers_to_remove: requestRemove } : {}),
    ...(responseSet.length > 0
      ? { response_headers_to_add: responseSet.map(([key, value]) => header(key, value)) }
      : {}),
    ...(responseRemove ? { response_headers_to_remove: responseRemove } : {}),
  };
}
