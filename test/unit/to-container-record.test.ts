import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import {
  toContainerRecordFromInspect,
  toContainerRecordFromSummary,
} from '../../src/sources/docker/to-container-record.js';
import type {
  DockerContainerInspect,
  DockerContainerSummary,
} from '../../src/sources/engine/docker-json.js';

// Captured from a real engine (Docker 20.10): one container, healthy, on two networks, with
// 127.0.0.1::8000, 9000 (all interfaces, v4 and v6), --expose 7000 and --expose 53/udp.
const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../fixtures/docker/${name}`, import.meta.url), 'utf8'));
const summary = fixture('list-entry.json') as DockerContainerSummary;
const inspect = fixture('inspect.json') as DockerContainerInspect;

describe('Docker JSON → ContainerRecord', () => {
  it('maps a list entry and an inspect of the same container to the same record', () => {
    const fromList = toContainerRecordFromSummary(summary, false);
    const fromInspect = toContainerRecordFromInspect(inspect, false);
    const sortNetworks = (r: typeof fromList) => ({
      ...r,
      networks: [...r.networks].sort((a, b) => a.name.localeCompare(b.name)),
    });
    const sortPorts = (r: typeof fromList) => ({
      ...r,
      publishedPorts: [...r.publishedPorts].sort(
        (a, b) => a.containerPort - b.containerPort || a.hostIp.localeCompare(b.hostIp),
      ),
    });
    expect(sortPorts(sortNetworks(fromList))).toEqual(sortPorts(sortNetworks(fromInspect)));
    // Its age, to the second on both paths (the list has seconds, the inspect nanoseconds).
    expect(fromList.created).toBe(Date.parse('2026-11-25T01:36:27Z'));
  });

  it('reads name, labels, state, health, TCP ports and networks from an inspect', () => {
    const record = toContainerRecordFromInspect(inspect, true);
    expect(record).toMatchObject({
      name: 'fx-web-1',
      labels: { 'eds.service': 'web', 'eds.zone': 'z1' },
      state: 'running',
      health: 'healthy',
      stopping: true,
      exposedPorts: [7000, 8000, 9000],
    });
    expect(record.networks.map((n) => n.name).sort()).toEqual(['bridge', 'fx_back']);
    expect(record.networks.every((n) => /^\d+\.\d+\.\d+\.\d+$/.test(n.ipv4))).toBe(true);
    expect(record.publishedPorts).toContainEqual({
      containerPort: 8000,
      hostIp: '127.0.0.1',
      hostPort: expect.any(Number) as unknown,
    });
    expect(
      record.publishedPorts
        .filter((p) => p.containerPort === 9000)
        .map((p) => p.hostIp)
        .sort(),
    ).toEqual(['0.0.0.0', '::']);
  });

  it.each([
    ['Up 5 minutes (healthy)', 'healthy'],
    ['Up 5 minutes (unhealthy)', 'unhealthy'],
    ['Up 1 second (health: starting)', 'starting'],
    ['Up 5 minutes', 'none'],
    ['Up 5 minutes (Paused)', 'none'],
  ])('reads health from the list status text %j', (Status, health) => {
    expect(toContainerRecordFromSummary({ ...summary, Status, Health: null }, false).health).toBe(
      health,
    );
  });

  it('prefers the structured Health of newer engines over the status text', () => {
    expect(
      toContainerRecordFromSummary(
        { ...summary, Status: 'Up', Health: { Status: 'unhealthy' } },
        false,
      ).health,
    ).toBe('unhealthy');
  });

  it.each([
    ['running', 'running'],
    ['paused', 'paused'],
    ['restarting', 'not-running'],
    ['exited', 'not-running'],
  ])('folds state %s to %s', (State, state) => {
    expect(toContainerRecordFromSummary({ ...summary, State }, false).state).toBe(state);
  });

  it('maps an entry with every optional field missing without throwing', () => {
    expect(toContainerRecordFromSummary({ Id: 'abc' }, false)).toEqual({
      id: 'abc',
      name: '',
      labels: {},
      state: 'not-running',
      health: 'none',
      stopping: false,
      exposedPorts: [],
      networks: [],
      publishedPorts: [],
    });
    expect(
      toContainerRecordFromInspect(
        { Id: 'abc', Config: null, NetworkSettings: { Ports: { '80/tcp': null } } },
        false,
      ),
    ).toMatchObject({
      exposedPorts: [],
      publishedPorts: [],
    });
  });
});
