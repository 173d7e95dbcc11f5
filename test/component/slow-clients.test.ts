import { once } from 'node:events';
import { connect } from 'node:net';

import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createSnapshotStore } from '../../src/snapshot-store.js';
import { createHttpApp } from '../../src/transports/http/create-http-app.js';
import { type HttpServer, startHttpServer } from '../../src/transports/http/start-http-server.js';

/**
 * Sends `head` at once, then one byte of `trickle` every 200 ms, and resolves with how long
 * the server let the connection live (or the whole trickle time if it never cut it).
 */
async function trickle(port: number, head: string, trickle: string): Promise<number> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const started = Date.now();
  // Writing after the server cut the connection fails (EPIPE): that is the expected end.
  socket.on('error', () => undefined);
  const closed = new Promise((resolve) => socket.once('close', resolve));
  socket.write(head);
  for (const byte of trickle) {
    if (socket.destroyed) break;
    socket.write(byte);
    await Promise.race([new Promise((resolve) => setTimeout(resolve, 200)), closed]);
  }
  socket.destroy();
  await closed;
  return Date.now() - started;
}

// A 1 s request timeout here (30 s in the agent): a client that has not sent its whole
// request by then is cut within about a second more, however slowly it keeps sending.
describe('a slow client', () => {
  let server: HttpServer;
  beforeAll(async () => {
    const store = createSnapshotStore();
    const app = createHttpApp({
      snapshot: () => store.current(),
      readiness: () => ({ notReadyReasons: [] }),
      logger: pino({ level: 'silent' }),
    });
    server = await startHttpServer(app, '127.0.0.1', 0, { requestTimeoutMs: 1000 });
  });
  afterAll(() => server.close());

  it('is cut when its headers do not arrive in time', async () => {
    const lived = await trickle(
      server.port,
      'POST /v3/discovery:endpoints HTTP/1.1\r\nHost: eds_cluster\r\n',
      'X-Slow: '.padEnd(60, 'z'),
    );
    expect(lived).toBeLessThan(3000);
  });

  it('is cut when its body does not arrive in time', async () => {
    const body = JSON.stringify({ resource_names: ['web'], padding: 'z'.repeat(40) });
    const lived = await trickle(
      server.port,
      `POST /v3/discovery:endpoints HTTP/1.1\r\nHost: eds_cluster\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
      body,
    );
    expect(lived).toBeLessThan(3000);
  });
});
