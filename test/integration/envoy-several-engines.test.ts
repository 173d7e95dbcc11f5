import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { StatusJson } from '../../src/status/build-status.js';
import { toAdsBootstrap } from '../support/ads-bootstrap.js';
import { startTestAgent, type TestAgent } from '../support/agent-harness.js';
import { DockerHarness } from '../support/docker-harness.js';
import type { EnvoyUnderTest } from '../support/envoy-process.js';
import { send } from '../support/envoy-rest-client.js';
import { eventually } from '../support/eventually.js';
import { sentMore } from '../support/http-load.js';
import { PrivateDaemon } from '../support/private-daemon.js';
import { startTestLoad } from '../support/start-test-load.js';
import { lacks } from '../support/test-tools.js';
import { useEnvoys } from '../support/use-envoys.js';

// Two engines behind one agent, through a real Envoy fed over ADS: the CI engine (`ci`) and
// a private dockerd of this test (`edge`, over loopback TCP), the agent in host mode. One
// engine dies with SIGKILL while requests flow to the other's service.
const MISSING_TOOLS = lacks(...PrivateDaemon.NEEDS, 'envoy');
const GRACE_MS = 3000;

describe.skipIf(MISSING_TOOLS)('two engines through a real Envoy (ADS)', () => {
  const edgeDaemon = new PrivateDaemon();
  const ci = new DockerHarness();
  let edge: DockerHarness;
  const envoys = useEnvoys();
  let agent: TestAgent;
  let envoy: EnvoyUnderTest;

  beforeAll(async () => {
    await edgeDaemon.create();
    edge = new DockerHarness(edgeDaemon.socketPath);
    await Promise.all([ci.buildImage(), edge.buildImage()]);
    agent = await startTestAgent([
      ...['--docker-host', `ci=unix://${ci.socketPath}`],
      ...['--docker-host', `edge=tcp://127.0.0.1:${edgeDaemon.tcpPort}`],
      ...['--address-mode', 'host', '--engine-grace', `${GRACE_MS}ms`],
    ]);
    const port = agent.agent.grpcPort;
    if (port === undefined) throw new Error('the agent runs without its gRPC server');
    envoy = await envoys.start(toAdsBootstrap(port));
  }, 180_000);
  afterAll(async () => {
    await agent.stop();
    await ci.cleanup();
    await edgeDaemon.destroy();
  });

  const status = async () =>
    JSON.parse((await send(agent.port, { method: 'GET', path: '/status' })).text) as StatusJson;
  /** The ports Envoy holds as healthy for `service`, sorted. */
  const envoyPorts = async (service: string) =>
    (await envoy.hosts(service))
      .filter((host) => host.edsHealth === 'HEALTHY')
      .map((host) => Number(host.address.split(':')[1]))
      .sort((a, b) => a - b);
  /** The host ports of the running containers of `service` on `engine`, as its `docker ps` says. */
  const runningPorts = async (engine: DockerHarness, service: string) =>
    (await engine.listRunContainers([`eds.service=${service}`]))
      .filter((container) => container.State === 'running')
      .flatMap((container) => container.Ports.map((port) => port.PublicPort))
      .sort((a, b) => a - b);
  const untilEnvoyHolds = (service: string, ports: () => Promise<number[]>, what: string) =>
    eventually(
      `Envoy holds ${what}`,
      async () => ({ held: await envoyPorts(service), wanted: await ports() }),
      ({ held, wanted }) => wanted.length > 0 && held.join() === wanted.join(),
      { timeoutMs: 60_000, intervalMs: 100 },
    );
  /** A container of `service` on `engine` named `name`, serving its id on a loopback port. */
  const runOn = (engine: DockerHarness, service: string, name: string) =>
    engine.run({
      name,
      labels: { 'eds.service': service, 'eds.port': '8000' },
      publishLoopback: [8000],
      restartAlways: true,
    });

  it('keeps one engine routed with zero failures while the other dies, withdraws the dead one after the grace, and serves it again once back', async () => {
    const shared = `shared-${ci.runId}`;
    const survivor = `survivor-${ci.runId}`;
    // Equal container names on both engines: each is its own endpoint of the one cluster.
    await runOn(ci, shared, `web-${ci.runId}`);
    await runOn(edge, shared, `web-${ci.runId}`);
    await runOn(ci, survivor, `survivor-a-${ci.runId}`);
    await runOn(ci, survivor, `survivor-b-${ci.runId}`);
    const both = async () =>
      [...(await runningPorts(ci, shared)), ...(await runningPorts(edge, shared))].sort(
        (a, b) => a - b,
      );
    await untilEnvoyHolds(shared, both, 'the container named alike on each engine');
    expect(await envoyPorts(shared)).toHaveLength(2);
    expect(
      (await status()).containers
        .filter((container) => container.name === `web-${ci.runId}`)
        .map((container) => `${container.engine} ${container.state}`),
    ).toEqual(['ci served', 'edge served']);
    await untilEnvoyHolds(survivor, () => runningPorts(ci, survivor), 'the survivors');
    const survivors = await envoyPorts(survivor);

    const load = startTestLoad(envoy.url, { concurrency: 2, headers: { 'x-service': survivor } });
    await sentMore(load, 100);
    const killedAt = Date.now();
    await edgeDaemon.kill();
    await eventually(
      'the agent sees edge away',
      status,
      (seen) => seen.engines.find((engine) => engine.name === 'edge')?.connected === false,
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    expect(await agent.readyStatus()).toBe(200);
    await untilEnvoyHolds(shared, () => runningPorts(ci, shared), "ci's container alone");
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(GRACE_MS - 500);
    expect((await status()).engines.find((engine) => engine.name === 'edge')).toMatchObject({
      withdrawn: true,
    });
    expect(await envoyPorts(survivor)).toEqual(survivors);
    await sentMore(load, 100);
    const report = await load.stop();
    process.stdout.write(
      `engine SIGKILLed: ${report.sent} requests to the other engine's service, ${report.failures.length} failed\n`,
    );
    expect(report.failures).toEqual([]);

    // Back: its container restarts with it, wherever Docker publishes it now.
    await edgeDaemon.start();
    await untilEnvoyHolds(shared, both, 'both engines again, as their `docker ps` say');
    expect(await envoyPorts(survivor)).toEqual(survivors);
  }, 240_000);
});
