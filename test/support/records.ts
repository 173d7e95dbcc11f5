import type { ContainerRecord } from '../../src/core/container-record.js';
import type { Endpoint } from '../../src/core/endpoint.js';

/** A running, labelled container on one network, with overrides: the base case of unit scenarios. */
export function aContainer(overrides: Partial<ContainerRecord> = {}): ContainerRecord {
  return {
    id: 'c0ffee000000000000000000000000000000000000000000000000000000beef',
    name: 'shop-web-1',
    labels: { 'eds.service': 'web', 'eds.port': '8080' },
    state: 'running',
    health: 'none',
    stopping: false,
    exposedPorts: [8080],
    networks: [{ name: 'shop_default', ipv4: '172.18.0.3', ipv6: '' }],
    publishedPorts: [],
    ...overrides,
  };
}

/** An endpoint of cluster `web` with overrides. */
export function anEndpoint(overrides: Partial<Endpoint> = {}): Endpoint {
  return {
    cluster: 'web',
    address: '172.18.0.3',
    port: 8080,
    hostname: 'shop-web-1',
    containerId: 'c0ffee000000',
    health: 'healthy',
    weight: undefined,
    priority: 0,
    locality: { region: '', zone: '', subZone: '' },
    canary: undefined,
    source: 'docker',
    ...overrides,
  };
}
