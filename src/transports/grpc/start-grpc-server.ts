import { setTimeout as delay } from 'node:timers/promises';

import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type protobuf from 'protobufjs';

import {
  DEFAULT_GRPC_LIMITS,
  type GrpcLimits,
  MAX_REQUEST_BYTES,
  RESET_WINDOW_MS,
} from '../../config/grpc-limits.js';
import type { TlsFiles } from '../../config/tls-files.js';
import { ok, type Result } from '../../core/result.js';
import type { Metrics } from '../../metrics/create-metrics.js';
import type { SnapshotStore } from '../../snapshot-store.js';
import type { GrpcStreamStatus } from '../../status/client-status.js';
import { createTurnBudget, TURN_BUDGET_MS, type TurnBudget } from '../shared/create-turn-budget.js';
import { createGrpcCredentials } from './create-grpc-credentials.js';
import { createResetGuard } from './create-reset-guard.js';
import { createStreamCallbacks, type StreamCallbacks } from './create-stream-callbacks.js';
import { createStreamLimits, toPeerAddress } from './create-stream-limits.js';
import { createXdsResources, toResourceChanges } from './create-xds-resources.js';
import { createRequestDecoder } from './decode-discovery-request.js';
import { listenWithConnectionLimit } from './listen-with-connection-limit.js';
import { loadEnvoyProtos } from './load-envoy-protos.js';
import {
  type CallContext,
  endCall,
  type ServedMethod,
  serveXdsCall,
  type XdsCall,
} from './serve-xds-call.js';
import type { StreamRecord } from './stream-record.js';
import { toServiceDefinition } from './to-service-definition.js';
import { type BuildScheduler, type ClientReply, WILDCARD, type XdsStream } from './xds-protocol.js';
import { XDS_TYPES } from './xds-types.js';

/** The services served: ADS with every type, and each type's own (see `XdsType.service`). */
/** How often `untilAcked` looks at the streams. */
const ACK_POLL_MS = 10;

const SERVICES: readonly {
  readonly short: string;
  readonly service: string;
  readonly resources: string;
  readonly types: readonly string[];
}[] = [
  {
    short: 'ads',
    service: 'discovery.v3.AggregatedDiscoveryService',
    resources: 'AggregatedResources',
    types: XDS_TYPES.map((type) => type.typeUrl),
  },
  ...XDS_TYPES.map(({ typeUrl, service }) => ({
    short: service.short,
    service: service.name,
    resources: service.resources,
    types: [typeUrl],
  })),
];

/** Every method served: two per service, one per protocol variant. */
const METHODS = SERVICES.flatMap((service) =>
  (['sotw', 'delta'] as const).map((kind) => ({
    ...service,
    kind,
    method: `${kind === 'sotw' ? 'Stream' : 'Delta'}${service.resources}`,
  })),
);

export interface GrpcServerOptions {
  readonly store: SnapshotStore;
  readonly logger: Logger;
  readonly bind: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** How much one client may take; `DEFAULT_GRPC_LIMITS` for what is not given. */
  readonly limits?: Partial<GrpcLimits>;
  /**
   * The turn budget responses are built in, a slice at a time, round robin between streams
   * (shared with the REST polls); one of its own by default.
   */
  readonly turns?: TurnBudget;
  /** Counts responses, ACKs and NACKs when given (with the default callbacks). */
  readonly metrics?: Metrics;
  /** What is told of the streams; by default the agent's (`createStreamCallbacks`). */
  readonly callbacks?: StreamCallbacks;
  /** TLS, or mutual TLS with a client CA; plaintext when absent. */
  readonly tls?: TlsFiles | undefined;
  readonly now?: () => number;
}

