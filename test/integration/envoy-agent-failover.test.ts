import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { StatusJson } from '../../src/status/build-status.js';
import { toAdsBootstrap } from '../support/ads-bootstrap.js';
import { type AgentProcess, killRunningClis, startAgentProcess } from '../support/cli.js';
import { DockerHarness } from '../support/docker-harness.js';
import type { EnvoyUnderTest } from '../support/envoy-process.js';
import { pollEds, send } from '../support/envoy-rest-client.js';
import { eventually } from '../support/eventually.js';
import { sentMore } from '../support/http-load.js';
import { startTestLoad } from '../support/start-test-load.js';
import { lacks } from '../support/test-tools.js';
import { useEnvoys } from '../support/use-envoys.js';

// Two agents watching the same engine, for high availability: Envoy's xDS cluster holds both,
// it streams ADS from one, and when that one is killed (SIGKILL, no goodbye) it streams from
// the other. Both serve byte-identical resources at identical versions (content hashes), so
// the move changes nothing in Envoy: no cluster modified, no version changed, no failed request.

const MISSING_TOOLS = lacks('docker', 'busybox', 'envoy');
describe.skipIf(MISSING_TOOLS)('two agents for one Envoy (high availability)', () => {
  const docker = new DockerHarness();
  const envoys = useEnvoys();
  const agents: AgentProcess[] = [];
  let envoy: EnvoyUnderTest;
  const service = `ha-${docker.runId}`;

  const startAgent = () =>
    startAgentProcess([
      ...['--docker-host', `unix://${docker.socketPath}`, '--address-mode', 'host'],
      ...['--read-only', '--log-format', 'json'],
    ]);
  const status = async (agent: AgentProcess) =>
    JSON.parse((await send(agent.port, { method: 'GET', path: '/status' })).text) as StatusJson;
  const streams = async (agent: AgentProcess) => (await status(agent)).clients.grpc.length;
  const envoyPorts = async () =>
    (await envoy.hosts(service)).map((host) => Number(host.address.split(':')[1])).sort();
  const runningPorts = async () =>
    (await docker.listRunContainers([`eds.service=${service}`]))
      .flatMap((container) => container.Ports.map((port) => port.PublicPort))
      .sort();
  const untilEnvoyHoldsContainers = (count: number) =>
    eventually(
      `Envoy holds the ${count} containers`,
      async () => ({ held: await envoyPorts(), running: await runningPorts() }),
      ({ held, running }) => running.length === count && held.join() === running.join(),
      { timeoutMs: 30_000, intervalMs: 100 },
    );
  const run = () =>
    docker.run({
      labels: { 'eds.service': service, 'eds.port': '8000' },
      publishLoopback: [8000],
    });

  beforeAll(async () => {
    await docker.buildImage();
    await run();
    await run();
    agents.push(await startAgent(), await startAgent());
    envoy = await envoys.start(toAdsBootstrap(agents.map((agent) => agent.grpcPort)));
  }, 120_000);
  afterAll(async () => {
    killRunningClis();
    await docker.cleanup();
  });

  it('serves byte-identical resources at identical versions from both agents', async () => {
    const [first, second] = agents;
    if (!first || !second) throw new Error('two agents');
    await untilEnvoyHoldsContainers(2);
    const [a, b] = await Promise.all([pollEds(first.port, service), pollEds(second.port, service)]);
    expect(a.status).toBe(200);
    expect(b.text).toBe(a.text);
    const versions = (seen: StatusJson) => ({
      clusters: seen.clusters.map((cluster) => [cluster.name, cluster.version]),
      routes: seen.routes.version,
    });
    expect(versions(await status(second))).toEqual(versions(await status(first)));
  });

  it('moves Envoy to the other agent when its own is killed: zero failed requests, no cluster changed', async () => {
    await untilEnvoyHoldsContainers(2);
    const followed = await eventually(
      'Envoy streams from one agent',
      async () => {
        const counts = await Promise.all(agents.map(streams));
        return agents.filter((_, index) => (counts[index] ?? 0) > 0);
      },
      (streaming) => streaming.length === 1,
    );
    const [victim] = followed;
    const survivor = agents.find((agent) => agent !== victim);
    if (!victim || !survivor) throw new Error('two agents');
    const stats = async () => ({
      cdsVersion: await envoy.stat('cluster_manager.cds.version'),
      edsVersion: await envoy.stat(`cluster.${service}.version`),
      modified: await envoy.stat('cluster_manager.cluster_modified'),
      removed: await envoy.stat('cluster_manager.cluster_removed'),
      membershipChanges: await envoy.stat(`cluster.${service}.membership_change`),
    });
    const before = await stats();
    expect(before.cdsVersion).not.toBe(0);
    expect(before.edsVersion).not.toBe(0);

    const load = startTestLoad(envoy.url, { concurrency: 2, headers: { 'x-service': service } });
    await sentMore(load, 200);
    victim.cli.kill('SIGKILL');
    await eventually(
      'Envoy streams from the other agent',
      () => streams(survivor),
      (count) => count > 0,
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    await sentMore(load, 200);
    const report = await load.stop();
    process.stdout.write(
      `agent killed under load: ${report.sent} requests, ${report.failures.length} failed\n`,
    );
    expect(report.failures).toEqual([]);
    // Envoy took the other agent's answers as what it had: nothing changed, nothing churned.
    expect(await stats()).toEqual(before);

    // And it now follows the engine through the survivor.
    await run();
    await untilEnvoyHoldsContainers(3);
  }, 120_000);
});
