import { Writable } from 'node:stream';

import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';

import { CLUSTER_TYPE_URL } from '../../src/core/build-cluster.js';
import { createSnapshotStore, type SnapshotStore } from '../../src/snapshot-store.js';
import { loadEnvoyProtos, XDS_PROTO_FILES } from '../../src/transports/grpc/load-envoy-protos.js';
import {
  ENDPOINTS_TYPE_URL as EDS,
  startGrpcServer,
  toServiceDefinition,
  type GrpcServer,
} from '../../src/transports/grpc/start-grpc-server.js';
import { anEndpoint } from '../support/records.js';

const CDS = CLUSTER_TYPE_URL;
const root = loadEnvoyProtos(XDS_PROTO_FILES);
const ADS_PATH = '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources';
const AdsClient = grpc.makeGenericClientConstructor(
  toServiceDefinition(root, ADS_PATH, 'StreamAggregatedResources'),
  'AggregatedDiscoveryService',
);

interface Response {
  version_info: string;
  nonce: string;
  type_url: string;
  /** Decoded: each assignment's endpoint addresses, each cluster's type and EDS config. */
  resources: { name: string; addresses?: string[]; type?: string; ads?: boolean }[];
}

/** A client's ADS stream, as a scenario drives it. */
interface AdsStream {
  send(request: Record<string, unknown>): void;
  /** The next response (within 2 s). */
  next(): Promise<Response>;
  /** Resolves true when no response arrives within `ms`. */
  quietFor(ms: number): Promise<boolean>;
}

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function startServer(awaiting: string[] = []) {
  const logs: { level: number; msg: string; [key: string]: unknown }[] = [];
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n'))
          if (line) logs.push(JSON.parse(line) as (typeof logs)[number]);
        done();
      },
    }),
  );
  const store = createSnapshotStore({ awaiting });
  const started = await startGrpcServer({ store, logger, bind: '127.0.0.1', port: 0 });
  if (!started.ok) throw new Error(started.problems.join());
  const server: GrpcServer = started.value;
  closers.push(() => server.close());
  return { store, server, logs, connect: () => connect(server.port) };
}

function connect(port: number): AdsStream {
  const client = new AdsClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const methods = client as unknown as {
    StreamAggregatedResources: () => grpc.ClientDuplexStream<unknown, unknown>;
  };
  const call = methods.StreamAggregatedResources();
  call.on('error', () => undefined);
  closers.push(() => {
    call.cancel();
    client.close();
  });
  const received: Response[] = [];
  const waiters: ((response: Response) => void)[] = [];
  call.on(
    'data',
    (raw: {
      version_info: string;
      nonce: string;
      type_url: string;
      resources?: { value: Uint8Array }[];
    }) => {
      const response: Response = {
        ...raw,
        resources: (raw.resources ?? []).map((any) => decode(raw.type_url, any.value)),
      };
      const waiter = waiters.shift();
      if (waiter) waiter(response);
      else received.push(response);
    },
  );
  return {
    send: (request) => {
      call.write({ node: { id: 'test-node', cluster: 'test' }, ...request });
    },
    next: () =>
      new Promise((resolve, reject) => {
        const queued = received.shift();
        if (queued) {
          resolve(queued);
          return;
        }
        const timer = setTimeout(() => {
          reject(new Error('no response within 2 s'));
        }, 2000);
        waiters.push((response) => {
          clearTimeout(timer);
          resolve(response);
        });
      }),
    quietFor: async (ms) => {
      await new Promise((resolve) => setTimeout(resolve, ms));
      return received.length === 0;
    },
  };
}

function decode(typeUrl: string, value: Uint8Array): Response['resources'][number] {
  if (typeUrl === EDS) {
    const type = root.lookupType('envoy.config.endpoint.v3.ClusterLoadAssignment');
    const cla = type.toObject(type.decode(value)) as {
      cluster_name: string;
      endpoints?: {
        lb_endpoints?: { endpoint: { address: { socket_address: { address: string } } } }[];
      }[];
    };
    return {
      name: cla.cluster_name,
      addresses: (cla.endpoints ?? [])
        .flatMap((locality) => locality.lb_endpoints ?? [])
        .map((lb) => lb.endpoint.address.socket_address.address)
        .sort(),
    };
  }
  const type = root.lookupType('envoy.config.cluster.v3.Cluster');
  const cluster = type.toObject(type.decode(value), { enums: String }) as {
    name: string;
    type: string;
    eds_cluster_config?: { eds_config?: { ads?: object } };
  };
  return {
    name: cluster.name,
    type: cluster.type,
    ads: cluster.eds_cluster_config?.eds_config?.ads !== undefined,
  };
}

const serve = (store: SnapshotStore, cluster: string, ...addresses: string[]) =>
  store.apply([
    [`docker:${cluster}`, addresses.map((address) => anEndpoint({ cluster, address }))],
  ]);

