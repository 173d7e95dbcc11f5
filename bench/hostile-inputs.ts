// What one hostile client costs every other client (issue 19): each hostile input in turn,
// against the agent's production build, while well-behaved clients in a process of their own
// poll over REST, probe /healthz and open ADS streams, each every 10 ms; and the agent's
// resident memory throughout and after. This checkout beside an earlier commit (by default the
// last one before issue 19), in one run.
//
// Usage: npm run bench:hostile [-- --baseline <commit>]   (needs a Docker engine, as the agent
// syncs with it; writes the table into BENCHMARKS.md)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { type Checkout, compareWithBaseline, describeComparison } from './support/checkouts.js';
import { HOSTILE_CLIENTS, type HostileClient, LARGE_SERVICE } from './support/hostile-clients.js';
import { productionCommand } from './support/production-command.js';
import { createService } from './support/registration-client.js';
import { type ServerProcess, startAgent, untilReady } from './support/server-processes.js';
import {
  CLIENT_KINDS,
  type Latency,
  latencyBetween,
  type Sample,
  startWellBehavedClients,
} from './support/well-behaved-clients.js';
import { describeMachine, writeBenchmarksSection } from './write-benchmarks-section.js';

/** The last commit before issue 19. */
const DEFAULT_BASELINE = 'fd566ab';
/** Issue 19's targets for the well-behaved clients and the agent's memory. */
const TARGET = { p99Ms: 50, maxMs: 250, rssMb: 300, recoveryRatio: 1.2, recoveryMs: 30_000 };
/** How long the well-behaved clients run before and after each hostile input. */
const QUIET_MS = 2000;
const SETTLE_MS = 1000;

/** One hostile input's run: when, how the agent answered, its memory at the most. */
interface Window {
  readonly input: string;
  readonly from: number;
  readonly to: number;
  readonly outcome: string;
  readonly peakRssMb: number;
  /** The agent's longest event-loop delay in the window, by its own /metrics. */
  readonly loopDelayMs: number;
}

/** An agent to measure: a checkout, run with Node's `v8Flags`. */
interface AgentRun {
  readonly checkout: Checkout;
  readonly v8Flags: readonly string[];
}

/** How a table names an agent run: its checkout and how Node ran it. */
const labelOf = ({ checkout, v8Flags }: AgentRun) =>
  `${checkout.label}, ${v8Flags.length === 0 ? "Node's defaults" : v8Flags.join(' ')}`;

