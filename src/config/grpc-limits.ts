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
  /** Connections open at once from one client address; one more is closed as it is accepted. */
  readonly maxConnectionsPerPeer: number;
  /**
   * Streams one client address may reset before sending a request, within a second
   * (`RESET_WINDOW_MS`); one more and every connection of that address is closed.
   */
  readonly maxResetsPerPeer: number;
  /** Streams open at once on one connection (HTTP/2's SETTINGS_MAX_CONCURRENT_STREAMS). */
  readonly maxStreamsPerConnection: number;
  /** Resource names in one request, and subscribed on one stream; more is INVALID_ARGUMENT. */
  readonly maxNames: number;
  /** Bytes of the resource names subscribed on one stream; more is INVALID_ARGUMENT. */
  readonly maxNameBytes: number;
}

/**
 * The largest request the server reads; a larger one ends its stream with RESOURCE_EXHAUSTED
 * before it is decoded. Envoy's requests are a few KiB (its node, the names of one type);
 * 10,000 names of a hundred bytes fit. grpc-js's default, 4 MiB, let a request of 300,000
 * names be read and counted, which held a new client's first answer up by 120-380 ms.
 */
export const MAX_REQUEST_BYTES = 1024 * 1024;

/** The window `maxResetsPerPeer` counts in. */
export const RESET_WINDOW_MS = 1000;

/** Bytes of the resource names one stream may subscribe to in all. */
export const MAX_SUBSCRIBED_NAME_BYTES = 4 * 1024 * 1024;

export const DEFAULT_GRPC_LIMITS: GrpcLimits = {
  maxStreams: 10_000,
  maxStreamsPerPeer: 256,
  // An Envoy holds one connection to the agent (one per xDS cluster and worker at most); many
  // Envoys behind one address (a host's, a NAT's) share this.
  maxConnectionsPerPeer: 256,
  // A client that reconnects cancels a stream or two; a rapid-reset attack, thousands.
  maxResetsPerPeer: 100,
  // An Envoy opens one stream per xDS type at most on a connection (one in all over ADS).
  // Each stream of a connection costs a handler when it opens and when the connection drops,
  // in one event-loop turn: 16 a connection keeps that to milliseconds.
  maxStreamsPerConnection: 16,
  maxNames: 10_000,
  // A state-of-the-world request lists a type's whole subscription; delta subscriptions add up
  // across requests: 10,000 names of the longest cluster name's 255 bytes still fit.
  maxNameBytes: MAX_SUBSCRIBED_NAME_BYTES,
};
