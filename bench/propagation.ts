// Measures how long a container change takes to reach a real Envoy that polls the agent over
// REST EDS, as a user sees it: from Docker's own `start` event (its `timeNano`) to the first
// request Envoy serves from that container, from the `kill` event of `docker stop` to the
// last request that reaches it, and from the container's `die` to the agent withdrawing it
// (beside what an inspect sent at that `die` takes: what withdrawing waited for before the
// agent took `die` at its word). Each container is started, then stopped, at a random moment,
// so the results sample every phase of Envoy's polling; for each `refresh_delay`, load runs
// through Envoy without a pause and every answer names the container that served it.
//
// The agent's own share is read from its log ("serving container" lines, millisecond times):
// the rest is Envoy waiting for its next poll.
//
// Usage: npm run bench:propagation   (needs what `npm test` needs: a Docker engine, Envoy and a
//                                     static busybox; writes the table into BENCHMARKS.md)
import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

import Dockerode, { type Container } from 'dockerode';

import { toAdsBootstrap } from '../test/support/ads-bootstrap.js';
import { type Cli, startCli } from '../test/support/cli.js';
import {
  type ContainerSpec,
  DockerHarness,
  RUN_LABEL,
  serveHostnameDrainingOnTerm,
} from '../test/support/docker-harness.js';
import { requireEnvoy } from '../test/support/envoy-binary.js';
import { toTestBootstrap } from '../test/support/envoy-bootstrap.js';
import { startEnvoy } from '../test/support/envoy-process.js';
import { eventually } from '../test/support/eventually.js';
import { freeLoopbackPort } from '../test/support/free-port.js';
import {
  answeredBy,
  type LoadReport,
  sendRequests,
  startLoad,
  wallClockMs,
} from '../test/support/http-load.js';
import { percentile } from './support/percentile.js';
import { describeMachine, writeBenchmarksSection } from './write-benchmarks-section.js';

const CONTAINERS = 20;
/** How Envoy learns of changes: pushed over gRPC ADS, or by REST polls every `refreshSeconds`. */
type Transport =
  { readonly kind: 'ads' } | { readonly kind: 'rest'; readonly refreshSeconds: number };
const TRANSPORTS: Transport[] = [
  { kind: 'ads' },
  { kind: 'rest', refreshSeconds: 1 },
  { kind: 'rest', refreshSeconds: 5 },
];
const labelOf = (transport: Transport) =>
  transport.kind === 'ads' ? 'ADS (push)' : `REST, ${transport.refreshSeconds} s`;
/** Replicas that stay up throughout, so the load always has somewhere to go. */
const BASE_REPLICAS = 2;

/** Per container, in milliseconds. */
interface Sample {
  /** Docker `start` → the agent serves it. */
  readonly agentStart: number;
  /** Docker `start` → the first request Envoy sends it. */
  readonly envoyStart: number;
  /** Docker `kill` (of `docker stop`) → the agent serves it DRAINING. */
  readonly agentStop: number;
  /** Docker `kill` → the last request Envoy sends it. */
  readonly envoyStop: number;
  /** Docker `die` → the agent withdraws it. */
  readonly agentGone: number;
  /** Docker `die` → an inspect sent when the event arrived returns. */
  readonly inspectAfterDie: number;
}

interface Run {
  readonly label: string;
  readonly samples: Sample[];
  readonly load: LoadReport;
  readonly seconds: number;
}

/** Wall-clock ms of each container's first `start`, `kill` and `die` event, by short id. */
class EventTimes {
  readonly start = new Map<string, number>();
  readonly kill = new Map<string, number>();
  readonly die = new Map<string, number>();

  private constructor(private readonly stream: NodeJS.ReadableStream) {
    createInterface({ input: stream }).on('line', (line) => {
      this.#record(line);
    });
  }

  /** Subscribes to the start and kill events of the run's containers; resolves once subscribed. */
  static async subscribe(docker: DockerHarness): Promise<EventTimes> {
    const filters = { label: [`${RUN_LABEL}=${docker.runId}`], event: ['start', 'kill', 'die'] };
    return new EventTimes(await docker.docker.getEvents({ filters: JSON.stringify(filters) }));
  }

  /** Ends the subscription (docker-modem hands over the HTTP response, which can be destroyed). */
  close(): void {
    if ('destroy' in this.stream && typeof this.stream.destroy === 'function')
      (this.stream as Readable).destroy();
  }

  #record(line: string): void {
    const event = JSON.parse(line) as { Action: string; id: string; timeNano: number };
    const times = new Map([
      ['start', this.start],
      ['kill', this.kill],
      ['die', this.die],
    ]).get(event.Action);
    const id = event.id.slice(0, 12);
    if (times === undefined || times.has(id)) return;
    times.set(id, event.timeNano / 1e6);
  }
}

/**
 * Times, in a process of its own (this one runs the load, which would delay the answer), an
 * inspect of each of the run's containers sent as soon as its `die` event arrives: what
 * withdrawing a dead container waited for before the agent took `die` at its word.
 */