interface Measured {
  readonly run: AgentRun;
  readonly windows: Window[];
  readonly samples: Sample[];
  readonly startRssMb: number;
  readonly peakRssMb: number;
  /** Ms after the last input until RSS was within 20% of its start; undefined: not within 30 s. */
  readonly recoveredAfterMs: number | undefined;
  readonly endRssMb: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The agent's longest event-loop delay since the last call, in ms, as its /metrics says
 * (prom-client's delay histogram, which each scrape resets).
 */
async function longestDelayMs(agent: ServerProcess): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${agent.restPort}/metrics`)).text();
  return Number(/^nodejs_eventloop_lag_max_seconds (\S+)$/m.exec(text)?.[1] ?? NaN) * 1000;
}

/** The agent's resident memory, sampled every 100 ms: its peak since the last `take`. */
function sampleRss(agent: ServerProcess) {
  let peak = agent.rssMb();
  const timer = setInterval(() => {
    peak = Math.max(peak, agent.rssMb());
  }, 100);
  return {
    take() {
      const seen = Math.max(peak, agent.rssMb());
      peak = agent.rssMb();
      return seen;
    },
    stop: () => {
      clearInterval(timer);
    },
  };
}

async function measure(run: AgentRun, clients: readonly HostileClient[]): Promise<Measured> {
  const stateDir = mkdtempSync(join(tmpdir(), 'eds-agent-hostile-'));
  const agent = await startAgent(labelOf(run), run.v8Flags, {
    dir: run.checkout.dir,
    args: [
      ...['--label-prefix', `hostile${process.pid}`],
      ...['--state-file', join(stateDir, 'state.json')],
    ],
  });
  try {
    await untilReady(agent);
    await createService(agent.restPort, 'web', 2);
    await createService(agent.restPort, LARGE_SERVICE.name, LARGE_SERVICE.hosts);
    const wellBehaved = await startWellBehavedClients(agent.restPort, agent.grpcPort ?? 0, 'web');
    await sleep(QUIET_MS);
    const rss = sampleRss(agent);
    const startRssMb = agent.rssMb();
    const windows: Window[] = [];
    await longestDelayMs(agent);
    const quietFrom = Date.now();
    await sleep(QUIET_MS);
    windows.push({
      input: 'none (the well-behaved clients alone)',
      from: quietFrom,
      to: Date.now(),
      outcome: '',
      peakRssMb: rss.take(),
      loopDelayMs: await longestDelayMs(agent),
    });
    for (const client of clients) {
      process.stderr.write(`${labelOf(run)}: ${client.name} ...\n`);
      await longestDelayMs(agent);
      const from = Date.now();
      const outcome = await client.run({
        restPort: agent.restPort,
        grpcPort: agent.grpcPort ?? 0,
      });
      await sleep(SETTLE_MS);
      windows.push({
        input: client.name,
        from,
        to: Date.now(),
        outcome,
        peakRssMb: rss.take(),
        loopDelayMs: await longestDelayMs(agent),
      });
    }
    rss.stop();
    const endedAt = Date.now();
    let recoveredAfterMs: number | undefined;
    while (Date.now() - endedAt < TARGET.recoveryMs) {
      if (agent.rssMb() <= startRssMb * TARGET.recoveryRatio) {
        recoveredAfterMs = Date.now() - endedAt;
        break;
      }
      await sleep(250);
    }
    const endRssMb = agent.rssMb();
    const samples = await wellBehaved.stop();
    return {
      run,
      windows,
      samples,
      startRssMb,
      peakRssMb: Math.max(...windows.map((w) => w.peakRssMb)),
      recoveredAfterMs,
      endRssMb,
    };
  } finally {
    await agent.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

const ms = (value: number) =>
  Number.isNaN(value) ? '–' : value < 100 ? value.toFixed(1) : String(Math.round(value));

/** Whether the well-behaved clients and the memory stayed within issue 19's targets. */
function withinTargets(latencies: Map<string, Latency>, peakRssMb: number): boolean {
  return (
    peakRssMb <= TARGET.rssMb &&
    [...latencies.values()].every(
      (l) => l.p99 <= TARGET.p99Ms && l.max <= TARGET.maxMs && l.failed === 0,
    )
  );
}

function toTable(runs: readonly Measured[]): string {
  const header = [
    'hostile input',
    'agent',
    'how the agent answered',
    ...CLIENT_KINDS.map((kind) => `${kind}: p99 / max ms (failed)`),
    "agent's longest event-loop delay",
    'agent RSS peak',
    'within the targets',
  ];
  const rows = (runs[0]?.windows ?? []).flatMap((_, index) =>
    runs.map((run) => {
      const window = run.windows[index];
      if (window === undefined) return '';
      const latencies = latencyBetween(run.samples, window.from, window.to);
      const cells = CLIENT_KINDS.map((kind) => {
        const l = latencies.get(kind);
        return l ? `${ms(l.p99)} / ${ms(l.max)} (${l.failed} of ${l.count})` : '';
      });
      return `| ${window.input} | ${labelOf(run.run)} | ${window.outcome} | ${cells.join(' | ')} | ${ms(window.loopDelayMs)} ms | ${window.peakRssMb.toFixed(0)} MB | ${withinTargets(latencies, window.peakRssMb) ? 'yes' : '**no**'} |`;
    }),
  );
  const memory = runs.map(
    (run) =>
      `| ${labelOf(run.run)} | ${run.startRssMb.toFixed(0)} MB | ${run.peakRssMb.toFixed(0)} MB | ${
        run.recoveredAfterMs === undefined
          ? `**not within ${TARGET.recoveryMs / 1000} s** (${run.endRssMb.toFixed(0)} MB)`
          : `${(run.recoveredAfterMs / 1000).toFixed(1)} s (${run.endRssMb.toFixed(0)} MB)`
      } |`,
  );
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows,
    '',
    `| agent | RSS before the first input | peak | back within ${Math.round((TARGET.recoveryRatio - 1) * 100)}% of its start after the last |`,
    '|---|---|---|---|',
    ...memory,
  ].join('\n');
}

async function main(): Promise<void> {
  await compareWithBaseline(DEFAULT_BASELINE, async ({ baseline, before, current }) => {
    // Each as its `npm start` runs it, and this checkout once more with Node's own defaults.
    const agents: AgentRun[] = [
      { checkout: before, v8Flags: productionCommand(before.dir).v8Flags },
      { checkout: current, v8Flags: productionCommand(current.dir).v8Flags },
      { checkout: current, v8Flags: [] },
    ];
    const runs: Measured[] = [];
    for (const agent of agents) runs.push(await measure(agent, HOSTILE_CLIENTS));
    writeBenchmarksSection(
      'hostile-inputs',
      [
        '## Hostile clients and what they cost the others',
        '',
        describeComparison('bench:hostile', 'bench/hostile-inputs.ts', baseline),
        "Each agent is the production build, run with Node's flags as named,",
        `with a state file, serving \`web\` (2 hosts) and \`${LARGE_SERVICE.name}\` (${LARGE_SERVICE.hosts.toLocaleString('en')} hosts). Well-behaved`,
        'clients, in a process of their own, each every 10 ms and one at a time: an Envoy polling',
        '`web` over REST (no version, so a full answer each time), a `/healthz` probe, and a new',
        'Envoy opening an ADS stream and waiting for its first response; a failure is a wrong',
        'status or no answer within 3 s. Each hostile input runs alone, its window lasting until',
        `${SETTLE_MS / 1000} s after it ends; the streams come from 127.0.0.2, another client address than`,
        `the well-behaved ones'. Targets (issue 19): p99 ≤ ${TARGET.p99Ms} ms, max ≤ ${TARGET.maxMs} ms, no failure, RSS ≤ ${TARGET.rssMb} MB.`,
        `Measured ${new Date().toISOString().slice(0, 10)} on ${describeMachine()}.`,
        '',
        toTable(runs),
      ].join('\n'),
    );
  });
}

await main();
