import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';

import { toClusterResource } from '../../src/core/snapshot.js';
import { createSnapshotStore } from '../../src/snapshot-store.js';
import {
  startDockerSource,
  type DockerSource,
} from '../../src/sources/docker/start-docker-source.js';
import { eventually } from '../support/eventually.js';
import { FakeDockerEngine, type FakeContainer } from '../support/fake-docker-engine.js';

const web = (n: number, overrides: Partial<FakeContainer> = {}): FakeContainer => ({
  id: `${String(n).padStart(12, '0')}${'a'.repeat(52)}`,
  name: `web-${n}`,
  labels: { 'eds.service': 'web', 'eds.port': '8080' },
  running: true,
  ip: `10.0.0.${n}`,
  ...overrides,
});

// The source's ordering rules against an engine whose timing the test controls.
describe('the Docker source', () => {
  let source: DockerSource | undefined;
  afterEach(async () => {
    await source?.stop();
  });

  const start = (engine: FakeDockerEngine) => {
    const store = createSnapshotStore();
    source = startDockerSource({
      client: engine,
      store,
      address: {
        addressMode: 'container',
        hostIp: '127.0.0.1',
        network: undefined,
        labelPrefix: 'eds',
      },
      logger: pino({ level: 'silent' }),
      retry: { minTimeout: 10, maxTimeout: 20 },
    });
    const addresses = () =>
      toClusterResource(store.current(), 'web')
        .assignment.endpoints.flatMap((l) => l.lb_endpoints)
        .map((lb) => `${lb.endpoint.address.socket_address.address} ${lb.health_status}`)
        .sort();
    return { store, addresses, source };
  };

  it('does not let a stale list entry undo an event that arrived during the full sync', async () => {
    const engine = new FakeDockerEngine();
    engine.add(web(1));
    engine.add(web(2));
    let releaseList = (): void => undefined;
    engine.listGate = new Promise((resolve) => (releaseList = resolve));
    const { addresses, source } = start(engine);

    // While the list call is in flight (its snapshot says web-1 runs), web-1 dies.
    await eventually(
      'subscribed',
      () => engine.subscribers,
      (n) => n === 1,
    );
    const dead = engine.containers.get(web(1).id);
    if (dead) dead.running = false;
    engine.emit(web(1).id, 'die');
    await eventually(
      'web-1 re-read',
      () => engine.inspected,
      (ids) => ids.includes(web(1).id),
    );
    releaseList();
    await source.firstSync;

    expect(addresses()).toEqual(['10.0.0.2 HEALTHY']);
  });

  it('re-reads a container at most twice for a burst of events', async () => {
    const engine = new FakeDockerEngine();
    engine.add(web(1));
    const { source } = start(engine);
    await source.firstSync;
    for (let i = 0; i < 20; i++) engine.emit(web(1).id, 'health_status: healthy');
    await eventually(
      're-read',
      () => engine.inspected.length,
      (n) => n > 0,
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(engine.inspected.length).toBeLessThanOrEqual(2);
  });

  it('drains on a SIGTERM kill event and forgets it when the container starts again', async () => {
    const engine = new FakeDockerEngine();
    engine.add(web(1));
    const { addresses, source } = start(engine);
    await source.firstSync;
    engine.emit(web(1).id, 'kill', { signal: '15' });
    await eventually('draining', addresses, (a) => a.join() === '10.0.0.1 DRAINING');
    engine.emit(web(1).id, 'kill', { signal: '1' }); // SIGHUP: a reload, not a stop
    engine.emit(web(1).id, 'start');
    await eventually('healthy again', addresses, (a) => a.join() === '10.0.0.1 HEALTHY');
  });

  it('keeps the last endpoints while the engine is down, then resyncs what changed meanwhile', async () => {
    const engine = new FakeDockerEngine();
    engine.add(web(1));
    const { addresses, source } = start(engine);
    await source.firstSync;

    engine.goDown();
    await eventually(
      'disconnected',
      () => source.status().connected,
      (connected) => !connected,
    );
    engine.containers.delete(web(1).id);
    engine.add(web(2));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(addresses()).toEqual(['10.0.0.1 HEALTHY']);

    engine.down = false;
    await eventually('resynced', addresses, (a) => a.join() === '10.0.0.2 HEALTHY');
    expect(source.status()).toEqual({ synced: true, connected: true });
  });

  it('survives a failed re-read, and the next event repairs the container', async () => {
    const engine = new FakeDockerEngine();
    engine.add(web(1));
    const { addresses, source } = start(engine);
    await source.firstSync;
    engine.failInspect = true;
    engine.add(web(2));
    engine.emit(web(2).id, 'start');
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(addresses()).toEqual(['10.0.0.1 HEALTHY']);
    engine.failInspect = false;
    engine.emit(web(2).id, 'start');
    await eventually('repaired', addresses, (a) => a.length === 2);
  });
});
