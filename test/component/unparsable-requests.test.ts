import { once } from 'node:events';
import { connect } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type HttpServer, startHttpServer } from '../../src/transports/http/start-http-server.js';

// What Node's HTTP parser refuses never reaches the app; the server itself answers it, in the
// agent's JSON error form, and lets the client read that answer even while it is still sending
// (Node's own answer resets such a connection, and the client sees nothing).

let server: HttpServer;
beforeAll(async () => {
  server = await startHttpServer(
    (_request, response) => {
      response.end('app');
    },
    '127.0.0.1',
    0,
  );
});
afterAll(() => server.close());

/** Sends `head`, then `bodyBytes` of body in 16 KiB writes, and resolves with all that came back. */
async function exchange(head: string, bodyBytes = 0): Promise<string> {
  const socket = connect(server.port, '127.0.0.1');
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  const closed = once(socket, 'close');
  socket.write(head);
  for (let sent = 0; sent < bodyBytes && !socket.destroyed; sent += 16_384)
    socket.write(Buffer.alloc(16_384, 'z'));
  const timer = setTimeout(() => socket.destroy(), 5000);
  await closed;
  clearTimeout(timer);
  return received;
}

/** The status code and JSON `error` of a raw answer. */
function answerOf(raw: string): { status: number; error: unknown } {
  const [head = '', body = ''] = raw.split('\r\n\r\n');
  return {
    status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]),
    error: body ? (JSON.parse(body) as { error: unknown }).error : undefined,
  };
}

describe('a request Node cannot parse', () => {
  it('is answered 400 with the reason, even while its body is still arriving', async () => {
    const raw = await exchange(
      'BREW /v3/discovery:endpoints HTTP/1.1\r\nHost: agent\r\nContent-Length: 1048576\r\n\r\n',
      1_048_576,
    );
    expect(answerOf(raw)).toEqual({
      status: 400,
      error: 'request: cannot be parsed (HPE_INVALID_METHOD)',
    });
    expect(raw).toMatch(/\r\nConnection: close\r\n/);
  });

  it('is answered 431 when its headers are too large', async () => {
    const raw = await exchange(
      `GET /healthz HTTP/1.1\r\nHost: agent\r\nX-Padding: ${'p'.repeat(64 * 1024)}\r\n\r\n`,
    );
    expect(answerOf(raw)).toEqual({ status: 431, error: 'the request headers are too large' });
  });

  it('is answered 400 for a header line that is not one', async () => {
    const raw = await exchange('GET /healthz HTTP/1.1\r\nHost: agent\r\nno colon here\r\n\r\n');
    expect(answerOf(raw)).toEqual({
      status: 400,
      error: expect.stringMatching(/^request: cannot be parsed \(HPE_\w+\)$/) as unknown,
    });
  });

  it('costs the next client nothing', async () => {
    const raw = await exchange('GET /healthz HTTP/1.1\r\nHost: agent\r\nConnection: close\r\n\r\n');
    expect(raw).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\napp$/);
  });
});
