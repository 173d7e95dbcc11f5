import type express from 'express';

import type { Metrics } from '../../metrics/create-metrics.js';
import type { StatusJson } from '../../status/build-status.js';
import { createBearerCheck } from './check-bearer-token.js';
import { type Handler, route } from './route.js';
import { sendOutcome } from './send-outcome.js';
import { STATUS_PAGE } from './status-page.js';

export interface StatusRoutesOptions {
  /** Built on each request. */
  readonly status: () => StatusJson;
  readonly metrics: Metrics;
  /** When set, `/status` and `/metrics` need `Authorization: Bearer <token>` (`--protect-status`). */
  readonly token: string | undefined;
}

/**
 * What people and Prometheus read: `GET /` (the live page, which holds no data itself and so
 * is never protected), `GET /status` (JSON) and `GET /metrics` (Prometheus text format).
 */
export function addStatusRoutes(app: express.Express, options: StatusRoutesOptions): void {
  const authorized = options.token === undefined ? undefined : createBearerCheck(options.token);
  const guard: Handler = (req, res, next) => {
    if (authorized && !authorized(req)) sendOutcome(res, { kind: 'unauthorized' });
    else next();
  };
  route(app, '/', {
    get: (_req, res) => {
      sendOutcome(res, {
        kind: 'document',
        contentType: 'text/html; charset=utf-8',
        body: STATUS_PAGE,
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
