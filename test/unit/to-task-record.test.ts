import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { toContainerEndpoints } from '../../src/core/labels/to-container-endpoints.js';
import type {
  DockerNode,
  DockerService,
  DockerTask,
} from '../../src/sources/engine/docker-json.js';
import {
  ingressPorts,
  isServiceConverging,
  isTaskConverging,
  keepAddresses,
  type SwarmState,
  taskLabels,
  toTaskRecord,
} from '../../src/sources/swarm/to-task-record.js';

// Captured from a real single-node Swarm (Docker 20.10, `swarm init --advertise-addr
// 127.0.0.1`): service `web` labelled `eds.service=web`, `eds.port=8000` with the container
// label `eds.weight=2`, published `mode=host,target=8000`, just scaled 2 → 1 (its slot 2 asked
// to `remove` and still running, its port status already cleared); service `api` on the
// overlay network `apps` with an ingress port 18555.
const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../fixtures/swarm/${name}`, import.meta.url), 'utf8'));
const tasks = fixture('tasks.json') as DockerTask[];
const services = fixture('services.json') as DockerService[];
const nodes = fixture('nodes.json') as DockerNode[];
const localNodeId = (fixture('info.json') as { Swarm: { NodeID: string } }).Swarm.NodeID;
const state: SwarmState = {
  services: new Map(services.map((service) => [service.ID, service])),
  nodes: new Map(nodes.map((node) => [node.ID, node])),
  localNodeId,
};
const serviceNamed = (name: string) => services.find((s) => s.Spec?.Name === name) as DockerService;
const tasksOf = (name: string) => tasks.filter((task) => task.ServiceID === serviceNamed(name).ID);
const byDesire = (name: string, desired: string) =>
  tasksOf(name).find((task) => task.DesiredState === desired) as DockerTask;
const ADDRESS = {
  addressMode: 'host',
  hostIp: '127.0.0.1',
  network: undefined,
  labelPrefix: 'eds',
} as const;

describe('Swarm task → ContainerRecord', () => {
  it('reads a running task with its service labels winning over its container labels', () => {
    const task = byDesire('web', 'running');
    const record = toTaskRecord(task, state);
    expect(record).toMatchObject({
      id: task.ID,
      name: `web.1.${task.ID}`,
      labels: { 'eds.service': 'web', 'eds.port': '8000', 'eds.weight': '2' },
      state: 'running',
      health: 'none',
      stopping: false,
      exposedPorts: [8000],
      networks: [],
      // Listed once per address family by Swarm; the local node's ports are at --host-ip.
      publishedPorts: [{ containerPort: 8000, hostIp: '', hostPort: 32768 }],
    });
    const withContainerLabel = {
      ...task,
      Spec: { ContainerSpec: { Labels: { 'eds.port': '9000', 'eds.weight': '2' } } },
    };
    expect(taskLabels(withContainerLabel, serviceNamed('web'))['eds.port']).toBe('8000');
  });

  it('serves it in host mode at the port Swarm published for it', () => {
    const record = toTaskRecord(byDesire('web', 'running'), state);
    if (!record) throw new Error('no record');
    const outcome = toContainerEndpoints(record, ADDRESS);
    expect(outcome).toMatchObject({
      kind: 'served',
      endpoints: [
        { cluster: 'web', address: '127.0.0.1', port: 32768, weight: 2, health: 'healthy' },
      ],
    });
  });

  it('drains a task asked to go that still runs, at the addresses it had', () => {
    const leaving = byDesire('web', 'remove');
    expect(leaving.Status?.State).toBe('running');
    const record = toTaskRecord(leaving, state);
    expect(record?.stopping).toBe(true);
    expect(record?.publishedPorts).toEqual([]); // Swarm cleared them as it began to stop it
    const last = {
      ...(record as NonNullable<typeof record>),
      stopping: false,
      publishedPorts: [{ containerPort: 8000, hostIp: '', hostPort: 32769 }],
    };
    const kept = keepAddresses(record as NonNullable<typeof record>, last);
    expect(toContainerEndpoints(kept, ADDRESS)).toMatchObject({
      kind: 'served',
      endpoints: [{ port: 32769, health: 'draining' }],
    });
    // A task that is not stopping keeps what it says now.
    const running = toTaskRecord(byDesire('web', 'running'), state);
    expect(keepAddresses(running as NonNullable<typeof running>, last)).toBe(running);
  });

  it("gives a task on an overlay network its address there, not the routing mesh's", () => {
    const record = toTaskRecord(byDesire('api', 'running'), state);
    expect(record?.networks).toEqual([{ name: 'apps', ipv4: '10.0.1.3', ipv6: '' }]);
    expect(
      toContainerEndpoints(record as NonNullable<typeof record>, {
        ...ADDRESS,
        addressMode: 'container',
      }),
    ).toMatchObject({
      kind: 'served',
      endpoints: [{ cluster: 'api', address: '10.0.1.3', port: 8000 }],
    });
    expect(ingressPorts(serviceNamed('api'))).toEqual([18555]);
    expect(ingressPorts(serviceNamed('web'))).toEqual([]);
  });

  it('has nothing to serve for a task that is not running, or on a node that is not ready', () => {
    const task = byDesire('web', 'running');
    expect(
      toTaskRecord({ ...task, Status: { ...task.Status, State: 'starting' } }, state),
    ).toBeUndefined();
    expect(
      toTaskRecord({ ...task, Status: { ...task.Status, State: 'shutdown' } }, state),
    ).toBeUndefined();
    const down = nodes.map((node) => ({ ...node, Status: { ...node.Status, State: 'down' } }));
    expect(
      toTaskRecord(task, { ...state, nodes: new Map(down.map((n) => [n.ID, n])) }),
    ).toBeUndefined();
    expect(toTaskRecord({ ...task, NodeID: 'gone' }, state)).toBeUndefined();
  });

  it('keeps the IPv4 binding of a port Docker published at two numbers', () => {
    const task = byDesire('web', 'running');
    const twoNumbers = {
      ...task,
      Status: {
        ...task.Status,
        PortStatus: {
          Ports: [
            { Protocol: 'tcp', TargetPort: 8000, PublishedPort: 32785, PublishMode: 'host' },
            { Protocol: 'tcp', TargetPort: 8000, PublishedPort: 32784, PublishMode: 'host' },
          ],
        },
      },
    };
    expect(toTaskRecord(twoNumbers, state)?.publishedPorts).toEqual([
      { containerPort: 8000, hostIp: '', hostPort: 32785 },
    ]);
  });

  it("puts a remote node's host ports at that node's address", () => {
    const task = byDesire('web', 'running');
    const remote = { ...state, localNodeId: 'another-node' };
    expect(toTaskRecord(task, remote)?.publishedPorts).toEqual([
      { containerPort: 8000, hostIp: '127.0.0.1', hostPort: 32768 },
    ]);
  });

  it('tells a Swarm on the move from one at rest', () => {
    const task = byDesire('web', 'running');
    expect(isTaskConverging(task)).toBe(false);
    expect(isTaskConverging(byDesire('web', 'remove'))).toBe(true);
    expect(isTaskConverging({ ...task, Status: { State: 'preparing' } })).toBe(true);
    expect(isTaskConverging({ ...task, Status: { State: 'failed' } })).toBe(false);
    // `web` asks for 1 replica, and one task of it runs (the other is asked to go).
    const web = serviceNamed('web');
    expect(isServiceConverging(web, tasksOf('web'))).toBe(false);
    expect(
      isServiceConverging({ ...web, UpdateStatus: { State: 'updating' } }, tasksOf('web')),
    ).toBe(true);
    expect(
      isServiceConverging({ ...web, UpdateStatus: { State: 'completed' } }, tasksOf('web')),
    ).toBe(false);
    // Just scaled to 2: the orchestrator has not created the task yet.
    const scaled = { ...web, Spec: { ...web.Spec, Mode: { Replicated: { Replicas: 2 } } } };
    expect(isServiceConverging(scaled, tasksOf('web'))).toBe(true);
  });
});
