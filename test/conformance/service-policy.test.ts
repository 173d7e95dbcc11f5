import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { authHttpFilters, outsideAuthUrls } from '../../src/core/envoy/auth-filters.js';
import { buildCluster } from '../../src/core/envoy/build-cluster.js';
import { buildTcpListener } from '../../src/core/envoy/build-listener.js';
import {
  buildOutsideCluster,
  toOutsideClusterName,
} from '../../src/core/envoy/build-outside-cluster.js';
import { buildRouteConfiguration } from '../../src/core/envoy/build-route-configuration.js';
import {
  applyCertificates,
  applyChallenges,
  applyClusterEndpoints,
  toAwaitingSnapshot,
} from '../../src/core/index/snapshot.js';
import { type OptionKey } from '../../src/core/labels/labels.js';
import {
  LB_POLICIES,
  PROTOCOLS,
  RETRY_CONDITIONS,
  TLS_ISSUERS,
} from '../../src/core/labels/option-values.js';
import { parseServiceLabels } from '../../src/core/labels/parse-service-labels.js';
import type { ServiceOptions } from '../../src/core/labels/service-options.js';
import { CLUSTER_TYPE_URL } from '../../src/core/type-urls.js';
import { packAny } from '../../src/transports/grpc/encode-proto3-json.js';
import { toHttpListener } from '../support/ads-bootstrap.js';
import { EDGE_LABEL_VALUES, toEdsLabels } from '../support/edge-label-values.js';
import { requireEnvoy } from '../support/envoy-binary.js';
import { anEndpoint } from '../support/records.js';
import { makeTestPki } from '../support/test-certificates.js';
import { lacks } from '../support/test-tools.js';
import { checkProtoJson } from './support/check-proto-json.js';
import { loadEnvoyProtos } from './support/load-envoy-protos.js';

// A service's whole traffic policy from its labels: whatever valid values its option labels
// carry, in any combination, the Cluster, RouteConfiguration and TCP Listener built from them pass
// Envoy's strict decoding and validate rules, and the Cluster survives its binary form.

const duration = (...values: string[]) => fc.constantFrom(...values);
const count = (min: number, max: number) => fc.integer({ min, max }).map(String);

/** Valid text for each option label, as a user would write it. */
const OPTION_VALUES: { [K in OptionKey]: fc.Arbitrary<string> } = {
  lb_policy: fc.constantFrom(...LB_POLICIES.map((policy) => policy.toLowerCase())),
  connect_timeout: duration('1ms', '250ms', '1.5s', '60s'),
  domains: fc.constantFrom('shop.test', '*.api.test,api.test', '*'),
  path_prefix: fc.constantFrom('/', '/api', '/v1/items/'),
  protocol: fc.constantFrom(...PROTOCOLS),
  'health_check.path': fc.constantFrom('/', '/health', '/healthz?full=1'),
  'health_check.interval': duration('10ms', '500ms', '5s', '1h'),
  'health_check.timeout': duration('10ms', '1s', '30s'),
  'health_check.healthy_threshold': count(1, 1000),
  'health_check.unhealthy_threshold': count(1, 1000),
  'outlier.consecutive_5xx': count(1, 1000),
  'outlier.base_ejection_time': duration('1ms', '30s', '1h'),
  'outlier.max_ejection_percent': count(0, 100),
  max_connections: count(1, 1_000_000_000),
  max_pending_requests: count(1, 1_000_000_000),
  max_requests: count(1, 1_000_000_000),
  max_retries: count(1, 1_000_000_000),
  timeout: duration('0s', '200ms', '15s', '1h'),
  idle_timeout: duration('0s', '1s', '1h'),
  retries: count(0, 10),
  retry_on: fc
    .uniqueArray(fc.constantFrom(...RETRY_CONDITIONS), { minLength: 1 })
    .map((conditions) => conditions.join(',')),
  websocket: fc.constantFrom('true', 'false', 'TRUE'),
  prefix_rewrite: fc.constantFrom('/', '/v2/', '/internal'),
  tcp_port: count(1, 65535),
  tls: fc.constantFrom('true', 'false'),
  'tls.redirect': fc.constantFrom('true', 'false'),
  'tls.hsts': count(0, 63_072_000),
  'tls.issuer': fc.constantFrom(...TLS_ISSUERS),
  'tls.upstream_sni': fc.constantFrom('web', 'api.internal', 'Shop.Example.com'),
  'tls.upstream_verify': fc.constantFrom('true', 'false'),
  ...EDGE_LABEL_VALUES,
};

