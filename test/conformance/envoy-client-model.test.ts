import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestAgent, type TestAgent } from '../support/agent-harness.js';
import { DockerHarness } from '../support/docker-harness.js';
import { eventually, holdsFor } from '../support/eventually.js';
import { lacks } from '../support/test-tools.js';
import { EnvoyRestPoller } from './support/envoy-rest-poller.js';

// An Envoy-like poller (fast refresh_delay) follows the agent while real containers come and
// go; what it ends up routing to must be exactly what Docker reports.
const MISSING_TOOLS = lacks('docker', 'busybox');
describe.skipIf(MISSING_TOOLS)(
  'an Envoy REST subscription following the agent while a service scales',
  () => {
    const docker = new DockerHarness();
    const cluster = `model-${docker.runId}`;
    let agent: TestAgent;
    let port = 0;
    let poller: EnvoyRestPoller;

    beforeAll(async () => {
      await docker.buildImage();
      agent = await startTestAgent([]);
      port = agent.port;
      poller = new EnvoyRestPoller({ port: () => port, cluster, refreshDelayMs: 100 });
      poller.start();
    });
    afterAll(async () => {
      await poller.stop();
      await agent.stop();
      await docker.cleanup();
    });

    /** What Docker says Envoy should route to: every running replica at its bridge IP. */
    const dockerView = async (): Promise<string[]> =>
      (await docker.listRunContainers([`eds.service=${cluster}`]))
        .filter((info) => info.State === 'running')
        .map((info) => `${info.NetworkSettings.Networks.bridge?.IPAddress ?? '?'}:8000 HEALTHY`)
        .sort();

    it('starts with an accepted, empty cluster, then follows 1 → 4 → 1 replicas', async () => {
      await eventually(
        'the first answer is accepted',
        () => poller.stats.update_success,
        (n) => n >= 1,
      );
      expect(poller.hosts).toEqual([]);

      const replicas = [];
      for (let i = 0; i < 4; i++)
        replicas.push(await docker.run({ labels: { 'eds.service': cluster, 'eds.port': '8000' } }));
      const four = await dockerView();
      expect(four).toHaveLength(4);
      await eventually(
        'Envoy routes to the four replicas',
        () => poller.hosts,
        (hosts) => hosts.join() === four.join(),
      );

      await Promise.all(replicas.slice(1).map((replica) => replica.stop({ t: 1 })));
      const one = await dockerView();
      expect(one).toHaveLength(1);
      await eventually(
        'Envoy routes to the one left',
        () => poller.hosts,
        (hosts) => hosts.join() === one.join(),
      );

      // Unchanged clusters cost 304s, and nothing the agent sent was ever rejected.
      await eventually(
        'up-to-date polls answered 304',
        () => poller.stats.no_change,
        (n) => n >= 3,
      );
      expect(poller.stats.update_rejected).toBe(0);
      expect(poller.stats.update_failure).toBe(0);
    });

    it('keeps routing to the last hosts while the agent is down, and resumes when it is back', async () => {
      const before = poller.hosts;
      expect(before).toHaveLength(1);
      await agent.stop();
      await eventually(
        'polls fail while the agent is down',
        () => poller.stats.update_failure,
        (n) => n >= 2,
      );
      await holdsFor(
        'hosts kept',
        () => poller.hosts,
        (hosts) => hosts.join() === before.join(),
        300,
      );

      const replica = await docker.run({ labels: { 'eds.service': cluster, 'eds.port': '8000' } });
      agent = await startTestAgent(['--port', String(port)]);
      const expected = await dockerView();
      expect(expected).toHaveLength(2);
      await eventually(
        'Envoy routes to the replica started meanwhile',
        () => poller.hosts,
        (hosts) => hosts.join() === expected.join(),
      );
      expect(poller.stats.update_rejected).toBe(0);
      await replica.remove({ force: true });
    });
  },
);
