import { pino } from 'pino';
import { describe, expect, it } from 'vitest';

import { Duration } from '../../src/core/duration.js';
import { findUnseenOptions, NO_AGENT_LISTENER } from '../../src/core/labels/find-unseen-options.js';
import type { ServiceOptions } from '../../src/core/labels/service-options.js';
import type { GrpcStreamStatus, RestPoller } from '../../src/status/client-status.js';
import { createUnseenOptionsWarner } from '../../src/status/create-unseen-options-warner.js';

// A label that reaches Envoy by a type no client takes from the agent does nothing: the agent
// says so, once.

const web: ServiceOptions = {
  timeout: Duration.ofMs(2000),
  retries: 3,
  lb_policy: 'LEAST_REQUEST',
};

describe('options no client can see', () => {
  it('are those whose xDS type no client subscribes to', () => {
    const services = [['web', web] as const, ['plain', {}] as const];
    expect(findUnseenOptions(services, new Set(['Cluster', 'ClusterLoadAssignment']))).toEqual([
      { service: 'web', type: 'RouteConfiguration', keys: ['retries', 'timeout'] },
    ]);
    expect(findUnseenOptions(services, new Set())).toEqual([
      { service: 'web', type: 'Cluster', keys: ['lb_policy'] },
      { service: 'web', type: 'RouteConfiguration', keys: ['retries', 'timeout'] },
    ]);
    expect(
      findUnseenOptions(services, new Set(['Cluster', 'RouteConfiguration', 'Listener'])),
    ).toEqual([]);
  });

  it("count an edge label as needing the agent's listeners when it serves none", () => {
    const guarded: ServiceOptions = { 'auth.basic': ['a:{SHA}x'], 'headers.request.remove': ['x'] };
    const all = new Set(['Cluster', 'RouteConfiguration', 'Listener']);
    // Headers are fields of the route: any listener routed by the agent applies them.
    // Even for a client that takes listeners: the agent serves none with the chain.
    expect(findUnseenOptions([['web', guarded]], all, false)).toEqual([
      { service: 'web', type: NO_AGENT_LISTENER, keys: ['auth.basic'] },
    ]);
    expect(findUnseenOptions([['web', guarded]], all, true)).toEqual([]);
  });
});

describe('the warning about options no client can see', () => {
  const stream = (...types: string[]): GrpcStreamStatus => ({
    node: 'envoy',
    service: 'ads',
    protocol: 'sotw',
    connectedAt: '',
    types: types.map((type) => ({
      type,
      names: ['*'],
      namesTotal: 1,
      sent: undefined,
      acked: undefined,
      lastNack: undefined,
    })),
  });
  function setUp() {
    const lines: { msg: string; labels?: string[] }[] = [];
    const logger = pino(
      { level: 'warn' },
      {
        write: (line: string) => lines.push(JSON.parse(line) as { msg: string; labels?: string[] }),
      },
    );
    let streams: GrpcStreamStatus[] = [];
    const warner = createUnseenOptionsWarner(
      {
        services: () => [['web', web] as const],
        restPollers: () => [] as RestPoller[],
        grpcStreams: () => streams,
        agentListeners: true,
      },
      logger,
      'eds',
    );
    return { lines, warner, connect: (next: GrpcStreamStatus[]) => (streams = next) };
  }

  it('is given once, when a label stayed unseen at two checks while a client was connected', () => {
    const { lines, warner, connect } = setUp();
    warner.check();
    warner.check(); // no client yet: nothing is seen, nothing is wrong
    expect(lines).toEqual([]);
    connect([stream('Cluster', 'ClusterLoadAssignment')]); // Envoy with static routes
    warner.check();
    expect(lines).toEqual([]); // a client may still be subscribing
    warner.check();
    warner.check();
    expect(lines.map((line) => line.labels)).toEqual([['eds.retries', 'eds.timeout']]);
    expect(lines[0]?.msg).toMatch(
      /of service web reach Envoy in its RouteConfiguration, which no client takes/,
    );
  });

  it('is given again only after some client saw the labels meanwhile', () => {
    const { lines, warner, connect } = setUp();
    connect([stream('Cluster')]);
    warner.check();
    warner.check();
    connect([stream('Cluster', 'RouteConfiguration')]);
    warner.check();
    connect([stream('Cluster')]);
    warner.check();
    warner.check();
    expect(lines).toHaveLength(2);
  });
});
