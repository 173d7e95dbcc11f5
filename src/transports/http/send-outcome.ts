import type { Response } from 'express';
import type { Logger } from 'pino';

import { quote } from '../../core/quote.js';

/** Everything an HTTP handler can answer, in domain terms. `sendOutcome` is the one place that picks statuses. */
export type HttpOutcome =
  | { readonly kind: 'json'; readonly body: string | Buffer; readonly status?: 200 | 201 }
  | {
      readonly kind: 'document';
      readonly contentType: string;
      readonly body: string;
      /** Headers of the document's own (a page's Content-Security-Policy, say). */
      readonly headers?: Readonly<Record<string, string>>;
    }
  | { readonly kind: 'no-content' }
  | { readonly kind: 'no-such-resource'; readonly message: string }
  | { readonly kind: 'conflict'; readonly message: string }
  | { readonly kind: 'unauthorized' }
  | { readonly kind: 'forbidden'; readonly message: string }
  | { readonly kind: 'over-limit'; readonly message: string }
  | { readonly kind: 'too-large'; readonly message: string }
  | { readonly kind: 'not-modified' }
  | { readonly kind: 'bad-request'; readonly problems: readonly string[] }
  | { readonly kind: 'unsupported-media-type'; readonly message: string }
  | { readonly kind: 'payload-too-large'; readonly limitBytes: number }
  | { readonly kind: 'not-found'; readonly path: string }
  | { readonly kind: 'request-timeout' }
  | { readonly kind: 'headers-too-large' }
  | { readonly kind: 'method-not-allowed'; readonly allow: readonly string[] }
  | { readonly kind: 'unavailable'; readonly body: string }
  | { readonly kind: 'not-synced'; readonly awaiting: readonly string[] }
  | { readonly kind: 'not-saved'; readonly message: string }
  | { readonly kind: 'internal' };

/** An outcome in HTTP's words: what `sendOutcome` (and the discovery fast path) write. */
export interface ResponseParts {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** `undefined`: no body (204, 304). */
  readonly body: string | Buffer | undefined;
}

/**
 * On every answer: no type sniffing (a JSON body with user data is never run as a page), and
 * no framing by another site.
 */
const ALWAYS = { 'X-Content-Type-Options': 'nosniff', 'X-Frame-Options': 'DENY' } as const;

const JSON_TYPE = { 'Content-Type': 'application/json; charset=utf-8' } as const;

/**
 * The one place that picks statuses: an outcome as a status, headers and body. Error bodies
 * are JSON `{"error": "...", "problems"?: [...]}`.
 */
export function toResponseParts(outcome: HttpOutcome): ResponseParts {
  const parts = toParts(outcome);
  return { ...parts, headers: { ...ALWAYS, ...parts.headers } };
}

function toParts(outcome: HttpOutcome): ResponseParts {
  switch (outcome.kind) {
    case 'json':
      return { status: outcome.status ?? 200, headers: JSON_TYPE, body: outcome.body };
    case 'document':
      return {
        status: 200,
        headers: { ...outcome.headers, 'Content-Type': outcome.contentType },
        body: outcome.body,
      };
    case 'no-content':
      return { status: 204, headers: {}, body: undefined };
    case 'no-such-resource':
      return error(404, outcome.message);
    case 'conflict':
      return error(409, outcome.message);
    case 'unauthorized':
      return error(401, 'this call needs Authorization: Bearer <admin token>', undefined, {
        'WWW-Authenticate': 'Bearer',
      });
    case 'forbidden':
      return error(403, outcome.message);
    case 'over-limit':
      return error(429, outcome.message);
    case 'too-large':
      return error(413, outcome.message);
    case 'not-modified':
      return { status: 304, headers: {}, body: undefined };
    case 'bad-request':
      return error(400, outcome.problems.join('; '), outcome.problems);
    case 'unsupported-media-type':
      return error(415, outcome.message);
    case 'payload-too-large':
      return error(413, `request body is over the ${outcome.limitBytes}-byte limit`);
    case 'not-found':
      return error(404, `no such path: ${outcome.path}`);
    case 'request-timeout':
      return error(408, 'the request did not arrive in time');
    case 'headers-too-large':
      return error(431, 'the request headers are too large');
    case 'method-not-allowed':
      return error(405, `method not allowed; use ${outcome.allow.join(' or ')}`, undefined, {
        Allow: outcome.allow.join(', '),
      });
    case 'unavailable':
      return { status: 503, headers: JSON_TYPE, body: outcome.body };
    case 'not-synced':
      return error(
        503,
        `not synced yet: waiting for the first full read of ${outcome.awaiting.join(' and ')}`,
      );
    case 'not-saved':
      return error(503, `the change was not saved, so not applied: ${outcome.message}`);
    case 'internal':
      return error(500, 'internal error');
  }
}

/** Writes an outcome through express. */
export function sendOutcome(res: Response, outcome: HttpOutcome): void {
  const { status, headers, body } = toResponseParts(outcome);
  res.status(status).set(headers);
  if (body === undefined) res.end();
  else res.send(body);
}

/**
 * Maps an error thrown inside express (the router's, the body reader's, or a bug) to an
 * outcome. A client's mistake becomes a 4xx, logged at debug at most: a path whose
 * percent-encoding is malformed, a body that its Content-Encoding cannot decode, and whatever
 * express marks with a 4xx status. Anything else is logged here, once, and becomes a 500.
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

function error(
  status: number,
  message: string,
  problems?: readonly string[],
  headers: Record<string, string> = {},
): ResponseParts {
  const body = JSON.stringify(problems ? { error: message, problems } : { error: message });
  return { status, headers: { ...JSON_TYPE, ...headers }, body };
}
