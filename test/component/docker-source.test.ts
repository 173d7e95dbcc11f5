import { Writable } from 'node:stream';

import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';

import { toClusterResource } from '../../src/core/index/snapshot.js';
import { createSnapshotStore } from '../../src/snapshot-store.js';
import {
  type DockerSource,
  type DockerSourceTiming,
  startDockerSource,
} from '../../src/sources/docker/start-docker-source.js';
import { eventually } from '../support/eventually.js';
import { type FakeContainer, FakeDockerEngine } from '../support/fake-docker-engine.js';

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

  /** Starts the source on `engine` with fast clocks; `logs` collects what it logs. */
  const start = (
    engine: FakeDockerEngine,
    timing: Partial<DockerSourceTiming> = {},
    network?: string,
    skipSwarmTasks = false,
  ) => {
    const store = createSnapshotStore();
    const logs: { msg: string; retryInMs?: number }[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n'))
          if (line) logs.push(JSON.parse(line) as { msg: string });
        done();
      },
    });
    source = startDockerSource({
      client: engine,
      store,
      address: {
        addressMode: 'container',
        hostIp: '127.0.0.1',
        network,
        labelPrefix: 'eds',
      },
      logger: pino({ level: 'debug' }, sink),
      timing: { retry: { minTimeout: 10, maxTimeout: 20 }, ...timing },
      skipSwarmTasks,
    });
    const addresses = () =>
      toClusterResource(store.current(), 'web')
        .assignment.endpoints.flatMap((l) => l.lb_endpoints)
        .map((lb) => `${lb.endpoint.address.socket_address.address} ${lb.health_status}`)
        .sort();
    return { store, addresses, source, logs };
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
    const releaseFirst = engine.holdInspects();
    for (let i = 0; i < 20; i++) engine.emit(web(1).id, 'health_status: healthy');
    await eventually(
      'the whole burst is taken while its first re-read is in flight',
      () => [engine.eventsTaken, engine.inspected.length],
      ([taken, inspected]) => taken === 20 && inspected === 1,
    );
    const releaseSecond = engine.holdInspects();
    releaseFirst();
    await eventually(
      'one more re-read, for the rest of the burst',
      () => engine.inspected.length,
      (n) => n === 2,
    );
    releaseSecond();
    await source.stop(); // waits for every re-read in flight or queued
    expect(engine.inspected).toHaveLength(2);
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
    const { addresses, source, logs } = start(engine);
    await source.firstSync;

    engine.goDown();
    await eventually(
      'disconnected',
      () => source.status().connected,
      (connected) => !connected,
    );
    engine.containers.delete(web(1).id);
    engine.add(web(2));
    const retries = () => logs.filter((log) => log.msg.startsWith('Docker engine unreachable'));
    const before = retries().length;
    await eventually(
      'two more attempts to reconnect fail',
      () => retries().length,
      (n) => n >= before + 2,
    );
    expect(addresses()).toEqual(['10.0.0.1 HEALTHY']);

    engine.down = false;
    await eventually('resynced', addresses, (a) => a.join() === '10.0.0.2 HEALTHY');
    expect(source.status()).toMatchObject({ synced: true, connected: true, responsive: true });
  });

  it('survives a failed re-read, and the next event repairs the container', async () => {
    const engine = new FakeDockerEngine();
    engine.add(web(1));
    const { addresses, source, logs } = start(engine);
    await source.firstSync;
    engine.failInspect = true;
    engine.add(web(2));
    engine.emit(web(2).id, 'start');
    await eventually(
      'the re-read of web-2 failed',
      () => logs.filter((log) => log.msg === 'could not re-read container').length,
      (n) => n === 1,
    );
    expect(addresses()).toEqual(['10.0.0.1 HEALTHY']);
    engine.failInspect = false;
    engine.emit(web(2).id, 'start');
    await eventually('repaired', addresses, (a) => a.length === 2);
  });

  it('withdraws a container on its die event at once, though the engine cannot be asked', async () => {
    const engine = new FakeDockerEngine();
    engine.add(web(1));
    engine.add(web(2));
    const { addresses, source } = start(engine);
    await source.firstSync;
    engine.failInspect = true;
    const dead = engine.containers.get(web(1).id);
    if (dead) dead.running = false;
    engine.emit(web(1).id, 'die');
    // Every re-read fails: only the die event itself can withdraw it.
    await eventually('withdrawn', addresses, (a) => a.join() === '10.0.0.2 HEALTHY');
  });

  it('does not let a re-read begun before a die put the container back', async () => {
    const engine = new FakeDockerEngine();
    engine.add(web(1));
    const { addresses, source } = start(engine);
    await source.firstSync;
    /** Holds the next inspect answers (each inspect takes its snapshot at once) until released. */
    const holdInspects = () => {
      let release = (): void => undefined;
      engine.inspectGate = new Promise((resolve) => (release = resolve));
      return release;
    };
    const releaseStale = holdInspects();
    const inspects = (n: number) =>
      eventually(
        `${n} inspect(s) in flight`,
        () => engine.inspected.length,
        (m) => m === n,
      );
    let releaseFollowUp = (): void => undefined;
    try {
      engine.emit(web(1).id, 'health_status: healthy'); // its inspect sees it running...
      await inspects(1);
      const dead = engine.containers.get(web(1).id);
      if (dead) dead.running = false;
      engine.emit(web(1).id, 'die'); // ...but it dies before that answer arrives
      await eventually('withdrawn by the die', addresses, (a) => a.length === 0);

      releaseFollowUp = holdInspects();
      releaseStale();
      // The follow-up re-read starts only once the stale answer has been dealt with.
      await inspects(2);
      expect(addresses()).toEqual([]);
    } finally {
      engine.inspectGate = undefined;
      releaseStale();
      releaseFollowUp();
    }
  });

  it('notices an engine that stops answering, keeps its endpoints, and resyncs when it answers', async () => {
    const engine = new FakeDockerEngine();
    engine.add(web(1));
    const { addresses, source, logs } = start(engine, {
      pingIntervalMs: 20,
      pingTimeoutMs: 50,
      requestTimeoutMs: 100,
    });
    await source.firstSync;
    engine.hang();
    await eventually(
      'noticed',
      () => source.status(),
      (status) => !status.responsive && !status.connected,
    );
    expect(logs.map((line) => line.msg)).toContain(
      'Docker engine stopped answering; serving last known endpoints and reconnecting',
    );
    engine.add(web(2)); // started while the engine was hung: no event will tell
    expect(addresses()).toEqual(['10.0.0.1 HEALTHY']);

    engine.resume();
    await eventually(
      'resynced',
      addresses,
      (a) => a.join() === '10.0.0.1 HEALTHY,10.0.0.2 HEALTHY',
    );
    await eventually(
      'healthy again',
      () => source.status(),
      (status) => status.responsive && status.connected,
    );
  });

  it('keeps jitter in its retries at the backoff cap', async () => {
    const engine = new FakeDockerEngine();
    engine.down = true;
    const { logs } = start(engine, { retry: { minTimeout: 2, maxTimeout: 8 } });
    const waits = await eventually(
      'a dozen retries',
      () => logs.flatMap((line) => (line.retryInMs === undefined ? [] : [line.retryInMs])),
      (found) => found.length >= 12,
    );
    const atCap = waits.slice(4); // 2, 4, 8, then capped
    expect(atCap.every((wait) => wait >= 4 && wait <= 8)).toBe(true);
    expect(new Set(atCap).size).toBeGreaterThan(1);
  });

  it('warns when --network names a network the engine does not have, and says when it appears', async () => {
    const engine = new FakeDockerEngine();
    const { source, logs } = start(engine, {}, 'shop_default');
    await source.firstSync;
    const warned = logs.filter((line) => line.msg.startsWith('--network shop_default'));
    expect(warned.map((line) => line.msg)).toEqual([
      '--network shop_default: the Docker engine has no such network (yet); containers not on it are served at their first network',
    ]);
    engine.networks.push('shop_default');
    engine.goDown(); // the next session checks again
    engine.down = false;
    await eventually(
      'noticed',
      () => logs.map((line) => line.msg),
      (msgs) => msgs.includes('--network shop_default now exists'),
    );
  });

  it('leaves the containers of Swarm tasks to the Swarm source when told to, at sync and on events', async () => {
    const engine = new FakeDockerEngine();
    const taskLabels = {
      'com.docker.swarm.task.id': 'abc',
      'eds.service': 'web',
      'eds.port': '8080',
    };
    engine.add(web(1));
    engine.add(web(2, { labels: taskLabels }));
    const { addresses, source } = start(engine, {}, undefined, true);
    await source.firstSync;
    expect(addresses()).toEqual(['10.0.0.1 HEALTHY']);
    engine.add(web(3, { labels: taskLabels }));
    engine.emit(web(3).id, 'start');
    engine.add(web(4));
    engine.emit(web(4).id, 'start');
    await eventually('the plain container is served', addresses, (a) => a.length === 2);
    expect(addresses()).toEqual(['10.0.0.1 HEALTHY', '10.0.0.4 HEALTHY']);
  });

  it('serves them as any container otherwise (--swarm off)', async () => {
    const engine = new FakeDockerEngine();
    engine.add(
      web(2, {
        labels: { 'com.docker.swarm.task.id': 'abc', 'eds.service': 'web', 'eds.port': '8080' },
      }),
    );
    const { addresses, source } = start(engine);
    await source.firstSync;
    expect(addresses()).toEqual(['10.0.0.2 HEALTHY']);
  });
});
