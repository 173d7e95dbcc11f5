import { describe, expect, it } from 'vitest';

import { buildCluster as buildClusterObject } from '../../src/core/envoy/build-cluster.js';
import {
  buildRouteConfiguration,
  type ForwardingRouteJson,
} from '../../src/core/envoy/build-route-configuration.js';
import { parseServiceLabels } from '../../src/core/labels/parse-service-labels.js';
import type { ServiceOptions } from '../../src/core/labels/service-options.js';
import { HTTP_PROTOCOL_OPTIONS_TYPE_URL } from '../../src/core/type-urls.js';
import { served } from '../support/served-json.js';

// A service's traffic policy, label by label: what each label turns into in the Cluster and
// in the route, and that a service with none of them gets what it always got.

/** The Cluster Envoy is served, as JSON text. */
const buildCluster = (...args: Parameters<typeof buildClusterObject>) =>
  served(buildClusterObject(...args));

/** The options a container labelled `labels` (under `eds.`) gives its service `web`. */
function optionsOf(labels: Record<string, string>): ServiceOptions {
  const parsed = parseServiceLabels({ 'eds.service': 'web', ...labels }, 'eds');
  if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
  return parsed.value[0]?.serviceOptions ?? {};
}
const problemsOf = (labels: Record<string, string>) => {
  const parsed = parseServiceLabels({ 'eds.service': 'web', ...labels }, 'eds');
  return parsed.ok ? [] : parsed.problems;
};
/** A forwarding route's action; undefined for a redirect. */
const routeActionOf = (route: ForwardingRouteJson | undefined) =>
  route && 'route' in route ? route.route : undefined;
const routeOf = (options: ServiceOptions) =>
  served(
    routeActionOf(
      buildRouteConfiguration('eds-agent', [{ service: 'web', options }]).json.virtual_hosts[0]
        ?.routes[0],
    ),
  );

describe('a service with no policy label', () => {
  it('gets the cluster and route it always got', () => {
    expect(buildCluster('web', optionsOf({}))).toEqual({
      name: 'web',
      type: 'EDS',
      connect_timeout: '1s',
      lb_policy: 'ROUND_ROBIN',
      eds_cluster_config: {
        service_name: 'web',
        eds_config: { ads: {}, resource_api_version: 'V3' },
      },
    });
    expect(routeOf(optionsOf({}))).toEqual({ cluster: 'web' });
  });
});

describe('the cluster a service gets from its labels', () => {
  it('speaks HTTP/2 to its endpoints for http2, h2c and grpc', () => {
    for (const protocol of ['http2', 'h2c', 'grpc', 'GRPC']) {
      expect(buildCluster('web', optionsOf({ 'eds.protocol': protocol }))).toMatchObject({
        typed_extension_protocol_options: {
          'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
            '@type': HTTP_PROTOCOL_OPTIONS_TYPE_URL,
            explicit_http_config: { http2_protocol_options: {} },
          },
        },
      });
    }
    expect(buildCluster('web', optionsOf({ 'eds.protocol': 'http1' }))).not.toHaveProperty(
      'typed_extension_protocol_options',
    );
  });

  it('checks its endpoints itself once any health_check label is set, with gRPC health checking for grpc', () => {
    expect(
      buildCluster('web', optionsOf({ 'eds.health_check.path': '/health' })).health_checks,
    ).toEqual([
      {
        timeout: '1.000s',
        interval: '5.000s',
        no_traffic_interval: '5.000s',
        healthy_threshold: 1,
        unhealthy_threshold: 2,
        http_health_check: { path: '/health' },
      },
    ]);
    expect(
      buildCluster(
        'web',
        optionsOf({
          'eds.health_check.interval': '500ms',
          'eds.health_check.timeout': '200ms',
          'eds.health_check.healthy_threshold': '3',
          'eds.health_check.unhealthy_threshold': '4',
        }),
      ).health_checks,
    ).toEqual([
      {
        timeout: '0.200s',
        interval: '0.500s',
        no_traffic_interval: '0.500s',
        healthy_threshold: 3,
        unhealthy_threshold: 4,
        http_health_check: { path: '/' },
      },
    ]);
    expect(
      buildCluster('web', optionsOf({ 'eds.protocol': 'grpc', 'eds.health_check.interval': '1s' }))
        .health_checks?.[0],
    ).toMatchObject({ grpc_health_check: {} });
  });

  it('ejects failing endpoints, and limits what it sends, only as its labels say', () => {
    const cluster = buildCluster(
      'web',
      optionsOf({
        'eds.outlier.consecutive_5xx': '3',
        'eds.outlier.base_ejection_time': '10s',
        'eds.max_requests': '2',
        'eds.max_pending_requests': '1',
      }),
    );
    expect(cluster.outlier_detection).toEqual({
      consecutive_5xx: 3,
      base_ejection_time: '10.000s',
    });
    expect(cluster.circuit_breakers).toEqual({
      thresholds: [{ priority: 'DEFAULT', max_requests: 2, max_pending_requests: 1 }],
    });
  });
});

