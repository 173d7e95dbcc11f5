import { describe, expect, it } from 'vitest';

import type { AddressOptions } from '../../src/core/labels/to-container-endpoints.js';
import { toContainerEndpoints } from '../../src/core/labels/to-container-endpoints.js';
import { aContainer, anEndpoint } from '../support/records.js';

const containerMode: AddressOptions = {
  addressMode: 'container',
  hostIp: '127.0.0.1',
  network: undefined,
  labelPrefix: 'eds',
};
const hostMode: AddressOptions = { ...containerMode, addressMode: 'host' };

describe('toContainerEndpoints: whether a container is served', () => {
  it('serves a running container without a HEALTHCHECK as HEALTHY', () => {
    expect(toContainerEndpoints(aContainer(), containerMode)).toEqual({
      kind: 'served',
      endpoints: [anEndpoint()],
      notes: [],
    });
  });

  it('serves a container whose HEALTHCHECK passes', () => {
    const outcome = toContainerEndpoints(aContainer({ health: 'healthy' }), containerMode);
    expect(outcome.kind === 'served' && outcome.endpoints[0]?.health).toBe('healthy');
  });

  it.each([
    ['health starting', { health: 'starting' as const }],
    ['health unhealthy', { health: 'unhealthy' as const }],
    ['paused', { state: 'paused' as const }],
    ['not running', { state: 'not-running' as const }],
  ])('withholds a container that is %s', (reason, overrides) => {
    expect(toContainerEndpoints(aContainer(overrides), containerMode)).toEqual({
      kind: 'withheld',
      reason,
    });
  });

  it('drains a container that got its stop signal', () => {
    const outcome = toContainerEndpoints(aContainer({ stopping: true }), containerMode);
    expect(outcome.kind === 'served' && outcome.endpoints[0]?.health).toBe('draining');
  });

  it('withholds rather than drains a stopping container that is unhealthy', () => {
    expect(
      toContainerEndpoints(aContainer({ stopping: true, health: 'unhealthy' }), containerMode).kind,
    ).toBe('withheld');
  });

  it('ignores containers not labelled for us', () => {
    expect(toContainerEndpoints(aContainer({ labels: { app: 'web' } }), containerMode)).toEqual({
      kind: 'ignored',
    });
  });

  it('reports invalid labels as a value, with every problem', () => {
    expect(
      toContainerEndpoints(
        aContainer({ labels: { 'eds.service': 'web', 'eds.port': 'http' } }),
        containerMode,
      ),
    ).toEqual({
      kind: 'invalid',
      problems: ['labels["eds.port"]: expected an integer 1-65535, got "http"'],
    });
  });

  it('carries weight, priority, locality and canary onto the endpoint', () => {
    const outcome = toContainerEndpoints(
      aContainer({
        labels: {
          'eds.service': 'web',
          'eds.port': '8080',
          'eds.weight': '5',
          'eds.priority': '2',
          'eds.zone': 'z1',
          'eds.canary': 'false',
        },
      }),
      containerMode,
    );
    expect(outcome.kind === 'served' && outcome.endpoints).toEqual([
      anEndpoint({
        weight: 5,
        priority: 2,
        locality: { region: '', zone: 'z1', subZone: '' },
        canary: false,
      }),
    ]);
  });

  it('gives one endpoint per cluster for a multi-service container', () => {
    const outcome = toContainerEndpoints(
      aContainer({
        labels: { 'eds.services.api.port': '8080', 'eds.services.admin.port': '9090' },
        exposedPorts: [8080, 9090],
      }),
      containerMode,
    );
    expect(
      outcome.kind === 'served' && outcome.endpoints.map((e) => `${e.cluster}:${e.port}`),
    ).toEqual(['admin:9090', 'api:8080']);
  });
});

describe('toContainerEndpoints: the port', () => {
  it('uses the only exposed port when eds.port is absent', () => {
    const outcome = toContainerEndpoints(
      aContainer({ labels: { 'eds.service': 'web' }, exposedPorts: [3000] }),
      containerMode,
    );
    expect(outcome).toMatchObject({ kind: 'served', endpoints: [{ port: 3000 }], notes: [] });
  });

  it('uses the lowest of several exposed ports, with a warning', () => {
    const outcome = toContainerEndpoints(
      aContainer({ labels: { 'eds.service': 'web' }, exposedPorts: [80, 443, 9000] }),
      containerMode,
    );
    expect(outcome).toMatchObject({
      kind: 'served',
      endpoints: [{ port: 80 }],
      notes: [
        {
          level: 'warn',
          message:
            'labels["eds.port"]: not set and the container exposes 80, 443, 9000; using the lowest, 80',
        },
      ],
    });
  });

  it('is invalid when no port is labelled and none is exposed', () => {
    expect(
      toContainerEndpoints(
        aContainer({ labels: { 'eds.service': 'web' }, exposedPorts: [] }),
        containerMode,
      ),
    ).toEqual({
      kind: 'invalid',
      problems: [
        'labels["eds.port"]: not set, and the container exposes no TCP port to choose from',
      ],
    });
  });
});

