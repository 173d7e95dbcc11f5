import type { IncomingMessage } from 'node:http';

import type { Logger } from 'pino';

import type { Snapshot } from '../../core/index/snapshot.js';
import { answerDiscovery } from './answer-discovery.js';
import { createParseCache } from './create-parse-cache.js';
import type { RestPollers } from './create-rest-pollers.js';
import type { DiscoveryApi } from './discovery-api.js';
import type { HttpOutcome } from './send-outcome.js';

/** One REST discovery poll, from its raw body to its outcome. */
export type PollAnswerer = (
  api: DiscoveryApi,
  body: Buffer | undefined,
  req: IncomingMessage,
) => HttpOutcome;

export interface PollAnswererOptions {
  readonly snapshot: () => Snapshot;
  readonly logger: Logger;
  /** Told of every poll answered, for `/status`. */
  readonly restPollers?: RestPollers | undefined;
  /** Whether a request may read the whole topology (every cluster at once). */
  readonly mayRead: (req: IncomingMessage) => boolean;
}

/**
 * Answers REST discovery polls, both the fast path and express: parses the body (cached),
 * refuses an all-clusters poll that may not read everything, answers from the snapshot, and
 * records the poller.
 */
export function createPollAnswerer(options: PollAnswererOptions): PollAnswerer {
  const { snapshot, logger, restPollers, mayRead } = options;
  const parsePoll = createParseCache();
  return (api, body, req) => {
    const request = parsePoll(body, api);
    if (!request.ok) {
      logger.debug({ problems: request.problems }, 'bad discovery request');
      return { kind: 'bad-request', problems: request.problems };
    }
    // Every cluster at once is the whole topology: protected as /status is.
    if (request.value.resourceNames.length === 0 && !mayRead(req)) return { kind: 'unauthorized' };
    const answer = answerDiscovery(snapshot(), request.value, api);
    restPollers?.record({
      node: request.value.nodeId,
      api,
      clusters: request.value.resourceNames.join(',') || '*',
      acceptedVersion: request.value.versionInfo,
      answer:
        answer.kind === 'response'
          ? answer.version
          : answer.kind === 'not-modified'
            ? '304'
            : '503',
    });
    logger.debug(
      {
        api,
        clusters: request.value.resourceNames,
        answer: answer.kind,
        ...(answer.kind === 'not-synced'
          ? { awaiting: answer.awaiting }
          : { version: answer.version }),
      },
      'discovery poll',
    );
    return answer.kind === 'response' ? { kind: 'json', body: answer.body } : answer;
  };
}
