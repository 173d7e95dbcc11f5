import {
  BASIC_AUTH_TYPE_URL,
  BROTLI_COMPRESSOR_TYPE_URL,
  COMPRESSOR_TYPE_URL,
  CORS_TYPE_URL,
  GZIP_COMPRESSOR_TYPE_URL,
  HEADER_MUTATION_TYPE_URL,
  LOCAL_RATE_LIMIT_TYPE_URL,
  RBAC_TYPE_URL,
  ROUTER_TYPE_URL,
  STATEFUL_SESSION_TYPE_URL,
} from '../type-urls.js';

/**
 * The names of the edge-policy HTTP filters in a connection manager's chain: a route's
 * `typed_per_filter_config` names the filter it turns on by these.
 */
export const EDGE_FILTERS = {
  cors: 'envoy.filters.http.cors',
  rbac: 'envoy.filters.http.rbac',
  rateLimit: 'envoy.filters.http.local_ratelimit',
  headerMutation: 'envoy.filters.http.header_mutation',
  basicAuth: 'envoy.filters.http.basic_auth',
  sticky: 'envoy.filters.http.stateful_session',
  brotli: 'envoy.filters.http.compressor.brotli',
  gzip: 'envoy.filters.http.compressor.gzip',
} as const;

/** One HTTP filter of a connection manager's chain, in proto3 JSON. */
export interface HttpFilterJson {
  readonly name: string;
  readonly disabled?: true;
  readonly typed_config: { readonly '@type': string } & Readonly<Record<string, unknown>>;
}

/**
 * The one entry of `users` Envoy's `basic_auth` requires in the chain, which no request ever
 * meets: the filter is disabled there and each route that enables it gives its own users.
 * Its hash is of no password anyone can know (20 zero bytes is no SHA-1 anyone can invert).
 */
const NO_USER = 'eds-agent-nobody:{SHA}AAAAAAAAAAAAAAAAAAAAAAAAAAA=';

/** Answers smaller than this are not worth compressing. */
const MIN_COMPRESSED_LENGTH = 1024;

function compressor(name: string, library: string, typeUrl: string): HttpFilterJson {
  return {
    name,
    disabled: true,
    typed_config: {
      '@type': COMPRESSOR_TYPE_URL,
      response_direction_config: { common_config: { min_content_length: MIN_COMPRESSED_LENGTH } },
      compressor_library: { name: library, typed_config: { '@type': typeUrl } },
    },
  };
}

/**
 * The HTTP filters of every connection manager the agent serves Envoy (the front door), in
 * order: CORS (a preflight answered before anything asks for credentials), the IP lists, the
 * rate limit (before authentication, so guessing passwords is limited too), the removal of
 * the headers a forward-auth service vouches for (a client cannot send its own), `auth` (the
 * forward-auth and JWT filters the services ask for, see `authHttpFilters`), Basic
 * authentication, sticky sessions, compression (brotli preferred over gzip), then the router.
 * Each but the router is disabled: it does nothing until a route's `typed_per_filter_config`
 * turns it on with that route's settings, so a route without edge labels is served exactly as
 * with the router alone. A hand-written listener that routes by the agent's route
 * configuration needs the same chain (docs/edge-policy.md). Pure.
 */
export function edgeHttpFilters(auth: readonly HttpFilterJson[] = []): HttpFilterJson[] {
  return [
    { name: EDGE_FILTERS.cors, disabled: true, typed_config: { '@type': CORS_TYPE_URL } },
    { name: EDGE_FILTERS.rbac, disabled: true, typed_config: { '@type': RBAC_TYPE_URL } },
    {
      name: EDGE_FILTERS.rateLimit,
      disabled: true,
      typed_config: { '@type': LOCAL_RATE_LIMIT_TYPE_URL, stat_prefix: 'eds_ratelimit' },
    },
    {
      name: EDGE_FILTERS.headerMutation,
      disabled: true,
      typed_config: { '@type': HEADER_MUTATION_TYPE_URL },
    },
    ...auth,
    {
      name: EDGE_FILTERS.basicAuth,
      disabled: true,
      typed_config: { '@type': BASIC_AUTH_TYPE_URL, users: { inline_string: NO_USER } },
    },
    {
      name: EDGE_FILTERS.sticky,
      disabled: true,
      typed_config: { '@type': STATEFUL_SESSION_TYPE_URL },
    },
    compressor(EDGE_FILTERS.brotli, 'brotli', BROTLI_COMPRESSOR_TYPE_URL),
    compressor(EDGE_FILTERS.gzip, 'gzip', GZIP_COMPRESSOR_TYPE_URL),
    { name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER_TYPE_URL } },
  ];
}
