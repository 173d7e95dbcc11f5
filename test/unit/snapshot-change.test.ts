import { Writable } from 'node:stream';

import { pino } from 'pino';
import { describe, expect, it } from 'vitest';

import {
  applyClusterEndpoints,
  EMPTY_SNAPSHOT,
  type Snapshot,
} from '../../src/core/index/snapshot.js';
import {
  DEFAULT_SERVICE_OPTIONS as NONE,
  type ServiceOptions,
} from '../../src/core/labels/service-options.js';
import {
  CLUSTER_LOAD_ASSIGNMENT_TYPE_URL as ENDPOINTS_TYPE_URL,
  CLUSTER_TYPE_URL,
  LISTENER_TYPE_URL,
  ROUTE_CONFIGURATION_TYPE_URL,
  SECRET_TYPE_URL,
} from '../../src/core/type-urls.js';
import { createSnapshotStore } from '../../src/snapshot-store.js';
import { toResourceChanges } from '../../src/transports/grpc/create-xds-resources.js';
import { anEndpoint } from '../support/records.js';

const web = (address: string, options?: Partial<ServiceOptions>) =>
  anEndpoint({
    address,
    hostname: `web-${address.slice(-1)}`,
    containerId: `id-${address.slice(-1)}`,
    ...(options ? { serviceOptions: { ...NONE, ...options } } : {}),
  });

function apply(snapshot: Snapshot, cluster: string, endpoints: ReturnType<typeof web>[]) {
  return applyClusterEndpoints(snapshot, [[cluster, endpoints.map((e) => ({ ...e, cluster }))]]);
}

describe('what a change of the snapshot names', () => {
  it('a new service: its assignment, its cluster and listener, the route configurations', () => {
    const { change } = apply(EMPTY_SNAPSHOT, 'web', [web('10.0.0.1')]);
    expect(change).toEqual({
      assignments: ['web'],
      services: ['web'],
      outside: [],
      routeConfigurations: ['eds-agent', 'grpc/web'],
      listeners: [],
      secrets: [],
    });
  });

  it('one more replica: the assignment only', () => {
    const { snapshot } = apply(EMPTY_SNAPSHOT, 'web', [web('10.0.0.1')]);
    const { change, snapshot: after } = apply(snapshot, 'web', [web('10.0.0.1'), web('10.0.0.2')]);
    expect(change).toEqual({
      assignments: ['web'],
      services: [],
      outside: [],
      routeConfigurations: [],
      listeners: [],
      secrets: [],
    });
    expect(after.services.get('web')).toBe(snapshot.services.get('web'));
    expect(after.routes).toBe(snapshot.routes);
  });

  it('a new domain label: the shared route configuration only', () => {
    const { snapshot } = apply(EMPTY_SNAPSHOT, 'web', [web('10.0.0.1')]);
    const { change } = apply(snapshot, 'web', [web('10.0.0.1', { domains: ['shop.test'] })]);
    expect(change).toEqual({
      assignments: [],
      services: [],
      outside: [],
      routeConfigurations: ['eds-agent'],
      listeners: [],
      secrets: [],
    });
  });

  it('a new load-balancing label: the cluster', () => {
    const { snapshot } = apply(EMPTY_SNAPSHOT, 'web', [web('10.0.0.1')]);
    const { change } = apply(snapshot, 'web', [web('10.0.0.1', { lb_policy: 'RANDOM' })]);
    expect(change).toEqual({
      assignments: [],
      services: ['web'],
      outside: [],
      routeConfigurations: [],
      listeners: [],
      secrets: [],
    });
  });

  it('a service gone: everything of it', () => {
    const { snapshot } = apply(EMPTY_SNAPSHOT, 'web', [web('10.0.0.1')]);
    const { change, snapshot: after } = apply(snapshot, 'web', []);
    expect(change).toEqual({
      assignments: ['web'],
      services: ['web'],
      outside: [],
      routeConfigurations: ['eds-agent', 'grpc/web'],
      listeners: [],
      secrets: [],
    });
    expect(after.routes.json.virtual_hosts).toEqual([]);
  });
});