export interface GrpcServer {
  readonly port: number;
  /** Streams open now, and NACKs received since the start. */
  stats(): { streams: number; nacks: number };
  /** Open streams by service and protocol. */
  streamCounts(): { service: string; protocol: string; count: number }[];
  /** Every open stream: its client, subscriptions, and what it was sent and ACKed. */
  streamStatus(): GrpcStreamStatus[];
  /**
   * Resolves true once every stream subscribed to the resource `name` of `typeUrl` has ACKed
   * a response of that type sent at `since` or later (so it holds what the snapshot had
   * then), waiting for one to subscribe when none is; false after `timeoutMs`.
   */
  untilAcked(typeUrl: string, name: string, since: number, timeoutMs: number): Promise<boolean>;
  /** Ends every stream (UNAVAILABLE: clients reconnect elsewhere or later) and stops. */
  close(): Promise<void>;
}

/**
 * The xDS server over gRPC: ADS (clusters, endpoints, listeners and routes on one stream), and
 * EDS, CDS, LDS and RDS each on its own service, every one both state of the world and delta.
 * Every change of the snapshot is pushed at once to the streams subscribed to what changed.
 * Fails (a Result) when the port cannot be bound.
 */
export async function startGrpcServer(options: GrpcServerOptions): Promise<Result<GrpcServer>> {
  const { store, logger, metrics } = options;
  const now = options.now ?? Date.now;
  const limits: GrpcLimits = { ...DEFAULT_GRPC_LIMITS, ...options.limits };
  const admission = createStreamLimits({
    max: limits.maxStreams,
    perPeer: limits.maxStreamsPerPeer,
  });
  const turns = options.turns ?? createTurnBudget(TURN_BUDGET_MS);
  const resets = createResetGuard({ max: limits.maxResetsPerPeer, windowMs: RESET_WINDOW_MS });
  /** Closes every connection of an address (set once the server listens). */
  let cut: (address: string) => void = () => undefined;
  /** A stream its client reset before any request: too many, and its address is cut off. */
  const onEarlyReset = (peer: string) => {
    const address = toPeerAddress(peer);
    const { over, first } = resets.note(address);
    if (!over) return;
    if (first)
      logger.warn(
        { client: address, limit: limits.maxResetsPerPeer },
        `cut off ${address}: it reset more than ${limits.maxResetsPerPeer} streams within a second before sending a request (HTTP/2 rapid reset)`,
      );
    cut(address);
  };
  /**
   * Runs a build a slice per step: its first slice at once when a request's handling started
   * it (a small answer is done in it), else as new work; the rest as bulk work, taking turns
   * with other builds, polls and requests first.
   */
  const schedule: BuildScheduler = (build) => {
    const step = () => {
      if (build.next().done !== true) turns.continue(step);
    };
    turns.runInThisTurn(step);
  };
  const root = loadEnvoyProtos();
  const resources = createXdsResources(root, () => store.current());
  const streams = new Map<XdsStream, StreamRecord>();
  const calls = new Set<XdsCall>();
  let nacks = 0;
  const callbacks =
    options.callbacks ??
    createStreamCallbacks({ logger, metrics, snapshot: () => store.current() });
  const onReply = (record: StreamRecord, reply: ClientReply) => {
    record.onReply(reply, now());
    if (reply.kind === 'nack') nacks += 1;
    callbacks.onReply?.(record, reply);
  };
  const checkPolicies = (stream: XdsStream, record: StreamRecord) => {
    callbacks.onSubscriptions?.(stream, record);
  };
  const unsubscribe = store.subscribe((change) => {
    const changes = toResourceChanges(change, store.current());
    for (const [stream, record] of streams) {
      stream.onChange(changes);
      if (change.services.length > 0) checkPolicies(stream, record);
    }
  });

  const server = createServer(limits);
  const context: CallContext = {
    streams,
    calls,
    admission,
    resources,
    limits,
    schedule,
    turns,
    callbacks,
    logger,
    now,
    onReply,
    onEarlyReset,
  };
  addXdsServices(server, root, context);

  const credentials = createGrpcCredentials(options.tls, logger);
  if (!credentials.ok) {
    unsubscribe();
    server.forceShutdown();
    return credentials;
  }
  const listener = await listenWithConnectionLimit(
    server,
    credentials.value.credentials,
    { host: options.bind, port: options.port, perAddress: limits.maxConnectionsPerPeer },
    logger,
  );
  if (!listener.ok) {
    unsubscribe();
    credentials.value.stop();
    server.forceShutdown();
    return listener;
  }
  cut = (address) => {
    listener.value.cut(address);
  };
  return ok({
    port: listener.value.port,
    stats: () => ({ streams: streams.size, nacks }),
    streamCounts: () => toStreamCounts(streams.values()),
    untilAcked: (typeUrl, name, since, timeoutMs) =>
      untilAcked(streams, { typeUrl, name, since, timeoutMs }),
    streamStatus: () =>
      [...streams].map(([stream, record]) => record.toStatus(stream.subscriptions())),
    close: async () => {
      unsubscribe();
      credentials.value.stop();
      const stopped = listener.value.close();
      for (const call of calls) {
        // UNAVAILABLE: Envoy and gRPC clients retry, here or at the agent's next start.
        endCall(call, grpc.status.UNAVAILABLE, 'eds-agent is stopping');
      }
      await shutDown(server);
      await stopped;
    },
  });
}

