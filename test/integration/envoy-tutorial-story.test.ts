import type { Container } from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type Cli, exitOf, startCli } from '../support/cli.js';
import { DockerHarness } from '../support/docker-harness.js';
import { DockerRelay } from '../support/docker-relay.js';
import { toTestBootstrap } from '../support/envoy-bootstrap.js';
import type { EnvoyUnderTest } from '../support/envoy-process.js';
import { eventually } from '../support/eventually.js';
import { freeLoopbackPort } from '../support/free-port.js';
import { answeredBy, type RunningLoad, sendRequests } from '../support/http-load.js';
import { startTestLoad } from '../support/start-test-load.js';
import { lacks } from '../support/test-tools.js';
import { useEnvoys } from '../support/use-envoys.js';

// The "Try Envoy" REST EDS tutorial's story, with containers instead of curl, through a real
// Envoy; then the agent is killed and restarted under load. The agent runs as its own process
// (so it can be SIGKILLed) on a fixed port, and reaches Docker through a relay the test can
// cut, so the engine can be unreachable while its containers keep serving.
const MISSING_TOOLS = lacks('docker', 'busybox', 'envoy');
describe.skipIf(MISSING_TOOLS)("the tutorial's story through a real Envoy", () => {
  const docker = new DockerHarness();
  const service = `myservice-${docker.runId}`;
  const envoys = useEnvoys();
  let relay: DockerRelay;
  let agentPort: number;
  let agent: Cli;
  let envoy: EnvoyUnderTest;

  /** Starts the agent's command line on `agentPort` and waits until it listens. */
  async function startAgentProcess(): Promise<Cli> {
    const cli = startCli([
      ...['--port', String(agentPort), '--bind', '127.0.0.1', '--address-mode', 'host'],
      ...['--docker-host', relay.dockerHost, '--log-level', 'debug'],
    ]);
    await eventually(
      'the agent listens',
      () => cli.output(),
      (output) => output.includes('"msg":"eds-agent listening"'),
      { timeoutMs: 15_000 },
    );
    return cli;
  }
  /** How many of Envoy's polls this agent process answered (with `answer`), from its debug log. */
  const answered = (cli: Cli, answer?: 'response' | 'not-modified' | 'not-synced') =>
    cli.output().split(answer ? `"answer":"${answer}"` : '"msg":"discovery poll"').length - 1;

  beforeAll(async () => {
    await docker.buildImage();
    relay = await DockerRelay.start();
    agentPort = await freeLoopbackPort();
    agent = await startAgentProcess();
    envoy = await envoys.start(toTestBootstrap({ agentPort, serviceName: service }));
  });
  afterAll(async () => {
    agent.kill('SIGKILL');
    await relay.down();
    await docker.cleanup();
  });

  const upstream = (): Promise<Container> =>
    docker.run({ labels: { 'eds.service': service, 'eds.port': '8000' }, publishLoopback: [8000] });
  const idsOf = (containers: Container[]) => containers.map((c) => c.id.slice(0, 12)).sort();
  const oneRequest = () => sendRequests(envoy.url, 1);
  const hostCount = async () => (await envoy.hosts('web')).length;
  const removeAll = (containers: Container[]) =>
    Promise.all(containers.map((c) => c.remove({ force: true })));

  it('answers no healthy upstream, then one container, then five, then none again', async () => {
    expect((await oneRequest()).failures).toEqual(['503 no healthy upstream']);

    const first = await upstream();
    await eventually(
      'the first container answers through Envoy',
      oneRequest,
      (report) => answeredBy(report).join() === idsOf([first]).join(),
    );

    const five = [first, ...(await Promise.all([1, 2, 3, 4].map(() => upstream())))];
    await eventually('Envoy holds five hosts', hostCount, (n) => n === 5);
    // Round robin over five: ten requests reach every one of them.
    expect(answeredBy(await sendRequests(envoy.url, 10))).toEqual(idsOf(five));

    await removeAll(five);
    await eventually(
      'no healthy upstream again',
      oneRequest,
      (report) => report.failures.join() === '503 no healthy upstream',
    );
  });

  /** Three replicas Envoy routes to, and constant load through Envoy: what a restart meets. */
  async function threeReplicasUnderLoad(): Promise<{ replicas: Container[]; load: RunningLoad }> {
    const replicas = [await upstream(), await upstream(), await upstream()];
    await eventually('Envoy holds the three', hostCount, (n) => n === 3);
    return { replicas, load: startTestLoad(envoy.url) };
  }
  /** Stops the load and reports it: the three answered every request. Then removes them. */
  async function expectNoFailure(
    what: string,
    { replicas, load }: { replicas: Container[]; load: RunningLoad },
  ): Promise<void> {
    const report = await load.stop();
    process.stdout.write(`${what}: ${report.sent} requests, ${report.failures.length} failed\n`);
    expect(report.failures).toEqual([]);
    expect(answeredBy(report)).toEqual(idsOf(replicas));
    await removeAll(replicas);
  }

  it('keeps routing to the same containers with zero failed requests while the agent is SIGKILLed and restarted', async () => {
    const running = await threeReplicasUnderLoad();

    const failedPolls = await envoy.stat('cluster.web.update_failure');
    agent.kill('SIGKILL');
    await exitOf(agent);
    await eventually(
      'Envoy has found no agent for several refresh periods',
      () => envoy.stat('cluster.web.update_failure'),
      (n) => n >= failedPolls + 4,
    );
    agent = await startAgentProcess();
    const restarted = agent;
    await eventually(
      'Envoy has polled the restarted agent several times',
      () => answered(restarted, 'response') + answered(restarted, 'not-modified'),
      (n) => n >= 3,
    );

    await expectNoFailure('agent SIGKILL + restart', running);
  });

  it('keeps routing with zero failed requests while the agent restarts with the Docker engine unreachable', async () => {
    const running = await threeReplicasUnderLoad();

    await relay.down();
    agent.kill('SIGTERM');
    expect(await exitOf(agent)).toBe(0);
    agent = await startAgentProcess();
    const restarted = agent;
    await eventually(
      'Envoy has polled the new agent for several refresh periods',
      () => answered(restarted),
      (n) => n >= 4,
    );
    expect(running.load.report().failures).toEqual([]);
    // Knowing nothing of Docker, the agent told Envoy "not synced" (503), never "no endpoints".
    expect(answered(restarted, 'not-synced')).toBe(answered(restarted));

    await relay.up();
    await eventually(
      'synced: Envoy has polled the agent successfully several times',
      () => answered(restarted, 'response') + answered(restarted, 'not-modified'),
      (n) => n >= 3,
    );
    await expectNoFailure('agent restart, engine unreachable', running);
  });
});
