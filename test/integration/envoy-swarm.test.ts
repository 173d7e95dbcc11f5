import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createDockerodeClient } from '../../src/sources/engine/create-dockerode-client.js';
import type { DockerClient } from '../../src/sources/engine/docker-client.js';
import { toAdsBootstrap } from '../support/ads-bootstrap.js';
import { startTestAgent, type TestAgent } from '../support/agent-harness.js';
import { serveHostnameDrainingOnTerm } from '../support/docker-harness.js';
import type { EnvoyUnderTest } from '../support/envoy-process.js';
import { pollEds } from '../support/envoy-rest-client.js';
import { eventually } from '../support/eventually.js';
import { sentMore } from '../support/http-load.js';
import { PrivateSwarm } from '../support/private-swarm.js';
import { startTestLoad } from '../support/start-test-load.js';
import { lacks } from '../support/test-tools.js';
import { useEnvoys } from '../support/use-envoys.js';

// Swarm services through a real Envoy fed over ADS: a single-node Swarm on a private engine,
// the agent following it (`--swarm auto`, in host mode), and requests flowing through Envoy's
// listener without a pause while Swarm scales and replaces tasks. Each task serves its
// container's id and keeps serving for a second after SIGTERM, as a server that drains does.
const MISSING_TOOLS = lacks(...PrivateSwarm.NEEDS, 'envoy');

