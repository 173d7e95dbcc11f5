import type { Response } from 'express';
import type { Logger } from 'pino';

/** Everything an HTTP handler can answer, in domain terms. `sendOutcome` is the one place that picks statuses. */
export type HttpOutcome =
  | { readonly kind: 'json'; readonly body: string | Buffer; readonly status?: 200 | 201 }
  | { readonly kind: 'no-content' }
  | { readonly kind: 'no-such-resource'; readonly message: string }
  | { readonly kind: 'conflict'; readonly message: string }
  | { readonly kind: 'unauthorized' }
  | { readonly kind: 'not-modified' }
  | { readonly kind: 'bad-request'; readonly problems: readonly string[] }
  | { readonly kind: 'unsupported-media-type'; readonly message: string }
  | { readonly kind: 'payload-too-large'; readonly limitBytes: number }
  | { readonly kind: 'not-found'; readonly path: string }
  | { readonly kind: 'method-not-allowed'; readonly allow: readonly string[] }
  | { readonly kind: 'unavailable'; readonly body: string }
  | { readonly kind: 'not-synced'; readonly awaiting: readonly string[] }
  | { readonly kind: 'internal' };

/** Writes an outcome as an HTTP response. Error bodies are JSON `{"error": "...", "problems"?: [...]}`. */
export function sendOutcome(res: Response, outcome: HttpOutcome): void {
  switch (outcome.kind) {
    case 'json':
      res
        .status(outcome.status ?? 200)
        .type('application/json')
        .send(outcome.body);
      return;
    case 'no-content':
      res.status(204).end();
      return;
    case 'no-such-resource':
      sendError(res, 404, outcome.message);
      return;
    case 'conflict':
      sendError(res, 409, outcome.message);
      return;
    case 'unauthorized':
      res.setHeader('WWW-Authenticate', 'Bearer');
      sendError(res, 401, 'this call needs Authorization: Bearer <admin token>');
      return;
    case 'not-modified':
      res.status(304).end();
      return;
    case 'bad-request':
      sendError(res, 400, outcome.problems.join('; '), outcome.problems);
      return;
    case 'unsupported-media-type':
      sendError(res, 415, outcome.message);
      return;
    case 'payload-too-large':
      sendError(res, 413, `request body is over the ${outcome.limitBytes}-byte limit`);
      return;
    case 'not-found':
      sendError(res, 404, `no such path: ${outcome.path}`);
      return;
    case 'method-not-allowed':
      res.setHeader('Allow', outcome.allow.join(', '));
      sendError(res, 405, `method not allowed; use ${outcome.allow.join(' or ')}`);
      return;
    case 'unavailable':
      res.status(503).type('application/json').send(outcome.body);
      return;
    case 'not-synced':
      sendError(
        res,
        503,
        `not synced yet: waiting for the first full read of ${outcome.awaiting.join(' and ')}`,
      );
      return;
    case 'internal':
      sendError(res, 500, 'internal error');
      return;
  }
}

/**
 * Maps an error thrown inside express (the body reader's, or a bug) to an outcome. Client
 * mistakes become 4xx; anything unexpected is logged here, once, and becomes a 500.
 */
export function toOutcomeFromError(
  error: unknown,
  limitBytes: number,
  logger: Logger,
): HttpOutcome {
  const type =
    typeof error === 'object' && error !== null && 'type' in error ? error.type : undefined;
  switch (type) {
    case 'entity.too.large':
      return { kind: 'payload-too-large', limitBytes };
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return { kind: 'unsupported-media-type', message: (error as Error).message };
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return { kind: 'bad-request', problems: [`body: ${(error as Error).message}`] };
    default:
      logger.error({ err: error }, 'unexpected error while handling a request');
      return { kind: 'internal' };
  }
}

function sendError(
  res: Response,
  status: number,
  error: string,
  problems?: readonly string[],
): void {
  res.status(status).json(problems ? { error, problems } : { error });
}
