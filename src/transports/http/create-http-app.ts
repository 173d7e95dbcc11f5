import type { RequestListener } from 'node:http';

import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';

import type { Snapshot } from '../../core/index/snapshot.js';
import type { Metrics } from '../../metrics/create-metrics.js';
import { createTurnBudget, TURN_BUDGET_MS, type TurnBudget } from '../shared/create-turn-budget.js';
import { addStatusRoutes, type StatusRoutesOptions } from './add-status-routes.js';
import { createBearerCheck } from './check-bearer-token.js';
import { createHostCheck } from './check-host-header.js';
import { createDiscoveryFastPath } from './create-discovery-fast-path.js';
import { createPollAnswerer } from './create-poll-answerer.js';
import {
  addRegistrationRoutes,
  type RegistrationRoutesOptions,
} from './create-registration-routes.js';
import type { RestPollers } from './create-rest-pollers.js';
import type { DiscoveryApi } from './discovery-api.js';
import { type Handler, route } from './route.js';
import {
  type HttpOutcome,
  sendOutcome,
  toOutcomeFromError,
  toResponseParts,
} from './send-outcome.js';

/** Why the agent is or is not ready; `/readyz` answers 200 only with no reasons. */
export interface Readiness {
  readonly notReadyReasons: readonly string[];
}

export interface HttpAppOptions {
  /** Read on every request; the app never holds on to a snapshot. */
  readonly snapshot: () => Snapshot;
  readonly readiness: () => Readiness;
  readonly logger: Logger;
  /** Serves the registration API when given. */
  readonly registration?: Omit<
    RegistrationRoutesOptions,
    'snapshot' | 'bodyLimitBytes' | 'mayRead'
  >;
  /** Serves `/`, `/status` and `/metrics` when given. */
  readonly status?: Omit<StatusRoutesOptions, 'mayRead'>;
  /** Counts polls and registration calls when given. */
  readonly metrics?: Metrics;
  /** Remembers who polls, for `/status`, when given. */
  readonly restPollers?: RestPollers;
  /**
   * Most milliseconds of discovery answers per event-loop turn (see `createTurnBudget`).
   * Defaults to `TURN_BUDGET_MS`; 0 answers at once, which the new-client benchmark compares
   * against.
   */
  readonly turnBudgetMs?: number;
  /** The turn budget to share (with the gRPC server's responses); one of its own by default. */
  readonly turns?: TurnBudget;
  /**
   * When set, every read that shows the topology needs `Authorization: Bearer <token>`
   * (`--protect-status`): `/status`, `/metrics`, the registrations, and a discovery poll that
   * names no cluster (Envoy's name theirs, so they need no token).
   */
  readonly readToken?: string | undefined;
  /** Names besides IP literals, `localhost` and single labels that requests may be sent to (`--allowed-hosts`). */
  readonly allowedHosts?: readonly string[];
}

/** Most distinct refused Host names logged at warn; the rest at debug (a scan must not flood the log). */
const MAX_WARNED_HOSTS = 16;

/** Largest request body accepted (1 MiB); Envoy's requests are a few KB. */
const BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * The agent's HTTP API: the REST EDS endpoints (v3, and v2 for Envoy ≤ 1.17), `/healthz`,
 * `/readyz`, the registration API and the status routes when enabled. Handlers only read the
 * snapshot and return outcomes; `toResponseParts` maps them to HTTP. Envoy's plain polls are
 * answered before express (`createDiscoveryFastPath`), the rest by express.
 */
