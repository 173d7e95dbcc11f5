// Measures how many Envoy REST polls per second the agent answers, against the runtime's own
// ceiling: a bare node:http server that reads the same request and writes a body of the same
// size. The server runs in a child process, the load in this one (two cores: one each).
//
// Usage: npm run bench:polls      (writes the table into BENCHMARKS.md)
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Agent, createServer } from 'node:http';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

import { pino } from 'pino';

import type { Endpoint } from '../src/core/endpoint.js';
import { createSnapshotStore } from '../src/snapshot-store.js';
import { answerDiscovery } from '../src/transports/http/answer-discovery.js';
import { createHttpApp } from '../src/transports/http/create-http-app.js';
import { startHttpServer } from '../src/transports/http/start-http-server.js';
import { ENVOY_NODE } from '../test/support/envoy-node.js';
import { anEndpoint } from '../test/support/records.js';
import { postDiscovery } from './post-discovery.js';
import { describeMachine, writeBenchmarksSection } from './write-benchmarks-section.js';

const DURATION_MS = 3_000;
const ROUNDS = 3;
const CONCURRENCY = 8;

/** `count` endpoints of `cluster`, as containers on one bridge network would give. */
function endpoints(cluster: string, count: number): Endpoint[] {
  return Array.from({ length: count }, (_, i) =>
    anEndpoint({
      cluster,
      address: `172.18.${Math.floor(i / 250)}.${(i % 250) + 2}`,
      hostname: `${cluster}-${i + 1}`,
    }),
  );
}

/**
 * Child process: serve either the agent's HTTP app, or the bare baseline that answers every
 * request with the body the agent gives for `cluster`, computed once. Reports its port.
 */
async function serve(kind: string, cluster: string): Promise<void> {
  const store = createSnapshotStore();
  store.apply([
    ['bench:small', endpoints('small', 20)],
    ['bench:large', endpoints('large', 1000)],
  ]);
  let port: number;
  if (kind === 'agent') {
    const app = createHttpApp({
      snapshot: () => store.current(),
      readiness: () => ({ notReadyReasons: [] }),
      logger: pino({ level: 'silent' }),
    });
    port = (await startHttpServer(app, '127.0.0.1', 0)).port;
  } else {
    const answer = answerDiscovery(
      store.current(),
      { versionInfo: undefined, resourceNames: [cluster] },
      'v3',
    );
    const body = answer.kind === 'response' ? answer.body : '';
    // `baseline-parse` also reads and JSON-parses the request, work any EDS server must do.
    const parse = kind === 'baseline-parse';
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => (parse ? chunks.push(chunk) : undefined));
      req.on('end', () => {
        if (parse) JSON.parse(Buffer.concat(chunks).toString('utf8'));
        res.writeHead(200, { 'content-type': 'application/json' }).end(body);
      });
    }).listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as { port: number }).port;
  }
  process.send?.(port);
}

interface Measured {
  readonly requests: number;
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
}

/** Keeps CONCURRENCY polls in flight for DURATION_MS; fails on any unexpected status. */
async function load(port: number, body: string, expected: number): Promise<Measured> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const latencies: number[] = [];
  const end = performance.now() + DURATION_MS;
  const worker = async (): Promise<void> => {
    while (performance.now() < end) {
      const { status, ms } = await postDiscovery(port, body, { agent });
      if (status !== expected) throw new Error(`expected ${expected}, got ${status}`);
      latencies.push(ms);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    requests: latencies.length,
    perSecond: latencies.length / elapsed,
    p50: at(0.5),
    p99: at(0.99),
  };
}

async function startChild(
  kind: string,
  cluster = '',
): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(fileURLToPath(import.meta.url), ['serve', kind, cluster], {
    execArgv: ['--import', 'tsx'],
  });
  const [port] = (await once(child, 'message')) as [number];
  return { child, port };
}

async function main(): Promise<void> {
  const request = (cluster: string, version?: string) =>
    JSON.stringify({
      ...(version ? { version_info: version } : {}),
      node: ENVOY_NODE,
      resource_names: [cluster],
      type_url: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
    });

  const agent = await startChild('agent');
  const bodyOf = async (cluster: string) => {
    const res = await fetch(`http://127.0.0.1:${agent.port}/v3/discovery:endpoints`, {
      method: 'POST',
      body: request(cluster),
    });
    return res.text();
  };
  const small = await bodyOf('small');
  const large = await bodyOf('large');
  const smallVersion = (JSON.parse(small) as { version_info: string }).version_info;

  interface Scenario {
    name: string;
    port: number;
    body: string;
    status: number;
  }
  const scenarios: Scenario[] = [];
  const children: ChildProcess[] = [agent.child];
  for (const [name, cluster, body] of [
    ['small (20 endpoints)', 'small', small],
    ['large (1000 endpoints)', 'large', large],
  ] as const) {
    for (const kind of ['baseline', 'baseline-parse']) {
      const baseline = await startChild(kind, cluster);
      children.push(baseline.child);
      const what = kind === 'baseline' ? 'reads the request' : 'reads and JSON-parses the request';
      scenarios.push({
        name: `ceiling: bare node:http that ${what}, answers the same ${Buffer.byteLength(body)} bytes`,
        port: baseline.port,
        body: request(cluster),
        status: 200,
      });
    }
    scenarios.push({
      name: `agent: first poll, ${name}`,
      port: agent.port,
      body: request(cluster),
      status: 200,
    });
  }
  scenarios.push({
    name: 'agent: up-to-date poll (version_info current)',
    port: agent.port,
    body: request('small', smallVersion),
    status: 304,
  });

  // Rounds are interleaved so a slow moment of the machine hits every scenario alike; the
  // median round of each scenario is reported.
  const measured = new Map<Scenario, Measured[]>(scenarios.map((scenario) => [scenario, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const scenario of scenarios) {
      measured.get(scenario)?.push(await load(scenario.port, scenario.body, scenario.status));
    }
  }
  for (const child of children) child.kill();
  const rows = scenarios.map((scenario) => {
    const runs = [...(measured.get(scenario) ?? [])].sort((a, b) => a.perSecond - b.perSecond);
    const median = runs[Math.floor(runs.length / 2)];
    if (!median) throw new Error(`no measurement for ${scenario.name}`);
    return [
      scenario.name,
      median,
      String(scenario.status),
      runs.map((run) => Math.round(run.perSecond)).join(' / '),
    ] as const;
  });

  const table = [
    '| scenario | status | polls | polls/s (median) | p50 ms | p99 ms | polls/s of each round |',
    '|---|---|---|---|---|---|---|',
    ...rows.map(
      ([name, m, status, rounds]) =>
        `| ${name} | ${status} | ${m.requests} | ${Math.round(m.perSecond)} | ${m.p50.toFixed(2)} | ${m.p99.toFixed(2)} | ${rounds} |`,
    ),
  ].join('\n');
  writeBenchmarksSection(
    'poll-throughput',
    [
      '## Poll throughput',
      '',
      `Command: \`npm run bench:polls\` (bench/poll-throughput.ts). ${CONCURRENCY} keep-alive connections for ${DURATION_MS / 1000} s per run, ${ROUNDS} interleaved rounds,`,
      `each request a real Envoy poll body (full \`node\`, ${Buffer.byteLength(request('small'))} bytes); server and load generator in`,
      `separate processes on ${describeMachine()}. Measured ${new Date().toISOString().slice(0, 10)}.`,
      '',
      table,
    ].join('\n'),
  );
}

if (process.argv[2] === 'serve') await serve(process.argv[3] ?? 'agent', process.argv[4] ?? '');
else await main();
