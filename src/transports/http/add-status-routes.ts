import type { IncomingMessage } from 'node:http';

import type express from 'express';

import type { Metrics } from '../../metrics/create-metrics.js';
import type { StatusJson } from '../../status/build-status.js';
import { type Handler, route } from './route.js';
import { sendOutcome } from './send-outcome.js';
import { STATUS_PAGE, STATUS_PAGE_CSP } from './status-page.js';

export interface StatusRoutesOptions {
  /** Built on each request. */
  readonly status: () => StatusJson;
  readonly metrics: Metrics;
  /** Whether a request may read `/status` and `/metrics` (`--protect-status` asks for the token). */
  readonly mayRead: (req: IncomingMessage) => boolean;
  /** The internal CA's root certificate (PEM), when the agent has one. */
  readonly rootPem?: (() => string | undefined) | undefined;
}

/**
 * What people and Prometheus read: `GET /` (the live page, which holds no data itself and so
 * is never protected), `GET /status` (JSON), `GET /metrics` (Prometheus text format), and
 * `GET /pki/root.pem`, the internal CA's root.
 */
export function addStatusRoutes(app: express.Express, options: StatusRoutesOptions): void {
  const guard: Handler = (req, res, next) => {
    if (!options.mayRead(req)) sendOutcome(res, { kind: 'unauthorized' });
    else next();
  };
  route(app, '/', {
    get: (_req, res) => {
      sendOutcome(res, {
        kind: 'document',
        contentType: 'text/html; charset=utf-8',
        body: STATUS_PAGE,
        headers: { 'Content-Security-Policy': STATUS_PAGE_CSP, 'Referrer-Policy': 'no-referrer' },
      });
    },
  });
  route(app, '/status', {
    get: [
      guard,
      (_req, res) => {
        sendOutcome(res, { kind: 'json', body: JSON.stringify(options.status()) });
      },
    ],
  });
  // The root a client installs to trust the internal CA: public, as every root certificate is.
  route(app, '/pki/root.pem', {
    get: (req, res) => {
      const pem = options.rootPem?.();
      if (pem === undefined) sendOutcome(res, { kind: 'not-found', path: req.path });
      else
        sendOutcome(res, {
          kind: 'document',
          contentType: 'application/x-pem-file',
          body: pem,
        });
    },
  });
  route(app, '/metrics', {
    get: [
      guard,
      async (_req, res) => {
        const { registry } = options.metrics;
        sendOutcome(res, {
          kind: 'document',
          contentType: registry.contentType,
          body: await registry.metrics(),
        });
      },
    ],
  });
}
