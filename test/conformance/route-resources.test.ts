import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { buildCluster } from '../../src/core/envoy/build-cluster.js';
import type { RouteConfigurationJson } from '../../src/core/envoy/build-route-configuration.js';
import type { Snapshot } from '../../src/core/index/snapshot.js';
import { parseServiceLabels } from '../../src/core/labels/parse-service-labels.js';
import { createSnapshotStore } from '../../src/snapshot-store.js';
import { toHttpListener } from '../support/ads-bootstrap.js';
import { requireEnvoy } from '../support/envoy-binary.js';
import { anEndpoint } from '../support/records.js';
import { lacks } from '../support/test-tools.js';
import { checkProtoJson } from './support/check-proto-json.js';
import { loadEnvoyProtos } from './support/load-envoy-protos.js';

// Every Listener and RouteConfiguration the agent can serve, from random services and labels,
// checked as Envoy and gRPC read them: strict proto decoding with the validate rules, then the
// rules Envoy and gRPC add (unique virtual host names and domains, one wildcard at an end).

const serviceName = fc.constantFrom('web', 'api', 'Web', 'shop.cart', 'admin_v2', 'svc:grpc');
const domain = fc.constantFrom(
  'web',
  'shop.test',
  '*.shop.test',
  'api.*',
  '*',
  'web.localhost',
  'UPPER.test',
);
const labels = fc.record(
  {
    domains: fc.uniqueArray(domain, { minLength: 1, maxLength: 3 }).map((d) => d.join(',')),
    path_prefix: fc.constantFrom('/', '/api', '/api/v2/', '/a-b_c.d~e'),
  },
  { requiredKeys: [] },
);
const services = fc.array(fc.tuple(serviceName, labels), { minLength: 0, maxLength: 8 });

/** The snapshot the agent would serve for these containers (one per service and label set). */
function snapshotOf(containers: [string, Record<string, string>][]): Snapshot {
  const store = createSnapshotStore();
  containers.forEach(([service, extra], i) => {
    const parsed = parseServiceLabels(
      {
        'eds.service': service,
        'eds.port': '80',
        ...Object.fromEntries(Object.entries(extra).map(([key, value]) => [`eds.${key}`, value])),
      },
      'eds',
    );
    if (!parsed.ok) throw new Error(parsed.problems.join('; '));
    const [binding] = parsed.value;
    store.apply([
      [
        `docker:${i}`,
        [
          anEndpoint({
            cluster: service,
            address: `10.0.0.${i + 1}`,
            hostname: `c${i}`,
            ...(binding?.serviceOptions ? { serviceOptions: binding.serviceOptions } : {}),
          }),
        ],
      ],
    ]);
  });
  return store.current();
}

/** The rules Envoy (config_impl.cc) and gRPC (A28) put on a route configuration beyond its proto. */
function checkRouteRules(config: RouteConfigurationJson): string[] {
  const problems: string[] = [];
  const hostNames = new Set<string>();
  const domains = new Set<string>();
  for (const host of config.virtual_hosts) {
    if (hostNames.has(host.name)) problems.push(`virtual host ${host.name} twice`);
    hostNames.add(host.name);
    for (const d of host.domains) {
      if (domains.has(d)) problems.push(`domain ${d} in two virtual hosts`);
      domains.add(d);
      const star = d.indexOf('*');
      if (star !== d.lastIndexOf('*')) problems.push(`domain ${d}: two wildcards`);
      if (star > 0 && star !== d.length - 1) problems.push(`domain ${d}: wildcard in the middle`);
      if (d !== d.toLowerCase()) problems.push(`domain ${d} is not lower case`);
    }
    const prefixes = host.routes.map((route) =>
      'prefix' in route.match
        ? route.match.prefix
        : 'path' in route.match
          ? route.match.path
          : route.match.path_separated_prefix,
    );
    const sorted = [...prefixes].sort((a, b) => b.length - a.length);
    if (prefixes.join() !== sorted.join()) problems.push(`${host.name}: a shorter prefix first`);
  }
  return problems;
}

