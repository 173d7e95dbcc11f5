import { afterEach, describe, expect, it } from 'vitest';

import {
  DEFAULT_SERVICE_OPTIONS,
  type ServiceOptions,
} from '../../src/core/labels/service-options.js';
import type { SnapshotStore } from '../../src/snapshot-store.js';
import { anEndpoint } from '../support/records.js';
import {
  type AdsStream,
  CDS,
  closeAll,
  EDS,
  LDS,
  RDS,
  type Response,
  serve,
  startServer,
} from '../support/xds-test-client.js';

afterEach(closeAll);

// Listeners and route configurations over gRPC: what Envoy's own listener (RDS) and proxyless
// gRPC clients (LDS, then RDS) ask for, checked with a client of the tests' own.

const labelled = (
  store: SnapshotStore,
  cluster: string,
  address: string,
  options: Partial<ServiceOptions>,
) =>
  store.apply([
    [
      `docker:${cluster}`,
      [
        anEndpoint({
          cluster,
          address,
          serviceOptions: { ...DEFAULT_SERVICE_OPTIONS, ...options },
        }),
      ],
    ],
  ]);

/** ACKs `response` with the names the stream subscribes to. */
function ack(stream: AdsStream, response: Response, names?: string[]) {
  stream.send({
    type_url: response.type_url,
    version_info: response.version_info,
    response_nonce: response.nonce,
    ...(names ? { resource_names: names } : {}),
  });
}

describe('routes for Envoy over ADS (state of the world)', () => {
  it("serves the route configuration Envoy's listener names, a virtual host per service", async () => {
    const { store, connect } = await startServer();
    serve(store, 'web', '10.0.0.1');
    labelled(store, 'api', '10.0.1.1', { domains: ['web.localhost'], path_prefix: '/api' });
    const ads = connect();
    ads.send({ type_url: RDS, resource_names: ['eds-agent'] });
    const routes = await ads.next();
    expect(routes.resources).toEqual([
      {
        name: 'eds-agent',
        virtualHosts: ['api+web: web.localhost → /api=api, /=web', 'web: web → /=web'],
      },
    ]);
  });

  it('pushes a new service as a cluster before the route to it, and removes the route first', async () => {
    const { store, connect } = await startServer();
    serve(store, 'web', '10.0.0.1');
    const ads = connect();
    ads.send({ type_url: CDS });
    ack(ads, await ads.next());
    ads.send({ type_url: RDS, resource_names: ['eds-agent'] });
    ack(ads, await ads.next(), ['eds-agent']);
    expect(await ads.quietFor(100)).toBe(true);

    serve(store, 'api', '10.0.1.1');
    const added = [await ads.next(), await ads.next()];
    expect(added.map((response) => response.type_url)).toEqual([CDS, RDS]);
    expect(added[1]?.resources[0]?.virtualHosts).toEqual([
      'api: api api.localhost → /=api',
      'web: web web.localhost → /=web',
    ]);
    for (const response of added)
      ack(ads, response, response.type_url === RDS ? ['eds-agent'] : undefined);

    serve(store, 'api');
    const removed = [await ads.next(), await ads.next()];
    expect(removed.map((response) => response.type_url)).toEqual([RDS, CDS]);
    expect(removed[1]?.resources.map((cluster) => cluster.name)).toEqual(['web']);
  });

  it('sends nothing but the assignment when only the endpoints of a service change', async () => {
    const { store, connect } = await startServer();
    serve(store, 'web', '10.0.0.1');
    const ads = connect();
    for (const [type, names] of [
      [CDS, undefined],
      [EDS, ['web']],
      [RDS, ['eds-agent']],
    ] as const) {
      ads.send({ type_url: type, ...(names ? { resource_names: names } : {}) });
      ack(ads, await ads.next(), names ? [...names] : undefined);
    }
    await ads.quietFor(100);
    ads.drained();
    serve(store, 'web', '10.0.0.1', '10.0.0.2');
    const pushed = await ads.next();
    expect(pushed.type_url).toBe(EDS);
    expect(await ads.quietFor(150)).toBe(true);
  });

  it('pushes the route configuration again when a label moves a service to another domain', async () => {
    const { store, connect } = await startServer();
    serve(store, 'web', '10.0.0.1');
    const ads = connect();
    ads.send({ type_url: RDS, resource_names: ['eds-agent'] });
    ack(ads, await ads.next(), ['eds-agent']);
    labelled(store, 'web', '10.0.0.1', { domains: ['shop.test'] });
    expect((await ads.next()).resources[0]?.virtualHosts).toEqual(['web: shop.test → /=web']);
  });
});

