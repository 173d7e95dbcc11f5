import { connect } from 'node:net';

/**
 * Connects to 127.0.0.1:`port`, reads the server's first line (who answered), sends `ping`
 * and resolves with the server's name once the echo is back; rejects on any failure or after
 * 2 s. For the TCP echo servers of test/fixtures/tcp-echo.mjs.
 */
export function pingTcpEcho(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no echo within 2 s'));
    }, 2000);
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString();
      const lines = received.split('\n');
      if (lines.length === 2 && lines[0] !== undefined) socket.write('ping\n');
      if (lines.length >= 3 && lines[1] === 'ping') {
        clearTimeout(timer);
        socket.destroy();
        resolve(lines[0] ?? '');
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      reject(new Error(`closed after ${JSON.stringify(received)}`));
    });
  });
}
