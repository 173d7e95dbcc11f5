import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';

import { Duration } from '../../src/core/duration.js';
import { createSnapshotStore } from '../../src/snapshot-store.js';
import { startGrpcServer } from '../../src/transports/grpc/start-grpc-server.js';
import { eventually } from '../support/eventually.js';
import { resetStreamsUntilClosed } from '../support/fuzz-target.js';
import { anEndpoint } from '../support/records.js';
import { makeTestPki } from '../support/test-certificates.js';
import { lacks } from '../support/test-tools.js';
import {
  CDS,
  closeAll,
  EDS,
  type Response,
  serve,
  startServer,
} from '../support/xds-test-client.js';

afterEach(closeAll);

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
    expect(first.resources).toEqual([
      { name: 'web', type: 'EDS', ads: true, lbPolicy: 'ROUND_ROBIN', connectTimeoutMs: 1000 },
    ]);
    ads.send({ type_url: CDS, version_info: first.version_info, response_nonce: first.nonce });
    serve(store, 'web', '10.0.0.1', '10.0.0.2'); // endpoints only: the clusters are unchanged
    expect(await ads.quietFor(150)).toBe(true);
    serve(store, 'api', '10.0.1.1');
    const grown = await ads.next();
    expect(grown.resources.map((cluster) => cluster.name)).toEqual(['api', 'web']);
  });

  it('sends every assignment to a wildcard endpoints subscription', async () => {
    const { store, connect } = await startServer();
    serve(store, 'web', '10.0.0.1');
    serve(store, 'api', '10.0.1.1');
    const ads = connect();
    ads.send({ type_url: EDS });
    expect((await ads.next()).resources.map((assignment) => assignment.name)).toEqual([
      'api',
      'web',
    ]);
  });

  it('sends an assignment again, unchanged, when the client re-subscribes after a cluster update', async () => {
    // Envoy warms an updated cluster until it gets its assignment, even an unchanged one.
    const { store, connect } = await startServer();
    serve(store, 'web', '10.0.0.1');
    const ads = connect();
    ads.send({ type_url: CDS });
    const clusters = await ads.next();
    ads.send({
      type_url: CDS,
      version_info: clusters.version_info,
      response_nonce: clusters.nonce,
    });
    ads.send({ type_url: EDS, resource_names: ['web'] });
    const web = await ads.next();
    ads.send({
      type_url: EDS,
      resource_names: ['web'],
      version_info: web.version_info,
      response_nonce: web.nonce,
    });
    expect(await ads.quietFor(150)).toBe(true);

    serve(store, 'api', '10.0.1.1'); // the clusters change
    const updated = await ads.next();
    expect(updated.type_url).toBe(CDS);
    ads.send({ type_url: CDS, version_info: updated.version_info, response_nonce: updated.nonce });
    ads.send({
      type_url: EDS,
      resource_names: ['web'],
      version_info: web.version_info,
      response_nonce: web.nonce,
    });
    const again = await ads.next();
    expect(again.type_url).toBe(EDS);
    expect(again.resources).toEqual([{ name: 'web', addresses: ['10.0.0.1'] }]);
  });

  it('sends the options containers set by label, and a cluster again when they change', async () => {
    const { store, connect } = await startServer();
    const tuned = (address: string, lbPolicy: 'LEAST_REQUEST' | 'MAGLEV') =>
      anEndpoint({
        address,
        serviceOptions: { lb_policy: lbPolicy, connect_timeout: Duration.ofMs(250) },
      });
    store.apply([['docker:a', [tuned('10.0.0.1', 'LEAST_REQUEST')]]]);
    const ads = connect();
    ads.send({ type_url: CDS });
    const first = await ads.next();
    expect(first.resources).toEqual([
      { name: 'web', type: 'EDS', ads: true, lbPolicy: 'LEAST_REQUEST', connectTimeoutMs: 250 },
    ]);
    ads.send({ type_url: CDS, version_info: first.version_info, response_nonce: first.nonce });
    store.apply([['docker:a', [tuned('10.0.0.1', 'MAGLEV')]]]);
    expect((await ads.next()).resources[0]?.lbPolicy).toBe('MAGLEV');
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

describe('the gRPC xDS server, incremental (delta) over ADS', () => {
  it('sends every cluster to a wildcard subscription, then only what was added or removed', async () => {
    const { store, connectDelta } = await startServer();
    serve(store, 'web', '10.0.0.1');
    const ads = connectDelta();
    ads.send({ type_url: CDS });
    const first = await ads.next();
    expect(first.resources.map((cluster) => cluster.name)).toEqual(['web']);
    ads.send({ type_url: CDS, response_nonce: first.nonce });
    serve(store, 'api', '10.0.1.1');
    const added = await ads.next();
    expect(added.resources.map((cluster) => cluster.name)).toEqual(['api']);
    expect(added.removed_resources ?? []).toEqual([]);
    ads.send({ type_url: CDS, response_nonce: added.nonce });
    serve(store, 'web');
    const removed = await ads.next();
    expect(removed.resources).toEqual([]);
    expect(removed.removed_resources).toEqual(['web']);
  });

  it('follows subscribe and unsubscribe, sending each assignment only to who asked for it', async () => {
    const { store, server, connectDelta } = await startServer();
    serve(store, 'web', '10.0.0.1');
    serve(store, 'api', '10.0.1.1');
    const ads = connectDelta();
    ads.send({ type_url: EDS, resource_names_subscribe: ['web'] });
    const web = await ads.next();
    expect(web.resources).toEqual([{ name: 'web', addresses: ['10.0.0.1'] }]);
    ads.send({ type_url: EDS, resource_names_subscribe: ['api'], response_nonce: web.nonce });
    const api = await ads.next();
    expect(api.resources).toEqual([{ name: 'api', addresses: ['10.0.1.1'] }]); // web not again
    ads.send({ type_url: EDS, resource_names_unsubscribe: ['web'], response_nonce: api.nonce });
    await eventually(
      'the stream is subscribed to api alone',
      () => server.streamStatus()[0]?.types.find((type) => type.type === 'ClusterLoadAssignment'),
      (type) => type?.names.join() === 'api',
    );
    serve(store, 'web', '10.0.0.2');
    serve(store, 'api', '10.0.1.2');
    // The next response is api's: web's change, which came first, was not sent.
    expect((await ads.next()).resources).toEqual([{ name: 'api', addresses: ['10.0.1.2'] }]);
  });

  it('on reconnect, sends only what differs from initial_resource_versions, and removes what is gone', async () => {
    const { store, connectDelta } = await startServer();
    serve(store, 'web', '10.0.0.1');
    serve(store, 'api', '10.0.1.1');
    const before = connectDelta();
    before.send({ type_url: CDS });
    const clusters = await before.next();
    expect(clusters.resources.map((cluster) => cluster.name)).toEqual(['api', 'web']);
    const versions = new Map(
      clusters.raw?.map((resource) => [resource.name, resource.version] as const) ?? [],
    );

    serve(store, 'api'); // api goes away while the client is disconnected
    const after = connectDelta();
    after.send({ type_url: CDS, initial_resource_versions: Object.fromEntries(versions) });
    const resumed = await after.next();
    expect(resumed.resources).toEqual([]); // web is unchanged: not sent again
    expect(resumed.removed_resources).toEqual(['api']);

    const stale = connectDelta();
    stale.send({ type_url: CDS, initial_resource_versions: { web: 'an-old-version' } });
    expect((await stale.next()).resources.map((cluster) => cluster.name)).toEqual(['web']);
  });
});

describe('the gRPC xDS server, limits', () => {
  it('refuses a stream beyond its maximum with RESOURCE_EXHAUSTED, and serves the others', async () => {
    const { store, connect } = await startServer([], { maxStreams: 1 });
    serve(store, 'web', '10.0.0.1');
    const first = connect();
    first.send({ type_url: EDS, resource_names: ['web'] });
    expect((await first.next()).resources).toEqual([{ name: 'web', addresses: ['10.0.0.1'] }]);
    const second = connect();
    second.send({ type_url: EDS, resource_names: ['web'] });
    await eventually(
      'the second stream ends',
      () => second.status(),
      (s) => s !== undefined,
    );
    expect(second.status()?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
  });

  // The attack: connections from one address were not bounded (only streams), so a flood of
  // idle ones, each an HTTP/2 session with its buffers, took what it liked.
  it('lets one client address hold only so many connections, and warns once', async () => {
    const { store, server, logs, connect } = await startServer(
      [],
      { maxConnectionsPerPeer: 2 },
      '::',
    );
    serve(store, 'web', '10.0.0.1');
    const raw = () => {
      const socket = createConnection({ host: '127.0.0.1', port: server.port });
      socket.on('error', () => undefined);
      return socket;
    };
    const held = [raw(), raw()];
    await Promise.all(held.map((socket) => once(socket, 'connect')));
    await eventually(
      'both connections are counted',
      () => held.every((socket) => !socket.destroyed),
      (open) => open,
    );
    for (let i = 0; i < 3; i++) {
      const refused = raw();
      await once(refused, 'close');
    }
    expect(logs.filter((line) => line.msg.startsWith('refused a gRPC connection'))).toHaveLength(1);
    // Another address gets in; and a connection closed gives its place back.
    const other = connect({ host: '::1', ownConnection: true });
    other.send({ type_url: EDS, resource_names: ['web'] });
    expect((await other.next()).resources).toEqual([{ name: 'web', addresses: ['10.0.0.1'] }]);
    held[0]?.destroy();
    const back = await eventually(
      'a place for a new connection of this address',
      async () => {
        const stream = connect({ ownConnection: true });
        stream.send({ type_url: EDS, resource_names: ['web'] });
        return (await Promise.race([
          stream.next().then(() => 'served'),
          new Promise((resolve) => setTimeout(resolve, 500, 'not yet')),
        ])) as string;
      },
      (seen) => seen === 'served',
    );
    expect(back).toBe('served');
    held[1]?.destroy();
  });

  // The attack: HTTP/2 rapid reset, a client opening and cancelling streams thousands a second,
  // each costing a handler: 20,000 from four clients held the others up 600-900 ms.
  it('cuts off an address that resets streams by the hundred, and no one else', async () => {
    const { store, server, logs, connect } = await startServer([], {}, '::');
    serve(store, 'web', '10.0.0.1');
    expect(await resetStreamsUntilClosed(server.port, ADS_PATH)).toBeLessThan(5000);
    expect(logs.filter((line) => line.msg.startsWith('cut off 127.0.0.1'))).toHaveLength(1);
    // Another address is served as ever.
    const other = connect({ host: '::1', ownConnection: true });
    other.send({ type_url: EDS, resource_names: ['web'] });
    expect((await other.next()).resources).toEqual([{ name: 'web', addresses: ['10.0.0.1'] }]);
  });

  it('refuses a request over 1 MiB before decoding it', async () => {
    const { connect } = await startServer([], { maxNames: 1_000_000 });
    const stream = connect();
    stream.send({
      type_url: EDS,
      resource_names: Array.from({ length: 120_000 }, (_, i) => `name-${i}`),
    });
    await eventually(
      'the stream ends',
      () => stream.status(),
      (status) => status !== undefined,
    );
    expect(stream.status()?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
  });

  it('lets no client take every stream: each connection and each address gets a share', async () => {
    const { store, connect } = await startServer(
      [],
      { maxStreams: 10, maxStreamsPerPeer: 3, maxStreamsPerConnection: 2 },
      '::',
    );
    serve(store, 'web', '10.0.0.1');
    /** `served`, or how the stream was refused. */
    const outcome = async (stream: ReturnType<typeof connect>) => {
      stream.send({ type_url: EDS, resource_names: ['web'] });
      return eventually(
        'the stream is answered or ended',
        () => {
          const status = stream.status();
          if (status) return `${grpc.status[status.code]}: ${status.details}`;
          return stream.drained().length > 0 ? 'served' : undefined;
        },
        (seen) => seen !== undefined,
      );
    };
    // Clients to one host share one connection, unless they ask for their own. HTTP/2 says
    // how many streams a connection may have open: the third waits for one to end.
    const first = connect();
    expect(await outcome(first)).toBe('served');
    expect(await outcome(connect())).toBe('served');
    const third = connect();
    third.send({ type_url: EDS, resource_names: ['web'] });
    expect(await third.quietFor(300)).toBe(true);
    expect(third.status()).toBeUndefined();
    first.cancel();
    await third.next();
    // A third from this address, on a connection of its own, is all the address may have open;
    // one more connection is no way around that, and the refusal names the limit.
    expect(await outcome(connect({ ownConnection: true }))).toBe('served');
    expect(await outcome(connect({ ownConnection: true }))).toBe(
      'RESOURCE_EXHAUSTED: eds-agent serves at most 3 streams per client address (127.0.0.1)',
    );
    // Another client address still gets in.
    expect(await outcome(connect({ host: '::1', ownConnection: true }))).toBe('served');
    // A stream that ends gives its place back to its address.
    third.cancel();
    expect(
      await eventually(
        'a place for another connection of this address',
        () => outcome(connect({ ownConnection: true })),
        (seen) => seen === 'served',
      ),
    ).toBe('served');
  });

  it('refuses a request for more names than its maximum with INVALID_ARGUMENT, costing the others nothing', async () => {
    const { store, connect, connectDelta } = await startServer();
    serve(store, 'web', '10.0.0.1');
    const names = Array.from({ length: 10_001 }, (_, i) => `unknown-${i}`);
    const sotw = connect();
    sotw.send({ type_url: EDS, resource_names: names });
    const delta = connectDelta();
    delta.send({ type_url: EDS, resource_names_subscribe: names });
    for (const [stream, field] of [
      [sotw, 'resource_names'],
      [delta, 'resource_names_subscribe'],
    ] as const) {
      await eventually(
        'the stream ends',
        () => stream.status(),
        (status) => status !== undefined,
      );
      expect(stream.status()).toMatchObject({
        code: grpc.status.INVALID_ARGUMENT,
        details: `${field}: at most 10000 resource names per request, got 10001`,
      });
      expect(stream.drained()).toEqual([]);
    }
    const wellBehaved = connect();
    wellBehaved.send({ type_url: EDS, resource_names: ['web'] });
    expect((await wellBehaved.next()).resources).toEqual([
      { name: 'web', addresses: ['10.0.0.1'] },
    ]);
  });

  it.each([
    ['a field of wire type 7', [0x0f]],
    ['a varint cut short', [0x08, 0xff]],
    ['a message field longer than what follows', [0x12, 0x05, 0x0a]],
  ])(
    'answers a message that does not decode (%s) with INVALID_ARGUMENT, not INTERNAL',
    async (_what, bytes) => {
      const { server } = await startServer();
      const status = await sendRawBytes(server.port, Buffer.from(bytes));
      expect(status.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(status.details).toMatch(/^cannot decode the request: /);
    },
  );

  it('keeps and logs at most 256 characters of a node id and 1,024 of a NACK message', async () => {
    const { store, server, logs, connect } = await startServer();
    serve(store, 'web', '10.0.0.1');
    const ads = connect();
    const node = { id: 'n'.repeat(100_000) };
    ads.send({ node, type_url: EDS, resource_names: ['web'] });
    const first = await ads.next();
    ads.send({
      node,
      type_url: EDS,
      resource_names: ['web'],
      response_nonce: first.nonce,
      error_detail: { code: 3, message: 'm'.repeat(100_000) },
    });
    await eventually(
      'the NACK is recorded',
      () => server.streamStatus()[0]?.types[0]?.lastNack,
      (nack) => nack !== undefined,
    );
    const [stream] = server.streamStatus();
    expect(stream?.node).toBe('n'.repeat(256));
    expect(stream?.types[0]?.lastNack?.message).toBe('m'.repeat(1024));
    const logged = logs.find((log) => log.msg.includes('NACK'));
    expect(logged?.node).toBe('n'.repeat(256));
    // A 4 MiB message in one log line would push every other line out of a log sink.
    expect(logged?.error).toBe('m'.repeat(1024));
  });

  it('ends its streams with UNAVAILABLE when it stops, which clients retry', async () => {
    const { store, server, connect } = await startServer();
    serve(store, 'web', '10.0.0.1');
    const ads = connect();
    ads.send({ type_url: EDS, resource_names: ['web'] });
    await ads.next();
    await server.close();
    await eventually(
      'the stream ends',
      () => ads.status(),
      (s) => s !== undefined,
    );
    expect(ads.status()?.code).toBe(grpc.status.UNAVAILABLE);
  });
});

describe('the gRPC xDS server, one type per service', () => {
  it('serves endpoints on EndpointDiscoveryService and clusters on ClusterDiscoveryService', async () => {
    const { store, connectTo } = await startServer();
    serve(store, 'web', '10.0.0.1');
    const eds = connectTo('eds');
    eds.send({ resource_names_subscribe: ['web'] }); // no type_url: the service's own type
    expect((await eds.next()).resources).toEqual([{ name: 'web', addresses: ['10.0.0.1'] }]);
    const cds = connectTo('cds');
    cds.send({});
    const clusters = await cds.next();
    expect(clusters.type_url).toBe(CDS);
    expect(clusters.resources).toEqual([
      { name: 'web', type: 'EDS', ads: true, lbPolicy: 'ROUND_ROBIN', connectTimeoutMs: 1000 },
    ]);
    // Each serves its own type only.
    cds.send({ type_url: EDS, resource_names: ['web'] });
    expect(await cds.quietFor(150)).toBe(true);
  });

  it('never lets a client that stops reading delay the others, and keeps only its latest state', async () => {
    const { store, connect } = await startServer();
    // About 150 KB per assignment, so a client that does not read fills its buffers quickly.
    const big = (generation: number) =>
      Array.from({ length: 1500 }, (_, i) =>
        anEndpoint({ address: `10.${generation % 200}.${Math.floor(i / 250)}.${(i % 250) + 1}` }),
      );
    store.apply([['docker:big', big(0)]]);
    const stuck = connect();
    const healthy = connect();
    stuck.send({ type_url: EDS, resource_names: ['web'] });
    healthy.send({ type_url: EDS, resource_names: ['web'] });
    await stuck.next();
    await healthy.next();
    stuck.pause();

    const changes = 100;
    for (let generation = 1; generation <= changes; generation++) {
      store.apply([['docker:big', big(generation)]]);
      const started = Date.now();
      const pushed = await healthy.next();
      expect(pushed.resources[0]?.addresses?.[0]).toMatch(new RegExp(`^10\\.${generation}\\.`));
      expect(Date.now() - started).toBeLessThan(1000);
    }
    stuck.resume();
    const received: Response[] = [];
    const caughtUp = await eventually(
      'the stuck client catches up',
      () => {
        received.push(...stuck.drained());
        return received;
      },
      (responses) =>
        responses.at(-1)?.resources[0]?.addresses?.[0]?.startsWith(`10.${changes}.`) ?? false,
    );
    // What fits in the socket and HTTP/2 buffers arrives; the states after that were not queued.
    expect(caughtUp.length).toBeLessThan(changes * 0.6);
  }, 60_000);
});

/** Opens an ADS stream, sends `bytes` as its one message (whatever they are), and waits for its end. */
async function sendRawBytes(port: number, bytes: Buffer): Promise<grpc.StatusObject> {
  const Raw = grpc.makeGenericClientConstructor(
    {
      call: {
        path: '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources',
        requestStream: true,
        responseStream: true,
        requestSerialize: (value: Buffer) => value,
        requestDeserialize: (value: Buffer) => value,
        responseSerialize: (value: Buffer) => value,
        responseDeserialize: (value: Buffer) => value,
      },
    },
    'Raw',
  );
  const client = new Raw(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  try {
    const call = (
      client as unknown as { call: () => grpc.ClientDuplexStream<Buffer, Buffer> }
    ).call();
    call.on('error', () => undefined);
    const ended = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
    call.write(bytes);
    return await ended;
  } finally {
    client.close();
  }
}

const ADS_PATH = '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources';

describe.skipIf(lacks('openssl'))('the gRPC xDS server over TLS', () => {
  it('does not start on TLS files it cannot use, and says which', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eds-agent-grpc-tls-'));
    const pki = makeTestPki(dir, 'a');
    const other = makeTestPki(dir, 'b');
    const start = (tls: { cert: string; key: string; clientCa: string | undefined }) =>
      startGrpcServer({
        store: createSnapshotStore(),
        logger: pino({ level: 'silent' }),
        bind: '127.0.0.1',
        port: 0,
        tls,
      });
    const missing = await start({
      cert: join(dir, 'none.pem'),
      key: pki.server.key,
      clientCa: undefined,
    });
    expect(missing).toMatchObject({
      ok: false,
      problems: [expect.stringMatching(/^--grpc-tls-cert: cannot read .*none\.pem/)],
    });
    const mismatched = await start({
      cert: pki.server.cert,
      key: other.server.key,
      clientCa: undefined,
    });
    expect(mismatched).toMatchObject({
      ok: false,
      problems: [expect.stringContaining('are not a certificate and its key')],
    });
    const good = await start({
      cert: pki.server.cert,
      key: pki.server.key,
      clientCa: pki.server.ca,
    });
    expect(good.ok).toBe(true);
    if (good.ok) await good.value.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
