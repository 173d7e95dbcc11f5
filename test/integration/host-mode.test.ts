import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestAgent, type TestAgent } from '../support/agent-harness.js';
import { DockerHarness } from '../support/docker-harness.js';
import { eventually } from '../support/eventually.js';
import { lacks } from '../support/test-tools.js';

// In host mode Envoy dials the published port. Each container serves its own hostname (its
// short id), so a request to the advertised address proves it reaches that very container.
describe.skipIf(lacks('docker', 'busybox'))('host address mode', () => {
  const docker = new DockerHarness();
  const cluster = `host-${docker.runId}`;
  let agent: TestAgent;

  beforeAll(async () => {
    await docker.buildImage();
    agent = await startTestAgent(['--address-mode', 'host', '--host-ip', '127.0.0.1']);
  });
  afterAll(async () => {
    await agent.stop();
    await docker.cleanup();
  });

  it('advertises 127.0.0.1:<published port>, which answers with that container', async () => {
    const loopback = await docker.run({
      labels: { 'eds.service': cluster, 'eds.port': '8000' },
      publishLoopback: [8000],
    });
    const everywhere = await docker.run({
      labels: { 'eds.service': cluster, 'eds.port': '8000' },
      publishAll: [8000],
    });
    const expected = [
      `127.0.0.1:${await docker.hostPort(loopback, 8000)} HEALTHY`,
      `127.0.0.1:${await docker.hostPort(everywhere, 8000)} HEALTHY`,
    ].sort();
    const endpoints = await eventually(
      'both are served',
      () => agent.endpoints(cluster),
      (e) => e.join() === expected.join(),
    );

    const answers = await Promise.all(
      endpoints.map(async (endpoint) => {
        const address = endpoint.split(' ')[0] ?? '';
        const body = await eventually(
          `${address} answers`,
          async () => (await fetch(`http://${address}/`)).text(),
          (t) => t.length > 0,
        );
        return body.trim();
      }),
    );
    const byPort = new Map([
      [await docker.hostPort(loopback, 8000), loopback.id.slice(0, 12)],
      [await docker.hostPort(everywhere, 8000), everywhere.id.slice(0, 12)],
    ]);
    expect(answers).toEqual(
      endpoints.map((endpoint) => byPort.get(Number(endpoint.split(' ')[0]?.split(':')[1]))),
    );
  });

  it('skips a container whose port is not published, with a warning', async () => {
    const hidden = await docker.run({ labels: { 'eds.service': cluster, 'eds.port': '8000' } });
    const warned = await eventually(
      'a warning',
      () =>
        agent.logs.filter((line) => line.level === 40 && line.container === hidden.id.slice(0, 12)),
      (lines) => lines.length === 1,
    );
    expect(warned[0]?.problems).toEqual([
      'labels["eds.port"]: container port 8000/tcp is not published on the host, which --address-mode host needs',
    ]);
  });
});
