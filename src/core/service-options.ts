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
export const DEFAULT_CONNECT_TIMEOUT = '1s';
/** The path prefix a service's route matches unless a label says otherwise: every path. */
export const DEFAULT_PATH_PREFIX = '/';

/**
 * How a container's labels tune its service: the Envoy cluster (`lb_policy`,
 * `connect_timeout`) and the routes to it (`domains`, `path_prefix`). `undefined` means the
 * default.
 */
export interface ServiceOptions {
  readonly lbPolicy: LbPolicy | undefined;
  /** A proto3 JSON duration, e.g. `"0.250s"`. */
  readonly connectTimeout: string | undefined;
  /** Host names the service answers at, sorted; the default is `<service>` and `<service>.localhost`. */
  readonly domains: readonly string[] | undefined;
  /** The path prefix its route matches, without a trailing `/`; the default is `/`. */
  readonly pathPrefix: string | undefined;
}

/** No option set: every default. */
export const DEFAULT_SERVICE_OPTIONS: ServiceOptions = {
  lbPolicy: undefined,
  connectTimeout: undefined,
  domains: undefined,
  pathPrefix: undefined,
};

/** One container whose label for an option lost to the value the others set. */
export interface OptionConflict {
  /** The container's name, as the endpoint's hostname gives it. */
  readonly container: string;
  /** Its short id, when the endpoint has one. */
  readonly containerId: string | undefined;
  readonly message: string;
}
