import { Duration } from '../duration.js';
import {
  DEFAULT_CONNECT_TIMEOUT,
  DEFAULT_LB_POLICY,
  DEFAULT_PROTOCOL,
  HEALTH_CHECK_DEFAULTS,
  type LbPolicy,
} from '../labels/option-values.js';
import { type ServiceOptions } from '../labels/service-options.js';
import {
  HTTP_PROTOCOL_OPTIONS_TYPE_URL,
  toMessageName,
  UPSTREAM_TLS_CONTEXT_TYPE_URL,
} from '../type-urls.js';

/** An Envoy v3 `Cluster` in proto3 JSON, as the agent serves it. */
export interface ClusterJson {
  readonly name: string;
  readonly type: 'EDS';
  readonly connect_timeout: Duration;
  readonly lb_policy: LbPolicy;
  readonly eds_cluster_config: {
    readonly service_name: string;
    readonly eds_config: {
      readonly ads: Record<string, never>;
      readonly resource_api_version: 'V3';
    };
  };
  readonly typed_extension_protocol_options?: Readonly<Record<string, HttpProtocolOptionsJson>>;
  readonly health_checks?: readonly HealthCheckJson[];
  readonly outlier_detection?: OutlierDetectionJson;
  readonly circuit_breakers?: { readonly thresholds: readonly ThresholdsJson[] };
  readonly common_lb_config?: { readonly update_merge_window: Duration };
  readonly transport_socket?: UpstreamTlsJson;
}

/** TLS to the endpoints (`eds.protocol=https`). */
export interface UpstreamTlsJson {
  readonly name: 'envoy.transport_sockets.tls';
  readonly typed_config: {
    readonly '@type': typeof UPSTREAM_TLS_CONTEXT_TYPE_URL;
    readonly sni: string;
    readonly common_tls_context: {
      readonly validation_context?: {
        readonly trusted_ca: { readonly inline_string: string };
        readonly match_typed_subject_alt_names: readonly {
          readonly san_type: 'DNS';
          readonly matcher: { readonly exact: string };
        }[];
      };
    };
  };
}

export interface HttpProtocolOptionsJson {
  readonly '@type': typeof HTTP_PROTOCOL_OPTIONS_TYPE_URL;
  readonly explicit_http_config: { readonly http2_protocol_options: Record<string, never> };
}

export interface HealthCheckJson {
  readonly timeout: Duration;
  readonly interval: Duration;
  readonly no_traffic_interval: Duration;
  readonly healthy_threshold: number;
  readonly unhealthy_threshold: number;
  readonly http_health_check?: { readonly path: string };
  readonly grpc_health_check?: Record<string, never>;
}

export interface OutlierDetectionJson {
  readonly consecutive_5xx?: number;
  readonly base_ejection_time?: Duration;
  readonly max_ejection_percent?: number;
}

export interface ThresholdsJson {
  readonly priority: 'DEFAULT';
  readonly max_connections?: number;
  readonly max_pending_requests?: number;
  readonly max_requests?: number;
  readonly max_retries?: number;
}

/**
 * The cluster Envoy gets by CDS for a service the agent knows: `type: EDS`, its endpoints from
 * the same server over ADS, round robin and a 1 s connect timeout unless `options` say
 * otherwise; HTTP/2 to the endpoints, Envoy's active health checks, outlier detection and
 * circuit breakers only when a label asks for them, so a service with none of those labels
 * gets exactly the cluster it always got. Pure.
 */