describe('toContainerEndpoints: container address mode', () => {
  const twoNetworks = [
    { name: 'shop_front', ipv4: '172.19.0.4', ipv6: '' },
    { name: 'shop_back', ipv4: '172.20.0.5', ipv6: '' },
  ];

  it('picks the first network by name when none is chosen, and says so', () => {
    const outcome = toContainerEndpoints(aContainer({ networks: twoNetworks }), containerMode);
    expect(outcome).toMatchObject({
      kind: 'served',
      endpoints: [{ address: '172.20.0.5' }],
      notes: [
        {
          level: 'info',
          message: expect.stringContaining(
            'using "shop_back", the first by name of shop_back, shop_front',
          ) as unknown,
        },
      ],
    });
  });

  it('uses --network when the container is on it', () => {
    const outcome = toContainerEndpoints(aContainer({ networks: twoNetworks }), {
      ...containerMode,
      network: 'shop_front',
    });
    expect(outcome).toMatchObject({
      kind: 'served',
      endpoints: [{ address: '172.19.0.4' }],
      notes: [],
    });
  });

  it('falls back from an absent --network to the first by name, and says so', () => {
    const outcome = toContainerEndpoints(aContainer({ networks: twoNetworks }), {
      ...containerMode,
      network: 'other',
    });
    expect(outcome).toMatchObject({
      kind: 'served',
      endpoints: [{ address: '172.20.0.5' }],
      notes: [
        {
          level: 'info',
          message: expect.stringContaining('not attached to --network "other"') as unknown,
        },
      ],
    });
  });

  it('uses eds.network over --network', () => {
    const outcome = toContainerEndpoints(
      aContainer({
        networks: twoNetworks,
        labels: { 'eds.service': 'web', 'eds.port': '8080', 'eds.network': 'shop_front' },
      }),
      { ...containerMode, network: 'shop_back' },
    );
    expect(outcome).toMatchObject({ kind: 'served', endpoints: [{ address: '172.19.0.4' }] });
  });

  it('is invalid when eds.network names a network the container is not on', () => {
    const outcome = toContainerEndpoints(
      aContainer({
        labels: { 'eds.service': 'web', 'eds.port': '8080', 'eds.network': 'elsewhere' },
      }),
      containerMode,
    );
    expect(outcome).toEqual({
      kind: 'invalid',
      problems: [
        'labels["eds.network"]: the container has no IP address on network "elsewhere" (it has: shop_default)',
      ],
    });
  });

  it('uses the IPv6 address on an IPv6-only network', () => {
    const outcome = toContainerEndpoints(
      aContainer({ networks: [{ name: 'v6', ipv4: '', ipv6: 'fd00::3' }] }),
      containerMode,
    );
    expect(outcome).toMatchObject({ kind: 'served', endpoints: [{ address: 'fd00::3' }] });
  });

  it('is invalid with no IP on any network (network mode host)', () => {
    const outcome = toContainerEndpoints(
      aContainer({ networks: [{ name: 'host', ipv4: '', ipv6: '' }] }),
      containerMode,
    );
    expect(outcome.kind === 'invalid' && outcome.problems[0]).toMatch(
      /no IP address on any network/,
    );
  });
});

describe('toContainerEndpoints: host address mode', () => {
  it('advertises --host-ip for a port published on all interfaces', () => {
    const outcome = toContainerEndpoints(
      aContainer({
        publishedPorts: [
          { containerPort: 8080, hostIp: '::', hostPort: 32768 },
          { containerPort: 8080, hostIp: '0.0.0.0', hostPort: 32768 },
        ],
      }),
      { ...hostMode, hostIp: '192.0.2.10' },
    );
    expect(outcome).toMatchObject({
      kind: 'served',
      endpoints: [{ address: '192.0.2.10', port: 32768 }],
    });
  });

  it('advertises the host IP Docker reports for a port published on one interface', () => {
    const outcome = toContainerEndpoints(
      aContainer({
        publishedPorts: [{ containerPort: 8080, hostIp: '127.0.0.1', hostPort: 40001 }],
      }),
      hostMode,
    );
    expect(outcome).toMatchObject({
      kind: 'served',
      endpoints: [{ address: '127.0.0.1', port: 40001 }],
    });
  });

  it('is invalid when the port is not published', () => {
    const outcome = toContainerEndpoints(
      aContainer({ publishedPorts: [{ containerPort: 9090, hostIp: '0.0.0.0', hostPort: 40002 }] }),
      hostMode,
    );
    expect(outcome).toEqual({
      kind: 'invalid',
      problems: [
        'labels["eds.port"]: container port 8080/tcp is not published on the host, which --address-mode host needs',
      ],
    });
  });
});
