import { Writable } from 'node:stream';

import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';

import { toClusterResource } from '../../src/core/index/snapshot.js';
import { createSnapshotStore } from '../../src/snapshot-store.js';
import type { DockerTask } from '../../src/sources/engine/docker-json.js';
import {
  startSwarmSource,
  SWARM_SOURCE,
  type SwarmMode,
  type SwarmSource,
  type SwarmSourceTiming,
} from '../../src/sources/swarm/start-swarm-source.js';
import { eventually, holdsFor } from '../support/eventually.js';
import { FakeDockerEngine } from '../support/fake-docker-engine.js';

const NODE = 'node-1';

/** A manager's Swarm with service `web` (labelled, host-mode port 8000) and `tasks` running tasks. */
function swarmWith(tasks: number) {
  const engine = new FakeDockerEngine();
  engine.swarm = {
    nodeId: NODE,
    services: [
      {
        ID: 'svc-web',
        Spec: {
          Name: 'web',
          Labels: { 'eds.service': 'web', 'eds.port': '8000' },
          EndpointSpec: { Ports: [{ Protocol: 'tcp', TargetPort: 8000, PublishMode: 'host' }] },
        },
      },
      { ID: 'svc-other', Spec: { Name: 'other', Labels: {} } },
    ],
    tasks: [],
    nodes: [{ ID: NODE, Status: { State: 'ready', Addr: '127.0.0.1' } }],
  };
  for (let slot = 1; slot <= tasks; slot++) addTask(engine, slot);
  return engine;
}

/** A running task of `web` in `slot`, at host port 30000 + slot. */
function addTask(engine: FakeDockerEngine, slot: number, state = 'running'): DockerTask {
  const task: DockerTask = {
    ID: `task-${slot}`,
    ServiceID: 'svc-web',
    NodeID: NODE,
    Slot: slot,
    DesiredState: 'running',
    Status: {
      State: state,
      PortStatus: {
        Ports: [
          { Protocol: 'tcp', TargetPort: 8000, PublishedPort: 30000 + slot, PublishMode: 'host' },
        ],
      },
    },
  };
  engine.swarm?.tasks.push(task);
  return task;
}

const taskIn = (engine: FakeDockerEngine, slot: number) =>
  engine.swarm?.tasks.find((task) => task.Slot === slot) as {
    -readonly [K in keyof DockerTask]: DockerTask[K];
  };

