import type { Container } from 'dockerode';
import { describe, expect, it } from 'vitest';

import { serveHostname } from '../support/docker-harness.js';
import type { EnvoyUnderTest } from '../support/envoy-process.js';
import { eventually } from '../support/eventually.js';
import { answeredBy, sendRequests, sentMore } from '../support/http-load.js';
import { startTestLoad } from '../support/start-test-load.js';
import { lacks } from '../support/test-tools.js';
import { useEnvoyStage } from '../support/use-envoy-stage.js';

// A real Envoy with one listener and no cluster or route of any service: its listener takes
// the agent's route configuration over ADS (RDS), which the agent derives from labels. The
// agent runs in host mode; the containers publish on 127.0.0.1; every request goes through
// Envoy's listener on 127.0.0.1, told apart by its Host header and path.

const MISSING_TOOLS = lacks('docker', 'busybox', 'envoy');
describe.skipIf(MISSING_TOOLS)('Envoy routed by labels (RDS from the agent)', () => {
  // A short route grace, so that a domain held by a service that went is handed over in time.
  const stage = useEnvoyStage(['--route-grace', '3s']);
  const { serviceFor, upstream } = stage;
  const idOf = (container: Container) => container.id.slice(0, 12);
  const startEnvoy = stage.envoyRoutedByAgent;

  /** Requests to Envoy with this Host header and path. */
  const ask = (envoy: EnvoyUnderTest, host: string, path = '/', count = 6) =>
    sendRequests(`${envoy.url}${path.slice(1)}`, count, { host });
  const answers = async (envoy: EnvoyUnderTest, host: string, path = '/') => {
    const report = await ask(envoy, host, path, 4);
    return { by: answeredBy(report), failures: report.failures };
  };

  it('answers two services created only by labels through one listener, by Host header and by path prefix', async () => {
    const envoy = await startEnvoy();
    const web = serviceFor('web');
    const api = serviceFor('api');
    const webContainer = await upstream(web, {}, { cmd: serveHostname(8000, ['/apiary']) });
    const apiContainer = await upstream(
      api,
      { 'eds.domains': `${web}.localhost`, 'eds.path_prefix': '/api' },
      { cmd: serveHostname(8000, ['/api']) },
    );
    await eventually(
      'Envoy routes /api/ on the web domain to the api service',
      () => answers(envoy, `${web}.localhost`, '/api/'),
      ({ by }) => by.join() === idOf(apiContainer),
    );
    // The same domain, another path: the web service. A port in the Host header is ignored.
    expect(await answers(envoy, `${web}.localhost:10000`, '/')).toEqual({
      by: [idOf(webContainer)],
      failures: [],
    });
    expect((await answers(envoy, web, '/')).by).toEqual([idOf(webContainer)]);
    // The prefix is a path segment: /apiary is not under /api.
    expect(await answers(envoy, `${web}.localhost`, '/apiary/')).toEqual({
      by: [idOf(webContainer)],
      failures: [],
    });
    // The api service answers at the domains its label names, and no longer at its own.
    expect((await answers(envoy, `${api}.localhost`)).failures[0]).toMatch(/^404/);
  });

  // The attack: a second container labelled with a running service's domain took 20 of that
  // service's next 20 requests (a label's claim beat the service's own name).
  it("keeps a service's traffic when a later container's labels claim its domains: 0 failed, none to the thief", async () => {
    const envoy = await startEnvoy();
    const victim = serviceFor('victim');
    const owners = [await upstream(victim), await upstream(victim)];
    await eventually(
      'the victim answers',
      () => answers(envoy, victim),
      ({ by, failures }) => failures.length === 0 && by.length === 2,
    );
    const load = startTestLoad(envoy.url, { concurrency: 2, headers: { host: victim } });
    await sentMore(load, 50);
    const thief = await upstream(serviceFor('thief'), {
      'eds.domains': `${victim},${victim}.localhost`,
    });
    await eventually(
      'the agent refuses the claim, in /status',
      async () =>
        (
          (await (await fetch(`http://127.0.0.1:${stage.agent.port}/status`)).json()) as {
            routes: { conflicts: string[] };
          }
        ).routes.conflicts,
      (conflicts) =>
        conflicts.some((message) =>
          message.startsWith(`${victim} is claimed by services ${victim} and`),
        ),
    );
    await sentMore(load, 200);
    const report = await load.stop();
    expect(report.failures).toEqual([]);
    expect([...report.answers.keys()].sort()).toEqual(owners.map(idOf).sort());
    expect(report.answers.has(idOf(thief))).toBe(false);
  });

  it('makes a new service reachable as <service>.localhost at once, and a removed one answers 503 (its routes kept for the route grace)', async () => {
    const envoy = await startEnvoy();
    const service = serviceFor('fresh');
    const host = `${service}.localhost`;
    expect((await answers(envoy, host)).failures[0]).toMatch(/^404/);
    const container = await upstream(service);
    await eventually(
      'the new service answers',
      () => answers(envoy, host),
      ({ by, failures }) => failures.length === 0 && by.join() === idOf(container),
      { intervalMs: 20 },
    );
    await container.remove({ force: true });
    await eventually(
      'the removed service answers 503 no healthy upstream',
      () => answers(envoy, host),
      ({ by, failures }) =>
        by.length === 0 && failures.every((f) => f === '503 no healthy upstream'),
    );
  });

  it('gives a domain two services claim to the one that claimed it first, names the other container in the log, and hands it over once the first is gone past its route grace', async () => {
    const envoy = await startEnvoy();
    const shared = `${serviceFor('shared')}.test`;
    const first = await upstream(serviceFor('claim-a'), { 'eds.domains': shared });
    const second = await upstream(serviceFor('claim-b'), { 'eds.domains': shared });
    await eventually(
      'the agent names the container whose claim lost',
      () =>
        stage.agent.logs.filter(
          (line) => line.container === idOf(second) && line.msg.startsWith('routes: '),
        ),
      (lines) => lines.length === 1,
    );
    await eventually(
      'the shared domain routes to the first service',
      () => answers(envoy, shared),
      ({ by }) => by.join() === idOf(first),
    );
    // The first keeps its claim while its routes are kept (503), then the second gets it.
    await first.remove({ force: true });
    await eventually(
      'the shared domain answers 503 while the first service is kept',
      () => answers(envoy, shared),
      ({ failures }) =>
        failures.length > 0 && failures.every((f) => f === '503 no healthy upstream'),
    );
    await eventually(
      'the shared domain routes to the second service',
      () => answers(envoy, shared),
      ({ by, failures }) => failures.length === 0 && by.join() === idOf(second),
    );
  });

  it("shows the agent's route configuration in Envoy's config dump", async () => {
    const envoy = await startEnvoy();
    const service = serviceFor('dumped');
    await upstream(service);
    await eventually(
      'the dump holds the virtual host of the service',
      async () =>
        (await fetch(`${envoy.adminUrl}/config_dump?resource=dynamic_route_configs`)).text(),
      (dump) => dump.includes(`"${service}.localhost"`) && dump.includes('"name": "eds-agent"'),
    );
    expect(await envoy.stat('http.ingress.rds.eds-agent.update_rejected')).toBe(0);
  });
});
