import { Duration } from '../duration.js';

// The values an option label may take, and the defaults of those a service has unless a
// label says otherwise: what the label parsers check against and the resource builders use.

/** Envoy's load-balancing policies a label may choose (`eds.lb_policy`). */
export const LB_POLICIES = [
  'ROUND_ROBIN',
  'LEAST_REQUEST',
  'RANDOM',
  'RING_HASH',
  'MAGLEV',
] as const;
export type LbPolicy = (typeof LB_POLICIES)[number];

/** A cluster's load-balancing policy unless a label says otherwise. */
export const DEFAULT_LB_POLICY: LbPolicy = 'ROUND_ROBIN';
/** How long Envoy waits for a connection to an endpoint, unless a label says otherwise. */
export const DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(1);
/** The path prefix a service's route matches unless a label says otherwise: every path. */
export const DEFAULT_PATH_PREFIX = '/';

/** Defaults of Envoy's active health check, when any `health_check.*` label turns it on. */
export const HEALTH_CHECK_DEFAULTS = {
  path: '/',
  interval: Duration.ofMs(5000),
  timeout: Duration.ofMs(1000),
  healthyThreshold: 1,
  unhealthyThreshold: 2,
} as const;

/**
 * How Envoy speaks to a service's endpoints (`eds.protocol`): HTTP/1.1, or HTTP/2 over
 * cleartext with prior knowledge (`http2` and `h2c` are the same), or gRPC, which is HTTP/2
 * with gRPC's defaults (no route timeout, gRPC health checking).
 */
export const PROTOCOLS = ['http1', 'http2', 'grpc', 'h2c', 'https'] as const;
export type Protocol = (typeof PROTOCOLS)[number];
/** How Envoy speaks to a service's endpoints unless a label says otherwise. */
export const DEFAULT_PROTOCOL: Protocol = 'http1';

/**
 * What a route retries unless a label says otherwise: a request that never reached an
 * upstream (the connection failed or was refused), on another one: safe for any request, and
 * it covers a replica that exits between Docker's event and Envoy's next pick.
 */
export const DEFAULT_RETRY_ON = 'connect-failure,refused-stream';
/** How many times a route retries unless a label says otherwise. */
export const DEFAULT_NUM_RETRIES = 2;
/** What a gRPC service's route also retries on: the server said it could not take the call. */
export const GRPC_RETRY_ON = 'unavailable,resource-exhausted';

/** The conditions Envoy's route retry policy may retry on (`eds.retry_on`). */
export const RETRY_CONDITIONS = [
  '5xx',
  'gateway-error',
  'reset',
  'reset-before-request',
  'connect-failure',
  'envoy-ratelimited',
  'retriable-4xx',
  'refused-stream',
  'retriable-status-codes',
  'http3-post-connect-failure',
  'cancelled',
  'deadline-exceeded',
  'internal',
  'resource-exhausted',
  'unavailable',
] as const;

/** Who may sign a service's certificates (`eds.tls.issuer`, `--tls-issuer`). */
export const TLS_ISSUERS = ['internal', 'acme', 'file'] as const;
export type TlsIssuer = (typeof TLS_ISSUERS)[number];

/** How `eds.sticky` keeps a client on one container. */
export const STICKY_KINDS = ['cookie'] as const;
/** The cookie of `eds.sticky=cookie` unless `eds.sticky.name` says otherwise. */
export const DEFAULT_STICKY_COOKIE = 'eds_sticky';