/** A gRPC server with the agent's HTTP/2 limits and keepalives. */
function createServer(limits: GrpcLimits): grpc.Server {
  return new grpc.Server({
    'grpc.max_receive_message_length': MAX_REQUEST_BYTES,
    // HTTP/2's own stream limit (SETTINGS_MAX_CONCURRENT_STREAMS): a client queues what is over
    // it, and one that does not is refused by the HTTP/2 layer, before any of its streams
    // costs a handler (10,000 streams at once refused one by one stalled the server for 0.8 s).
    'grpc.max_concurrent_streams': limits.maxStreamsPerConnection,
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
    'grpc.keepalive_permit_without_calls': 1,
    // Nothing reads grpc-js's channel tracing; it would cost every stream a little more.
    'grpc.enable_channelz': 0,
  });
}

/** Serves every xDS method (`METHODS`) on `server`, each call with `context`. */
function addXdsServices(server: grpc.Server, root: protobuf.Root, context: CallContext): void {
  for (const service of METHODS) {
    const path = `/envoy.service.${service.service}/${service.method}`;
    const definition = toServiceDefinition(root, path, service.method, service.kind);
    const method: ServedMethod = {
      short: service.short,
      kind: service.kind,
      decode: createRequestDecoder(root, service.kind, context.limits),
      defaultType: service.types.length === 1 ? service.types[0] : undefined,
      served: new Set(service.types),
    };
    server.addService(definition, {
      [service.method]: (call: XdsCall) => {
        serveXdsCall(call, method, context);
      },
    });
  }
}

/** How many streams are open, by xDS service and protocol variant. */
function toStreamCounts(
  records: Iterable<StreamRecord>,
): { service: string; protocol: string; count: number }[] {
  const counts = new Map<string, { service: string; protocol: string; count: number }>();
  for (const { service, protocol } of records) {
    const key = `${service} ${protocol}`;
    const entry = counts.get(key) ?? { service, protocol, count: 0 };
    entry.count += 1;
    counts.set(key, entry);
  }
  return [...counts.values()];
}

/** Lets `server` finish what it is sending for up to a second, then forces it down. */
function shutDown(server: grpc.Server): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, 1000);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** See `GrpcServer.untilAcked`. */
async function untilAcked(
  streams: ReadonlyMap<XdsStream, StreamRecord>,
  {
    typeUrl,
    name,
    since,
    timeoutMs,
  }: { typeUrl: string; name: string; since: number; timeoutMs: number },
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const holders = [...streams].filter(([stream]) => {
      const names = stream.subscriptions().get(typeUrl);
      return names?.includes(name) === true || names?.includes(WILDCARD) === true;
    });
    if (holders.length > 0 && holders.every(([, record]) => record.ackedSince(typeUrl, since)))
      return true;
    if (Date.now() >= deadline) return false;
    await delay(ACK_POLL_MS);
  }
}
