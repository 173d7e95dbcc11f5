import { once } from 'node:events';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';

import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createSnapshotStore } from '../../src/snapshot-store.js';
import { startRegistrationSource } from '../../src/sources/registrations/start-registration-source.js';
import { createHttpApp } from '../../src/transports/http/create-http-app.js';
import { type HttpServer, startHttpServer } from '../../src/transports/http/start-http-server.js';

// A client may send its whole request and then close its side of the connection (a
// half-close, as `curl --data ... ` over a pipe or a fuzzer does). It must still get its
// answer, even one that takes a while: a body that fails to decode, one that decodes past
// the limit.

const silent = pino(
  { level: 'silent' },
  new Writable({
    write: (_c, _e, done) => {
      done();
    },
  }),
);
let server: HttpServer;
let stopRegistrations: () => Promise<void>;
beforeAll(async () => {
  const store = createSnapshotStore();
  const registrations = await startRegistrationSource({
    store,
    logger: silent,
    stateFile: undefined,
  });
  if (!registrations.ok) throw new Error(registrations.problems.join());
  stopRegistrations = () => registrations.value.stop();
  store.markSynced('docker');
  const app = createHttpApp({
    snapshot: () => store.current(),
    readiness: () => ({ notReadyReasons: [] }),
    logger: silent,
    registration: {
      registrations: registrations.value,
      writes: { kind: 'open', because: 'loopback' },
    },
  });
  server = await startHttpServer(app, '127.0.0.1', 0);
});
afterAll(async () => {
  await server.close();
  await stopRegistrations();
});

/** Sends one request on a connection of its own, half-closing it after the body when asked; the status line answered, or none. */
async function statusLine(
  path: string,
  body: Buffer,
  encoding: string,
  halfClose: boolean,
): Promise<string> {
  const socket = connect(server.port, '127.0.0.1');
  await once(socket, 'connect');
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  socket.on('error', () => undefined);
  const closed = once(socket, 'close');
  socket.write(
    `POST ${path} HTTP/1.1\r\nHost: agent\r\nContent-Type: application/json\r\n` +
      `Content-Encoding: ${encoding}\r\nContent-Length: ${body.length}\r\n\r\n`,
  );
  socket.write(body);
  if (halfClose) socket.end();
  const timer = setTimeout(() => socket.destroy(), 5000);
  await closed;
  clearTimeout(timer);
  return received.split('\r\n')[0] || '(no answer)';
}

const notCompressed = Buffer.from('this is not compressed at all');
const poll = Buffer.from(JSON.stringify({ resource_names: ['web'] }));
const overLimit = Buffer.alloc(2 * 1024 * 1024, 'a');

describe('a client that half-closes its connection after its request', () => {
  it.each([
    ['a gzip body that does not decode', notCompressed, 'gzip', '400 Bad Request'],
    ['a deflate body that does not decode', notCompressed, 'deflate', '400 Bad Request'],
    ['a brotli body that does not decode', notCompressed, 'br', '400 Bad Request'],
    ['a gzip body that decodes past 1 MiB', gzipSync(overLimit), 'gzip', '413 Payload Too Large'],
    [
      'a deflate body that decodes past 1 MiB',
      deflateSync(overLimit),
      'deflate',
      '413 Payload Too Large',
    ],
    [
      'a brotli body that decodes past 1 MiB',
      brotliCompressSync(overLimit),
      'br',
      '413 Payload Too Large',
    ],
    ['a gzip poll that decodes', gzipSync(poll), 'gzip', '200 OK'],
    ['a plain poll', poll, 'identity', '200 OK'],
  ])('still gets its answer for %s', async (_what, body, encoding, expected) => {
    for (const path of ['/v3/discovery:endpoints', '/edsservice/web']) {
      const answer =
        expected === '200 OK' && path === '/edsservice/web' ? '400 Bad Request' : expected;
      expect(await statusLine(path, body, encoding, false)).toBe(`HTTP/1.1 ${answer}`);
      expect(await statusLine(path, body, encoding, true)).toBe(`HTTP/1.1 ${answer}`);
    }
  });
});
