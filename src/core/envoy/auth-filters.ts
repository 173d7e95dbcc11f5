import { createHash } from 'node:crypto';

import { Duration } from '../duration.js';
import type { AuthUrl } from '../labels/parse-edge-values.js';
import type { ServiceOptions } from '../labels/service-options.js';
import { CEL_FILTER_TYPE_URL, EXT_AUTHZ_TYPE_URL, JWT_AUTHN_TYPE_URL } from '../type-urls.js';
import { type OutsideUrl, toOutsideClusterName } from './build-outside-cluster.js';
import type { HttpFilterJson } from './edge-filters.js';

/** The one JWT filter of the chain, holding a provider for each distinct JWT setting. */
export const JWT_FILTER = 'envoy.filters.http.jwt_authn';

/** How long Envoy waits for the auth service or the JWKS. */
const AUTH_TIMEOUT = Duration.ofSeconds(2);
/** How long Envoy keeps a JWKS before it fetches it again. */
const JWKS_CACHE = Duration.ofSeconds(300);
/** The header the service reads a token's claims from (base64url JSON). */
export const JWT_PAYLOAD_HEADER = 'x-jwt-payload';
/**
 * The request headers an auth service is asked with, beyond those Envoy always sends (Host,
 * Method, Path, Content-Length, Authorization): the session cookie, and where the request came
 * from (Authelia, Authentik and oauth2-proxy read these).
 */
const ASKED_WITH = [
  { exact: 'cookie' },
  { exact: 'proxy-authorization' },
  { exact: 'accept' },
  { prefix: 'x-forwarded-' },
];

/** A short name for a setting: the same setting, the same name, whichever services carry it. */
function nameOf(kind: string, setting: unknown): string {
  const digest = createHash('sha256').update(JSON.stringify(setting)).digest('hex');
  return `${kind}/${digest.slice(0, 12)}`;
}

function forwardAuthSetting(options: ServiceOptions) {
  const url = options['auth.forward'];
  return url && { url, headers: options['auth.forward.headers'] ?? [] };
}

function jwtSetting(options: ServiceOptions) {
  const issuer = options['auth.jwt.issuer'];
  const jwks = options['auth.jwt.jwks'];
  return issuer && jwks && { issuer, jwks, audiences: options['auth.jwt.audiences'] ?? [] };
}

/** The name of the `ext_authz` filter of a forward-auth setting: the same setting, the same filter. */
function forwardFilterName(setting: object): string {
  return `envoy.filters.http.ext_authz/${nameOf('forward', setting)}`;
}

/** The name of the `ext_authz` filter that asks `options`' auth service; none without it. */
export function forwardAuthFilterName(options: ServiceOptions): string | undefined {
  const setting = forwardAuthSetting(options);
  return setting && forwardFilterName(setting);
}

/** The JWT requirement (and provider) of `options`' JWT labels; none without them. */
export function jwtRequirementName(options: ServiceOptions): string | undefined {
  const setting = jwtSetting(options);
  return setting && nameOf('jwt', setting);
}

/** An auth URL as Envoy's `HttpUri`: the full URL, and the cluster of its service or outside host. */
function httpUri(url: AuthUrl) {
  return url.kind === 'service'
    ? { uri: `http://${url.service}${url.path}`, cluster: url.service, timeout: AUTH_TIMEOUT }
    : {
        uri: `https://${url.host}:${url.port}${url.path}`,
        cluster: toOutsideClusterName(url),
        timeout: AUTH_TIMEOUT,
      };
}

/** The hosts outside the stack that `options`' auth labels name (`https://…`), each needing a cluster. */
export function outsideAuthUrls(options: ServiceOptions): OutsideUrl[] {
  return [options['auth.forward'], options['auth.jwt.jwks']].filter(
    (url): url is OutsideUrl => url?.kind === 'outside',
  );
}

/**
 * The authentication filters the chain needs for `services` (the options of every routed
 * service): one `ext_authz` per distinct forward-auth setting, named by it, and one
 * `jwt_authn` with a provider and a requirement per distinct JWT setting; each disabled until
 * a route turns it on. None when no service asks: the chain is then what it always was.
 * Sorted by name. Pure.
 */
export function authHttpFilters(services: Iterable<ServiceOptions>): HttpFilterJson[] {
  const forward = new Map<string, HttpFilterJson>();
  const providers = new Map<string, object>();
  for (const options of services) {
    const setting = forwardAuthSetting(options);
    const name = setting && forwardFilterName(setting);
    if (setting && name && !forward.has(name)) {
      const path = setting.url.path.replace(/\/+$/, '');
      forward.set(name, {
        name,
        disabled: true,
        typed_config: {
          '@type': EXT_AUTHZ_TYPE_URL,
          transport_api_version: 'V3',
          http_service: {
            server_uri: httpUri(setting.url),
            ...(path === '' ? {} : { path_prefix: path }),
            ...(setting.headers.length > 0
              ? {
                  authorization_response: {
                    allowed_upstream_headers: {
                      patterns: setting.headers.map((header) => ({ exact: header })),
                    },
                  },
                }
              : {}),
          },
          allowed_headers: { patterns: ASKED_WITH },
        },
      });
    }
    const jwt = jwtSetting(options);
    if (jwt)
      providers.set(nameOf('jwt', jwt), {
        issuer: jwt.issuer,
        ...(jwt.audiences.length > 0 ? { audiences: jwt.audiences } : {}),
        remote_jwks: { http_uri: httpUri(jwt.jwks), cache_duration: JWKS_CACHE },
        forward: true,
        forward_payload_header: JWT_PAYLOAD_HEADER,
      });
  }
  const filters = [...forward.values()];
  if (providers.size > 0) {
    const names = [...providers.keys()].sort();
    filters.push({
      name: JWT_FILTER,
      disabled: true,
      typed_config: {
        '@type': JWT_AUTHN_TYPE_URL,
        providers: Object.fromEntries(names.map((name) => [name, providers.get(name)])),
        requirement_map: Object.fromEntries(names.map((name) => [name, { provider_name: name }])),
      },
    });
  }
  return filters.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * What the JWT filter answers a valid token of another audience: Envoy's own answer is 403,
 * but the token is not one the service accepts (RFC 6750 `invalid_token`, which the
 * `WWW-Authenticate` header Envoy adds already says), so the client gets 401 as for an
 * expired token. A local reply's mapper rewrites exactly that answer, named by its details;
 * every other 403 (an IP list's) stays as it is.
 */
const WRONG_AUDIENCE_IS_UNAUTHORIZED = {
  filter: {
    extension_filter: {
      name: 'envoy.access_loggers.extension_filters.cel',
      typed_config: {
        '@type': CEL_FILTER_TYPE_URL,
        expression:
          "response.code == 403 && response.code_details == 'jwt_authn_access_denied{Audiences_in_Jwt_are_not_allowed}'",
      },
    },
  },
  status_code: 401,
} as const;

/** The connection manager's `local_reply_config` the `auth` filters need: with the JWT filter, its 403 for another audience made 401; none otherwise. */
export function authLocalReply(auth: readonly HttpFilterJson[]) {
  return auth.some((filter) => filter.name === JWT_FILTER)
    ? { mappers: [WRONG_AUDIENCE_IS_UNAUTHORIZED] }
    : undefined;
}
