// How long a new client waits for its first answer while 1,000 keep-alive pollers keep the
// agent busy: Envoy's REST request_timeout defaults to 1 s, so a new Envoy (or an agent
// restart's reconnecting ones) must be answered within that. libuv accepts one connection per
// event-loop turn, so what matters is how long a turn lasts under load.
//
// Three processes: the server, the pollers (1,000 connections sending polls back to back),
// and this one, which opens a new connection every 250 ms and times its first answer.
//
// Usage: npm run bench:new-client   (writes the table into BENCHMARKS.md)
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { Agent, createServer } from 'node:http';
import { fileURLToPath } from 'node:url';

import { pino } from 'pino';

import { createSnapshotStore } from '../src/snapshot-store.js';
import { answerDiscovery } from '../src/transports/http/answer-discovery.js';
import { createHttpApp } from '../src/transports/http/create-http-app.js';
import { startHttpServer } from '../src/transports/http/start-http-server.js';
import { ENVOY_NODE } from '../test/support/envoy-node.js';
import { anEndpoint } from '../test/support/records.js';
import { postDiscovery } from './post-discovery.js';
import { percentile } from './support/percentile.js';
import { describeMachine, writeBenchmarksSection } from './write-benchmarks-section.js';

const POLLERS = 1000;
const PROBES = 30;
const PROBE_TIMEOUT_MS = 10_000;
const BODY = JSON.stringify({ node: ENVOY_NODE, resource_names: ['web'] });
/** What one agent poll costs on this machine, given to the bare server so it is as busy. */
const CEILING_WORK_MS = 0.3;

interface Scenario {
  readonly name: string;
  readonly server: 'agent' | 'bare';
  readonly turnBudgetMs: number;
}

const SCENARIOS: Scenario[] = [
  { name: 'agent (answers 10 ms per loop turn, the default)', server: 'agent', turnBudgetMs: 10 },
  { name: 'agent answering at once (no turn budget)', server: 'agent', turnBudgetMs: 0 },
  {
    name: `bare node:http doing ${CEILING_WORK_MS} ms of work per poll, at once`,
    server: 'bare',
    turnBudgetMs: 0,
  },
];

/** One poll on a new connection: its duration in ms, or PROBE_TIMEOUT_MS on no answer. */
async function probe(port: number): Promise<number> {
  const { status, ms } = await postDiscovery(port, BODY, {
    agent: false,
    timeoutMs: PROBE_TIMEOUT_MS,
  });
  return status === 0 ? PROBE_TIMEOUT_MS : ms;
}

/** Child: the server of a scenario; sends its port. */
async function serve(kind: string, turnBudgetMs: number): Promise<void> {
  const store = createSnapshotStore();
  store.apply([
    ['bench', Array.from({ length: 20 }, (_, i) => anEndpoint({ address: `172.18.0.${i + 2}` }))],
  ]);
  if (kind === 'agent') {
    const app = createHttpApp({
      snapshot: () => store.current(),
      readiness: () => ({ notReadyReasons: [] }),
      logger: pino({ level: 'silent' }),
      turnBudgetMs,
    });
    process.send?.((await startHttpServer(app, '127.0.0.1', 0)).port);
    return;
  }
  const answer = answerDiscovery(
    store.current(),
    { versionInfo: undefined, resourceNames: ['web'] },
    'v3',
  );
  const body = answer.kind === 'response' ? answer.body : Buffer.alloc(0);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const until = performance.now() + CEILING_WORK_MS;
      while (performance.now() < until); // the agent's cost per poll
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
  }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  process.send?.((server.address() as { port: number }).port);
}

/** Child: POLLERS keep-alive loops; reports its polls per second, and when all have answered. */
function pollers(port: number): void {
  const agent = new Agent({ keepAlive: true, maxSockets: POLLERS });
  let answered = 0;
  const seen = new Set<number>();
  for (let i = 0; i < POLLERS; i++) {
    void (async () => {
      for (;;) {
        await postDiscovery(port, BODY, { agent });
        answered += 1;
        if (seen.size < POLLERS) {
          seen.add(i);
          if (seen.size === POLLERS) process.send?.({ ready: true });
        }
      }
    })();
  }
  setInterval(() => {
    process.send?.({ rate: answered });
    answered = 0;
  }, 1000);
}

function child(role: string, args: string[]): ChildProcess {
  return fork(fileURLToPath(import.meta.url), [role, ...args], { execArgv: ['--import', 'tsx'] });
}

interface Measured {
  readonly probes: number[];
  readonly rate: number;
  readonly readyAfterMs: number;
}

async function measure(scenario: Scenario): Promise<Measured> {
  const server = child('serve', [scenario.server, String(scenario.turnBudgetMs)]);
  const [port] = (await once(server, 'message')) as [number];
  const started = performance.now();
  const load = child('pollers', [String(port)]);
  const rates: number[] = [];
  const pollers = { ready: false };
  load.on('message', (message: { rate?: number; ready?: boolean }) => {
    if (message.rate !== undefined) rates.push(message.rate);
    if (message.ready) pollers.ready = true;
  });
  // Steady state: every poller connected and answered (or 60 s, for a server that cannot).
  while (!pollers.ready && performance.now() - started < 60_000) await sleep(200);
  const readyAfterMs = performance.now() - started;
  await sleep(2000);
  const probes: number[] = [];
  for (let i = 0; i < PROBES; i++) {
    probes.push(await probe(port));
    await sleep(250);
  }
  server.kill();
  load.kill();
  const recent = rates.slice(-10);
  return {
    probes,
    rate: recent.reduce((a, b) => a + b, 0) / Math.max(1, recent.length),
    readyAfterMs,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const results = new Map<Scenario, Measured>();
  for (const scenario of SCENARIOS) {
    process.stderr.write(`measuring: ${scenario.name} ...\n`);
    results.set(scenario, await measure(scenario));
  }
  const ms = (value: number) =>
    value >= PROBE_TIMEOUT_MS ? `> ${PROBE_TIMEOUT_MS / 1000} s` : String(Math.round(value));
  const rows = SCENARIOS.map((scenario) => {
    const m = results.get(scenario);
    if (!m) throw new Error(`no result for ${scenario.name}`);
    const late = m.probes.filter((value) => value > 1000).length;
    return `| ${scenario.name} | ${Math.round(m.rate)} | ${(m.readyAfterMs / 1000).toFixed(1)} s | ${ms(percentile(m.probes, 50))} | ${ms(percentile(m.probes, 99))} | ${ms(Math.max(...m.probes))} | ${late} of ${m.probes.length} |`;
  });
  writeBenchmarksSection(
    'new-client-latency',
    [
      '## A new client under 1,000 busy pollers',
      '',
      `Command: \`npm run bench:new-client\` (bench/new-client-latency.ts). ${POLLERS} keep-alive connections send`,
      'real Envoy polls back to back (one process); once every one has been answered, a new',
      `client connects every 250 ms and times its first answer (${PROBES} times, from another`,
      `process; ${PROBE_TIMEOUT_MS / 1000} s at most). Envoy's REST request_timeout defaults to 1 s.`,
      `Measured ${new Date().toISOString().slice(0, 10)} on ${describeMachine()}.`,
      '',
      '| server | polls/s | all pollers answered after | new client median ms | p99 ms | max ms | over 1 s |',
      '|---|---|---|---|---|---|---|',
      ...rows,
    ].join('\n'),
  );
}

const [role, ...args] = process.argv.slice(2);
if (role === 'serve') await serve(args[0] ?? 'agent', Number(args[1] ?? 10));
else if (role === 'pollers') pollers(Number(args[0]));
else await main();
