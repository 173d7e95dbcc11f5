import { type Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';

/** What one Envoy-like REST poll came back with. */
export interface PostedDiscovery {
  /** The HTTP status, or 0 when no answer came (error or timeout). */
  readonly status: number;
  /** From sending to the last byte of the answer (or to the failure). */
  readonly ms: number;
}

/**
 * POSTs `body` to `/v3/discovery:endpoints` on 127.0.0.1:`port` as Envoy's REST EDS does, over
 * `agent` (false: a new connection). Never rejects: a failure or a timeout is status 0.
 */
export function postDiscovery(
  port: number,
  body: string,
  options: { agent: Agent | false; timeoutMs?: number },
): Promise<PostedDiscovery> {
  const started = performance.now();
  const done = (status: number): PostedDiscovery => ({ status, ms: performance.now() - started });
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/v3/discovery:endpoints',
        agent: options.agent,
        timeout: options.timeoutMs,
        headers: {
          host: 'eds_cluster',
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          resolve(done(res.statusCode ?? 0));
        });
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => {
      resolve(done(0));
    });
    req.end(body);
  });
}