/** A CA for `eds.protocol=https` clusters (its text is not read by the proto checks). */
const UPSTREAM_CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

/** The front door the property builds over each service. */
const FRONT_DOOR = {
  http: { address: '0.0.0.0', port: 80 },
  https: { address: '0.0.0.0', port: 8443 },
  trustedHops: 1,
  proxyProtocol: true,
};

/** Any subset of the option labels, each with a valid value. */
const anyPolicyLabels = fc.record(OPTION_VALUES, { requiredKeys: [] });

/** The options a container with these labels gives its service. */
function optionsOf(labels: Record<string, string>): ServiceOptions {
  const prefixed = toEdsLabels(labels);
  const parsed = parseServiceLabels({ 'eds.service': 'web', ...prefixed }, 'eds');
  if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
  return parsed.value[0]?.serviceOptions ?? {};
}

describe('the resources of a service, whatever policy its labels set', () => {
  const root = loadEnvoyProtos();

  it('every combination parses, and gives a Cluster and routes Envoy accepts', () => {
    fc.assert(
      fc.property(anyPolicyLabels, (labels) => {
        const options = optionsOf(labels);
        const cluster = buildCluster('web', options, UPSTREAM_CA);
        expect(checkProtoJson(root, 'envoy.config.cluster.v3.Cluster', cluster)).toEqual([]);
        const routes = buildRouteConfiguration('eds-agent', [{ service: 'web', options }]).json;
        expect(checkProtoJson(root, 'envoy.config.route.v3.RouteConfiguration', routes)).toEqual(
          [],
        );
        if (options.tcp_port !== undefined)
          expect(
            checkProtoJson(
              root,
              'envoy.config.listener.v3.Listener',
              buildTcpListener('web', options.tcp_port),
            ),
          ).toEqual([]);
        // The front door over the same service, its certificates in: listeners, the HTTP
        // listener's routes (redirects, an ACME answer) and the secrets.
        const front = toAwaitingSnapshot([], { frontDoor: FRONT_DOOR, upstreamCa: UPSTREAM_CA });
        const { snapshot } = applyClusterEndpoints(front, [
          ['web', [anEndpoint({ cluster: 'web', serviceOptions: options })]],
        ]);
        const domains = [...(snapshot.frontDoor?.tls.domains.keys() ?? [])];
        const served = applyChallenges(
          applyCertificates(
            snapshot,
            domains.map((domain) => ({ domain, certificateChain: 'c', privateKey: 'k' })),
          ).snapshot,
          new Map([['token', 'token.key']]),
        ).snapshot;
        for (const listener of served.frontDoor?.listeners.values() ?? [])
          expect(checkProtoJson(root, 'envoy.config.listener.v3.Listener', listener.json)).toEqual(
            [],
          );
        expect(
          checkProtoJson(
            root,
            'envoy.config.route.v3.RouteConfiguration',
            served.frontDoor?.httpRoutes?.json,
          ),
        ).toEqual([]);
        for (const outside of served.frontDoor?.outside.values() ?? [])
          expect(checkProtoJson(root, 'envoy.config.cluster.v3.Cluster', outside.json)).toEqual([]);
        for (const secret of served.secrets.values())
          expect(
            checkProtoJson(root, 'envoy.extensions.transport_sockets.tls.v3.Secret', secret.json),
          ).toEqual([]);
        const any = packAny(root, { '@type': CLUSTER_TYPE_URL, ...cluster });
        const type = root.lookupType('envoy.config.cluster.v3.Cluster');
        expect(type.decode(any.value).toJSON()).toMatchObject({ name: 'web' });
      }),
      { numRuns: 300 },
    );
  });

  it('would catch a value Envoy refuses (the check is not blind)', () => {
    const cluster = buildCluster('web', { 'health_check.path': '/health' });
    const broken = {
      ...cluster,
      health_checks: [{ ...cluster.health_checks?.[0], unhealthy_threshold: undefined }],
    };
    expect(checkProtoJson(root, 'envoy.config.cluster.v3.Cluster', broken).join()).toMatch(
      /unhealthy_threshold/,
    );
  });
});

