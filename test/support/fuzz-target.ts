import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import * as http2 from 'node:http2';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { type Cli, exitOf, portOf, startCli } from './cli.js';
import { eventually } from './eventually.js';
import type { RawHttpRequest } from './fuzz-inputs.js';

/** The real command line, synced with this machine's Docker engine, to fuzz. */
export interface FuzzTarget {
  readonly cli: Cli;
  readonly port: number;
  readonly grpcPort: number;
  /** Still running (not crashed). */
  alive(): boolean;
  stop(): Promise<void>;
}

/**
 * Starts the agent as a user runs it, with a state file (so registrations reach the disk) and
 * a label prefix of its own (so its sync with the engine finds no container of other tests),
 * and waits until it is ready: discovery then answers 200, so any 5xx is a fault.
 */
export async function startFuzzTarget(): Promise<FuzzTarget> {
  const dir = mkdtempSync(join(tmpdir(), 'eds-agent-fuzz-'));
  const cli = startCli([
    ...['--port', '0', '--bind', '127.0.0.1', '--log-level', 'info'],
    ...['--label-prefix', `fuzz${process.pid}`, '--state-file', join(dir, 'state.json')],
  ]);
  const stop = async () => {
    cli.kill('SIGTERM');
    await exitOf(cli);
    rmSync(dir, { recursive: true, force: true });
  };
  let port: number;
  let grpcPort: number;
  try {
    port = await portOf(cli);
    grpcPort = Number(
      await eventually(
        'the agent logs its gRPC port',
        () => /"grpcPort":(\d+)/.exec(cli.output())?.[1],
        (found) => found !== undefined,
      ),
    );
    await eventually(
      'the agent is ready (synced with Docker)',
      () => fetch(`http://127.0.0.1:${port}/readyz`).then((reply) => reply.status),
      (status) => status === 200,
    );
  } catch (error) {
    // A start that fails leaves no agent behind: the test file's afterAll has none to stop.
    await stop();
    throw error;
  }
  return {
    cli,
    port,
    grpcPort,
    alive: () => cli.exitCode === null && cli.signalCode === null,
    stop,
  };
}

/**
 * Sends `request` on a connection of its own (`Connection: close`), half-closing it after the
 * body when asked, and resolves with the status of the answer, or `undefined` when none came
 * within `timeoutMs`.
 */
export async function sendRawHttp(
  port: number,
  request: RawHttpRequest,
  timeoutMs = 10_000,
): Promise<number | undefined> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  let received = '';
  socket.on('data', (chunk: Buffer) => {
    if (received.length < 64) received += chunk.toString('latin1');
  });
  const closed = once(socket, 'close');
  const head = [
    `${request.method} ${request.path} HTTP/1.1`,
    `Host: ${request.host ?? 'eds-agent'}`,
    'Connection: close',
    `Content-Length: ${request.body.length}`,
    ...request.headers.map(([name, value]) => `${name}: ${value}`),
  ];
  socket.write(`${head.join('\r\n')}\r\n\r\n`);
  socket.write(request.body);
  if (request.halfClose) socket.end();
  const timer = setTimeout(() => socket.destroy(), timeoutMs);
  await closed;
  clearTimeout(timer);
  const status = /^HTTP\/1\.1 (\d{3})/.exec(received)?.[1];
  return status === undefined ? undefined : Number(status);
}

/**
 * Opens a gRPC stream to `path` on `session` with nothing sent on it yet, reading whatever
 * comes back: what a raw HTTP/2 client, not a gRPC library, does with the server.
 */
export function openRawGrpcStream(
  session: http2.ClientHttp2Session,
  path: string,
): http2.ClientHttp2Stream {
  const stream = session.request({
    ':method': 'POST',
    ':path': path,
    'content-type': 'application/grpc',
    te: 'trailers',
  });
  stream.on('error', () => undefined);
  stream.resume();
  return stream;
}

/**
 * A rapid-reset client: on a new HTTP/2 connection to `port`, opens a gRPC stream to `path`
 * and resets it at once, up to `max` times, yielding to the event loop every 50 so the server
 * can act; resolves once the connection is closed, with how many streams it opened.
 */
export async function resetStreamsUntilClosed(
  port: number,
  path: string,
  max = 5000,
): Promise<number> {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on('error', () => undefined);
  const closed = once(session, 'close');
  await once(session, 'connect');
  let opened = 0;
  for (; opened < max && !session.closed && !session.destroyed; opened++) {
    openRawGrpcStream(session, path).close(http2.constants.NGHTTP2_CANCEL);
    if (opened % 50 === 49) await new Promise((resolve) => setImmediate(resolve));
  }
  await closed;
  return opened;
}
