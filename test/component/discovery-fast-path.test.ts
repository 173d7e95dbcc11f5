import { request } from 'node:http';
import { gzipSync } from 'node:zlib';

import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createSnapshotStore } from '../../src/snapshot-store.js';
import { createDiscoveryFastPath } from '../../src/transports/http/create-discovery-fast-path.js';
import { createHttpApp } from '../../src/transports/http/create-http-app.js';
import { type HttpServer, startHttpServer } from '../../src/transports/http/start-http-server.js';
import { ENVOY_NODE } from '../support/envoy-node.js';
import { anEndpoint } from '../support/records.js';

/** One POST, its body written as given: whole (with Content-Length), or in chunks. */
function post(
  port: number,
  path: string,
  body: Buffer,
  how: { chunked?: boolean; headers?: Record<string, string> } = {},
): Promise<{ status: number; type: string | undefined; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path,
        headers: {
          'content-type': 'application/json',
          ...(how.chunked ? {} : { 'content-length': String(body.length) }),
          ...how.headers,
        },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            type: res.headers['content-type'],
            text: Buffer.concat(chunks).toString(),
          });
        });
      },
    );
    req.on('error', reject);
    if (how.chunked) {
      req.write(body.subarray(0, 10));
      req.end(body.subarray(10));
    } else req.end(body);
  });
}

const poll = (names: unknown, version?: string) =>
  Buffer.from(
    JSON.stringify({
      ...(version ? { version_info: version } : {}),
      node: ENVOY_NODE,
      resource_names: names,
    }),
  );

// A plain poll (Content-Length, no Content-Encoding) is answered before express; a chunked or
// compressed one by express's route. Both must answer alike, byte for byte.
describe('the discovery fast path', () => {
  const store = createSnapshotStore();
  let server: HttpServer;
  beforeAll(async () => {
    store.apply([['docker:web', [anEndpoint({ address: '172.18.0.3' })]]]);
    server = await startHttpServer(
      createHttpApp({
        snapshot: () => store.current(),
        readiness: () => ({ notReadyReasons: [] }),
        logger: pino({ level: 'silent' }),
      }),
      '127.0.0.1',
      0,
    );
  });
  afterAll(() => server.close());

  it.each([
    ['a first poll', poll(['web'])],
    ['a poll of an unknown cluster', poll(['nobody'])],
    ['a poll with bad names', poll([7, ''])],
    ['a body that is not JSON', Buffer.from('{"version_info":')],
    ['an empty body', Buffer.alloc(0)],
  ])('answers %s the same on both paths', async (_case, body) => {
    const fast = await post(server.port, '/v3/discovery:endpoints', body);
    const express = await post(server.port, '/v3/discovery:endpoints', body, { chunked: true });
    expect(fast).toEqual(express);
    expect(fast.type).toBe('application/json; charset=utf-8');
  });

  it('answers an up-to-date poll 304 on both paths', async () => {
    const first = JSON.parse(
      (await post(server.port, '/v2/discovery:endpoints', poll(['web']))).text,
    ) as {
      version_info: string;
    };
    const body = poll(['web'], first.version_info);
    const fast = await post(server.port, '/v2/discovery:endpoints', body);
    const express = await post(server.port, '/v2/discovery:endpoints', body, { chunked: true });
    expect([fast.status, express.status]).toEqual([304, 304]);
    expect(fast).toEqual(express);
  });

  it('leaves a compressed body to express, which decodes it', async () => {
    const reply = await post(server.port, '/v3/discovery:endpoints', gzipSync(poll(['web'])), {
      headers: { 'content-encoding': 'gzip' },
    });
    expect(reply.status).toBe(200);
    expect(reply.text).toContain('"cluster_name":"web"');
  });

  it('leaves a body over the limit to express, which refuses it with 413', async () => {
    const reply = await post(
      server.port,
      '/v3/discovery:endpoints',
      Buffer.alloc(1024 * 1024 + 1, 32),
    );
    expect(reply.status).toBe(413);
  });

  it('leaves other methods and paths to express', async () => {
    const reply = await post(server.port, '/v3/discovery:endpoints?debug=1', poll(['web']));
    expect(reply.status).toBe(200); // express's route, which ignores the query
    const get = await new Promise<number>((resolve) => {
      request({ host: '127.0.0.1', port: server.port, path: '/v3/discovery:endpoints' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).end();
    });
    expect(get).toBe(405);
  });
});

describe('which requests take the fast path', () => {
  let server: HttpServer;
  const answered: string[] = [];
  beforeAll(async () => {
    const fast = createDiscoveryFastPath({
      answer: (api, body) => ({ kind: 'json', body: `{"api":"${api}","bytes":${body.length}}` }),
      limitBytes: 100,
      inTurn: undefined,
      onAnswered: (api, status) => answered.push(`${api} ${status}`),
    });
    // What the fast path leaves answers 418 here, so the test sees which way each went.
    server = await startHttpServer(
      (req, res) => {
        if (!fast(req, res)) res.writeHead(418).end();
      },
      '127.0.0.1',
      0,
    );
  });
  afterAll(() => server.close());

  it.each([
    ['a plain v3 poll', '/v3/discovery:endpoints', {}, 200],
    ['a plain v2 poll', '/v2/discovery:endpoints', {}, 200],
    ['a chunked body', '/v3/discovery:endpoints', { chunked: true }, 418],
    [
      'a compressed body',
      '/v3/discovery:endpoints',
      { headers: { 'content-encoding': 'br' } },
      418,
    ],
    ['a query string', '/v3/discovery:endpoints?x', {}, 418],
    ['another path', '/v3/discovery:clusters', {}, 418],
  ] as const)('%s → %s', async (_case, path, how, status) => {
    expect((await post(server.port, path, Buffer.from('{"node":{}}'), how)).status).toBe(status);
  });

  it('leaves a body over its limit, and reports each answer with its status', async () => {
    expect((await post(server.port, '/v3/discovery:endpoints', Buffer.alloc(101, 32))).status).toBe(
      418,
    );
    answered.length = 0;
    await post(server.port, '/v3/discovery:endpoints', Buffer.from('{}'));
    expect(answered).toEqual(['v3 200']);
  });
});
