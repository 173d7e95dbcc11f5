import { afterEach, describe, expect, it } from 'vitest';

import type { StatusJson } from '../../src/status/build-status.js';
import { startTestAgent, type TestAgent } from '../support/agent-harness.js';
import { pollEds, send } from '../support/envoy-rest-client.js';
import { eventually, holdsFor } from '../support/eventually.js';
import { type FakeContainer, FakeDockerEngine } from '../support/fake-docker-engine.js';

/** A container of service `web` named `name`, at `ip`; `n` makes its id. */
const web = (n: number, name: string, ip: string): FakeContainer => ({
  id: `${String(n).repeat(12)}${'a'.repeat(52)}`,
  name,
  labels: { 'eds.service': 'web', 'eds.port': '8080' },
  running: true,
  ip,
});

/** Two engines, `left` and `right`, each with a container named web-1. */
function twoEngines(): { left: FakeDockerEngine; right: FakeDockerEngine } {
  const left = new FakeDockerEngine();
  const right = new FakeDockerEngine();
  left.add(web(1, 'web-1', '10.0.0.1'));
  right.add(web(2, 'web-1', '10.0.1.1'));
  return { left, right };
}

const ENGINES = ['--docker-host', 'left=tcp://10.9.0.1:2375,right=tcp://10.9.0.2:2375'];
const FAST = { retry: { minTimeout: 20, maxTimeout: 40 }, pingIntervalMs: 50, pingTimeoutMs: 200 };

let agent: TestAgent | undefined;
afterEach(async () => {
  await agent?.stop();
  agent = undefined;
});

async function start(
  engines: { left: FakeDockerEngine; right: FakeDockerEngine },
  args: string[] = [],
): Promise<TestAgent> {
  agent = await startTestAgent([...ENGINES, '--swarm', 'off', ...args], {
    dockerClient: (name) => (name === 'left' ? engines.left : engines.right),
    timing: FAST,
  });
  return agent;
}

/** `address zone` of each endpoint of `web`, as Envoy would read them. */
async function webByZone(port: number): Promise<string[]> {
  const reply = await pollEds(port, 'web');
  const body = JSON.parse(reply.text) as {
    resources: {
      endpoints: {
        locality?: { zone?: string };
        lb_endpoints: { endpoint: { address: { socket_address: { address: string } } } }[];
      }[];
    }[];
  };
  return body.resources.flatMap((assignment) =>
    assignment.endpoints.flatMap((group) =>
      group.lb_endpoints.map(
        (lb) => `${lb.endpoint.address.socket_address.address} ${group.locality?.zone ?? ''}`,
      ),
    ),
  );
}

const status = async (port: number): Promise<StatusJson> =>
  JSON.parse((await send(port, { method: 'GET', path: '/status' })).text) as StatusJson;

describe('an agent following several engines', () => {
  it('serves equal container names of two engines as one cluster, each engine a zone', async () => {
    const { port } = await start(twoEngines());
    expect(await webByZone(port)).toEqual(['10.0.0.1 left', '10.0.1.1 right']);
    const seen = await status(port);
    expect(seen.containers.map((c) => `${c.name} on ${c.engine}: ${c.state}`)).toEqual([
      'web-1 on left: served',
      'web-1 on right: served',
    ]);
    expect(seen.engines.map((e) => [e.name, e.host, e.synced, e.connected])).toEqual([
      ['left', 'tcp://10.9.0.1:2375', true, true],
      ['right', 'tcp://10.9.0.2:2375', true, true],
    ]);
  });

  it("keeps a zone its containers' labels set", async () => {
    const engines = twoEngines();
    engines.left.add({
      ...web(3, 'web-2', '10.0.0.2'),
      labels: { ...web(3, '', '').labels, 'eds.zone': 'eu-1' },
    });
    const { port } = await start(engines);
    expect(await webByZone(port)).toEqual(['10.0.0.2 eu-1', '10.0.0.1 left', '10.0.1.1 right']);
  });

  it("keeps an engine's endpoints for the grace when it goes away, then withdraws them until it is back", async () => {
    const engines = twoEngines();
    const { port } = await start(engines, ['--engine-grace', '600ms']);
    const wentAway = Date.now();
    engines.right.goDown();
    await eventually(
      'right is seen away',
      () => status(port),
      (seen) => seen.engines[1]?.connected === false,
    );
    // Within the grace: both served, and the agent is ready (left is followed).
    expect(await webByZone(port)).toEqual(['10.0.0.1 left', '10.0.1.1 right']);
    expect((await send(port, { method: 'GET', path: '/readyz' })).status).toBe(200);

    const withdrawn = await eventually(
      "right's endpoints withdrawn",
      () => webByZone(port),
      (endpoints) => endpoints.length === 1,
    );
    expect(Date.now() - wentAway).toBeGreaterThanOrEqual(550);
    expect(withdrawn).toEqual(['10.0.0.1 left']);
    expect((await status(port)).engines[1]).toMatchObject({ name: 'right', withdrawn: true });
    const metrics = (await send(port, { method: 'GET', path: '/metrics' })).text;
    expect(metrics).toContain('eds_agent_docker_withdrawn{engine="right"} 1');
    expect(metrics).toContain('eds_agent_docker_connected{engine="left"} 1');
    expect((await send(port, { method: 'GET', path: '/readyz' })).status).toBe(200);

    // Back, holding another container than before: served as it is now.
    engines.right.containers.clear();
    engines.right.add(web(4, 'web-9', '10.0.1.9'));
    engines.right.down = false;
    expect(
      await eventually(
        'right served again',
        () => webByZone(port),
        (endpoints) => endpoints.length === 2,
      ),
    ).toEqual(['10.0.0.1 left', '10.0.1.9 right']);
    expect((await status(port)).engines[1]).toMatchObject({ withdrawn: false, awaySince: null });
  });

  it('starts serving the engines it reaches when one is away at start, and adds it when it comes', async () => {
    const engines = twoEngines();
    engines.right.down = true;
    const { port } = await start(engines);
    expect(await webByZone(port)).toEqual(['10.0.0.1 left']);
    expect((await send(port, { method: 'GET', path: '/readyz' })).status).toBe(200);
    expect(agent?.logs.map((line) => line.msg)).toContain(
      'engine right is away; serving the other engines without it until it is back',
    );
    engines.right.down = false;
    expect(
      await eventually(
        'right served once reached',
        () => webByZone(port),
        (endpoints) => endpoints.length === 2,
      ),
    ).toEqual(['10.0.0.1 left', '10.0.1.1 right']);
  });

  it('answers 503 while no engine has been read, so a restart never empties Envoy', async () => {
    const engines = twoEngines();
    engines.left.down = true;
    engines.right.down = true;
    agent = await startTestAgent(
      [...ENGINES, '--swarm', 'off'],
      { dockerClient: (name) => (name === 'left' ? engines.left : engines.right), timing: FAST },
      { waitForFirstSync: false },
    );
    const { port } = agent;
    await holdsFor(
      'discovery answers 503 while an engine is unread',
      async () => (await pollEds(port, 'web')).status,
      (status) => status === 503,
      250,
      50,
    );
    expect((await send(port, { method: 'GET', path: '/readyz' })).status).toBe(503);
    engines.left.down = false;
    await agent.agent.firstSync;
    expect(await webByZone(port)).toEqual(['10.0.0.1 left']);
  });
});
