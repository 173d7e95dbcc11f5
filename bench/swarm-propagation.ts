// How long a Swarm change takes to reach a real Envoy (issue 20): a single-node Swarm on a
// private engine, the agent's production build following it in host mode, Envoy fed over ADS.
// Each change scales a labelled service by one, up or down, and is timed from Docker's service
// event (`timeNano`) to Envoy's admin `/clusters` listing the new task HEALTHY (scale up), or
// showing the task scaled away DRAINING and then no more (scale down).
//
// Usage: npm run bench:swarm-propagation   (needs root, dockerd and Envoy, as CI has; writes
// the table into BENCHMARKS.md)
import { toAdsBootstrap } from '../test/support/ads-bootstrap.js';
import { serveHostnameDrainingOnTerm } from '../test/support/docker-harness.js';
import { startEnvoy } from '../test/support/envoy-process.js';
import { PrivateSwarm } from '../test/support/private-swarm.js';
import { markdownTable } from './support/markdown-table.js';
import { median, percentile } from './support/percentile.js';
import { productionCommand } from './support/production-command.js';
import { startAgent, untilReady } from './support/server-processes.js';
import { describeMachine, writeBenchmarksSection } from './write-benchmarks-section.js';

const SERVICE = 'propagation';
const CHANGES = 24;
const BASE_REPLICAS = 2;
/** Issue 20's targets. */
const TARGET = { propagationP99Ms: 1000, drainingP99Ms: 250 };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Docker's service events on `swarm`, as wall-clock ms (from `timeNano`), in arrival order. */
async function followServiceEvents(swarm: PrivateSwarm) {
  const times: number[] = [];
  const stream = await swarm.docker.getEvents({
    filters: JSON.stringify({ type: ['service'], service: [SERVICE] }),
  });
  let buffered = '';
  stream.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() === '') continue;
      const event = JSON.parse(line) as { timeNano?: number };
      times.push((event.timeNano ?? 0) / 1e6);
    }
  });
  return {
    /** The first event after `count` seen, once it arrives. */
    async next(count: number): Promise<number> {
      while (times.length <= count) await sleep(5);
      return times[count] ?? NaN;
    },
    get count() {
      return times.length;
    },
    close: () => {
      (stream as unknown as { destroy(): void }).destroy();
    },
  };
}

async function main(): Promise<void> {
  const swarm = new PrivateSwarm();
  await swarm.create();
  try {
    const dir = new URL('..', import.meta.url).pathname;
    const agent = await startAgent('agent', productionCommand(dir).v8Flags, {
      args: [
        ...['--docker-host', `unix://${swarm.daemon.socketPath}`],
        ...['--address-mode', 'host'],
      ],
    });
    try {
      await untilReady(agent);
      const envoy = await startEnvoy(toAdsBootstrap(agent.grpcPort ?? 0));
      try {
        await swarm.createService({
          name: SERVICE,
          replicas: BASE_REPLICAS,
          command: serveHostnameDrainingOnTerm(2),
          stopGraceSeconds: 5,
          labels: { 'eds.service': SERVICE, 'eds.port': '8000' },
        });
        const healthy = async () =>
          (await envoy.hosts(SERVICE)).filter((host) => host.edsHealth === 'HEALTHY');
        while ((await healthy()).length !== BASE_REPLICAS) await sleep(50);
        const events = await followServiceEvents(swarm);
        const listed: number[] = [];
        const draining: number[] = [];
        const dropped: number[] = [];
        for (let change = 0; change < CHANGES; change++) {
          const up = change % 2 === 0;
          const before = (await envoy.hosts(SERVICE)).map((host) => host.address);
          const seen = events.count;
          await swarm.scale(SERVICE, up ? BASE_REPLICAS + 1 : BASE_REPLICAS);
          const at = await events.next(seen);
          if (up) {
            for (;;) {
              const hosts = await healthy();
              if (hosts.some((host) => !before.includes(host.address))) break;
              await sleep(5);
            }
            listed.push(Date.now() - at);
          } else {
            let drained: number | undefined;
            for (;;) {
              const hosts = await envoy.hosts(SERVICE);
              if (drained === undefined && hosts.some((host) => host.edsHealth === 'DRAINING'))
                drained = Date.now() - at;
              if (hosts.length === BASE_REPLICAS) break;
              await sleep(5);
            }
            dropped.push(Date.now() - at);
            // A task that stops within one admin poll is gone before DRAINING is seen.
            if (drained !== undefined) draining.push(drained);
          }
          process.stderr.write(`change ${change + 1} of ${CHANGES}\n`);
          await sleep(500);
        }
        events.close();
        const cells = (values: number[]) => [
          String(values.length),
          median(values).toFixed(0),
          percentile(values, 99).toFixed(0),
        ];
        writeBenchmarksSection(
          'swarm-propagation',
          [
            '## Swarm changes through a real Envoy',
            '',
            'Command: `npm run bench:swarm-propagation` (bench/swarm-propagation.ts). A single-node',
            "Swarm on a private engine, the agent's production build following it in host mode, a",
            `real Envoy fed over ADS. ${CHANGES} changes scale a labelled service from ${BASE_REPLICAS} to ${BASE_REPLICAS + 1} tasks and back, each timed`,
            "from Docker's service event (`timeNano`) to what Envoy's admin `/clusters` shows, polled",
            'every few ms (which adds a few ms). A task scaled away serves for 2 s after SIGTERM.',
            `Targets (issue 20): p99 ≤ ${TARGET.propagationP99Ms} ms to list or drop a task, DRAINING within ${TARGET.drainingP99Ms} ms p99 (Traefik polls every 15 s).`,
            `Measured ${new Date().toISOString().slice(0, 10)} on ${describeMachine()}.`,
            '',
            markdownTable(
              ['service event →', 'changes', 'median ms', 'p99 ms'],
              [
                ['the new task listed HEALTHY', ...cells(listed)],
                ['the task scaled away DRAINING', ...cells(draining)],
                ['the task scaled away dropped (it has stopped)', ...cells(dropped)],
              ],
            ),
          ].join('\n'),
        );
      } finally {
        await envoy.stop();
      }
    } finally {
      await agent.stop();
    }
  } finally {
    await swarm.destroy();
  }
}

await main();