// The proto checks cannot see what only a running Envoy enforces; Envoy's validate mode can.
// One bootstrap holds a cluster per drawn combination of labels, the routes over all of them
// and each TCP listener; Envoy must take it all.
describe.skipIf(lacks('envoy', 'openssl'))('the same resources, read by Envoy itself', () => {
  it('passes `envoy --mode validate` for 40 drawn combinations of policy labels at once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eds-agent-validate-'));
    // A real CA: Envoy reads the one an outside auth host's cluster verifies against.
    const ca = readFileSync(makeTestPki(dir, 'outside').server.ca, 'utf8');
    const drawn = fc.sample(anyPolicyLabels, 40);
    const services = drawn.map((labels, i) => {
      const options = optionsOf(labels);
      // Distinct ports: two listeners may not share one.
      const tcpPort = options.tcp_port === undefined ? undefined : 20_000 + i;
      return {
        name: `policy-${i}`,
        options: { ...options, ...(tcpPort ? { tcp_port: tcpPort } : {}) },
        labels,
      };
    });
    const loopback = (port: number) => ({
      socket_address: { address: '127.0.0.1', port_value: port },
    });
    const bootstrap = {
      node: { id: 'validate', cluster: 'validate' },
      dynamic_resources: {
        ads_config: {
          api_type: 'GRPC',
          transport_api_version: 'V3',
          grpc_services: [{ envoy_grpc: { cluster_name: 'xds' } }],
        },
      },
      static_resources: {
        clusters: [
          {
            name: 'xds',
            type: 'STATIC',
            typed_extension_protocol_options: {
              'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
                '@type':
                  'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
                explicit_http_config: { http2_protocol_options: {} },
              },
            },
            load_assignment: {
              cluster_name: 'xds',
              endpoints: [{ lb_endpoints: [{ endpoint: { address: loopback(18000) } }] }],
            },
          },
          ...services.map(({ name, options }) => buildCluster(name, options)),
          ...new Map(
            services
              .flatMap(({ options }) => outsideAuthUrls(options))
              .map((url) => [toOutsideClusterName(url), buildOutsideCluster(url, ca)]),
          ).values(),
        ],
        listeners: [
          toHttpListener(
            'ingress',
            loopback(10000),
            {
              route_config: buildRouteConfiguration(
                'eds-agent',
                services.map(({ name, options }) => ({ service: name, options })),
              ).json,
            },
            authHttpFilters(services.map(({ options }) => options)),
          ),
          ...services.flatMap(({ name, options }) =>
            options.tcp_port === undefined ? [] : [buildTcpListener(name, options.tcp_port)],
          ),
        ],
      },
    };
    try {
      const path = join(dir, 'envoy.json');
      writeFileSync(path, JSON.stringify(bootstrap));
      const outcome = await promisify(execFile)(
        requireEnvoy(),
        ['--mode', 'validate', '-c', path, '--disable-hot-restart'],
        { timeout: 60_000 },
      ).catch((error: unknown) => error as { stdout?: string; stderr?: string });
      const text = `${outcome.stdout ?? ''}${outcome.stderr ?? ''}`;
      const drawnText = services.map(({ name, labels }) => `${name}: ${JSON.stringify(labels)}`);
      expect(text, drawnText.join('\n')).toMatch(/configuration '.*' OK/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
