import { Agent, request, type RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';

import { eventually } from './eventually.js';

/** A request that did not get a 200. */
export interface FailedRequest {
  /** `503 no healthy upstream`, `ECONNRESET`, `aborted`, ... */
  readonly why: string;
  /** Wall-clock time (ms since the epoch) at which it was sent. */
  readonly sentAt: number;
  /**
   * Its response was cut: the status line and headers had come, then the connection broke
   * before the body's end. No proxy can retry such a request (see docs/envoy-rest.md).
   */
  readonly cut: boolean;
}

/** What a load run saw. Test upstreams answer with their hostname, so a body names a container. */
export interface LoadReport {
  readonly sent: number;
  /** 200 answers, counted by body. */
  readonly answers: ReadonlyMap<string, number>;
  /** Why each request that did not get a 200 failed: `503 no healthy upstream`, `ECONNRESET`, ... */
  readonly failures: readonly string[];
  /** The same requests, with when they were sent and whether their response was cut. */
  readonly failed: readonly FailedRequest[];
  /** By body: wall-clock time (ms since the epoch) at which the first and the last request it answered were sent. */
  readonly firstSent: ReadonlyMap<string, number>;
  readonly lastSent: ReadonlyMap<string, number>;
  /** Over HTTPS: the serial numbers of the certificates the answers came under, with their counts. */
  readonly certificates: ReadonlyMap<string, number>;
}

/** A load loop that runs until stopped. */
export interface RunningLoad {
  /** What was seen so far. */
  report(): LoadReport;
  /** Lets the requests in flight finish, then reports. */
  stop(): Promise<LoadReport>;
}

/** Wall-clock milliseconds with sub-millisecond resolution, comparable to Docker's `timeNano`. */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}

/** How a load runs. */
export interface LoadOptions {
  readonly concurrency?: number;
  readonly headers?: Record<string, string>;
  /**
   * Called once for each request still unanswered after `SLOW_MS`, while it is still in
   * flight: the moment to look at what holds it (sockets, neighbours, the engine's log).
   */
  readonly onSlow?: (sentAt: number) => void;
  /**
   * For an `https://` URL: the CA the server's certificate must chain to and the server name
   * (SNI) to ask for. Every request then opens a new connection, with a full TLS handshake.
   */
  readonly tls?: HttpsTarget;
}

/** How an HTTPS load reaches its server. */
export interface HttpsTarget {
  readonly ca: string;
  readonly servername: string;
}

/** The agent of a load: keep-alive over HTTP; over HTTPS, a new connection (and handshake) each time. */
function toAgent(concurrency: number, tls: HttpsTarget | undefined): Agent {
  return tls
    ? new HttpsAgent({ keepAlive: false, maxSockets: concurrency, ...tls })
    : new Agent({ keepAlive: true, maxSockets: concurrency });
}

/** How long a request waits before `onSlow` is called for it. */
export const SLOW_MS = 2000;

/**
 * Sends GET requests to `url` back to back from `concurrency` loops over keep-alive
 * connections, as a steady client of Envoy would, until stopped. Each request has 5 s to
 * answer; a timeout is a failure.
 */
export function startLoad(
  url: string,
  { concurrency = 2, headers = {}, onSlow, tls }: LoadOptions = {},
): RunningLoad {
  const agent = toAgent(concurrency, tls);
  const seen = newReport();
  let running = true;
  const loops = Array.from({ length: concurrency }, async () => {
    while (running) await sendOne(url, agent, seen, headers, onSlow);
  });
  return {
    report: () => freeze(seen),
    async stop() {
      running = false;
      await Promise.all(loops);
      agent.destroy();
      return freeze(seen);
    },
  };
}

/**
 * Waits until `load` has sent `count` more requests than when called: it ran for that many
 * requests, however fast this machine is today.
 */
export async function sentMore(load: RunningLoad, count: number): Promise<void> {
  const from = load.report().sent;
  await eventually(
    `the load sends ${count} more requests`,
    () => load.report().sent,
    (sent) => sent >= from + count,
  );
}

/** Sends `count` requests (with `headers`) one after another and reports. */
export async function sendRequests(
  url: string,
  count: number,
  headers: Record<string, string> = {},
  tls?: HttpsTarget,
): Promise<LoadReport> {
  const agent = toAgent(1, tls);
  const seen = newReport();
  for (let i = 0; i < count; i++) await sendOne(url, agent, seen, headers);
  agent.destroy();
  return freeze(seen);
}

interface MutableReport {
  sent: number;
  answers: Map<string, number>;
  failed: FailedRequest[];
  firstSent: Map<string, number>;
  lastSent: Map<string, number>;
  certificates: Map<string, number>;
}

function newReport(): MutableReport {
  return {
    sent: 0,
    answers: new Map(),
    failed: [],
    firstSent: new Map(),
    lastSent: new Map(),
    certificates: new Map(),
  };
}

function freeze(report: MutableReport): LoadReport {
  return {
    sent: report.sent,
    answers: new Map(report.answers),
    failures: report.failed.map((failed) => failed.why),
    failed: [...report.failed],
    firstSent: new Map(report.firstSent),
    lastSent: new Map(report.lastSent),
    certificates: new Map(report.certificates),
  };
}

function sendOne(
  url: string,
  agent: Agent,
  report: MutableReport,
  headers: Record<string, string> = {},
  onSlow?: (sentAt: number) => void,
): Promise<void> {
  const sentAt = wallClockMs();
  report.sent += 1;
  const slow =
    onSlow &&
    setTimeout(() => {
      onSlow(sentAt);
    }, SLOW_MS);
  return new Promise<void>((resolve) => {
    // Whether the status line and headers came: a failure after that is a cut response.
    let responded = false;
    let failed = false; // a broken response may be reported by both the request and the response
    const fail = (why: string, cut = responded): void => {
      if (!failed) report.failed.push({ why, sentAt, cut });
      failed = true;
      resolve();
    };
    const options: RequestOptions = { agent, timeout: 5000, headers };
    const send = url.startsWith('https:') ? httpsRequest : request;
    const req = send(url, options, (res) => {
      responded = true;
      const serial = (res.socket as Partial<TLSSocket>).getPeerCertificate?.().serialNumber;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', (error) => {
        fail(error.message);
      });
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8').trim();
        if (res.statusCode !== 200) {
          fail(`${res.statusCode} ${body}`, false);
          return;
        }
        report.answers.set(body, (report.answers.get(body) ?? 0) + 1);
        if (serial !== undefined)
          report.certificates.set(serial, (report.certificates.get(serial) ?? 0) + 1);
        if (!report.firstSent.has(body)) report.firstSent.set(body, sentAt);
        report.lastSent.set(body, sentAt);
        resolve();
      });
    });
    req.on('timeout', () => {
      // How long it really waited: far over 5 s means this process itself was stalled (its
      // event loop, which the agent under test may share), not that the answer was late.
      const waited = Math.round(wallClockMs() - sentAt);
      req.destroy(new Error(`no answer within 5 s (timed out after ${waited} ms)`));
    });
    req.on('error', (error) => {
      fail(error.message);
    });
    req.end();
  }).finally(() => {
    clearTimeout(slow);
  });
}

/** The bodies that answered, sorted. */
export function answeredBy(report: LoadReport): string[] {
  return [...report.answers.keys()].sort();
}
