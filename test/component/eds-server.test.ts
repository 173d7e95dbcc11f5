import { Writable } from 'node:stream';

import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { createSnapshotStore } from '../../src/snapshot-store.js';
import { createHttpApp } from '../../src/transports/http/create-http-app.js';
import { type HttpServer, startHttpServer } from '../../src/transports/http/start-http-server.js';
import { endpointsOf, pollEds, send } from '../support/envoy-rest-client.js';
import { anEndpoint } from '../support/records.js';

const V3_TYPE = 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment';
const V2_TYPE = 'type.googleapis.com/envoy.api.v2.ClusterLoadAssignment';

describe('the EDS server, polled as Envoy polls it', () => {
  const store = createSnapshotStore();
  let notReadyReasons: string[] = ['first sync with Docker not done yet'];
  let server: HttpServer;

  beforeAll(async () => {
    const app = createHttpApp({
      snapshot: () => store.current(),
      readiness: () => ({ notReadyReasons }),
      logger: pino({ level: 'silent' }),
    });
    server = await startHttpServer(app, '127.0.0.1', 0);
    store.apply([
      ['docker:web-1', [anEndpoint({ address: '172.18.0.3', hostname: 'web-1' })]],
      ['docker:web-2', [anEndpoint({ address: '172.18.0.4', hostname: 'web-2' })]],
      ['docker:api-1', [anEndpoint({ cluster: 'api', address: '172.18.0.9', port: 9000 })]],
    ]);
  });
  afterAll(() => server.close());

  it('answers the first poll (no version) with exactly one ClusterLoadAssignment for the asked cluster', async () => {
    const reply = await pollEds(server.port, 'web');
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toMatch(/^application\/json/);
    expect(reply.json?.type_url).toBe(V3_TYPE);
    expect(reply.json?.resources).toHaveLength(1);
    expect(reply.json?.resources[0]?.['@type']).toBe(V3_TYPE);
    expect(reply.json?.resources[0]?.cluster_name).toBe('web');
    expect(endpointsOf(reply)).toEqual(['172.18.0.3:8080 HEALTHY', '172.18.0.4:8080 HEALTHY']);
  });

  it('answers 304 with no body when Envoy already has the current version', async () => {
    const first = await pollEds(server.port, 'web');
    const again = await pollEds(server.port, 'web', first.json?.version_info);
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
  });

  it('answers 200 with a new version once the cluster changes, and 304 again after that', async () => {
    const before = await pollEds(server.port, 'web');
    store.apply([['docker:web-3', [anEndpoint({ address: '172.18.0.5', hostname: 'web-3' })]]]);
    const after = await pollEds(server.port, 'web', before.json?.version_info);
    expect(after.status).toBe(200);
    expect(after.json?.version_info).not.toBe(before.json?.version_info);
    expect(endpointsOf(after)).toContain('172.18.0.5:8080 HEALTHY');
    expect((await pollEds(server.port, 'web', after.json?.version_info)).status).toBe(304);
    store.apply([['docker:web-3', []]]);
  });

  it("keeps a cluster's version when another cluster changes", async () => {
    const web = await pollEds(server.port, 'web');
    store.apply([
      ['docker:api-2', [anEndpoint({ cluster: 'api', address: '172.18.0.10', port: 9000 })]],
    ]);
    expect((await pollEds(server.port, 'web', web.json?.version_info)).status).toBe(304);
    store.apply([['docker:api-2', []]]);
  });

  it('answers an unknown cluster with an assignment that has its name and no endpoints', async () => {
    const reply = await pollEds(server.port, 'nothing-here');
    expect(reply.status).toBe(200);
    expect(reply.json?.resources).toEqual([
      { '@type': V3_TYPE, cluster_name: 'nothing-here', endpoints: [] },
    ]);
    expect((await pollEds(server.port, 'nothing-here', reply.json?.version_info)).status).toBe(304);
  });

  it('never answers 304 to a poll without version_info', async () => {
    for (let i = 0; i < 3; i++) expect((await pollEds(server.port, 'web')).status).toBe(200);
  });

  it('does not 304 a version that belongs to another cluster', async () => {
    const api = await pollEds(server.port, 'api');
    expect((await pollEds(server.port, 'web', api.json?.version_info)).status).toBe(200);
  });

  it('serves the v2 path for Envoy ≤ 1.17 with the v2 type', async () => {
    const reply = await pollEds(server.port, 'web', undefined, { api: 'v2' });
    expect(reply.status).toBe(200);
    expect(reply.json?.type_url).toBe(V2_TYPE);
    expect(reply.json?.resources.map((r) => r['@type'])).toEqual([V2_TYPE]);
    expect(
      (await pollEds(server.port, 'web', reply.json?.version_info, { api: 'v2' })).status,
    ).toBe(304);
  });

  it('accepts lowerCamel keys, as proto3 JSON allows', async () => {
    const first = await pollEds(server.port, 'web');
    const reply = await send(server.port, {
      method: 'POST',
      path: '/v3/discovery:endpoints',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        versionInfo: first.json?.version_info,
        resourceNames: ['web'],
        typeUrl: V3_TYPE,
      }),
    });
    expect(reply.status).toBe(304);
  });

  it('answers every asked name, and every cluster for a wildcard (empty) request', async () => {
    const post = (body: object) =>
      send(server.port, {
        method: 'POST',
        path: '/v3/discovery:endpoints',
        body: JSON.stringify(body),
      });
    const two = await post({ resource_names: ['web', 'api'] });
    expect(two.json?.resources.map((r) => r.cluster_name)).toEqual(['web', 'api']);
    const all = await post({});
    expect(all.json?.resources.map((r) => r.cluster_name)).toEqual(['api', 'web']);
    expect((await post({ version_info: all.json?.version_info })).status).toBe(304);
  });

  it('reports health and readiness', async () => {
    expect((await send(server.port, { method: 'GET', path: '/healthz' })).status).toBe(200);
    const notReady = await send(server.port, { method: 'GET', path: '/readyz' });
    expect(notReady.status).toBe(503);
    expect(JSON.parse(notReady.text)).toEqual({
      status: 'not ready',
      reasons: ['first sync with Docker not done yet'],
    });
    notReadyReasons = [];
    expect((await send(server.port, { method: 'GET', path: '/readyz' })).status).toBe(200);
  });
});