export function buildCluster(
  name: string,
  options: ServiceOptions = {},
  upstreamCa?: string,
): ClusterJson {
  const protocol = options.protocol ?? DEFAULT_PROTOCOL;
  const limits = {
    ...optional('max_connections', options.max_connections),
    ...optional('max_pending_requests', options.max_pending_requests),
    ...optional('max_requests', options.max_requests),
    ...optional('max_retries', options.max_retries),
  };
  const outlier = {
    ...optional('consecutive_5xx', options['outlier.consecutive_5xx']),
    ...optional('base_ejection_time', options['outlier.base_ejection_time']),
    ...optional('max_ejection_percent', options['outlier.max_ejection_percent']),
  };
  const checked = hasHealthCheck(options);
  const ejects = Object.keys(outlier).length > 0;
  return {
    name,
    type: 'EDS',
    connect_timeout: options.connect_timeout ?? DEFAULT_CONNECT_TIMEOUT,
    lb_policy: options.lb_policy ?? DEFAULT_LB_POLICY,
    eds_cluster_config: { service_name: name, eds_config: { ads: {}, resource_api_version: 'V3' } },
    ...(protocol === 'http1' || protocol === 'https'
      ? {}
      : {
          typed_extension_protocol_options: {
            [toMessageName(HTTP_PROTOCOL_OPTIONS_TYPE_URL)]: {
              '@type': HTTP_PROTOCOL_OPTIONS_TYPE_URL,
              explicit_http_config: { http2_protocol_options: {} },
            },
          },
        }),
    ...(protocol === 'https' ? { transport_socket: toUpstreamTls(name, options, upstreamCa) } : {}),
    ...(checked ? { health_checks: [toHealthCheck(options)] } : {}),
    ...(ejects ? { outlier_detection: outlier } : {}),
    // Envoy holds back a host's change of health for up to 1 s after the cluster last
    // changed (`update_merge_window`): a failed check or an ejection takes effect at once.
    ...(checked || ejects
      ? { common_lb_config: { update_merge_window: Duration.ofSeconds(0) } }
      : {}),
    ...(Object.keys(limits).length > 0
      ? { circuit_breakers: { thresholds: [{ priority: 'DEFAULT', ...limits }] } }
      : {}),
  };
}

/** Whether any `health_check.*` label is set: that turns Envoy's active checks on. */
function hasHealthCheck(options: ServiceOptions): boolean {
  return Object.keys(options).some((key) => key.startsWith('health_check.'));
}

/** Every endpoint checked at the label's interval, also before the cluster has had traffic (Envoy's default is then 60 s). */
function toHealthCheck(options: ServiceOptions): HealthCheckJson {
  const interval = options['health_check.interval'] ?? HEALTH_CHECK_DEFAULTS.interval;
  return {
    timeout: options['health_check.timeout'] ?? HEALTH_CHECK_DEFAULTS.timeout,
    interval,
    no_traffic_interval: interval,
    healthy_threshold:
      options['health_check.healthy_threshold'] ?? HEALTH_CHECK_DEFAULTS.healthyThreshold,
    unhealthy_threshold:
      options['health_check.unhealthy_threshold'] ?? HEALTH_CHECK_DEFAULTS.unhealthyThreshold,
    ...(options.protocol === 'grpc'
      ? { grpc_health_check: {} }
      : {
          http_health_check: { path: options['health_check.path'] ?? HEALTH_CHECK_DEFAULTS.path },
        }),
  };
}

/** `{ [key]: value }` when the value is set, else nothing. */
function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

/**
 * TLS to a service's endpoints: the server name `eds.tls.upstream_sni` (else the service's),
 * and, unless `eds.tls.upstream_verify=false`, a certificate that chains to `upstreamCa` and
 * names it (the serving policy refuses the container when it must be verified and there is
 * no CA, so an unverified channel is never the default).
 */
function toUpstreamTls(name: string, options: ServiceOptions, upstreamCa: string | undefined) {
  const sni = options['tls.upstream_sni'] ?? name.toLowerCase();
  const verify = options['tls.upstream_verify'] !== false && upstreamCa !== undefined;
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': UPSTREAM_TLS_CONTEXT_TYPE_URL,
      sni,
      common_tls_context: verify
        ? {
            validation_context: {
              trusted_ca: { inline_string: upstreamCa },
              match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: { exact: sni } }],
            },
          }
        : {},
    },
  } as const satisfies UpstreamTlsJson;
}
