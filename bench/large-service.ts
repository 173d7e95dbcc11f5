// One large service, registered as fast as 32 clients can (issue 19): 50,000 new hosts into
// one service, every 2xx fsynced into the state file first. Then proof that every
// acknowledged host survives a crash (SIGKILL, restart from the state file) and that a real
// Envoy holds exactly those hosts, once over REST and once over ADS. This checkout beside an
// earlier commit (by default the last one before issue 19), in one run; an agent gets at most
// 60 s to register, so a slow one is measured by how far it got.
//
// Usage: npm run bench:large-service [-- --baseline <commit>]   (needs a Docker engine, as the
// agent syncs with it, and Envoy; writes the table into BENCHMARKS.md)
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import { toAdsBootstrap } from '../test/support/ads-bootstrap.js';
import { toTestBootstrap } from '../test/support/envoy-bootstrap.js';
import { startEnvoy } from '../test/support/envoy-process.js';
import { type Checkout, compareWithBaseline, describeComparison } from './support/checkouts.js';
import { markdownTable } from './support/markdown-table.js';
import { percentile } from './support/percentile.js';
import { productionCommand } from './support/production-command.js';
import { ipOf, putHost, send } from './support/registration-client.js';
import { type ServerProcess, startAgent, untilReady } from './support/server-processes.js';
import { describeMachine, writeBenchmarksSection } from './write-benchmarks-section.js';

/** The last commit before issue 19. */
const DEFAULT_BASELINE = 'fd566ab';
const SERVICE = 'large';
const HOSTS = 50_000;
const CLIENTS = 32;
/** Issue 19's target, and how long an agent gets before the clients stop sending. */
const TARGET_SECONDS = 60;
/** How long Envoy gets to hold every host, over each transport. */
const ENVOY_WAIT_MS = 60_000;

interface Registered {
  readonly acknowledged: number;
  readonly failed: number;
  readonly seconds: number;
  readonly putP50: number;
  readonly putP99: number;
  readonly stateFileBytes: number;
}

interface EnvoyHeld {
  /** The hosts Envoy's cluster held at the end (its `membership_total`). */
  readonly hosts: number;
  /** Ms from Envoy's start until it held them all; undefined: not within the wait. */
  readonly ms: number | undefined;
}

