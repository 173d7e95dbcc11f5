import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { parseDockerHost } from '../../src/config/parse-docker-host.js';
import { createDockerodeClient } from '../../src/sources/docker/create-dockerode-client.js';
import type { DockerClient } from '../../src/sources/docker/docker-client.js';
import { startTestAgent, type TestAgent } from '../support/agent-harness.js';
import { DockerHarness } from '../support/docker-harness.js';
import { eventually, holdsFor } from '../support/eventually.js';
import { PrivateDaemon } from '../support/private-daemon.js';

const canRun = PrivateDaemon.available();

// CI runs as root with dockerd installed, so there this test always runs.
describe.skipIf(!canRun && process.env.CI !== 'true')('a Docker daemon restart', () => {
  const daemon = new PrivateDaemon();
  let docker: DockerHarness;
  let agent: TestAgent;
  /** While closed, the agent's attempts to subscribe fail as if the engine were still down. */
  let gateOpen = true;

  beforeAll(async () => {
    await daemon.create();
    docker = new DockerHarness(daemon.socketPath);
    await docker.buildImage();
    // Through loopback TCP, so the tcp:// path of --docker-host meets a real engine too.
    const dockerHost = `tcp://127.0.0.1:${daemon.tcpPort}`;
    const endpoint = parseDockerHost(dockerHost, '--docker-host');
    if (!endpoint.ok) throw new Error(endpoint.problems.join());
    const real = createDockerodeClient(endpoint.value);
    const gated: DockerClient = {
      ...real,
      openEvents: (filters) =>
        gateOpen
          ? real.openEvents(filters)
          : Promise.reject(new Error('engine held down by the test')),
    };
    agent = await startTestAgent(['--docker-host', dockerHost], {
      dockerClient: gated,
      retry: { minTimeout: 100, maxTimeout: 400 },
    });
  });
  afterAll(async () => {
    await agent.stop();
    await docker.cleanup().catch(() => undefined);
    await daemon.destroy();
  });

  const hostnames = async (cluster: string) =>
    (await agent.poll(cluster)).json?.resources[0]?.endpoints
      .flatMap((l) => l.lb_endpoints.map((lb) => lb.endpoint.hostname))
      .sort() ?? [];

  it('keeps serving while the engine is away, then resyncs and picks up what started meanwhile', async () => {
    const cluster = `restart-${docker.runId}`;
    await docker.run({
      name: `before-${docker.runId}`,
      labels: { 'eds.service': cluster, 'eds.port': '8000' },
    });
    await eventually(
      'served before the restart',
      () => hostnames(cluster),
      (h) => h.join() === `before-${docker.runId}`,
    );
    expect(await agent.readyStatus()).toBe(200);

    // The daemon goes away (its containers die with it, as without live-restore).
    gateOpen = false;
    await daemon.stop();
    await eventually(
      'not ready while the engine is away',
      () => agent.readyStatus(),
      (status) => status === 503,
    );
    await holdsFor(
      'last known endpoints still served',
      () => hostnames(cluster),
      (h) => h.join() === `before-${docker.runId}`,
      1000,
    );
    const retries = agent.logs.filter((line) => line.msg.startsWith('Docker engine unreachable'));
    expect(retries.length).toBeGreaterThan(1);
    expect(retries.map((line) => line.attempt)).toEqual(retries.map((_, i) => i + 1));

    // The daemon is back, and a container starts before the agent has reconnected: no event
    // for it will ever reach the agent, so only the full resync can find it.
    await daemon.start();
    await docker.run({
      name: `during-${docker.runId}`,
      labels: { 'eds.service': cluster, 'eds.port': '8000' },
    });
    gateOpen = true;

    await eventually(
      'resynced: the new container in, the dead one out',
      () => hostnames(cluster),
      (h) => h.join() === `during-${docker.runId}`,
    );
    await eventually(
      'ready again',
      () => agent.readyStatus(),
      (status) => status === 200,
    );
  });
});
