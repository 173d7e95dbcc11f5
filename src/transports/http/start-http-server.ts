import { once } from 'node:events';
import { createServer, type RequestListener, type Server, STATUS_CODES } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';

import type { Logger } from 'pino';

import type { TlsFiles } from '../../config/tls-files.js';
import { CERTIFICATE_REFRESH_MS, type TlsContent } from '../shared/read-tls-files.js';
import { watchCertificateFiles } from '../shared/watch-certificate-files.js';
import { type HttpOutcome, toResponseParts } from './send-outcome.js';

/** A listening server. */
export interface HttpServer {
  /** The bound port (useful with port 0). */
  readonly port: number;
  /**
   * Stops accepting connections, lets in-flight requests finish, and resolves when every
   * connection is closed. Connections still busy after `graceMs` are cut.
   */
  close(graceMs?: number): Promise<void>;
}

/**
 * One line for a listen failure the user can fix (the address is taken, not this machine's,
 * or needs privileges), naming the setting to change; `undefined` for anything else.
 */
export function toListenProblem(error: unknown, host: string, port: number): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  switch (code) {
    case 'EADDRINUSE':
      return `cannot listen on ${address}: the port is already in use (another eds-agent?); stop what holds it, or choose another port with --port (EDS_AGENT_PORT)`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${address}: no network interface of this machine has the address ${host}; choose another with --bind (EDS_AGENT_BIND), e.g. 0.0.0.0 or 127.0.0.1`;
    case 'EACCES':
      return `cannot listen on ${address}: permission denied (ports below 1024 need privileges); choose a port from 1024 up with --port (EDS_AGENT_PORT)`;
    default:
      return undefined;
  }
}

export interface HttpServerOptions {
  /**
   * A request (headers and body) must arrive within this, or its connection is closed.
   * Defaults to 30 s; Envoy's own `request_timeout` defaults to 1 s, so slower is stuck.
   */
  readonly requestTimeoutMs?: number;
  /**
   * Serve HTTPS only: `content` is `files` as read and checked at start (`readTlsFiles`);
   * the files are read again every `refreshMs` (1 s) and a rotated pair is served to new
   * connections with no restart. With a client CA, a client must show a certificate it signed.
   */
  readonly tls?: {
    readonly files: TlsFiles;
    readonly content: TlsContent;
    readonly logger: Logger;
    readonly refreshMs?: number;
  };
}

/**
 * Listens on `host:port`; rejects if the address is taken or not available. Slow clients
 * are cut when their request timeout runs out: Node checks only every 30 s by default (and
 * allows 60 s for headers), which held them 50-90 s; here it checks every second.
 */
export async function startHttpServer(
  app: RequestListener,
  host: string,
  port: number,
  options: HttpServerOptions = {},
): Promise<HttpServer> {
  const timeout = options.requestTimeoutMs ?? 30_000;
  const timeouts = {
    requestTimeout: timeout,
    headersTimeout: timeout,
    connectionsCheckingInterval: Math.min(1000, timeout),
  };
  const tls = options.tls;
  let stopWatching: () => void = () => undefined;
  let server: Server | HttpsServer;
  if (tls === undefined) server = createServer(timeouts, app);
  else {
    const https = createHttpsServer(
      {
        ...timeouts,
        ...tls.content,
        requestCert: tls.content.ca !== undefined,
        rejectUnauthorized: true,
      },
      app,
    );
    stopWatching = watchTlsFiles(https, tls);
    server = https;
  }
  // A client that sends its request and then closes its side (a half-close) still gets its
  // answer: by default Node ends the connection at the client's FIN, and an answer that is not
  // ready by then (a body still being decoded, a poll waiting its turn) was never written.
  // Node reads this switch (an own property since v0.x, not in its documentation); a test
  // fails if it stops honouring it.
  (server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  server.on('clientError', answerClientError);
  server.listen(port, host);
  try {
    await Promise.race([
      once(server, 'listening'),
      once(server, 'error').then(([error]) => Promise.reject(error as Error)),
    ]);
  } catch (error) {
    stopWatching();
    throw error;
  }
  return {
    port: (server.address() as AddressInfo).port,
    async close(graceMs = 10_000) {
      stopWatching();
      const closed = new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
      server.closeIdleConnections();
      const timer = setTimeout(() => {
        server.closeAllConnections();
      }, graceMs);
      timer.unref();
      await closed;
      clearTimeout(timer);
    },
  };
}

/**
 * Keeps an HTTPS server's certificate, key and client CA those on disk: each change the
 * watchers pass (a valid pair, a CA that parses) becomes the context of new connections.
 * Returns how to stop.
 */
function watchTlsFiles(
  server: HttpsServer,
  tls: NonNullable<HttpServerOptions['tls']>,
): () => void {
  const { files, logger } = tls;
  const refreshMs = tls.refreshMs ?? CERTIFICATE_REFRESH_MS;
  let current = tls.content;
  const serve = (next: TlsContent) => {
    if (
      next.cert.equals(current.cert) &&
      next.key.equals(current.key) &&
      (next.ca === current.ca || next.ca?.equals(current.ca ?? Buffer.alloc(0)) === true)
    )
      return;
    current = next;
    server.setSecureContext(current);
  };
  const identity = watchCertificateFiles(
    { kind: 'identity', cert: files.cert, key: files.key },
    [current.cert, current.key],
    logger,
    refreshMs,
    'HTTP',
  );
  identity.addIdentityCertificateListener((update) => {
    if (update !== null) serve({ ...current, cert: update.certificate, key: update.privateKey });
  });
  const authority =
    files.clientCa === undefined || current.ca === undefined
      ? undefined
      : watchCertificateFiles(
          { kind: 'ca', ca: files.clientCa },
          [current.ca],
          logger,
          refreshMs,
          'HTTP',
        );
  authority?.addCaCertificateListener((update) => {
    if (update !== null) serve({ ...current, ca: update.caCertificate });
  });
  return () => {
    identity.stop();
    authority?.stop();
  };
}

/** How long a client that sent what Node cannot parse has to read its answer and close. */
const LINGER_MS = 1000;

/**
 * Answers a request Node's parser refuses (an unknown method, a malformed header, headers
 * too large, a request too slow): 400, 431 or 408 in the agent's JSON error form, then closes
 * gracefully. Node's own answer destroys the socket at once, which, with the rest of the
 * request still unread, resets the connection, and the client may never see the answer: here
 * what it goes on sending is read and dropped, for a second at most.
 */
function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  // Answered already and draining: what it still sends is no new request.
  if (answered.has(socket)) return;
  // As Node's own handler does: a request whose answer has begun cannot be answered again.
  const answering = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || answering?.headersSent === true) {
    socket.destroy();
    return;
  }
  const outcome: HttpOutcome =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? { kind: 'headers-too-large' }
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? { kind: 'request-timeout' }
        : {
            kind: 'bad-request',
            problems: [`request: cannot be parsed (${error.code ?? error.message})`],
          };
  const { status, headers, body } = toResponseParts(outcome);
  const text = typeof body === 'string' ? body : (body?.toString() ?? '');
  const head = Object.entries({ ...headers, 'Content-Length': String(Buffer.byteLength(text)) })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  const answer = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\n${head}\r\n${text}`;
  // A client too slow for its request timeout gets no more time.
  if (outcome.kind === 'request-timeout') {
    socket.end(answer, () => socket.destroy());
    return;
  }
  answered.add(socket);
  socket.end(answer);
  // Drained, not parsed: fed to Node's parser, the rest of the request would be refused again
  // and again (a second `clientError`, on a socket no longer writable).
  socket.removeAllListeners('data');
  socket.resume();
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

/** Sockets answered by `answerClientError`, draining until they close. */
const answered = new WeakSet<Duplex>();
