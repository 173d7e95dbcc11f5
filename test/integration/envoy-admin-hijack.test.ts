import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestAgent, type TestAgent } from '../support/agent-harness.js';
import { toTestBootstrap } from '../support/envoy-bootstrap.js';
import { send } from '../support/envoy-rest-client.js';
import { eventually } from '../support/eventually.js';
import { FakeDockerEngine } from '../support/fake-docker-engine.js';
import { lacks } from '../support/test-tools.js';
import { useEnvoys } from '../support/use-envoys.js';

// The attack of issue "secure by default": a registration pointed the cluster behind Envoy's
// public listener at Envoy's own admin port, with a weight that took nearly all its traffic;
// a client of the public listener then sent `POST /quitquitquit` and Envoy exited. Here, on the
// tutorial's settings (writes open on a loopback bind), the registration is refused, and
// neither the admin's answers nor its shutdown are reachable through the listener.
describe.skipIf(lacks('envoy'))("Envoy's admin, never an endpoint", () => {
  const envoys = useEnvoys();
  const service = `admin-hijack-${process.pid}`;
  let agent: TestAgent;
  beforeAll(async () => {
    agent = await startTestAgent([], { dockerClient: new FakeDockerEngine() });
  });
  afterAll(async () => {
    await agent.stop();
  });

  it('refuses to register it, and a client of the public listener never reaches it', async () => {
    const envoy = await envoys.start(
      toTestBootstrap({ agentPort: agent.port, serviceName: service }),
    );
    const admin = new URL(envoy.adminUrl);
    const polls = () => envoy.stat('cluster.web.update_attempt');
    const pollsBefore = await polls();
    // (Cloud metadata, 169.254.169.254, is refused as well: a component test, since a
    // regression here must never send traffic to it.)
    for (const host of [`127.0.0.1:${admin.port}`, `0.0.0.0:${admin.port}`]) {
      const reply = await send(agent.port, {
        method: 'PUT',
        path: `/edsservice/${service}/hosts/${host}`,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ tags: { load_balancing_weight: 1_000_000 } }),
      });
      expect(reply.status, host).toBe(403);
    }
    expect(await agent.endpoints(service)).toEqual([]);
    // Envoy has polled since: had a registration been taken, it would route to it now.
    await eventually('Envoy polls twice more', polls, (now) => now >= pollsBefore + 2);

    // What the attacker then sent through the public listener: no admin page answers it.
    for (const [method, path] of [
      ['GET', '/server_info'],
      ['GET', '/config_dump'],
      ['POST', '/quitquitquit'],
    ] as const) {
      const reply = await fetch(new URL(path, envoy.url), { method });
      expect(reply.status, path).toBe(503);
      expect(await reply.text(), path).toContain('no healthy upstream');
    }
    const live = await fetch(new URL('/ready', envoy.adminUrl));
    expect(await live.text()).toContain('LIVE');
  });
});
