import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';

import { parseConfig } from '../../src/config/parse-config.js';
import type { DockerSourceTiming } from '../../src/sources/docker/start-docker-source.js';
import { type Agent, startAgent } from '../../src/start-agent.js';
import { endpointsOf, pollEds, send } from '../support/envoy-rest-client.js';
import { eventually } from '../support/eventually.js';
import { FakeDockerEngine } from '../support/fake-docker-engine.js';

const container = {
  id: `${'1'.repeat(12)}${'a'.repeat(52)}`,
  name: 'web-1',
  labels: { 'eds.service': 'web', 'eds.port': '8080' },
  running: true,
  ip: '10.0.0.1',
};

// An agent that starts while the engine is unreachable (or before its first list call
// returns) knows nothing about Docker yet. An empty answer then would make every polling
// Envoy drop its hosts: an agent restart would be an outage. So it answers 503 until then.
describe('an agent that has not synced with Docker yet', () => {
  let agent: Agent | undefined;
  afterEach(async () => {
    await agent?.stop();
  });

  const start = async (
    engine: FakeDockerEngine,
    timing: Partial<DockerSourceTiming> = {},
  ): Promise<Agent> => {
    const parsed = parseConfig(
      [
        ...['--port', '0', '--grpc-port', '0', '--bind', '127.0.0.1'],
        ...['--registration-allow-cidr', '127.0.0.0/8', '--registrations-join-docker'],
      ],
      {},
    );
    if (!parsed.ok || parsed.value.kind !== 'run') throw new Error('bad test config');
    const started = await startAgent(parsed.value.config, {
      logger: pino({ level: 'silent' }),
      dockerClient: engine,
      timing: { retry: { minTimeout: 10, maxTimeout: 20 }, ...timing },
    });
    if (!started.ok) throw new Error(started.problems.join('; '));
    agent = started.value;
    return agent;
  };

  it('answers discovery with 503 and a reason, for every cluster, until the first full sync', async () => {
    const engine = new FakeDockerEngine();
    engine.down = true;
    engine.add(container);
    const { port } = await start(engine);

    // A registered host exists, but Docker may still hold containers of the same cluster.
    const registered = await send(port, {
      method: 'PUT',
      path: '/edsservice/web/hosts/127.0.0.1:9000',
      headers: { 'content-type': 'application/json' },
      ownConnection: true,
    });
    expect(registered.status).toBe(201);

    for (const cluster of ['web', 'never-heard-of']) {
      for (const api of ['v3', 'v2'] as const) {
        const reply = await pollEds(port, cluster, undefined, { api });
        expect(reply.status).toBe(503);
        expect(JSON.parse(reply.text)).toEqual({
          error: 'not synced yet: waiting for the first full read of docker and swarm',
        });
      }
    }
    expect((await pollEds(port, 'web', 'an-older-version')).status).toBe(503);
    const sds = await send(port, { method: 'GET', path: '/v1/registration/web' });
    expect(sds.status).toBe(503);
    expect((await send(port, { method: 'GET', path: '/healthz' })).status).toBe(200);
    expect((await send(port, { method: 'GET', path: '/readyz' })).status).toBe(503);

    engine.down = false;
    const synced = await eventually(
      'served once Docker has been read',
      () => pollEds(port, 'web'),
      (reply) => reply.status === 200,
    );
    expect(endpointsOf(synced)).toEqual(['10.0.0.1:8080 HEALTHY', '127.0.0.1:9000 HEALTHY']);
    const unknown = await pollEds(port, 'never-heard-of');
    expect(unknown.status).toBe(200);
    expect(endpointsOf(unknown)).toEqual([]);
  });

  it('keeps answering 200 with the last known endpoints when the engine goes away later', async () => {
    const engine = new FakeDockerEngine();
    engine.add(container);
    const { port, firstSync } = await start(engine);
    await firstSync;
    engine.goDown();
    await eventually(
      'not ready',
      async () => (await send(port, { method: 'GET', path: '/readyz' })).status,
      (status) => status === 503,
    );
    const reply = await pollEds(port, 'web');
    expect(reply.status).toBe(200);
    expect(endpointsOf(reply)).toEqual(['10.0.0.1:8080 HEALTHY']);
  });

  it('says on /readyz that an engine stopped answering, serves on, and is ready once it answers', async () => {
    const engine = new FakeDockerEngine();
    engine.add(container);
    const { port, firstSync } = await start(engine, {
      pingIntervalMs: 20,
      pingTimeoutMs: 50,
      requestTimeoutMs: 100,
    });
    await firstSync;
    const readyz = async () => {
      const reply = await send(port, { method: 'GET', path: '/readyz' });
      return `${reply.status} ${reply.text}`;
    };
    expect(await readyz()).toBe('200 {"status":"ready"}');
    engine.hang();
    await eventually('not ready', readyz, (r) => r.startsWith('503'));
    expect(JSON.parse((await readyz()).slice(4))).toEqual({
      status: 'not ready',
      reasons: ['Docker engine not answering pings; serving last known endpoints'],
    });
    expect(endpointsOf(await pollEds(port, 'web'))).toEqual(['10.0.0.1:8080 HEALTHY']);
    engine.resume();
    await eventually('ready again', readyz, (r) => r === '200 {"status":"ready"}');
  });
});