describe('the EDS server, given bad input', () => {
  let server: HttpServer;
  /** What the server logged above debug: a client's mistake is not the server's error. */
  const logged: string[] = [];
  beforeAll(async () => {
    const store = createSnapshotStore();
    const app = createHttpApp({
      snapshot: () => store.current(),
      readiness: () => ({ notReadyReasons: [] }),
      logger: pino(
        { level: 'info' },
        new Writable({
          write(chunk: Buffer, _encoding, done) {
            logged.push(chunk.toString('utf8'));
            done();
          },
        }),
      ),
    });
    server = await startHttpServer(app, '127.0.0.1', 0);
  });
  afterAll(() => server.close());
  afterEach(() => {
    expect(logged.splice(0)).toEqual([]);
  });

  const post = (
    body: string | Buffer,
    headers: Record<string, string> = { 'content-type': 'application/json' },
  ) => send(server.port, { method: 'POST', path: '/v3/discovery:endpoints', headers, body });

  it.each([
    ['a body that is not JSON', '{"resource_names": [', /^body: not JSON/],
    ['an empty body', '', /^body: empty; expected a DiscoveryRequest JSON object$/],
    ['a JSON array', '["web"]', /^body: expected a DiscoveryRequest JSON object, got an array$/],
    ['a JSON string', '"web"', /^body: expected a DiscoveryRequest JSON object, got "web"$/],
    [
      'resource_names that is a string',
      '{"resource_names":"web"}',
      /^resource_names: expected an array of cluster names, got "web"$/,
    ],
    [
      'a resource name that is a number',
      '{"resource_names":["web",7]}',
      /^resource_names\[1\]: expected a non-empty cluster name, got number 7$/,
    ],
    [
      'an empty resource name',
      '{"resource_names":[""]}',
      /^resource_names\[0\]: expected a non-empty cluster name, got ""$/,
    ],
    [
      'a numeric version_info',
      '{"version_info":5,"resource_names":["web"]}',
      /^version_info: expected a string, got number 5$/,
    ],
    [
      'a node that is not an object',
      '{"node":"envoy","resource_names":["web"]}',
      /^node: expected an object, got "envoy"$/,
    ],
    [
      'the type of another resource',
      '{"resource_names":["web"],"type_url":"type.googleapis.com/envoy.config.cluster.v3.Cluster"}',
      /^type_url: this path serves type.googleapis.com\/envoy.config.endpoint.v3.ClusterLoadAssignment/,
    ],
  ])('answers 400 with a message to %s', async (_case, body, message) => {
    const reply = await post(body);
    expect(reply.status).toBe(400);
    const error = JSON.parse(reply.text) as { error: string; problems: string[] };
    expect(error.problems[0]).toMatch(message);
  });

  it('reports every problem of one request together', async () => {
    const reply = await post('{"version_info":1,"resource_names":[2]}');
    expect((JSON.parse(reply.text) as { problems: string[] }).problems).toHaveLength(2);
  });

  it('answers 413 to a body over 1 MiB', async () => {
    const big = JSON.stringify({ resource_names: ['web'], node: { id: 'x'.repeat(1024 * 1024) } });
    const reply = await post(big);
    expect(reply.status).toBe(413);
    expect(reply.text).toMatch(/over the 1048576-byte limit/);
  });

  it('accepts a body of just under 1 MiB', async () => {
    const padding = 'x'.repeat(1024 * 1024 - 100);
    const reply = await post(
      JSON.stringify({ resource_names: ['web'], node: { id: padding } }).slice(0, 1024 * 1024),
    );
    expect([200, 400]).toContain(reply.status);
  });

  it('answers 415 to a body in an encoding it cannot read', async () => {
    const reply = await post('{}', {
      'content-type': 'application/json',
      'content-encoding': 'zstd-unknown',
    });
    expect(reply.status).toBe(415);
  });

  it.each(['gzip', 'deflate', 'br'])(
    'answers 400 to a body that is not the %s its Content-Encoding says',
    async (encoding) => {
      const reply = await post('garbage', {
        'content-type': 'application/json',
        'content-encoding': encoding,
      });
      expect(reply.status).toBe(400);
      expect((JSON.parse(reply.text) as { error: string }).error).toMatch(
        /^body: cannot be decoded \(/,
      );
    },
  );

  it('refuses more than 100 names in one request, so a small request cannot cost a large answer', async () => {
    const names = (n: number) => Array.from({ length: n }, (_, i) => String(i));
    const many = await post(JSON.stringify({ resource_names: names(115_908) }));
    expect(many.status).toBe(400);
    expect(JSON.parse(many.text)).toEqual({
      error: 'resource_names: at most 100 cluster names per request, got 115908',
      problems: ['resource_names: at most 100 cluster names per request, got 115908'],
    });
    const hundred = await post(JSON.stringify({ resource_names: names(100) }));
    expect(hundred.status).toBe(200);
    expect(hundred.json?.resources).toHaveLength(100);
  });

  it('lists at most 20 problems, and counts the rest', async () => {
    const reply = await post(
      JSON.stringify({ resource_names: Array.from({ length: 100 }, () => 7) }),
    );
    expect(reply.status).toBe(400);
    const { problems } = JSON.parse(reply.text) as { problems: string[] };
    expect(problems).toHaveLength(21);
    expect(problems[20]).toBe('… and 80 more problem(s)');
  });

  it('answers 404 to an unknown path', async () => {
    const reply = await send(server.port, {
      method: 'POST',
      path: '/v3/discovery:clusters',
      body: '{}',
    });
    expect(reply.status).toBe(404);
    expect(JSON.parse(reply.text)).toEqual({ error: 'no such path: /v3/discovery:clusters' });
  });

  it.each([
    ['GET', '/v3/discovery:endpoints', 'POST'],
    ['PUT', '/v2/discovery:endpoints', 'POST'],
    ['DELETE', '/healthz', 'GET, HEAD'],
    ['POST', '/readyz', 'GET, HEAD'],
  ])('answers 405 with Allow to %s %s', async (method, path, allow) => {
    const reply = await send(server.port, { method, path, body: '{}', ownConnection: true });
    expect(reply.status).toBe(405);
    expect(reply.headers.allow).toBe(allow);
  });

  it('keeps serving after every kind of bad request (no crash, no 500)', async () => {
    const statuses = await Promise.all([
      post('{'),
      post(Buffer.from([0xff, 0xfe, 0x00, 0x7b])),
      post('{"resource_names":null}'),
      post('null'),
      send(server.port, {
        method: 'POST',
        path: '/v3/discovery:endpoints',
        headers: { 'content-type': 'text/plain' },
        body: '{"resource_names":["web"]}',
      }),
    ]);
    expect(statuses.map((reply) => reply.status)).toEqual([400, 400, 200, 400, 200]);
    expect((await pollEds(server.port, 'web')).status).toBe(200);
  });
});