interface Measured {
  readonly checkout: Checkout;
  readonly registered: Registered;
  /** Hosts the agent served after SIGKILL and a restart from its state file. */
  readonly afterCrash: number;
  readonly rest: EnvoyHeld;
  readonly ads: EnvoyHeld;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * CLIENTS clients, each on a keep-alive connection of its own, PUT new hosts into SERVICE,
 * one at a time each, until HOSTS are acknowledged or TARGET_SECONDS have passed.
 */
async function register(agent: ServerProcess, stateFile: string): Promise<Registered> {
  let next = 0;
  let failed = 0;
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + TARGET_SECONDS * 1000;
  const client = async () => {
    const connection = new Agent({ keepAlive: true, maxSockets: 1 });
    while (next < HOSTS && performance.now() < deadline) {
      const index = next++;
      const answer = await putHost(agent.restPort, connection, SERVICE, ipOf(index), '{}');
      if (answer.status === 201 || answer.status === 200) latencies.push(answer.ms);
      else failed += 1;
    }
    connection.destroy();
  };
  await Promise.all(Array.from({ length: CLIENTS }, client));
  return {
    acknowledged: latencies.length,
    failed,
    seconds: (performance.now() - started) / 1000,
    putP50: percentile(latencies, 50),
    putP99: percentile(latencies, 99),
    stateFileBytes: statSync(stateFile).size,
  };
}

/** How many hosts `agent` serves for SERVICE, by its registration API. */
async function servedHosts(agent: ServerProcess): Promise<number> {
  const connection = new Agent({ keepAlive: false });
  const answer = await send(agent.restPort, connection, 'GET', `/edsservice/${SERVICE}`);
  connection.destroy();
  if (answer.status !== 200) return 0;
  return (JSON.parse(answer.text) as { hosts: unknown[] }).hosts.length;
}

/**
 * Starts Envoy with `bootstrap` and waits until its cluster `cluster` holds `expected` hosts
 * (or ENVOY_WAIT_MS pass); what it held then.
 */
async function envoyHolds(bootstrap: unknown, cluster: string, expected: number) {
  const started = performance.now();
  const envoy = await startEnvoy(bootstrap);
  try {
    const stat = `cluster.${cluster}.membership_total`;
    let hosts = await envoy.stat(stat);
    while (hosts !== expected && performance.now() - started < ENVOY_WAIT_MS) {
      await sleep(100);
      hosts = await envoy.stat(stat);
    }
    return { hosts, ms: hosts === expected ? performance.now() - started : undefined };
  } finally {
    await envoy.stop();
  }
}

async function measure(checkout: Checkout): Promise<Measured> {
  const stateDir = mkdtempSync(join(tmpdir(), 'eds-agent-large-'));
  const stateFile = join(stateDir, 'state.json');
  const args = [...['--label-prefix', `large${process.pid}`], ...['--state-file', stateFile]];
  const { v8Flags } = productionCommand(checkout.dir);
  try {
    const first = await startAgent(checkout.label, v8Flags, { dir: checkout.dir, args });
    await untilReady(first);
    process.stderr.write(`${checkout.label}: registering ...\n`);
    const registered = await register(first, stateFile);
    await first.kill();
    const agent = await startAgent(checkout.label, v8Flags, { dir: checkout.dir, args });
    try {
      await untilReady(agent);
      const afterCrash = await servedHosts(agent);
      process.stderr.write(`${checkout.label}: Envoy over REST, then ADS ...\n`);
      // The example's cluster is `web`, asking the agent for SERVICE; over ADS the cluster is
      // the service's own, from CDS.
      const rest = await envoyHolds(
        toTestBootstrap({
          agentPort: agent.restPort,
          serviceName: SERVICE,
          refreshDelaySeconds: 1,
        }),
        'web',
        registered.acknowledged,
      );
      const ads = await envoyHolds(
        toAdsBootstrap(agent.grpcPort ?? 0),
        SERVICE,
        registered.acknowledged,
      );
      return { checkout, registered, afterCrash, rest, ads };
    } finally {
      await agent.stop();
    }
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}

function toTable(runs: readonly Measured[]): string {
  const held = ({ hosts, ms }: EnvoyHeld, expected: number) =>
    ms === undefined
      ? `**${hosts.toLocaleString('en')}** (not ${expected.toLocaleString('en')} within ${ENVOY_WAIT_MS / 1000} s)`
      : `${hosts.toLocaleString('en')}, ${(ms / 1000).toFixed(1)} s after its start`;
  const rows = runs.map(({ checkout, registered: r, afterCrash, rest, ads }) => {
    const all = r.acknowledged === HOSTS;
    const seconds = all ? `${r.seconds.toFixed(1)} s` : `stopped at ${TARGET_SECONDS} s`;
    const inTime = all && r.seconds <= TARGET_SECONDS;
    const count = (n: number) => n.toLocaleString('en');
    return [
      checkout.label,
      `${count(r.acknowledged)}${r.failed > 0 ? ` (${r.failed} failed)` : ''}`,
      inTime ? seconds : `**${seconds}**`,
      `${Math.round(r.acknowledged / r.seconds)}/s`,
      `${r.putP50.toFixed(1)} / ${r.putP99.toFixed(1)}`,
      `${(r.stateFileBytes / 1024 / 1024).toFixed(1)} MB`,
      afterCrash === r.acknowledged ? count(afterCrash) : `**${count(afterCrash)}**`,
      held(rest, r.acknowledged),
      held(ads, r.acknowledged),
    ];
  });
  return markdownTable(
    [
      ...['agent', 'hosts acknowledged', 'all registered in', 'rate', 'PUT p50 / p99 ms'],
      ...['state file', 'hosts served after SIGKILL and restart'],
      ...['Envoy over REST holds', 'Envoy over ADS holds'],
    ],
    rows,
  );
}

async function main(): Promise<void> {
  await compareWithBaseline(DEFAULT_BASELINE, async ({ baseline, before, current }) => {
    const runs = [await measure(before), await measure(current)];
    writeBenchmarksSection(
      'large-service',
      [
        '## One large service',
        '',
        describeComparison('bench:large-service', 'bench/large-service.ts', baseline),
        `Each agent is the production build with a state file, so`,
        `each 2xx comes after its change is fsynced. ${CLIENTS} clients, each on a keep-alive`,
        `connection of its own, PUT new hosts into one service, one at a time each, until`,
        `${HOSTS.toLocaleString('en')} are acknowledged or ${TARGET_SECONDS} s have passed. Then the agent is killed`,
        '(SIGKILL) and started again from its state file, and a real Envoy is started against',
        "it twice: the host-mode example's config polling over REST (every 1 s), then an ADS",
        "config learning the cluster by CDS; a cluster's hosts are its `membership_total`.",
        `Target (issue 19): ${HOSTS.toLocaleString('en')} in ≤ ${TARGET_SECONDS} s, every one served after the crash and held by Envoy.`,
        `Measured ${new Date().toISOString().slice(0, 10)} on ${describeMachine()}.`,
        '',
        toTable(runs),
      ].join('\n'),
    );
  });
}

await main();