describe('the route configurations and listeners the agent serves', () => {
  const root = loadEnvoyProtos();

  it('pass strict decoding, the validate rules and the routing rules, whatever the labels', () => {
    fc.assert(
      fc.property(services, (containers) => {
        const snapshot = snapshotOf(containers);
        const problems = [
          ...checkProtoJson(root, 'envoy.config.route.v3.RouteConfiguration', snapshot.routes.json),
          ...checkRouteRules(snapshot.routes.json),
        ];
        for (const [name, resources] of snapshot.services) {
          problems.push(
            ...checkProtoJson(
              root,
              'envoy.config.listener.v3.Listener',
              resources.listener.json,
              name,
            ),
            ...checkProtoJson(
              root,
              'envoy.config.route.v3.RouteConfiguration',
              resources.grpcRoutes.json,
              name,
            ),
          );
        }
        expect(problems).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('would catch a route configuration Envoy refuses (the checks are real)', () => {
    const config = snapshotOf([['web', {}]]).routes.json;
    const broken = {
      ...config,
      virtual_hosts: [...config.virtual_hosts, { ...config.virtual_hosts[0], name: 'again' }],
      typo_field: true,
    };
    expect(checkProtoJson(root, 'envoy.config.route.v3.RouteConfiguration', broken).join()).toMatch(
      /typo_field: unknown field/,
    );
    expect(checkRouteRules(broken as RouteConfigurationJson)).toEqual([
      'domain web in two virtual hosts',
      'domain web.localhost in two virtual hosts',
    ]);
  });
});

// What only a running Envoy checks (a cluster each route names exists, domains unique across
// virtual hosts, the retry predicate known): the shared route configuration, put in a static
// listener beside a static cluster per service, in Envoy's validate mode.
describe.skipIf(lacks('envoy'))('the route configuration, read by Envoy itself', () => {
  const run = promisify(execFile);
  const bootstrap = (snapshot: Snapshot) => ({
    static_resources: {
      listeners: [
        toHttpListener(
          'front',
          { socket_address: { address: '127.0.0.1', port_value: 10000 } },
          { route_config: snapshot.routes.json },
        ),
      ],
      clusters: [...snapshot.services.keys()].map((name) => ({
        ...buildCluster(name),
        type: 'STATIC',
        eds_cluster_config: undefined,
        load_assignment: { cluster_name: name, endpoints: [] },
      })),
    },
  });

  async function validate(config: unknown): Promise<string> {
    const dir = mkdtempSync(join(tmpdir(), 'eds-agent-routes-'));
    const file = join(dir, 'envoy.json');
    writeFileSync(file, JSON.stringify(config));
    try {
      const { stdout, stderr } = await run(
        requireEnvoy(),
        ['--mode', 'validate', '-c', file, '--disable-hot-restart'],
        { timeout: 30_000 },
      );
      return `${stdout}${stderr}`;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('passes `envoy --mode validate` with shared domains, wildcards, prefixes and conflicts', async () => {
    const snapshot = snapshotOf([
      ['web', {}],
      ['Web', {}],
      ['api', { domains: 'web.localhost,*.shop.test', path_prefix: '/api' }],
      ['shop.cart', { domains: '*.shop.test,api.*', path_prefix: '/cart/' }],
      ['admin_v2', { domains: '*' }],
      ['svc:grpc', { domains: 'web.localhost', path_prefix: '/api' }],
    ]);
    expect(snapshot.routes.conflicts.length).toBeGreaterThan(0);
    expect(await validate(bootstrap(snapshot))).toMatch(/configuration '.*' OK/);
  });

  it('would catch what Envoy refuses (the check is real)', async () => {
    const snapshot = snapshotOf([['web', {}]]);
    const config = bootstrap(snapshot);
    config.static_resources.clusters = [];
    await expect(validate(config)).rejects.toMatchObject({
      stderr: expect.stringMatching(/route: unknown cluster 'web'/) as unknown,
    });
  });
});