describe('the route a service gets from its labels', () => {
  it('sets timeouts, a prefix rewrite and WebSocket upgrades', () => {
    expect(
      routeOf(
        optionsOf({
          'eds.timeout': '200ms',
          'eds.idle_timeout': '0s',
          'eds.path_prefix': '/api',
          'eds.prefix_rewrite': '/',
          'eds.websocket': 'true',
        }),
      ),
    ).toEqual({
      cluster: 'web',
      timeout: '0.200s',
      idle_timeout: '0.000s',
      regex_rewrite: { pattern: { regex: '^/api/?' }, substitution: '/' },
      upgrade_configs: [{ upgrade_type: 'websocket' }],
    });
    expect(routeOf(optionsOf({ 'eds.websocket': 'false' }))).toEqual({ cluster: 'web' });
    // Every path under another prefix; the prefix's own regex characters taken literally.
    expect(routeOf(optionsOf({ 'eds.prefix_rewrite': '/v2' }))?.regex_rewrite).toEqual({
      pattern: { regex: '^/?' },
      substitution: '/v2/',
    });
    expect(
      routeOf(optionsOf({ 'eds.path_prefix': '/a.b(1)', 'eds.prefix_rewrite': '/x/' }))
        ?.regex_rewrite,
    ).toEqual({ pattern: { regex: '^/a\\.b\\(1\\)/?' }, substitution: '/x/' });
  });

  it('retries as its labels say, on another endpoint, keeping the connect-failure default otherwise', () => {
    expect(
      routeOf(optionsOf({ 'eds.retries': '4', 'eds.retry_on': '5xx, reset,5xx' })),
    ).toMatchObject({
      retry_policy: { num_retries: 4, retry_on: '5xx,reset', host_selection_retry_max_attempts: 5 },
    });
    expect(routeOf(optionsOf({ 'eds.retries': '0' }))?.retry_policy).toMatchObject({
      num_retries: 0,
      retry_on: 'connect-failure,refused-stream',
    });
  });

  it('gives a gRPC service no route timeout and retries on unavailable and resource-exhausted too', () => {
    expect(routeOf(optionsOf({ 'eds.protocol': 'grpc' }))).toMatchObject({
      timeout: '0s',
      retry_policy: {
        num_retries: 2,
        retry_on: 'connect-failure,refused-stream,unavailable,resource-exhausted',
      },
    });
    expect(routeOf(optionsOf({ 'eds.protocol': 'grpc', 'eds.timeout': '3s' }))?.timeout).toBe(
      '3.000s',
    );
  });
});

describe('policy labels', () => {
  it('may be set per cluster, even with a dot in the cluster name and in the key', () => {
    const parsed = parseServiceLabels(
      {
        'eds.services.api.v2.health_check.path': '/ready',
        'eds.services.api.v2.port': '80',
        'eds.health_check.interval': '2s',
      },
      'eds',
    );
    expect(
      parsed.ok && parsed.value.map((binding) => [binding.cluster, served(binding.serviceOptions)]),
    ).toEqual([['api.v2', { 'health_check.path': '/ready', 'health_check.interval': '2.000s' }]]);
  });

  it('are each checked, with one problem naming the label and the value', () => {
    const problems = problemsOf({
      'eds.protocol': 'http3',
      'eds.retry_on': '5xx,teapot',
      'eds.timeout': '2h',
      'eds.health_check.healthy_threshold': '0',
      'eds.prefix_rewrite': 'api',
      'eds.health_check.pth': '/x',
    });
    expect(problems).toHaveLength(6);
    expect(problems).toEqual(
      expect.arrayContaining([
        'labels["eds.protocol"]: expected one of http1, http2, grpc, h2c, https, got "http3"',
        expect.stringMatching(
          /^labels\["eds.retry_on"\]: expected retry conditions separated by commas, among 5xx, .*; got "5xx,teapot"$/,
        ),
        'labels["eds.timeout"]: expected a duration from 0ms to 1h (e.g. 250ms, 2s, 1.5s, 5m), got "2h"',
        'labels["eds.health_check.healthy_threshold"]: expected an integer 1-1000, got "0"',
        'labels["eds.prefix_rewrite"]: expected a path starting with / (such as /api), with no fragment or spaces and no query, got "api"',
        'labels["eds.health_check.pth"]: unknown label; did you mean eds.health_check.path?',
      ]),
    );
  });
});