describe('resources for proxyless gRPC clients', () => {
  it('walks listener → route configuration → cluster → assignment for xds:///<service>', async () => {
    const { store, connect } = await startServer();
    serve(store, 'greeter', '127.0.0.1');
    const ads = connect();
    ads.send({ type_url: LDS, resource_names: ['greeter'] });
    const listener = await ads.next();
    expect(listener.resources).toEqual([
      { name: 'greeter', routeConfigName: 'grpc/greeter', ads: true },
    ]);
    ads.send({ type_url: RDS, resource_names: ['grpc/greeter'] });
    expect((await ads.next()).resources).toEqual([
      { name: 'grpc/greeter', virtualHosts: ['greeter: * → =greeter'] },
    ]);
    ads.send({ type_url: CDS, resource_names: ['greeter'] });
    expect((await ads.next()).resources.map((cluster) => cluster.name)).toEqual(['greeter']);
    ads.send({ type_url: EDS, resource_names: ['greeter'] });
    expect((await ads.next()).resources).toEqual([{ name: 'greeter', addresses: ['127.0.0.1'] }]);
  });

  it('answers a listener that does not exist with none, so the client fails fast', async () => {
    const { connect } = await startServer();
    const ads = connect();
    ads.send({ type_url: LDS, resource_names: ['nobody'] });
    expect((await ads.next()).resources).toEqual([]);
  });

  it('sends the whole set of subscribed listeners, so one left out is one gone', async () => {
    const { store, connect } = await startServer();
    serve(store, 'web', '10.0.0.1');
    serve(store, 'api', '10.0.1.1');
    const ads = connect();
    ads.send({ type_url: LDS, resource_names: ['web', 'api'] });
    const both = await ads.next();
    expect(both.resources.map((listener) => listener.name)).toEqual(['api', 'web']);
    ack(ads, both, ['web', 'api']);
    serve(store, 'api');
    expect((await ads.next()).resources.map((listener) => listener.name)).toEqual(['web']);
  });
});

describe("Envoy's listeners (state of the world, wildcard)", () => {
  it('sends a TCP listener when a service is labelled with a tcp_port, and takes it back when it goes', async () => {
    const { store, connect } = await startServer();
    const ads = connect();
    ads.send({ type_url: LDS });
    const empty = await ads.next();
    expect(empty.resources).toEqual([]);
    ads.send({ type_url: LDS, version_info: empty.version_info, response_nonce: empty.nonce });
    serve(store, 'api', '10.0.1.1');
    store.apply([
      ['docker:db', [anEndpoint({ address: '10.0.0.1', serviceOptions: { tcp_port: 5432 } })]],
    ]);
    const added = await ads.next();
    expect(added.resources).toEqual([{ name: 'tcp/web', port: 5432 }]);
    ads.send({ type_url: LDS, version_info: added.version_info, response_nonce: added.nonce });
    store.apply([['docker:db', []]]);
    expect((await ads.next()).resources).toEqual([]);
  });
});

describe('listeners and routes, incremental (delta)', () => {
  it("gives a wildcard subscription (Envoy's) the TCP listeners only, then names a gone one in removed_resources", async () => {
    const { store, connectDelta } = await startServer();
    const tcp = (address: string, port: number) =>
      anEndpoint({ address, serviceOptions: { tcp_port: port } });
    store.apply([['docker:db', [tcp('10.0.0.1', 5432)]]]);
    serve(store, 'api', '10.0.1.1');
    const delta = connectDelta();
    delta.send({ type_url: LDS });
    const first = await delta.next();
    expect(first.raw?.map((resource) => resource.name)).toEqual(['tcp/web']);
    expect(first.resources).toEqual([{ name: 'tcp/web', port: 5432 }]);
    delta.send({ type_url: LDS, response_nonce: first.nonce });
    store.apply([['docker:db', []]]);
    const removed = await delta.next();
    expect(removed.type_url).toBe(LDS);
    expect(removed.removed_resources).toEqual(['tcp/web']);
    expect(removed.resources).toEqual([]);
  });

  it('sends a changed route configuration, and nothing for a change it does not hold', async () => {
    const { store, connectDelta } = await startServer();
    serve(store, 'web', '10.0.0.1');
    const delta = connectDelta();
    delta.send({ type_url: RDS, resource_names_subscribe: ['grpc/web'] });
    const first = await delta.next();
    expect(first.resources).toEqual([{ name: 'grpc/web', virtualHosts: ['web: * → =web'] }]);
    delta.send({ type_url: RDS, response_nonce: first.nonce });
    serve(store, 'api', '10.0.1.1'); // changes eds-agent and grpc/api, which it does not hold
    expect(await delta.quietFor(150)).toBe(true);
    serve(store, 'web');
    expect((await delta.next()).removed_resources).toEqual(['grpc/web']);
  });
});
