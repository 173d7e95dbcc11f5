import type {
  DirectResponseRouteJson,
  RouteConfigurationJson,
  VirtualHostJson,
} from '../envoy/build-route-configuration.js';
import { FRONT_HTTP_ROUTES } from './front-door-settings.js';

/** The virtual host that answers plain HTTP to the domains served over HTTPS. */
export const HTTPS_REDIRECT_HOST = 'https-redirect';

/** The port browsers assume for `https://`, which a redirect need not name. */
const DEFAULT_HTTPS_PORT = 443;

/** The path an ACME server fetches for an HTTP-01 challenge's token (RFC 8555, 8.3). */
export function toChallengePath(token: string): string {
  return `/.well-known/acme-challenge/${token}`;
}

/**
 * The route configuration of the front door's plain HTTP listener (`front/http`): the agent's
 * routes, except that each of `redirected` (domains whose certificate Envoy has) moves to one
 * virtual host answering `308` to the same URL over HTTPS on `httpsPort`; and, first in every
 * virtual host, the answer to each pending ACME HTTP-01 challenge of `challenges` (token →
 * key authorization: public values, only the account key can make them). Without either it
 * routes exactly as the agent's route configuration does. Pure.
 */
export function buildHttpRoutes(
  routes: RouteConfigurationJson,
  redirected: ReadonlySet<string>,
  httpsPort: number,
  challenges: ReadonlyMap<string, string> = new Map(),
): RouteConfigurationJson {
  const hosts: VirtualHostJson[] = [];
  const moved: string[] = [];
  for (const host of routes.virtual_hosts) {
    const kept = host.domains.filter((domain) => !redirected.has(domain));
    moved.push(...host.domains.filter((domain) => redirected.has(domain)));
    if (kept.length === host.domains.length) hosts.push(host);
    else if (kept.length > 0) hosts.push({ ...host, domains: kept });
  }
  if (moved.length > 0) {
    hosts.push({
      name: HTTPS_REDIRECT_HOST,
      domains: moved.sort(),
      routes: [
        {
          name: HTTPS_REDIRECT_HOST,
          match: { prefix: '/' },
          redirect: {
            https_redirect: true,
            ...(httpsPort === DEFAULT_HTTPS_PORT ? {} : { port_redirect: httpsPort }),
            response_code: 'PERMANENT_REDIRECT',
          },
        },
      ],
    });
  }
  if (challenges.size === 0) return { ...routes, name: FRONT_HTTP_ROUTES, virtual_hosts: hosts };
  const answers = [...challenges]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([token, keyAuthorization]): DirectResponseRouteJson => ({
      name: 'acme-challenge',
      match: { path: toChallengePath(token) },
      direct_response: { status: 200, body: { inline_string: keyAuthorization } },
    }));
  return {
    ...routes,
    name: FRONT_HTTP_ROUTES,
    virtual_hosts: hosts.map((host) => ({ ...host, routes: [...answers, ...host.routes] })),
  };
}
