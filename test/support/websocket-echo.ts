import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';

/**
 * Opens a WebSocket to `host:port` (as `hostHeader`), sends `text` in one masked frame and
 * resolves with the HTTP status of the handshake and the text of the first frame back (none
 * unless the status is 101). Gives up after 5 s.
 */
export function echoOverWebSocket(
  port: number,
  hostHeader: string,
  text: string,
): Promise<{ status: number; echoed?: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no WebSocket answer within 5 s'));
    }, 5000);
    const done = (outcome: { status: number; echoed?: string }) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    let received = Buffer.alloc(0);
    let status: number | undefined;
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (status === undefined) {
        const end = received.indexOf('\r\n\r\n');
        if (end < 0) return;
        status = Number(/^HTTP\/1\.1 (\d{3})/.exec(received.toString('latin1'))?.[1] ?? 0);
        received = received.subarray(end + 4);
        if (status !== 101) {
          done({ status });
          return;
        }
        const payload = Buffer.from(text);
        const mask = randomBytes(4);
        socket.write(
          Buffer.concat([
            Buffer.from([0x81, 0x80 | payload.length]),
            mask,
            payload.map((byte, i) => byte ^ (mask[i % 4] ?? 0)),
          ]),
        );
      }
      const length = received[1];
      if (length !== undefined && received.length >= 2 + length)
        done({ status, echoed: received.subarray(2, 2 + length).toString() });
    });
    socket.on('error', reject);
    socket.write(
      `GET /chat HTTP/1.1\r\nHost: ${hostHeader}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
  });
}