describe('the gRPC xDS server, state of the world over ADS', () => {
  it('sends nothing before the first sync, then the subscribed assignment', async () => {
    const { store, connect } = await startServer(['docker']);
    const ads = connect();
    ads.send({ type_url: EDS, resource_names: ['web'] });
    serve(store, 'web', '10.0.0.1');
    expect(await ads.quietFor(200)).toBe(true);
    store.markSynced('docker');
    const first = await ads.next();
    expect(first.resources).toEqual([{ name: 'web', addresses: ['10.0.0.1'] }]);
  });

  it('is quiet after an ACK, pushes a change at once, and ignores a stale nonce', async () => {
    const { store, connect } = await startServer();
    serve(store, 'web', '10.0.0.1');
    const ads = connect();
    ads.send({ type_url: EDS, resource_names: ['web'] });
    const first = await ads.next();
    ads.send({
      type_url: EDS,
      resource_names: ['web'],
      version_info: first.version_info,
      response_nonce: first.nonce,
    });
    expect(await ads.quietFor(150)).toBe(true);

    serve(store, 'web', '10.0.0.1', '10.0.0.2');
    const pushed = await ads.next();
    expect(pushed.resources).toEqual([{ name: 'web', addresses: ['10.0.0.1', '10.0.0.2'] }]);
    expect(pushed.nonce).not.toBe(first.nonce);

    // A request answering the old response is stale, whatever it asks.
    ads.send({ type_url: EDS, resource_names: ['web', 'api'], response_nonce: first.nonce });
    expect(await ads.quietFor(150)).toBe(true);
    ads.send({
      type_url: EDS,
      resource_names: ['web', 'api'],
      version_info: pushed.version_info,
      response_nonce: pushed.nonce,
    });
    const both = await ads.next();
    expect(both.resources).toEqual([
      { name: 'api', addresses: [] }, // unknown: an empty assignment for that name
      { name: 'web', addresses: ['10.0.0.1', '10.0.0.2'] },
    ]);
  });

  it('logs a NACK once with the node id, counts it, and does not send that version again', async () => {
    const { store, server, logs, connect } = await startServer();
    serve(store, 'web', '10.0.0.1');
    const ads = connect();
    ads.send({ type_url: EDS, resource_names: ['web'] });
    const first = await ads.next();
    const nack = {
      type_url: EDS,
      resource_names: ['web'],
      response_nonce: first.nonce,
      error_detail: { code: 3, message: 'endpoint rejected' },
    };
    ads.send(nack);
    ads.send(nack);
    expect(await ads.quietFor(200)).toBe(true);
    const logged = logs.filter((log) => log.msg.includes('NACK'));
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({
      node: 'test-node',
      typeUrl: EDS,
      error: 'endpoint rejected',
      version: first.version_info,
    });
    expect(server.stats().nacks).toBe(1);

    serve(store, 'web', '10.0.0.3'); // a new version is sent
    expect((await ads.next()).resources).toEqual([{ name: 'web', addresses: ['10.0.0.3'] }]);
  });

  it('sends every cluster to a wildcard CDS subscription, and a new service as a new cluster', async () => {
    const { store, connect } = await startServer();
    serve(store, 'web', '10.0.0.1');
    const ads = connect();
    ads.send({ type_url: CDS, resource_names: [] });
    const first = await ads.next();
    expect(first.resources).toEqual([{ name: 'web', type: 'EDS', ads: true }]);
    ads.send({ type_url: CDS, version_info: first.version_info, response_nonce: first.nonce });
    serve(store, 'web', '10.0.0.1', '10.0.0.2'); // endpoints only: the clusters are unchanged
    expect(await ads.quietFor(150)).toBe(true);
    serve(store, 'api', '10.0.1.1');
    const grown = await ads.next();
    expect(grown.resources.map((cluster) => cluster.name)).toEqual(['api', 'web']);
  });

  it('pushes to each stream only the clusters it subscribed to, and stops after an unsubscribe', async () => {
    const { store, connect } = await startServer();
    serve(store, 'web', '10.0.0.1');
    serve(store, 'api', '10.0.1.1');
    const webOnly = connect();
    const apiOnly = connect();
    webOnly.send({ type_url: EDS, resource_names: ['web'] });
    apiOnly.send({ type_url: EDS, resource_names: ['api'] });
    const web = await webOnly.next();
    const api = await apiOnly.next();
    webOnly.send({
      type_url: EDS,
      resource_names: ['web'],
      version_info: web.version_info,
      response_nonce: web.nonce,
    });
    apiOnly.send({
      type_url: EDS,
      resource_names: ['api'],
      version_info: api.version_info,
      response_nonce: api.nonce,
    });

    serve(store, 'api', '10.0.1.2');
    expect((await apiOnly.next()).resources).toEqual([{ name: 'api', addresses: ['10.0.1.2'] }]);
    expect(await webOnly.quietFor(150)).toBe(true);

    webOnly.send({
      type_url: EDS,
      resource_names: [],
      version_info: web.version_info,
      response_nonce: web.nonce,
    });
    await webOnly.next(); // the (empty) new subscription
    serve(store, 'web', '10.0.0.9');
    expect(await webOnly.quietFor(150)).toBe(true);
  });
});
