import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createDockerodeClient } from '../../src/sources/engine/create-dockerode-client.js';
import type { DockerClient } from '../../src/sources/engine/docker-client.js';
import { startTestAgent, type TestAgent } from '../support/agent-harness.js';
import { DockerHarness } from '../support/docker-harness.js';
import { eventually } from '../support/eventually.js';
import { PrivateDaemon } from '../support/private-daemon.js';
import { lacks } from '../support/test-tools.js';

// CI runs as root with dockerd installed, so there this test always runs.
describe.skipIf(lacks(...PrivateDaemon.NEEDS))('a Docker daemon restart', () => {
  const daemon = new PrivateDaemon();
  let docker: DockerHarness;
  let agent: TestAgent;
  /** While closed, every call the agent makes fails, as with an engine that is down or going away. */
  let gateOpen = true;

  beforeAll(async () => {
    await daemon.create();
    docker = new DockerHarness(daemon.socketPath);
    await docker.buildImage();
    // Through loopback TCP, so the tcp:// path of --docker-host meets a real engine too.
    const dockerHost = `tcp://127.0.0.1:${daemon.tcpPort}`;
    const created = createDockerodeClient({
      kind: 'tcp',
      host: '127.0.0.1',
      port: daemon.tcpPort,
      tls: undefined,
    });
    if (!created.ok) throw new Error(created.problems.join());
    const real = created.value;
    // While the gate is closed, the engine cannot be asked anything (as when it is going
    // away); events already flowing still arrive.
    const held = () => Promise.reject(new Error('engine held down by the test'));
    const gated: DockerClient = {
      ...real,
      openEvents: (filters, signal) => (gateOpen ? real.openEvents(filters, signal) : held()),
      inspectContainer: (id, signal) => (gateOpen ? real.inspectContainer(id, signal) : held()),
      listContainers: (signal) => (gateOpen ? real.listContainers(signal) : held()),
    };
    agent = await startTestAgent(['--docker-host', dockerHost], {
      dockerClient: gated,
      timing: { retry: { minTimeout: 100, maxTimeout: 400 } },
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

  it('withdraws what a graceful engine stop kills, retries while it is away, then resyncs', async () => {
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

    // The daemon goes away, killing its containers (no live-restore) and sending their die
    // events; no re-read can succeed any more, and the gate keeps the agent from resyncing.
    // The die event alone must withdraw the dead container.
    gateOpen = false;
    await daemon.stop();
    await eventually(
      'not ready while the engine is away',
      () => agent.readyStatus(),
      (status) => status === 503,
    );
    await eventually(
      'the dead container is withdrawn',
      () => hostnames(cluster),
      (h) => h.length === 0,
      { timeoutMs: 3000 },
    );
    const retries = await eventually(
      'the agent retries',
      () => agent.logs.filter((line) => line.msg.startsWith('Docker engine unreachable')),
      (lines) => lines.length > 1,
    );
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
