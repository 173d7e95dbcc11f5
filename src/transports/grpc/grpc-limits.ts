/**
 * How much of the gRPC server one client may take. The defaults are well above what a real
 * Envoy or gRPC client needs (one or a few streams per connection, names by the dozen), and
 * are those of the `--grpc-*` flags.
 */
export interface GrpcLimits {
  /** Streams open at once; one more is refused with RESOURCE_EXHAUSTED. */
  readonly maxStreams: number;
  /** Streams open at once from one client address (however many connections it opens). */
  readonly maxStreamsPerPeer: number;
  /** Streams open at once on one connection (HTTP/2's SETTINGS_MAX_CONCURRENT_STREAMS). */
  readonly maxStreamsPerConnection: number;
  /** Resource names in one request, and subscribed on one stream; more is INVALID_ARGUMENT. */
  readonly maxNames: number;
  /** Bytes of the resource names subscribed on one stream; more is INVALID_ARGUMENT. */
  readonly maxNameBytes: number;
}

/** The largest request the server reads (grpc-js's own default, made explicit). */
export const MAX_REQUEST_BYTES = 4 * 1024 * 1024;

export const DEFAULT_GRPC_LIMITS: GrpcLimits = {
  maxStreams: 10_000,
  maxStreamsPerPeer: 256,
  // An Envoy opens one stream per xDS type at most on a connection (one in all over ADS).
  // Each stream of a connection costs a handler when it opens and when the connection drops,
  // in one event-loop turn: 16 a connection keeps that to milliseconds.
  maxStreamsPerConnection: 16,
  maxNames: 10_000,
  // A state-of-the-world request lists a type's whole subscription, so one that fits in a
  // request fits here; delta subscriptions, which add up across requests, get the same room.
  maxNameBytes: MAX_REQUEST_BYTES,
};
