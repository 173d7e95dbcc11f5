import type { Response } from 'express';
import type { Logger } from 'pino';

import { quote } from '../../core/quote.js';
import { StateFileWriteError } from '../../sources/registrations/open-state-journal.js';

/** Everything an HTTP handler can answer, in domain terms. `sendOutcome` is the one place that picks statuses. */
export type HttpOutcome =
  | { readonly kind: 'json'; readonly body: string | Buffer; readonly status?: 200 | 201 }
  | { readonly kind: 'document'; readonly contentType: string; readonly body: string }
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
  | { readonly kind: 'not-saved'; readonly message: string }
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
    case 'document':
      res.status(200).setHeader('Content-Type', outcome.contentType).send(outcome.body);
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
    case 'not-saved':
      sendError(res, 503, `the change was not saved, so not applied: ${outcome.message}`);
      return;
    case 'internal':
      sendError(res, 500, 'internal error');
      return;
  }
}

/**
 * Maps an error thrown inside express (the router's, the body reader's, or a bug) to an
 * outcome. A client's mistake becomes a 4xx, logged at debug at most: a path whose
 * percent-encoding is malformed, a body that its Content-Encoding cannot decode, and whatever
 * express marks with a 4xx status. A change the state file could not keep is a 503 (try again
 * later). Anything else is logged here, once, and becomes a 500.
 */
export function toOutcomeFromError(
  error: unknown,
  limitBytes: number,
  logger: Logger,
): HttpOutcome {
  const outcome = toClientMistake(error, limitBytes);
  if (outcome) {
    logger.debug({ err: (error as Error).message }, 'bad request');
    return outcome;
  }
  // Logged once by the journal, for every change of the failed write.
  if (error instanceof StateFileWriteError) return { kind: 'not-saved', message: error.message };
  logger.error({ err: error }, 'unexpected error while handling a request');
  return { kind: 'internal' };
}

function toClientMistake(error: unknown, limitBytes: number): HttpOutcome | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { type, status, code, message } = error as {
    type?: unknown;
    status?: unknown;
    code?: unknown;
    message?: unknown;
  };
  const text = String(message);
  switch (type) {
    case 'entity.too.large':
      return { kind: 'payload-too-large', limitBytes };
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return { kind: 'unsupported-media-type', message: text };
  }
  // zlib's and brotli's errors: the body is not what its Content-Encoding says.
  if (typeof code === 'string' && (code.startsWith('Z_') || code.startsWith('ERR__ERROR_')))
    return { kind: 'bad-request', problems: [`body: cannot be decoded (${text})`] };
  if (error instanceof URIError)
    return { kind: 'bad-request', problems: [`path: malformed percent-encoding: ${quote(text)}`] };
  if (typeof status === 'number' && status >= 400 && status < 500)
    return { kind: 'bad-request', problems: [`body: ${text}`] };
  return undefined;
}

function sendError(
  res: Response,
  status: number,
  error: string,
  problems?: readonly string[],
): void {
  res.status(status).json(problems ? { error, problems } : { error });
}
