import { describe, expect, it } from 'vitest';

import { buildApiListener } from '../../src/core/envoy/build-listener.js';
import {
  buildGrpcRouteConfiguration,
  buildRouteConfiguration,
} from '../../src/core/envoy/build-route-configuration.js';
import {
  DEFAULT_SERVICE_OPTIONS as NONE,
  type ServiceOptions,
} from '../../src/core/labels/service-options.js';

/** A service whose oldest container was created at `since` (ms), unknown by default. */
const service = (name: string, options: Partial<ServiceOptions> = {}, since?: number) => ({
  service: name,
  options: { ...NONE, ...options },
  ...(since === undefined ? {} : { since }),
});

/** Each virtual host as `name: domains → prefix=cluster, ...`, for readable expectations. */
function summarize(services: ReturnType<typeof service>[]): string[] {
  return buildRouteConfiguration('eds-agent', services).json.virtual_hosts.map(
    (host) =>
      `${host.name}: ${host.domains.join(' ')} → ${host.routes
        .map((route) => {
          const prefix =
            'prefix' in route.match ? route.match.prefix : route.match.path_separated_prefix;
          return `${prefix}=${'route' in route ? route.route.cluster : 'redirect'}`;
        })
        .join(', ')}`,
  );
}

describe('buildRouteConfiguration', () => {
  // The attack: a container started later, labelled with a running service's domain, took
  // every request of that service.
  it('keeps a domain with the service that claimed it first, whatever a later label says', () => {
    const { json, conflicts } = buildRouteConfiguration('eds-agent', [
      service('web', {}, 1_000),
      service('a-thief', { domains: ['web', 'web.localhost'] }, 2_000),
      service('catch-all', { domains: ['shop.test'] }, 3_000),
      service('z-first', { domains: ['shop.test'] }, 500),
    ]);
    expect(json.virtual_hosts.map((host) => [host.name, host.domains])).toEqual([
      ['web', ['web', 'web.localhost']],
      ['z-first', ['shop.test']],
    ]);
    expect(conflicts.map((conflict) => conflict.message)).toEqual([
      'web is claimed by services web and a-thief; routing it to web (it claimed it first)',
      'web.localhost is claimed by services web and a-thief; routing it to web (it claimed it first)',
      'shop.test is claimed by services z-first and catch-all; routing it to z-first (it claimed it first)',
    ]);
  });

  it('counts a service of unknown age (registered hosts) as the newest claimant', () => {
    const { json } = buildRouteConfiguration('eds-agent', [
      service('api', { domains: ['web'] }),
      service('web', {}, 1_000),
    ]);
    expect(json.virtual_hosts.map((host) => [host.name, host.domains])).toEqual([
      ['web', ['web', 'web.localhost']],
    ]);
  });

  it('routes each service at <service> and <service>.localhost by default', () => {
    expect(summarize([service('web'), service('api')])).toEqual([
      'api: api api.localhost → /=api',
      'web: web web.localhost → /=web',
    ]);
  });

  it('lower-cases default domains, since Envoy matches hosts without case', () => {
    expect(summarize([service('Shop')])).toEqual(['Shop: shop shop.localhost → /=Shop']);
  });

  it('routes at the domains a label names instead, with a path prefix', () => {
    expect(
      summarize([service('web', { domains: ['*.shop.test', 'shop.test'], path_prefix: '/store' })]),
    ).toEqual(['web: *.shop.test shop.test → /store=web']);
  });

  it('shares a domain between services by path prefix, the longest first', () => {
    expect(
      summarize([
        service('web', { domains: ['shop.test'] }),
        service('api', { domains: ['shop.test'], path_prefix: '/api' }),
        service('v2', { domains: ['shop.test'], path_prefix: '/api/v2' }),
      ]),
    ).toEqual(['api+v2+web: shop.test → /api/v2=v2, /api=api, /=web']);
  });

  it('gives a domain and prefix two services claim to the first in sort order, and says so', () => {
    const { json, conflicts } = buildRouteConfiguration('eds-agent', [
      service('web', { domains: ['shop.test'] }),
      service('api', { domains: ['shop.test', 'api.test'] }),
    ]);
    expect(json.virtual_hosts.map((host) => [host.name, host.domains])).toEqual([
      ['api', ['api.test', 'shop.test']],
    ]);
    expect(conflicts).toEqual([
      {
        service: 'web',
        winner: 'api',
        domain: 'shop.test',
        pathPrefix: '/',
        message:
          'shop.test is claimed by services api and web; routing it to api (first in sort order)',
      },
    ]);
  });

  it("between claims as old, gives a service's own name to it over another's label", () => {
    const { json, conflicts } = buildRouteConfiguration('eds-agent', [
      service('api', {}, 1_000),
      service('a-web', { domains: ['api.localhost'] }, 1_000),
    ]);
    expect(json.virtual_hosts.map((host) => [host.name, host.domains])).toEqual([
      ['api', ['api', 'api.localhost']],
    ]);
    expect(conflicts.map((conflict) => conflict.message)).toEqual([
      'api.localhost is claimed by services api and a-web; routing it to api (it is its own name; the other claims it by a label)',
    ]);
  });

  it('is the same whatever the order of the services', () => {
    const services = [
      service('web', { domains: ['shop.test'] }),
      service('api', { domains: ['shop.test'], path_prefix: '/api' }),
      service('b', { domains: ['x.test'] }),
      service('a', { domains: ['x.test'] }),
    ];
    expect(buildRouteConfiguration('n', [...services].reverse())).toEqual(
      buildRouteConfiguration('n', services),
    );
  });

  it('ignores the port of the Host header, and retries requests that never reached an upstream', () => {
    const { json } = buildRouteConfiguration('front', [service('web')]);
    expect(json).toMatchObject({ name: 'front', ignore_port_in_host_matching: true });
    expect(json.virtual_hosts[0]?.retry_policy).toMatchObject({
      retry_on: 'connect-failure,refused-stream',
      num_retries: 2,
    });
  });

  it('has no virtual host when there is no service', () => {
    expect(buildRouteConfiguration('eds-agent', []).json.virtual_hosts).toEqual([]);
  });
});

describe('the resources of a proxyless gRPC client', () => {
  it('an API listener per service, whose routes come over ADS from the service own route configuration', () => {
    const listener = buildApiListener('greeter');
    expect(listener.name).toBe('greeter');
    expect(listener.api_listener.api_listener.rds).toEqual({
      route_config_name: 'grpc/greeter',
      config_source: { ads: {}, resource_api_version: 'V3' },
    });
    expect(listener.api_listener.api_listener.http_filters.map((filter) => filter.name)).toEqual([
      'envoy.filters.http.router',
    ]);
    expect(buildGrpcRouteConfiguration('greeter')).toEqual({
      name: 'grpc/greeter',
      virtual_hosts: [
        {
          name: 'greeter',
          domains: ['*'],
          routes: [{ name: 'greeter', match: { prefix: '' }, route: { cluster: 'greeter' } }],
        },
      ],
    });
  });
});
