import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestAgent, type TestAgent } from '../support/agent-harness.js';
import { DockerHarness } from '../support/docker-harness.js';
import { eventually, holdsFor } from '../support/eventually.js';
import { lacks } from '../support/test-tools.js';

// The agent in its default container address mode, following a real engine. Each scenario
// uses its own cluster name (suffixed with the run id), so leftovers of other runs never match.
const MISSING_TOOLS = lacks('docker', 'busybox');
describe.skipIf(MISSING_TOOLS)('following a real Docker engine (container address mode)', () => {
  const docker = new DockerHarness();
  const cluster = (name: string) => `${name}-${docker.runId}`;
  let agent: TestAgent;

  beforeAll(async () => {
    await docker.buildImage();
    agent = await startTestAgent([]);
  });
  afterAll(async () => {
    await agent.stop();
    await docker.cleanup();
  });

  it('serves a labelled container at its IP and port, and ignores an unlabelled one', async () => {
    const web = cluster('web');
    const container = await docker.run({
      labels: { 'eds.service': web, 'eds.port': '8000', 'eds.weight': '7', 'eds.zone': 'z1' },
    });
    await docker.run({ labels: { 'app.service': web } });
    const ip = await docker.ipOn(container, 'bridge');
    const reply = await eventually(
      'the container is served',
      () => agent.poll(web),
      (r) => r.json?.resources[0]?.endpoints.length === 1,
    );
    expect(reply.json?.resources[0]?.endpoints).toEqual([
      {
        locality: { zone: 'z1' },
        load_balancing_weight: 7,
        lb_endpoints: [
          {
            endpoint: {
              address: { socket_address: { address: ip, port_value: 8000 } },
              hostname: expect.any(String) as unknown,
            },
            health_status: 'HEALTHY',
            load_balancing_weight: 7,
            metadata: { filter_metadata: { 'eds-agent': { source: 'docker' } } },
          },
        ],
      },
    ]);
  });

  it('drains a container on docker stop, then removes it when it dies', async () => {
    const web = cluster('stop');
    // busybox httpd as PID 1 ignores SIGTERM, so `docker stop -t 3` leaves 3 s of draining.
    const container = await docker.run({ labels: { 'eds.service': web, 'eds.port': '8000' } });
    const ip = await docker.ipOn(container, 'bridge');
    await eventually(
      'served',
      () => agent.endpoints(web),
      (e) => e.join() === `${ip}:8000 HEALTHY`,
    );
    const stopped = container.stop({ t: 3 });
    await eventually(
      'draining',
      () => agent.endpoints(web),
      (e) => e.join() === `${ip}:8000 DRAINING`,
    );
    await stopped;
    await eventually(
      'removed',
      () => agent.endpoints(web),
      (e) => e.length === 0,
    );
  });

  it('serves a container with a HEALTHCHECK only while it is healthy', async () => {
    const web = cluster('health');
    const container = await docker.run({
      labels: { 'eds.service': web, 'eds.port': '8000' },
      cmd: ['sh', '-c', 'mkdir -p /www && exec httpd -f -p 8000 -h /www'],
      healthcheck: { test: ['CMD', 'test', '-f', '/tmp/ready'], intervalMs: 300, retries: 1 },
    });
    // Several health intervals pass while Docker says "starting" or "unhealthy": never served.
    await holdsFor(
      'not served before it is healthy',
      () => agent.endpoints(web),
      (e) => e.length === 0,
      1500,
    );
    await docker.exec(container, ['touch', '/tmp/ready']);
    await eventually(
      'served once healthy',
      () => agent.endpoints(web),
      (e) => e.length === 1 && e[0]?.endsWith('HEALTHY') === true,
    );
    await docker.exec(container, ['rm', '/tmp/ready']);
    await eventually(
      'withdrawn once unhealthy',
      () => agent.endpoints(web),
      (e) => e.length === 0,
    );
  });

  it('skips a container with invalid labels, with one warning, without disturbing the others', async () => {
    const web = cluster('mixed');
    const good = await docker.run({ labels: { 'eds.service': web, 'eds.port': '8000' } });
    const goodIp = await docker.ipOn(good, 'bridge');
    await eventually(
      'the good one is served',
      () => agent.endpoints(web),
      (e) => e.length === 1,
    );
    const version = (await agent.poll(web)).json?.version_info;

    const bad = await docker.run({
      labels: { 'eds.service': web, 'eds.port': 'http', 'eds.weight': '0' },
    });
    const badId = bad.id.slice(0, 12);
    const warnings = () =>
      agent.logs.filter((line) => line.level === 40 && line.container === badId);
    await eventually(
      'the bad one is warned about',
      () => warnings().length,
      (n) => n > 0,
    );
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]?.problems).toEqual([
      'labels["eds.port"]: expected an integer 1-65535, got "http"',
      'labels["eds.weight"]: expected an integer 1-1000000, got "0"',
    ]);
    expect(warnings()[0]?.containerName).toBe((await bad.inspect()).Name.slice(1));
    expect(await agent.endpoints(web)).toEqual([`${goodIp}:8000 HEALTHY`]);
    expect((await agent.poll(web)).json?.version_info).toBe(version);

    // Events about the bad container (here: a restart) do not repeat the warning.
    await bad.restart({ t: 0 });
    await eventually(
      'restart seen',
      async () => (await bad.inspect()).State.Running,
      (running) => running,
    );
    await holdsFor(
      'still one warning',
      () => warnings().length,
      (n) => n === 1,
      500,
    );
  });

  it('leaves a paused container out and brings it back on unpause', async () => {
    const web = cluster('pause');
    const container = await docker.run({ labels: { 'eds.service': web, 'eds.port': '8000' } });
    await eventually(
      'served',
      () => agent.endpoints(web),
      (e) => e.length === 1,
    );
    await container.pause();
    await eventually(
      'left out while paused',
      () => agent.endpoints(web),
      (e) => e.length === 0,
    );
    await container.unpause();
    await eventually(
      'back after unpause',
      () => agent.endpoints(web),
      (e) => e.length === 1,
    );
  });

  it('follows network connect and disconnect for a container that names its network', async () => {
    const web = cluster('net');
    const network = await docker.createNetwork('back');
    const container = await docker.run({
      labels: { 'eds.service': web, 'eds.port': '8000', 'eds.network': network },
    });
    await holdsFor(
      'not served before it joins the network',
      () => agent.endpoints(web),
      (e) => e.length === 0,
      500,
    );
    await docker.docker.getNetwork(network).connect({ Container: container.id });
    const ip = await docker.ipOn(container, network);
    await eventually(
      'served on the named network',
      () => agent.endpoints(web),
      (e) => e.join() === `${ip}:8000 HEALTHY`,
    );
    await docker.docker.getNetwork(network).disconnect({ Container: container.id });
    await eventually(
      'withdrawn after disconnect',
      () => agent.endpoints(web),
      (e) => e.length === 0,
    );
  });

  it('serves one container in several clusters, each on its own port', async () => {
    const api = cluster('api');
    const admin = cluster('admin');
    const container = await docker.run({
      labels: { [`eds.services.${api}.port`]: '8000', [`eds.services.${admin}.port`]: '9000' },
    });
    const ip = await docker.ipOn(container, 'bridge');
    await eventually(
      'api served',
      () => agent.endpoints(api),
      (e) => e.join() === `${ip}:8000 HEALTHY`,
    );
    await eventually(
      'admin served',
      () => agent.endpoints(admin),
      (e) => e.join() === `${ip}:9000 HEALTHY`,
    );
  });

  it('gives the same version_info for the same containers after an agent restart', async () => {
    const web = cluster('restart');
    await docker.run({ labels: { 'eds.service': web, 'eds.port': '8000' } });
    await docker.run({ labels: { 'eds.service': web, 'eds.port': '8000' } });
    const before = await eventually(
      'both served',
      () => agent.poll(web),
      (r) => r.json?.resources[0]?.endpoints[0]?.lb_endpoints.length === 2,
    );
    const other = await startTestAgent([]);
    try {
      const after = await other.poll(web);
      expect(after.json?.version_info).toBe(before.json?.version_info);
      expect(after.text).toBe(before.text);
    } finally {
      await other.stop();
    }
  });
});