describe.skipIf(MISSING_TOOLS)('Swarm services through a real Envoy (ADS)', () => {
  const swarm = new PrivateSwarm();
  const envoys = useEnvoys();
  let agent: TestAgent;
  let envoy: EnvoyUnderTest;

  const AGENT_ARGS = () => [
    ...['--docker-host', `unix://${swarm.daemon.socketPath}`],
    ...['--address-mode', 'host'],
  ];
  beforeAll(async () => {
    await swarm.create();
    agent = await startTestAgent(AGENT_ARGS());
    const port = agent.agent.grpcPort;
    if (port === undefined) throw new Error('the agent runs without its gRPC server');
    envoy = await envoys.start(toAdsBootstrap(port));
  }, 180_000);
  afterAll(async () => {
    await agent.stop();
    await swarm.destroy();
  });

  /** A service of `replicas` tasks labelled for the agent, with a drain of 1 s after SIGTERM. */
  const createService = (name: string, replicas: number, healthCheck?: string) =>
    swarm.createService({
      name,
      replicas,
      command: serveHostnameDrainingOnTerm(1),
      stopGraceSeconds: 5,
      labels: { 'eds.service': name, 'eds.port': '8000' },
      ...(healthCheck === undefined ? {} : { healthCheck }),
    });

  /** The host ports Envoy holds as healthy for `service`, sorted. */
  const envoyPorts = async (service: string) =>
    (await envoy.hosts(service))
      .filter((host) => host.edsHealth === 'HEALTHY')
      .map((host) => Number(host.address.split(':')[1]))
      .sort((a, b) => a - b);
  const taskPorts = async (service: string) =>
    (await swarm.runningTasks(service)).map((task) => task.hostPort).sort((a, b) => a - b);

  /**
   * Waits until Envoy's healthy hosts are exactly the running tasks, `count` of them; on a
   * timeout, prints what the agent serves and what Swarm says.
   */
  const untilEnvoyHoldsTasks = async (service: string, count: number) => {
    try {
      await eventually(
        `Envoy holds the ${count} running tasks of ${service}`,
        async () => ({ envoy: await envoyPorts(service), tasks: await taskPorts(service) }),
        ({ envoy: held, tasks }) => tasks.length === count && held.join() === tasks.join(),
        { timeoutMs: 60_000, intervalMs: 100 },
      );
    } catch (error) {
      // What the agent serves and what Swarm says, to tell which side was wrong.
      const tasks = (await swarm.docker.listTasks({
        filters: JSON.stringify({ service: [service] }),
      })) as { ID: string; DesiredState?: string; Status?: unknown }[];
      process.stderr.write(
        `the agent serves ${JSON.stringify(await agent.endpoints(service))}; Swarm's tasks: ${JSON.stringify(
          tasks.map((task) => [task.ID, task.DesiredState, task.Status]),
        )}\n`,
      );
      throw error;
    }
  };

  it('follows `service create` and scaling 3 → 8 → 2 with zero failed requests', async () => {
    const service = `scale-${swarm.harness.runId}`;
    await createService(service, 3);
    await untilEnvoyHoldsTasks(service, 3);

    const load = startTestLoad(envoy.url, { concurrency: 2, headers: { 'x-service': service } });
    await swarm.scale(service, 8);
    await untilEnvoyHoldsTasks(service, 8);
    await swarm.scale(service, 2);
    await untilEnvoyHoldsTasks(service, 2);
    await sentMore(load, 200);
    const report = await load.stop();
    process.stdout.write(
      `swarm scale 3 → 8 → 2: ${report.sent} requests, ${report.failures.length} failed\n`,
    );
    expect(report.failures).toEqual([]);
    const survivors = (await swarm.runningTasks(service)).map((task) => task.container);
    for (const container of survivors) expect(report.answers.get(container)).toBeGreaterThan(0);
  }, 180_000);

  // Both orders failed now and then in CI (2 to 4 requests of thousands with no answer within
  // 5 s, always two upstreams silent at the same instant, `attempts=1`). Root cause, caught by
  // `reportWhatHolds` below (run 16 of 40 with one core busy): not the agent, but the private
  // engine's bridge. Made by `ip link add`, it took the lowest MAC of its ports, so it changed
  // whenever a task's container joined with a lower one. The host flushed its neighbour
  // entries, but the containers kept the old address of their gateway: the two answers then
  // in flight went to a MAC no port had (the tasks' sockets sat in FIN-WAIT-1 retransmitting,
  // their neighbour entry in DELAY) until the containers re-resolved it, 5 s or more later.
  // Docker sets the address of the bridges it makes (docker0 never moves); the private
  // engine's bridge now has a fixed address too (see `PrivateDaemon.create`). 40 runs of this
  // file with one core busy after the fix: see docs/development.md.
  /** Prints, to stderr, where a request sent at `sentAt` and unanswered for 2 s is held. */
  const reportWhatHolds = async (sentAt: number) => {
    const snapshot = await swarm.daemon.networkSnapshot();
    process.stderr.write(
      `a request sent at ${new Date(sentAt).toISOString()} is unanswered after 2 s:\n${snapshot}\n`,
    );
  };
  it.each(['start-first', 'stop-first'] as const)(
    'replaces every task of `service update --force` (%s) with zero failed requests',
    async (order) => {
      const service = `update-${order}-${swarm.harness.runId}`;
      await createService(service, 3);
      await untilEnvoyHoldsTasks(service, 3);
      const before = (await swarm.runningTasks(service)).map((task) => task.id);

      const load = startTestLoad(envoy.url, {
        concurrency: 2,
        headers: { 'x-service': service },
        onSlow: (sentAt) => void reportWhatHolds(sentAt),
      });
      await swarm.forceUpdate(service, order);
      await eventually(
        'every task replaced',
        async () => ({
          done: await swarm.updateDone(service),
          tasks: (await swarm.runningTasks(service)).map((task) => task.id),
        }),
        ({ done, tasks }) =>
          done && tasks.length === 3 && tasks.every((id) => !before.includes(id)),
        { timeoutMs: 90_000, intervalMs: 200 },
      );
      await untilEnvoyHoldsTasks(service, 3);
      await sentMore(load, 200);
      const report = await load.stop();
      process.stdout.write(
        `swarm update --force (${order}): ${report.sent} requests, ${report.failures.length} failed\n`,
      );
      expect(report.failures).toEqual([]);
    },
    180_000,
  );

  it('withdraws a task that turns unhealthy, and serves its replacement once healthy', async () => {
    const service = `health-${swarm.harness.runId}`;
    await createService(service, 2, '[ ! -f /tmp/unhealthy ]');
    await untilEnvoyHoldsTasks(service, 2);
    const [sick] = await swarm.runningTasks(service);
    if (!sick) throw new Error('no task');
    const exec = await swarm.docker
      .getContainer(sick.container)
      .exec({ Cmd: ['touch', '/tmp/unhealthy'] });
    await exec.start({});
    await eventually(
      'Envoy no longer holds the unhealthy task',
      () => envoyPorts(service),
      (ports) => !ports.includes(sick.hostPort),
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    await eventually(
      'its replacement, healthy, is served',
      async () => (await swarm.runningTasks(service)).map((task) => task.id),
      (ids) => ids.length === 2 && !ids.includes(sick.id),
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    await untilEnvoyHoldsTasks(service, 2);
  }, 180_000);

  it('never empties Envoy across an agent restart: discovery answers 503 until the Swarm is read', async () => {
    const service = `restart-${swarm.harness.runId}`;
    await createService(service, 3);
    await untilEnvoyHoldsTasks(service, 3);
    const membership = () => envoy.stat(`cluster.${service}.membership_change`);
    const changesBefore = await membership();
    const load = startTestLoad(envoy.url, { concurrency: 2, headers: { 'x-service': service } });
    await sentMore(load, 100);

    // The new agent reads the containers at once, but the Swarm's tasks only when released:
    // until then it must serve nothing, not a Swarm without tasks.
    const grpcPort = String(agent.agent.grpcPort);
    await agent.stop();
    const engine = createDockerodeClient({ kind: 'unix', path: swarm.daemon.socketPath });
    if (!engine.ok) throw new Error(engine.problems.join());
    const real = engine.value;
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const slowTasks: DockerClient = {
      ...real,
      listTasks: async (signal) => {
        await held;
        return real.listTasks(signal);
      },
    };
    agent = await startTestAgent(
      [...AGENT_ARGS(), '--grpc-port', grpcPort],
      { dockerClient: slowTasks },
      { waitForFirstSync: false },
    );
    const restarted = agent;
    await eventually(
      'the containers are read',
      async () =>
        (await restarted.readyStatus()) === 503 &&
        restarted.logs.some((line) => line.msg === 'full sync done'),
      (read) => read,
    );
    expect((await pollEds(restarted.port, service)).status).toBe(503);
    await sentMore(load, 200);
    release();
    await restarted.agent.firstSync;
    await untilEnvoyHoldsTasks(service, 3);
    await sentMore(load, 200);
    const report = await load.stop();
    process.stdout.write(
      `agent restarted under Swarm: ${report.sent} requests, ${report.failures.length} failed\n`,
    );
    expect(report.failures).toEqual([]);
    expect(await membership()).toBe(changesBefore);
  }, 180_000);
});