describe('the order a change is pushed in', () => {
  const types = (changes: ReturnType<typeof toResourceChanges>) =>
    changes.filter(([, names]) => names.length > 0).map(([type]) => type.split('.').at(-1));

  it('makes before it breaks: a new service is a cluster and endpoints before a route names it', () => {
    const { snapshot, change } = apply(EMPTY_SNAPSHOT, 'web', [web('10.0.0.1')]);
    expect(types(toResourceChanges(change, snapshot))).toEqual([
      'Cluster',
      'ClusterLoadAssignment',
      'Listener',
      'RouteConfiguration',
    ]);
  });

  it('stops naming a service in listeners and routes before its cluster goes', () => {
    const { snapshot } = apply(EMPTY_SNAPSHOT, 'web', [web('10.0.0.1')]);
    const removed = apply(snapshot, 'web', []);
    const changes = toResourceChanges(removed.change, removed.snapshot);
    expect(changes.map(([type]) => type)).toEqual([
      LISTENER_TYPE_URL,
      ROUTE_CONFIGURATION_TYPE_URL,
      CLUSTER_TYPE_URL,
      ENDPOINTS_TYPE_URL,
      SECRET_TYPE_URL,
    ]);
  });
});

describe('the snapshot store, on label conflicts', () => {
  function storeWithLog() {
    const lines: { msg: string; cluster?: string; container?: string; containerName?: string }[] =
      [];
    const logger = pino(
      { level: 'warn' },
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(JSON.parse(chunk.toString()) as (typeof lines)[number]);
          done();
        },
      }),
    );
    return { store: createSnapshotStore({ logger }), lines };
  }

  it('names each container whose label lost, once, and again only after the conflict came back', () => {
    const { store, lines } = storeWithLog();
    const agreeing = web('10.0.0.2', { domains: ['b.test'] });
    store.apply([
      ['docker:1', [web('10.0.0.1', { domains: ['a.test'] })]],
      ['docker:2', [agreeing]],
      ['docker:3', [web('10.0.0.3', { domains: ['b.test'] })]],
    ]);
    expect(lines.map((line) => [line.container, line.containerName, line.msg])).toEqual([
      [
        'id-1',
        'web-1',
        'service options: domains "a.test" is not used: the containers of this service disagree ("b.test" on 2, "a.test" on 1); using "b.test"',
      ],
    ]);
    store.apply([['docker:4', [web('10.0.0.4')]]]); // a rebuild that settles the same conflict
    expect(lines).toHaveLength(1);
    store.apply([['docker:1', []]]);
    store.apply([['docker:1', [web('10.0.0.1', { domains: ['a.test'] })]]]);
    expect(lines).toHaveLength(2);
  });

  it('names the container of a service whose only domain another service holds, though nothing routed changed', () => {
    const { store, lines } = storeWithLog();
    store.apply([
      ['docker:1', [{ ...web('10.0.0.1', { domains: ['shop.test'] }), cluster: 'api' }]],
    ]);
    store.apply([
      ['docker:2', [{ ...web('10.0.0.2', { domains: ['shop.test'] }), cluster: 'web' }]],
    ]);
    expect(lines.map((line) => [line.cluster, line.container])).toEqual([['web', 'id-2']]);
  });

  it('names each container of a service that lost a domain to another service', () => {
    const { store, lines } = storeWithLog();
    store.apply([
      ['docker:1', [{ ...web('10.0.0.1', { domains: ['shop.test'] }), cluster: 'web' }]],
      ['docker:2', [{ ...web('10.0.0.2', { domains: ['shop.test'] }), cluster: 'web' }]],
      ['docker:3', [{ ...web('10.0.0.3', { domains: ['shop.test'] }), cluster: 'api' }]],
    ]);
    expect(lines.map((line) => [line.cluster, line.container])).toEqual([
      ['web', 'id-1'],
      ['web', 'id-2'],
    ]);
    expect(lines[0]?.msg).toBe(
      'routes: shop.test is claimed by services api and web; routing it to api (first in sort order)',
    );
  });
});