// The Swarm source's reconciles against an engine whose Swarm the test writes: what it reads,
// how often, and what a task's state becomes in the store.
describe('the Swarm source', () => {
  let source: SwarmSource | undefined;
  afterEach(async () => {
    await source?.stop();
  });

  const start = (
    engine: FakeDockerEngine,
    timing: Partial<SwarmSourceTiming> = {},
    mode: SwarmMode = 'auto',
  ) => {
    const store = createSnapshotStore({ awaiting: [SWARM_SOURCE] });
    const logs: { msg: string }[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n'))
          if (line) logs.push(JSON.parse(line) as { msg: string });
        done();
      },
    });
    source = startSwarmSource({
      client: engine,
      store,
      address: { addressMode: 'host', hostIp: '127.0.0.1', network: undefined, labelPrefix: 'eds' },
      logger: pino({ level: 'debug' }, sink),
      mode,
      timing: {
        retry: { minTimeout: 10, maxTimeout: 20 },
        resyncMs: 60_000,
        convergingMs: 50,
        ...timing,
      },
    });
    const hosts = () =>
      toClusterResource(store.current(), 'web')
        .assignment.endpoints.flatMap((l) => l.lb_endpoints)
        .map((lb) => `${lb.endpoint.address.socket_address.port_value} ${lb.health_status}`)
        .sort();
    return { store, hosts, logs, source };
  };

  it('serves the running tasks of labelled services, reading the whole Swarm in three calls', async () => {
    const engine = swarmWith(3);
    const { hosts, store, source } = start(engine);
    await source.firstSync;
    expect(store.current().awaiting).toEqual([]);
    expect(hosts()).toEqual(['30001 HEALTHY', '30002 HEALTHY', '30003 HEALTHY']);
    expect(engine.swarmCalls).toEqual(['info', 'services', 'tasks', 'nodes']);
  });

  it('reconciles at once on a service event, and within the converging period while tasks start', async () => {
    const engine = swarmWith(1);
    const { hosts, source } = start(engine);
    await source.firstSync;
    addTask(engine, 2, 'preparing');
    engine.emitSwarm('service', 'update', 'svc-web');
    await eventually(
      'the event is read',
      () => engine.swarmCalls.length,
      (n) => n >= 7,
    );
    expect(hosts()).toEqual(['30001 HEALTHY']);
    // No event comes when the task is running: the next reconcile, 50 ms on, finds it.
    taskIn(engine, 2).Status = { ...taskIn(engine, 2).Status, State: 'running' };
    await eventually('the started task is served', hosts, (h) => h.length === 2, {
      timeoutMs: 1000,
    });
  });

  it('drains a task asked to stop at once, and withdraws it when it has stopped', async () => {
    const engine = swarmWith(2);
    const { hosts, source } = start(engine);
    await source.firstSync;
    const leaving = taskIn(engine, 2);
    leaving.DesiredState = 'remove';
    // Swarm clears a stopping task's port status: it is still served where it was.
    leaving.Status = { State: 'running' };
    engine.emitSwarm('service', 'update', 'svc-web');
    await eventually('draining', hosts, (h) => h.join() === '30001 HEALTHY,30002 DRAINING');
    leaving.Status = { State: 'shutdown' };
    await eventually('withdrawn', hosts, (h) => h.join() === '30001 HEALTHY', { timeoutMs: 1000 });
  });

  it("withdraws the tasks of a node that is not ready, on the node's event", async () => {
    const engine = swarmWith(2);
    const { hosts, source } = start(engine);
    await source.firstSync;
    const node = engine.swarm?.nodes[0];
    if (node)
      engine.swarm = {
        ...(engine.swarm as NonNullable<typeof engine.swarm>),
        nodes: [{ ...node, Status: { State: 'down' } }],
      };
    engine.emitSwarm('node', 'update', NODE);
    await eventually('withdrawn', hosts, (h) => h.length === 0);
  });

  it('reads the whole Swarm again on every reconnect, and keeps what it served meanwhile', async () => {
    const engine = swarmWith(2);
    const { hosts, source } = start(engine);
    await source.firstSync;
    engine.goDown();
    taskIn(engine, 2).Status = { State: 'shutdown' };
    await holdsFor(
      'what was served is kept while the engine is down',
      hosts,
      (h) => h.join() === '30001 HEALTHY,30002 HEALTHY',
      50,
      10,
    );
    engine.down = false;
    await eventually('re-read after the reconnect', hosts, (h) => h.join() === '30001 HEALTHY');
  });

  it('counts as synced with nothing to serve on an engine that is no manager, and says so when told to expect one', async () => {
    const engine = new FakeDockerEngine();
    const { hosts, logs, source, store } = start(engine, {}, 'on');
    await source.firstSync;
    expect(store.current().awaiting).toEqual([]);
    expect(hosts()).toEqual([]);
    expect(source.status()).toEqual({ synced: true, active: false });
    expect(
      logs.some((log) =>
        log.msg.startsWith('--swarm on: the Docker engine is not a Swarm manager'),
      ),
    ).toBe(true);
    expect(engine.swarmCalls).toEqual(['info']);
  });

  it('warns once of ports published on the routing mesh, which are no endpoints', async () => {
    const engine = swarmWith(1);
    const web = engine.swarm?.services[0];
    if (web?.Spec?.EndpointSpec)
      (web.Spec.EndpointSpec as { Ports: unknown[] }).Ports.push({
        Protocol: 'tcp',
        TargetPort: 8000,
        PublishedPort: 8080,
        PublishMode: 'ingress',
      });
    const { logs, source } = start(engine, { resyncMs: 20 });
    await source.firstSync;
    await eventually(
      'several reconciles',
      () => engine.swarmCalls.length,
      (n) => n > 12,
    );
    expect(logs.filter((log) => log.msg.includes('on the routing mesh'))).toHaveLength(1);
  });
});
