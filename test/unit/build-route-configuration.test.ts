import { describe, expect, it } from 'vitest';

import { buildApiListener } from '../../src/core/build-listener.js';
import {
  buildGrpcRouteConfiguration,
  buildRouteConfiguration,
} from '../../src/core/build-route-configuration.js';
import {
  DEFAULT_SERVICE_OPTIONS as NONE,
  type ServiceOptions,
} from '../../src/core/service-options.js';

const service = (name: string, options: Partial<ServiceOptions> = {}) =>
  [name, { ...NONE, ...options }] as const;

/** Each virtual host as `name: domains → prefix=cluster, ...`, for readable expectations. */
function summarize(services: ReturnType<typeof service>[]): string[] {
  return buildRouteConfiguration('eds-agent', services).json.virtual_hosts.map(
    (host) =>
      `${host.name}: ${host.domains.join(' ')} → ${host.routes
        .map((route) => {
          const prefix =
            'prefix' in route.match ? route.match.prefix : route.match.path_separated_prefix;
          return `${prefix}=${route.route.cluster}`;
        })
        .join(', ')}`,
  );
}

describe('buildRouteConfiguration', () => {
  it('gives a domain claimed by a service kept with no endpoints to one that has some, and says why', () => {
    const { json, conflicts } = buildRouteConfiguration('eds-agent', [
      [...service('claim-a', { domains: ['shop.test'] }), true],
      service('claim-b', { domains: ['shop.test'] }),
    ]);
    expect(json.virtual_hosts.map((host) => [host.name, host.domains])).toEqual([
      ['claim-b', ['shop.test']],
    ]);
    expect(conflicts.map((conflict) => conflict.message)).toEqual([
      'shop.test is claimed by services claim-b and claim-a; routing it to claim-b (the other has no endpoints)',
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

  it('lets a claim made by a label win over a default one', () => {
    const { json, conflicts } = buildRouteConfiguration('eds-agent', [
      service('api'),
      service('web', { domains: ['api.localhost'] }),
    ]);
    expect(json.virtual_hosts.map((host) => [host.name, host.domains])).toEqual([
      ['api', ['api']],
      ['web', ['api.localhost']],
    ]);
    expect(conflicts.map((conflict) => conflict.message)).toEqual([
      'api.localhost is claimed by services web and api; routing it to web (its claim is set by a label)',
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
