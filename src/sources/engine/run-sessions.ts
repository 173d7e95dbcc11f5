import { setTimeout as sleep } from 'node:timers/promises';

import pRetry from 'p-retry';
import type { Logger } from 'pino';

import { DockerUnusableError } from './docker-client.js';
import { type RetryTiming, toBackoffDelay } from './to-backoff-delay.js';

/** One source's sessions with its engine, and what to say about them. */
export interface SessionLoopOptions {
  /** One attempt at a session: resolves once it is established, with the promise of its end. */
  readonly connect: () => Promise<{ ended: Promise<void> }>;
  readonly retry: RetryTiming;
  /** Ends the loop, and cuts a wait between attempts short. */
  readonly signal: AbortSignal;
  readonly logger: Logger;
  /** Logged (warn) at each failed attempt, with the attempt, the wait and the error. */
  readonly unreachable: string;
  /** Logged (warn) when an established session ends without the loop being stopped, if given. */
  readonly ended?: string;
  /** Called when a session is established, when it ends, and when an attempt fails. */
  readonly onEstablished?: () => void;
  readonly onEnded?: () => void;
  readonly onAttemptFailed?: () => void;
}

/**
 * The one retry loop of the Docker and Swarm sources: establishes a session, waits for its
 * end, and again, until `signal` aborts. A failed attempt is retried after a backoff with
 * jitter (at the cap too), forever, except for a `DockerUnusableError`, with which the loop
 * rejects.
 */
export async function runSessions(options: SessionLoopOptions): Promise<void> {
  const { signal, logger } = options;
  const stopped = () => signal.aborted;
  while (!stopped()) {
    const { ended } = await pRetry(options.connect, {
      retries: Number.POSITIVE_INFINITY,
      // The wait is ours (onFailedAttempt), so that jitter survives at the cap.
      minTimeout: 0,
      signal,
      shouldRetry: ({ error }) => !(error instanceof DockerUnusableError),
      onFailedAttempt: async ({ error, attemptNumber }) => {
        if (stopped() || error instanceof DockerUnusableError) return;
        options.onAttemptFailed?.();
        const retryInMs = toBackoffDelay(attemptNumber, options.retry, Math.random());
        logger.warn({ attempt: attemptNumber, retryInMs, err: error.message }, options.unreachable);
        await sleep(retryInMs, undefined, { signal }).catch(() => undefined);
      },
    });
    options.onEstablished?.();
    await ended;
    options.onEnded?.();
    if (!stopped() && options.ended !== undefined) logger.warn(options.ended);
  }
}