export function createHttpApp({
  snapshot,
  readiness,
  logger,
  registration,
  status,
  metrics,
  restPollers,
  turnBudgetMs = TURN_BUDGET_MS,
  turns = createTurnBudget(turnBudgetMs),
  allowedHosts = [],
  readToken,
}: HttpAppOptions): RequestListener {
  const mayRead = readToken === undefined ? () => true : createBearerCheck(readToken);
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  const readBody = express.raw({ type: () => true, limit: BODY_LIMIT_BYTES });
  // Answers wait their turn, in arrival order, so a busy server keeps accepting new clients.
  const inTurn: Handler = (_req, _res, next) => {
    if (turnBudgetMs === 0) next();
    else turns.run(next);
  };
  /** Times each poll from its arrival to its answer written, by API and status. */
  const timed =
    (api: DiscoveryApi): Handler =>
    (_req, res, next) => {
      if (metrics) {
        const started = performance.now();
        res.on('finish', () => {
          metrics.restPoll(api, res.statusCode, (performance.now() - started) / 1000);
        });
      }
      next();
    };
  const answerPoll = createPollAnswerer({ snapshot, logger, restPollers, mayRead });
  const discovery = (api: DiscoveryApi) => (req: Request, res: Response) => {
    sendOutcome(res, answerPoll(api, req.body as Buffer | undefined, req));
  };

  // `:` starts a route parameter in express paths, so it is escaped.
  route(app, '/v3/discovery\\:endpoints', {
    post: [timed('v3'), readBody, inTurn, discovery('v3')],
  });
  route(app, '/v2/discovery\\:endpoints', {
    post: [timed('v2'), readBody, inTurn, discovery('v2')],
  });
  route(app, '/healthz', {
    get: (_req, res) => {
      sendOutcome(res, { kind: 'json', body: '{"status":"ok"}' });
    },
  });
  route(app, '/readyz', {
    get: (_req, res) => {
      const { notReadyReasons } = readiness();
      const body = JSON.stringify(
        notReadyReasons.length === 0
          ? { status: 'ready' }
          : { status: 'not ready', reasons: notReadyReasons },
      );
      sendOutcome(
        res,
        notReadyReasons.length === 0 ? { kind: 'json', body } : { kind: 'unavailable', body },
      );
    },
  });
  if (registration) {
    if (metrics) {
      app.use(['/edsservice', '/v1/registration'], (req, res, next) => {
        res.on('finish', () => {
          metrics.registrationCall(req.method, res.statusCode);
        });
        next();
      });
    }
    addRegistrationRoutes(app, {
      ...registration,
      snapshot,
      bodyLimitBytes: BODY_LIMIT_BYTES,
      mayRead,
    });
  }
  if (status) addStatusRoutes(app, { ...status, mayRead });

  app.use((req: Request, res: Response) => {
    sendOutcome(res, { kind: 'not-found', path: req.path });
  });
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const outcome: HttpOutcome = toOutcomeFromError(error, BODY_LIMIT_BYTES, logger);
    sendOutcome(res, outcome);
  });

  const fastPath = createDiscoveryFastPath({
    answer: answerPoll,
    limitBytes: BODY_LIMIT_BYTES,
    inTurn:
      turnBudgetMs === 0
        ? undefined
        : (work, bytes) => {
            turns.run(work, bytes);
          },
    ...(metrics
      ? {
          onAnswered: (api, code, seconds) => {
            metrics.restPoll(api, code, seconds);
          },
        }
      : {}),
  });
  return refusingUnknownHosts(allowedHosts, logger, (req, res) => {
    if (!fastPath(req, res)) app(req, res);
  });
}

/**
 * `handler` behind the Host/Origin check against DNS rebinding: a request naming a host not
 * allowed gets 403, and each such host is warned of once (up to `MAX_WARNED_HOSTS`).
 */
function refusingUnknownHosts(
  allowedHosts: readonly string[],
  logger: Logger,
  handler: RequestListener,
): RequestListener {
  const checkHost = createHostCheck(allowedHosts);
  const warnedHosts = new Set<string>();
  return (req, res) => {
    const refused = checkHost({ host: req.headers.host, origin: req.headers.origin });
    if (refused === undefined) {
      handler(req, res);
      return;
    }
    const message = `${refused} does not name this agent: refused against DNS rebinding; name it with --allowed-hosts`;
    const warn = warnedHosts.size < MAX_WARNED_HOSTS && !warnedHosts.has(refused);
    if (warn) warnedHosts.add(refused);
    logger[warn ? 'warn' : 'debug']({ refused, path: req.url }, 'request refused: unknown Host');
    const { status, headers, body } = toResponseParts({ kind: 'forbidden', message });
    res.writeHead(status, headers).end(body);
    req.resume();
  };
}
