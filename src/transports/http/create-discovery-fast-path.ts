import type { IncomingMessage, ServerResponse } from 'node:http';

import type { DiscoveryApi } from './discovery-api.js';
import { type HttpOutcome, toResponseParts } from './send-outcome.js';

const PATHS: ReadonlyMap<string, DiscoveryApi> = new Map([
  ['/v3/discovery:endpoints', 'v3'],
  ['/v2/discovery:endpoints', 'v2'],
]);

export interface FastPathOptions {
  /** Answers one poll: the same function the express route calls. */
  readonly answer: (api: DiscoveryApi, body: Buffer, req: IncomingMessage) => HttpOutcome;
  /** Bodies over this go the slow way (express answers 413). */
  readonly limitBytes: number;
  /** Runs the answer to a body of `bytes` in its turn (see `createTurnBudget`); at once when undefined. */
  readonly inTurn: ((work: () => void, bytes: number) => void) | undefined;
  /** Told each answer's status and how long it took, from the request's arrival. */
  readonly onAnswered?: (api: DiscoveryApi, status: number, seconds: number) => void;
}

/**
 * Envoy's REST poll, answered before express: a poll is all of an Envoy's traffic, and
 * express's request decoration and routing cost more than the answer itself. Only the plain
 * case takes this path, a POST to a discovery path with a `Content-Length` within the limit
 * and no `Content-Encoding`; anything else (a chunked or compressed body, a query string,
 * another method) returns false untouched, and express answers it. The parsing, the answer
 * and the status mapping are the express route's own, so both paths answer alike.
 */
export function createDiscoveryFastPath(
  options: FastPathOptions,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const api = req.method === 'POST' ? PATHS.get(req.url ?? '') : undefined;
    if (api === undefined) return false;
    const length = Number(req.headers['content-length']);
    const encoding = req.headers['content-encoding'];
    if (!(length <= options.limitBytes) || (encoding !== undefined && encoding !== 'identity'))
      return false;
    const arrived = performance.now();
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
      const respond = () => {
        const { status, headers, body: answer } = toResponseParts(options.answer(api, body, req));
        res.writeHead(status, headers).end(answer);
        options.onAnswered?.(api, status, (performance.now() - arrived) / 1000);
      };
      if (options.inTurn) options.inTurn(respond, body.length);
      else respond();
    });
    return true;
  };
}
