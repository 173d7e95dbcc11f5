// What one reconcile of a Swarm costs the agent (issue 20): 1,000 running tasks in 200
// labelled services, served by an in-memory engine (test/support/fake-docker-engine.ts) so
// that the number is the agent's (and the copy of each answer), not dockerd's. Counts the engine calls per reconcile and
// times reconciles: the first (every task new), then ones that find nothing changed, then
// ones after a service's tasks were replaced.
//
// Usage: npm run bench:swarm-reconcile   (writes the table into BENCHMARKS.md)
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';

import { pino } from 'pino';

import { createSnapshotStore } from '../src/snapshot-store.js';
import type { DockerService, DockerTask } from '../src/sources/engine/docker-json.js';
import { startSwarmSource, SWARM_SOURCE } from '../src/sources/swarm/start-swarm-source.js';
import { FakeDockerEngine } from '../test/support/fake-docker-engine.js';
import { markdownTable } from './support/markdown-table.js';
import { median, percentile } from './support/percentile.js';
import { describeMachine, writeBenchmarksSection } from './write-benchmarks-section.js';

const SERVICES = 200;
const TASKS_PER_SERVICE = 5;
const ROUNDS = 50;
const NODE = 'node-1';

function service(index: number): DockerService {
  return {
    ID: `svc-${index}`,
    Spec: { Name: `svc${index}`, Labels: { 'eds.service': `svc${index}`, 'eds.port': '8000' } },
  };
}

function task(serviceIndex: number, slot: number, generation: number): DockerTask {
  const port = 20000 + serviceIndex * TASKS_PER_SERVICE + slot;
  return {
    ID: `task-${serviceIndex}-${slot}-${generation}`,
    ServiceID: `svc-${serviceIndex}`,
    NodeID: NODE,
    Slot: slot,
    DesiredState: 'running',
    Status: {
      State: 'running',
      PortStatus: {
        Ports: [
          {
            Protocol: 'tcp',
            TargetPort: 8000,
            PublishedPort: port + generation,
            PublishMode: 'host',
          },
        ],
      },
    },
  };
}

/** Milliseconds each of `ROUNDS` reconciles took, after `change` each time; calls per reconcile. */
async function measure(engine: FakeDockerEngine, change: (round: number) => void) {
  const durations: number[] = [];
  const callsBefore = engine.swarmCalls.length;
  const store = createSnapshotStore({ awaiting: [SWARM_SOURCE] });
  /** What each reconcile took by the source's own clock, from its debug log line. */
  const timeline: number[] = [];
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write(chunk: Buffer, _e, done) {
        for (const line of chunk.toString().split('\n'))
          if (line.includes('"Swarm reconciled"'))
            timeline.push((JSON.parse(line) as { ms: number }).ms);
        done();
      },
    }),
  );
  const source = startSwarmSource({
    client: engine,
    store,
    address: { addressMode: 'host', hostIp: '127.0.0.1', network: undefined, labelPrefix: 'eds' },
    logger,
    mode: 'auto',
    timing: { resyncMs: 60_000, convergingMs: 60_000 },
  });
  await source.firstSync;
  const first = timeline[0] ?? NaN;
  const cpuBefore = process.cpuUsage();
  for (let round = 0; round < ROUNDS; round++) {
    change(round);
    const seen = timeline.length;
    const started = performance.now();
    engine.emitSwarm('service', 'update', 'svc-0');
    while (timeline.length === seen) await new Promise((resolve) => setImmediate(resolve));
    durations.push(performance.now() - started);
  }
  const cpu = process.cpuUsage(cpuBefore);
  await source.stop();
  const calls = engine.swarmCalls.slice(callsBefore);
  return {
    first,
    durations,
    cpuMsPerReconcile: (cpu.user + cpu.system) / 1000 / ROUNDS,
    callsPerReconcile: calls.filter((call) => call !== 'info').length / (ROUNDS + 1),
  };
}

async function main(): Promise<void> {
  const engine = new FakeDockerEngine();
  engine.swarm = {
    nodeId: NODE,
    services: Array.from({ length: SERVICES }, (_, i) => service(i)),
    tasks: [],
    nodes: [{ ID: NODE, Status: { State: 'ready', Addr: '127.0.0.1' } }],
  };
  const swarm = engine.swarm;
  for (let s = 0; s < SERVICES; s++)
    for (let slot = 1; slot <= TASKS_PER_SERVICE; slot++) swarm.tasks.push(task(s, slot, 0));
  const unchanged = await measure(engine, () => undefined);
  const replaced = await measure(engine, (round) => {
    // One service's tasks all replaced by new ones, as a rolling update ends.
    const target = round % SERVICES;
    swarm.tasks = swarm.tasks.filter((t) => t.ServiceID !== `svc-${target}`);
    for (let slot = 1; slot <= TASKS_PER_SERVICE; slot++)
      swarm.tasks.push(task(target, slot, round + 1));
  });
  const row = (what: string, r: typeof unchanged) => [
    what,
    r.callsPerReconcile.toFixed(0),
    median(r.durations).toFixed(1),
    percentile(r.durations, 99).toFixed(1),
    r.cpuMsPerReconcile.toFixed(1),
  ];
  writeBenchmarksSection(
    'swarm-reconcile',
    [
      '## What one read of a Swarm costs',
      '',
      'Command: `npm run bench:swarm-reconcile` (bench/swarm-reconcile.ts). The Swarm source',
      `against an in-memory engine holding ${(SERVICES * TASKS_PER_SERVICE).toLocaleString('en')} running tasks in ${SERVICES} labelled services, in the`,
      "same process: the numbers are the agent's plus the engine's copy of its answers (as",
      "parsing a real engine's JSON would be); dockerd's own time to answer comes on top. A service event",
      `triggers each reconcile; ${ROUNDS} of each kind. The first reconcile (every task new) took`,
      `${unchanged.first} ms by the source's own clock. Event → reconcile applied, and CPU per reconcile:`,
      `Measured ${new Date().toISOString().slice(0, 10)} on ${describeMachine()}.`,
      '',
      markdownTable(
        ['reconcile', 'engine calls', 'median ms', 'p99 ms', 'CPU ms'],
        [
          row('nothing changed', unchanged),
          row(`one service's ${TASKS_PER_SERVICE} tasks replaced`, replaced),
        ],
      ),
    ].join('\n'),
  );
}

await main();
