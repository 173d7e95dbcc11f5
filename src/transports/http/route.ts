import type express from 'express';
import type { NextFunction, Request, Response } from 'express';

import { sendOutcome } from './send-outcome.js';

/** An express handler; express 5 forwards a rejected promise to the error handler. */
export type Handler = (req: Request, res: Response, next: NextFunction) => void | Promise<void>;

type Method = 'get' | 'post' | 'put' | 'delete';

/**
 * Registers the handlers of each method on `path`, and answers every other method with 405 and
 * an `Allow` header (GET implies HEAD, which express serves from the GET handler).
 */
export function route(
  app: express.Express,
  path: string,
  methods: Partial<Record<Method, Handler | Handler[]>>,
): void {
  const allow: string[] = [];
  for (const [method, handlers] of Object.entries(methods) as [Method, Handler | Handler[]][]) {
    app[method](path, ...(Array.isArray(handlers) ? handlers : [handlers]));
    allow.push(...(method === 'get' ? ['GET', 'HEAD'] : [method.toUpperCase()]));
  }
  app.all(path, (_req, res) => {
    sendOutcome(res, { kind: 'method-not-allowed', allow });
  });
}
