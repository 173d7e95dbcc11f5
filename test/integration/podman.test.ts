import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestAgent, type TestAgent } from '../support/agent-harness.js';
import { DockerHarness } from '../support/docker-harness.js';
import { eventually, holdsFor } from '../support/eventually.js';
import { PodmanService } from '../support/podman-service.js';
import { lacks } from '../support/test-tools.js';

// The agent against Podman's Docker-compatible API (Debian's podman 4.3), which differs from
// Docker's: its container list carries no health, its health events are bare and repeat at
// every check, and no event says when a stop begins.
describe.skipIf(lacks('busybox', ...PodmanService.NEEDS))('following Podman', () => {
  const podman = new PodmanService();
  let docker: DockerHarness;
  let agent: TestAgent;
  const agents: TestAgent[] = [];
  let cluster: string;

  const follow = async (): Promise<TestAgent> => {
    const started = await startTestAgent([
      ...['--docker-host', `unix://${podman.socketPath}`, '--address-mode', 'host'],
    ]);
    agents.push(started);
    return started;
  };

  beforeAll(async () => {
    await podman.start();
    docker = new DockerHarness(podman.socketPath);
    await docker.buildImage();
    cluster = `podman-${docker.runId}`;
    agent = await follow();
  });
  afterAll(async () => {
    for (const running of agents) await running.stop();
    await docker.cleanup().catch(() => undefined);
    podman.stop();
  });

  const healthChecked = (marker: string) => ({
    labels: { 'eds.service': cluster, 'eds.port': '8000', 'eds.zone': marker },
    publishLoopback: [8000],
    healthcheck: { test: ['CMD', 'test', '-f', '/tmp/ready'], intervalMs: 60_000, retries: 1 },
  });

  it('serves a labelled container at its published port, which answers with that container', async () => {
    const container = await docker.run({
      labels: { 'eds.service': cluster, 'eds.port': '8000' },
      publishLoopback: [8000],
    });
    const port = await docker.hostPort(container, 8000);
    await eventually(
      'served',
      () => agent.endpoints(cluster),
      (e) => e.includes(`127.0.0.1:${port} HEALTHY`),
    );
    const body = await eventually(
      'it answers',
      async () => (await fetch(`http://127.0.0.1:${port}/`)).text(),
      (text) => text.length > 0,
    );
    expect(body.trim()).toBe(container.id.slice(0, 12));
    await container.remove({ force: true });
    await eventually(
      'withdrawn once gone',
      () => agent.endpoints(cluster),
      (e) => !e.includes(`127.0.0.1:${port} HEALTHY`),
    );
  });

  it('serves a HEALTHCHECK container only once healthy, unmoved by repeated health events', async () => {
    const container = await docker.run(healthChecked('health'));
    const port = await docker.hostPort(container, 8000);
    const served = async () =>
      (await agent.endpoints(cluster)).includes(`127.0.0.1:${port} HEALTHY`);
    podman.runHealthcheck(container.id); // fails: no /tmp/ready yet
    await holdsFor('not served while unhealthy', served, (yes) => !yes, 1000);

    await docker.exec(container, ['touch', '/tmp/ready']);
    podman.runHealthcheck(container.id);
    await eventually('served once healthy', served, (yes) => yes);
    const version = (await agent.poll(cluster)).json?.version_info;
    for (let i = 0; i < 3; i++) podman.runHealthcheck(container.id); // healthy, again and again
    await holdsFor(
      'the same answer',
      async () => (await agent.poll(cluster)).json?.version_info,
      (now) => now === version,
      1000,
    );
  });

  it('does not serve an unhealthy container that a new agent finds at its first sync', async () => {
    const container = await docker.run(healthChecked('found-unhealthy'));
    const port = await docker.hostPort(container, 8000);
    podman.runHealthcheck(container.id);
    const status = async () => (await container.inspect()).State.Health?.Status;
    await eventually('unhealthy', status, (s) => s === 'unhealthy');
    // Podman's list does not say so: only an inspect does.
    const newcomer = await follow();
    expect(await newcomer.endpoints(cluster)).not.toContain(`127.0.0.1:${port} HEALTHY`);
  });
});
