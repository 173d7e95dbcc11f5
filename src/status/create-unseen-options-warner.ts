import type { Logger } from 'pino';

import { findUnseenOptions } from '../core/labels/find-unseen-options.js';
import type { ServiceOptions } from '../core/labels/service-options.js';
import type { GrpcStreamStatus, RestPoller } from './client-status.js';

/** What the warner reads at each check. */
export interface UnseenOptionsInputs {
  /** Each service the agent serves, with the options its labels set. */
  services(): Iterable<readonly [string, ServiceOptions]>;
  readonly restPollers: () => readonly RestPoller[];
  readonly grpcStreams: () => readonly GrpcStreamStatus[];
  /** Whether the agent serves Envoy's listeners (`--listen`), whose chain the edge labels need. */
  readonly agentListeners: boolean;
}

/**
 * Warns, once, about labels set on a service that no client of the agent can see: a route
 * label while no client takes routes (RDS) from the agent, a cluster label while Envoy polls
 * over REST. `check` is called on a timer: a label is reported when it was unseen at two
 * checks in a row (a client that connects subscribes to its types within moments), and only
 * while some client is connected (with none, nothing is seen yet, and nothing is wrong). Once
 * some client sees it, it may be reported again when it is unseen again.
 */
export function createUnseenOptionsWarner(
  inputs: UnseenOptionsInputs,
  logger: Logger,
  labelPrefix: string,
): { check(): void } {
  let unseenBefore = new Set<string>();
  const warned = new Set<string>();
  return {
    check() {
      const streams = inputs.grpcStreams();
      if (streams.length === 0 && inputs.restPollers().length === 0) {
        unseenBefore = new Set();
        return;
      }
      const subscribed = new Set(streams.flatMap((stream) => stream.types.map((t) => t.type)));
      const unseen = findUnseenOptions(inputs.services(), subscribed, inputs.agentListeners);
      const now = new Set<string>();
      for (const { service, type, keys } of unseen) {
        const key = `${service}\0${type}\0${keys.join()}`;
        now.add(key);
        if (!unseenBefore.has(key) || warned.has(key)) continue;
        warned.add(key);
        const labels = keys.map((option) => `${labelPrefix}.${option}`);
        logger.warn(
          { cluster: service, labels, type },
          `${labels.join(', ')} of service ${service} reach Envoy in its ${type}, which no client takes from the agent: they do nothing until one does (see the README's table of labels${inputs.agentListeners ? '' : "; an edge label needs the filters of the agent's listeners, --listen, or a listener of Envoy's own that holds them: docs/edge-policy.md"})`,
        );
      }
      for (const key of warned) if (!now.has(key)) warned.delete(key);
      unseenBefore = now;
    },
  };
}
