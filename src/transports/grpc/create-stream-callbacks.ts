import type { Logger } from 'pino';

import { clipText } from '../../core/clip-text.js';
import type { Snapshot } from '../../core/index/snapshot.js';
import { CLUSTER_TYPE_URL } from '../../core/type-urls.js';
import type { Metrics } from '../../metrics/create-metrics.js';
import { findRefusedLbPolicy, knowsLbPoliciesOf } from './find-refused-lb-policy.js';
import { MAX_NACK_MESSAGE_LENGTH, type StreamRecord } from './stream-record.js';
import type { ClientReply, XdsStream } from './xds-protocol.js';

/**
 * What the xDS server tells of its streams, as go-control-plane's `Callbacks` do: the server
 * keeps the streams, these log, count and warn. Each may be left out.
 */
export interface StreamCallbacks {
  /** A response of `typeUrl` was sent on a stream. */
  onResponse?(record: StreamRecord, typeUrl: string): void;
  /** The client accepted (ACK) or refused (NACK) a response. */
  onReply?(record: StreamRecord, reply: ClientReply): void;
  /** A stream's subscriptions, or the services they may name, changed. */
  onSubscriptions?(stream: XdsStream, record: StreamRecord): void;
}

/**
 * The agent's callbacks: responses and replies counted in `metrics`, an ACK logged at debug
 * and a NACK as a warning (its message clipped), and a warning, once per stream and cluster,
 * when a gRPC client subscribed to a cluster whose load-balancing policy it refuses.
 */
export function createStreamCallbacks({
  logger,
  metrics,
  snapshot,
}: {
  logger: Logger;
  metrics?: Metrics | undefined;
  snapshot: () => Snapshot;
}): StreamCallbacks {
  return {
    onResponse(_record, typeUrl) {
      metrics?.grpcResponse(typeUrl);
    },
    onReply(_record, reply) {
      metrics?.grpcReply(reply.kind, reply.typeUrl);
      const fields = { node: reply.nodeId, typeUrl: reply.typeUrl, version: reply.version };
      if (reply.kind === 'ack') {
        logger.debug(fields, 'the client accepted a response (ACK)');
        return;
      }
      logger.warn(
        { ...fields, error: clipText(reply.message, MAX_NACK_MESSAGE_LENGTH) },
        'the client refused a response (NACK); it is not sent again',
      );
    },
    onSubscriptions(stream, record) {
      if (!knowsLbPoliciesOf(record.userAgent)) return;
      const clusters = snapshot().clusters;
      for (const name of stream.subscriptions().get(CLUSTER_TYPE_URL) ?? []) {
        const policy = clusters.get(name)?.options.lb_policy;
        const refused = policy && findRefusedLbPolicy(record.userAgent, policy);
        if (refused && record.firstTime(`${name} ${policy}`))
          logger.warn(
            { node: record.node, cluster: name, lbPolicy: policy.toLowerCase() },
            `a gRPC client subscribed to a cluster whose policy it refuses: ${refused}`,
          );
      }
    },
  };
}
