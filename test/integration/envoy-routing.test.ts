import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { Container } from 'dockerode';
import { describe, expect, it } from 'vitest';

import { serveHostnameDrainingOnTerm } from '../support/docker-harness.js';
import { send } from '../support/envoy-rest-client.js';
import { eventually, holdsFor } from '../support/eventually.js';
import { answeredBy, sendRequests } from '../support/http-load.js';
import { startTestLoad } from '../support/start-test-load.js';
import { lacks } from '../support/test-tools.js';
import { useEnvoyStage } from '../support/use-envoy-stage.js';

// Real requests through a real Envoy on the host, fed by the agent in host mode: each
// upstream container publishes its port on 127.0.0.1 and answers with its hostname (its short
// id), so every answer names the container that served it. Each scenario has its own service
// name and its own Envoy, made from examples/host-mode/envoy.yaml.
describe.skipIf(lacks('docker', 'busybox', 'envoy'))('routing through a real Envoy', () => {
  // The registered host is a process on this machine (traffic stays on loopback), and it
  // joins a cluster Docker's labels serve: both need the operator's say-so.
  const stage = useEnvoyStage([
    ...['--registration-allow-cidr', '127.0.0.0/8'],
    '--registrations-join-docker',
  ]);
  const { serviceFor, upstream, envoyFor } = stage;
  const idOf = (container: Container) => container.id.slice(0, 12);

  it('sends about three times the requests to eds.weight=3 as to eds.weight=1', async () => {
    const service = serviceFor('weights');
    const heavy = await upstream(service, { 'eds.weight': '3' });
    const light = await upstream(service, { 'eds.weight': '1' });
    const envoy = await envoyFor(service);
    await eventually(
      'Envoy holds both, with their weights',
      async () => (await envoy.hosts('web')).map((host) => host.weight).sort(),
      (weights) => weights.join() === '1,3',
    );

    const report = await sendRequests(envoy.url, 2000);
    expect(report.failures).toEqual([]);
    expect(answeredBy(report)).toEqual([idOf(heavy), idOf(light)].sort());
    const heavyShare = (report.answers.get(idOf(heavy)) ?? 0) / report.sent;
    expect(heavyShare).toBeGreaterThan(0.7);
    expect(heavyShare).toBeLessThan(0.8);
  });

  it('sends nothing to a priority 1 container until every priority 0 container is gone', async () => {
    const service = serviceFor('priority');
    const [first, second] = [await upstream(service), await upstream(service)];
    const standby = await upstream(service, { 'eds.priority': '1' });
    const envoy = await envoyFor(service);
    const hostCount = async () => (await envoy.hosts('web')).length;
    const answeredBy50 = async () => {
      const report = await sendRequests(envoy.url, 50);
      expect(report.failures).toEqual([]);
      return answeredBy(report);
    };
    await eventually('Envoy holds all three', hostCount, (n) => n === 3);
    expect(await answeredBy50()).toEqual([idOf(first), idOf(second)].sort());

    await first.remove({ force: true });
    await eventually('Envoy drops the first primary', hostCount, (n) => n === 2);
    expect(await answeredBy50()).toEqual([idOf(second)]);

    await second.remove({ force: true });
    await eventually('Envoy drops the second primary', hostCount, (n) => n === 1);
    expect(await answeredBy50()).toEqual([idOf(standby)]);
  });

  it('never sends a request to a container whose HEALTHCHECK fails, and starts once it passes', async () => {
    const service = serviceFor('health');
    const steady = await upstream(service);
    const checked = await upstream(
      service,
      {},
      { healthcheck: { test: ['CMD', 'test', '-f', '/tmp/ready'], intervalMs: 300, retries: 1 } },
    );
    const envoy = await envoyFor(service);
    const load = startTestLoad(envoy.url);
    // Several health intervals and Envoy refresh periods: the failing one gets nothing.
    await holdsFor(
      'only the steady container answers',
      () => answeredBy(load.report()),
      (answered) => answered.every((id) => id === idOf(steady)),
      3000,
    );
    expect(load.report().answers.get(idOf(steady))).toBeGreaterThan(0);

    await stage.docker.exec(checked, ['touch', '/tmp/ready']);
    await eventually(
      'the container that turned healthy receives requests',
      () => load.report(),
      (report) => report.answers.has(idOf(checked)),
    );
    expect((await load.stop()).failures).toEqual([]);
  });

  it('routes to a host registered through /edsservice next to the containers of its cluster', async () => {
    const service = serviceFor('registered');
    const container = await upstream(service);
    const outside = await startNamedServer('registered-host');
    try {
      const registered = await send(stage.agent.port, {
        method: 'PUT',
        path: `/edsservice/${service}/hosts/127.0.0.1:${outside.port}`,
        headers: { 'content-type': 'application/json' },
        ownConnection: true,
      });
      expect(registered.status).toBe(201);
      const envoy = await envoyFor(service);
      await eventually(
        'both the container and the registered host answer',
        () => sendRequests(envoy.url, 10),
        (report) =>
          answeredBy(report).join() === ['registered-host', idOf(container)].sort().join(),
      );
    } finally {
      outside.server.close();
    }
  });

  it("shows in Envoy's admin exactly the hosts the agent serves, DRAINING as Envoy shows it", async () => {
    const service = serviceFor('view');
    await upstream(service);
    // Keeps serving for 30 s after SIGTERM, so it stays draining until the test kills it.
    const leaving = await upstream(
      service,
      {},
      { cmd: serveHostnameDrainingOnTerm(30), stopTimeout: 30 },
    );
    const envoy = await envoyFor(service);
    /** `ip:port HEALTH` of each host, sorted, as the agent serves them and as Envoy holds them. */
    const views = async () => ({
      agent: await stage.agent.endpoints(service),
      envoy: (await envoy.hosts('web')).map((host) => `${host.address} ${host.edsHealth}`).sort(),
    });
    /** Both views list the same hosts, whose healths are `healths`. */
    const agreeOn =
      (...healths: string[]) =>
      ({ agent, envoy }: { agent: string[]; envoy: string[] }) =>
        agent.join() === envoy.join() &&
        envoy
          .map((host) => host.split(' ')[1])
          .sort()
          .join() === healths.join();

    await eventually('both show two healthy hosts', views, agreeOn('HEALTHY', 'HEALTHY'));
    const stopped = leaving.stop();
    await eventually('both show one host draining', views, agreeOn('DRAINING', 'HEALTHY'));
    await leaving.kill();
    await stopped;
    await eventually('both show the one left', views, agreeOn('HEALTHY'));
  });
});

/** An HTTP server on 127.0.0.1, outside Docker, that answers every request with `name`. */
async function startNamedServer(name: string): Promise<{ server: Server; port: number }> {
  const server = createServer((_req, res) => res.end(name)).listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port };
}