class InspectsAfterDie {
  /** Wall-clock ms at which each inspect returned, by short id. */
  readonly returned = new Map<string, number>();

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (message: { id: string; at: number }) => {
      this.returned.set(message.id, message.at);
    });
  }

  static async start(runId: string): Promise<InspectsAfterDie> {
    const child = fork(fileURLToPath(import.meta.url), ['inspect-after-die', runId], {
      execArgv: ['--import', 'tsx'],
    });
    await once(child, 'message'); // subscribed
    return new InspectsAfterDie(child);
  }

  close(): void {
    this.child.kill();
  }
}

/** Child: the other side of {@link InspectsAfterDie}. */
async function inspectAfterDie(runId: string): Promise<void> {
  const docker = new Dockerode();
  const filters = { label: [`${RUN_LABEL}=${runId}`], event: ['die'] };
  const stream = await docker.getEvents({ filters: JSON.stringify(filters) });
  process.send?.('subscribed');
  createInterface({ input: stream }).on('line', (line) => {
    const { id } = JSON.parse(line) as { id: string };
    void docker
      .getContainer(id)
      .inspect()
      .then(() => process.send?.({ id: id.slice(0, 12), at: wallClockMs() }));
  });
}

/** Wall-clock ms at which the agent first served each container HEALTHY, DRAINING, and withdrew it. */
function agentTimes(agent: Cli): Record<'healthy' | 'draining' | 'gone', Map<string, number>> {
  const healthy = new Map<string, number>();
  const draining = new Map<string, number>();
  const gone = new Map<string, number>();
  for (const line of agent.output().split('\n')) {
    const served = line.includes('"msg":"serving container"');
    if (!served && !line.includes('"msg":"withholding container: not running"')) continue;
    const entry = JSON.parse(line) as { time: number; container: string; endpoints?: string[] };
    const times = !served
      ? gone
      : entry.endpoints?.some((e) => e.endsWith('(draining)'))
        ? draining
        : healthy;
    if (!times.has(entry.container)) times.set(entry.container, entry.time);
  }
  return { healthy, draining, gone };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** A pause of 0.2 s to 0.2 s + one refresh delay, so changes land at every phase of the polling. */
const randomGap = (refreshSeconds: number) => sleep(200 + Math.random() * refreshSeconds * 1000);
const idOf = (container: Container) => container.id.slice(0, 12);

async function measure(
  transport: Transport,
  docker: DockerHarness,
  agent: Cli,
  ports: { rest: number; grpc: number },
  events: EventTimes,
  inspects: InspectsAfterDie,
): Promise<Run> {
  const ads = transport.kind === 'ads';
  // Pushed changes still get 1 s gaps, so containers come and go at a comparable pace.
  const refreshSeconds = ads ? 1 : transport.refreshSeconds;
  const service = `bench-${ads ? 'ads' : `${refreshSeconds}s`}-${docker.runId}`;
  // Stopped containers keep serving longer than Envoy can take to notice, so none fails.
  const drainSeconds = ads ? 1 : 2 * refreshSeconds + 1;
  const spec: ContainerSpec = {
    labels: { 'eds.service': service, 'eds.port': '8000' },
    publishLoopback: [8000],
    cmd: serveHostnameDrainingOnTerm(drainSeconds),
    stopTimeout: drainSeconds + 5,
  };
  const base: Container[] = [];
  for (let i = 0; i < BASE_REPLICAS; i++) base.push(await docker.run(spec));
  const envoy = await startEnvoy(
    ads
      ? toAdsBootstrap(ports.grpc)
      : toTestBootstrap({
          agentPort: ports.rest,
          serviceName: service,
          refreshDelaySeconds: refreshSeconds,
        }),
  );
  // The ADS bootstrap routes by header to the cluster named after the service; REST's is `web`.
  const cluster = ads ? service : 'web';
  const headers = ads ? { 'x-service': service } : {};
  const patience = { timeoutMs: 4 * refreshSeconds * 1000 + 20_000 };
  try {
    await eventually(
      'Envoy routes to the base replicas',
      () => sendRequests(envoy.url, 2 * BASE_REPLICAS, headers),
      (report) => answeredBy(report).length === BASE_REPLICAS,
      patience,
    );
    const load = startLoad(envoy.url, { concurrency: 2, headers });
    const began = wallClockMs();
    const measured: Container[] = [];
    for (let i = 0; i < CONTAINERS; i++) {
      await randomGap(refreshSeconds);
      measured.push(await docker.run(spec));
    }
    await eventually(
      'every new container has answered through Envoy',
      () => load.report(),
      (report) => measured.every((container) => report.answers.has(idOf(container))),
      patience,
    );
    const stops: Promise<unknown>[] = [];
    for (const container of measured) {
      await randomGap(refreshSeconds);
      stops.push(container.stop());
    }
    await Promise.all(stops);
    await eventually(
      'Envoy holds only the base replicas',
      async () => (await envoy.hosts(cluster)).length,
      (n) => n === BASE_REPLICAS,
      patience,
    );
    const report = await load.stop();
    const seconds = (wallClockMs() - began) / 1000;
    const agentSaw = agentTimes(agent);
    const samples = measured.map((container): Sample => {
      const id = idOf(container);
      const at = (times: ReadonlyMap<string, number>, what: string): number => {
        const time = times.get(id);
        if (time === undefined) throw new Error(`no ${what} time for container ${id}`);
        return time;
      };
      const started = at(events.start, 'start event');
      const killed = at(events.kill, 'kill event');
      const died = at(events.die, 'die event');
      return {
        agentGone: at(agentSaw.gone, 'agent withdrew') - died,
        inspectAfterDie: at(inspects.returned, 'inspect after die') - died,
        agentStart: at(agentSaw.healthy, 'agent healthy') - started,
        envoyStart: at(report.firstSent, 'first request') - started,
        agentStop: at(agentSaw.draining, 'agent draining') - killed,
        envoyStop: at(report.lastSent, 'last request') - killed,
      };
    });
    return { label: labelOf(transport), samples, load: report, seconds };
  } finally {
    await envoy.stop();
    await Promise.all(base.map((container) => container.remove({ force: true })));
  }
}

/** `1.40.0`, from `envoy --version` (`<path>  version: <sha>/1.40.0/Clean/RELEASE/BoringSSL`). */
function envoyVersion(): string {
  const output = execFileSync(requireEnvoy(), ['--version'], { encoding: 'utf8' });
  return /version: \S+?\/(\d+\.\d+\.\d+)\//.exec(output)?.[1] ?? output.trim();
}

function toTable(runs: Run[]): string {
  const ms = (value: number) => (value < 100 ? value.toFixed(1) : String(Math.round(value)));
  const rows = runs.flatMap((run) => {
    const cell = (pick: (s: Sample) => number) => {
      const values = run.samples.map(pick);
      return `${ms(percentile(values, 50))} | ${ms(percentile(values, 99))}`;
    };
    const rate = Math.round(run.load.sent / run.seconds);
    const failed = run.load.failures.length;
    return [
      `| ${run.label} | start → agent serves it | ${cell((s) => s.agentStart)} | |`,
      `| ${run.label} | start → first request through Envoy | ${cell((s) => s.envoyStart)} | ${rate} req/s, ${failed} failed of ${run.load.sent} |`,
      `| ${run.label} | stop (kill event) → agent serves it DRAINING | ${cell((s) => s.agentStop)} | |`,
      `| ${run.label} | stop (kill event) → last request through Envoy | ${cell((s) => s.envoyStop)} | |`,
      `| ${run.label} | exit (die event) → agent withdraws it | ${cell((s) => s.agentGone)} | |`,
      `| ${run.label} | exit (die event) → an inspect sent then returns (the wait before the fix) | ${cell((s) => s.inspectAfterDie)} | |`,
    ];
  });
  return [
    '| Envoy learns by | from Docker event to | median ms | p99 ms | load during the run |',
    '|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

async function main(): Promise<void> {
  const docker = new DockerHarness();
  await docker.buildImage();
  const events = await EventTimes.subscribe(docker);
  const inspects = await InspectsAfterDie.start(docker.runId);
  const ports = { rest: await freeLoopbackPort(), grpc: await freeLoopbackPort() };
  const agent = startCli([
    ...['--port', String(ports.rest), '--grpc-port', String(ports.grpc)],
    ...['--bind', '127.0.0.1', '--address-mode', 'host'],
  ]);
  const runs: Run[] = [];
  try {
    await eventually(
      'the agent listens',
      () => agent.output(),
      (output) => output.includes('"msg":"full sync done"'),
      { timeoutMs: 15_000 },
    );
    for (const transport of TRANSPORTS) {
      process.stderr.write(`measuring ${labelOf(transport)} ...\n`);
      runs.push(await measure(transport, docker, agent, ports, events, inspects));
    }
  } finally {
    agent.kill('SIGTERM');
    events.close();
    inspects.close();
    await docker.cleanup();
  }

  writeBenchmarksSection(
    'propagation',
    [
      '## Propagation to a real Envoy: gRPC ADS push against REST polling',
      '',
      `Command: \`npm run bench:propagation\` (bench/propagation.ts). Envoy ${envoyVersion()} on the host,`,
      `the agent in \`--address-mode host\`, ${CONTAINERS} containers per row, each started and later`,
      `stopped (\`docker stop\`; it drains for 2 × refresh_delay + 1 s, 1 s over ADS) at a random moment, while two`,
      `loops send requests through Envoy back to back; ${BASE_REPLICAS} more replicas stay up throughout.`,
      'Times run from the `timeNano` of Docker\'s own event; "agent serves it" is read from the',
      "agent's log, the requests from the load loop. p99 of 20 samples is their maximum. Envoy's",
      'round robin reaches a new host within one turn over the hosts it holds (at most',
      `${BASE_REPLICAS + CONTAINERS} requests), a few tens of milliseconds at the request rate shown.`,
      `Measured ${new Date().toISOString().slice(0, 10)} on ${describeMachine()}.`,
      '',
      toTable(runs),
    ].join('\n'),
  );
}

if (process.argv[2] === 'inspect-after-die') await inspectAfterDie(process.argv[3] ?? '');
else await main();
