import { Writable } from 'node:stream';

import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';

import { createSnapshotStore } from '../../src/snapshot-store.js';
import { createHttpApp } from '../../src/transports/http/create-http-app.js';
import { createRestPollers } from '../../src/transports/http/create-rest-pollers.js';
import { type HttpServer, startHttpServer } from '../../src/transports/http/start-http-server.js';
import { send } from '../support/envoy-rest-client.js';
import { closeAll, EDS, startServer } from '../support/xds-test-client.js';

// What stays of a client's oversized input once it has been answered: the agent keeps a short
// record of every client for /status, and those records must not keep the input itself.
// Measured as heap used after a full garbage collection (vitest runs with --expose-gc).

const MB = 1024 * 1024;
const { gc } = globalThis as { gc?: () => void };

/** The heap used now, after a full collection. */
function heapAfterGc(): number {
  if (!gc) throw new Error('run with --expose-gc (vitest.config.ts passes it)');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

const servers: HttpServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
  await closeAll();
});

describe('what the agent keeps of its clients', () => {
  it('keeps 256 characters of each of 100 REST pollers with 1 MB node ids, not their megabytes', async () => {
    const store = createSnapshotStore();
    const restPollers = createRestPollers();
    const app = createHttpApp({
      snapshot: () => store.current(),
      readiness: () => ({ notReadyReasons: [] }),
      logger: pino(
        { level: 'silent' },
        new Writable({
          write: (_c, _e, done) => {
            done();
          },
        }),
      ),
      restPollers,
    });
    const server = await startHttpServer(app, '127.0.0.1', 0);
    servers.push(server);
    const before = heapAfterGc();
    for (let i = 0; i < 100; i++) {
      const reply = await send(server.port, {
        method: 'POST',
        path: '/v3/discovery:endpoints',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          node: { id: `envoy-${i}-${'x'.repeat(MB - 100)}` },
          resource_names: ['web'],
        }),
      });
      expect(reply.status).toBe(200);
    }
    expect(restPollers.list()).toHaveLength(100);
    expect(restPollers.list()[0]?.node).toHaveLength(256);
    expect((heapAfterGc() - before) / MB).toBeLessThan(20); // 100 MB when records kept slices
  });

  it('keeps 256 characters of each of 50 gRPC streams with 1 MB node ids, not their megabytes', async () => {
    // 50 streams held open on the test client's one connection; each node id as long as the
    // largest request the server reads (1 MiB) allows.
    const { server, connect } = await startServer([], { maxStreamsPerConnection: 50 });
    const before = heapAfterGc();
    for (let i = 0; i < 50; i++) {
      const stream = connect();
      stream.send({
        node: { id: `envoy-${i}-${'x'.repeat(MB - 1024)}` },
        type_url: EDS,
        resource_names: ['web'],
      });
      await stream.next();
    }
    expect(server.streamStatus().map((stream) => stream.node.length)).toEqual(Array(50).fill(256));
    expect((heapAfterGc() - before) / MB).toBeLessThan(20);
  });
});
