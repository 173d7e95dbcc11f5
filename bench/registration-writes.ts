// How fast the registration API takes changes that must survive a crash: every 2xx waits for
// its change to be fsynced into the state file's journal. Side by side in one run: the agent
// with a state file, the same agent in memory (no file: the ceiling of the HTTP path), and
// this disk's own ceiling for "one fsync per change" (append a line, fdatasync, repeat).
//
// Usage: npm run bench:registrations   (writes the table into BENCHMARKS.md)
import {
  closeSync,
  fdatasyncSync,
  mkdtempSync,
  openSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import { type Cli, portOf, startCli } from '../test/support/cli.js';
import { percentile } from './support/percentile.js';
import { ipOf, putHost } from './support/registration-client.js';
import { describeMachine, writeBenchmarksSection } from './write-benchmarks-section.js';

/** Hosts registered one PUT at a time: many into small services, then fewer into one large one. */
const SPREAD = { hosts: 10_000, services: 100 };
const ONE_SERVICE = { hosts: 2_000, services: 1 };
const HEARTBEAT_HOSTS = 1_000;
const HEARTBEAT_SECONDS = 10;
const HEARTBEAT_TTL_SECONDS = 5;
const NO_DOCKER = ['--docker-host', 'unix:///nonexistent/docker.sock'];

interface Heartbeats {
  readonly sent: number;
  readonly failed: number;
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** Hosts served at the end: all of them, unless a heartbeat came too late. */
  readonly served: number;
}

interface Row {
  readonly name: string;
  readonly spreadSeconds: number;
  readonly oneServiceSeconds: number;
  readonly heartbeats: Heartbeats;
  readonly fileBytes: number | undefined;
}

/** Registers `hosts` new hosts round-robin into `services` services, one PUT at a time; seconds. */
async function oneAtATime(
  port: number,
  { hosts, services }: { hosts: number; services: number },
): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const started = performance.now();
  for (let i = 0; i < hosts; i++) {
    const service = `many-${services}-${i % services}`;
    const { status } = await putHost(port, agent, service, ipOf(i), '{"tags": {"az": "z1"}}');
    if (status !== 201) throw new Error(`PUT ${i}: status ${status}`);
  }
  agent.destroy();
  return (performance.now() - started) / 1000;
}

/** HEARTBEAT_HOSTS hosts each put every second (spread evenly), open loop, for HEARTBEAT_SECONDS. */
async function heartbeats(port: number): Promise<Heartbeats> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const body = JSON.stringify({ ttl_seconds: HEARTBEAT_TTL_SECONDS, tags: { az: 'z1' } });
  const latencies: number[] = [];
  let failed = 0;
  const inFlight: Promise<void>[] = [];
  const started = performance.now();
  const total = HEARTBEAT_HOSTS * HEARTBEAT_SECONDS;
  const tickMs = 10;
  const perTick = (HEARTBEAT_HOSTS * tickMs) / 1000;
  for (let sent = 0; sent < total;) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / tickMs + 1) * perTick));
    for (; sent < due; sent++) {
      inFlight.push(
        putHost(port, agent, 'heartbeat', ipOf(sent % HEARTBEAT_HOSTS), body).then(
          ({ status, ms }) => {
            if (status < 200 || status >= 300) failed += 1;
            else latencies.push(ms);
          },
        ),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, tickMs));
  }
  await Promise.all(inFlight);
  const seconds = (performance.now() - started) / 1000;
  const served = await new Promise<number>((resolve) => {
    request({ host: '127.0.0.1', port, path: '/edsservice/heartbeat', agent }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => {
        resolve((JSON.parse(text) as { hosts: unknown[] }).hosts.length);
      });
    }).end();
  });
  agent.destroy();
  return {
    sent: total,
    failed,
    perSecond: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: percentile(latencies, 100),
    served,
  };
}

async function measureAgent(name: string, stateFile: string | undefined): Promise<Row> {
  const cli: Cli = startCli([
    ...['--port', '0', '--bind', '127.0.0.1', ...NO_DOCKER],
    ...(stateFile === undefined ? [] : ['--state-file', stateFile]),
  ]);
  try {
    const port = await portOf(cli);
    process.stderr.write(`${name}: hosts one at a time ...\n`);
    const spreadSeconds = await oneAtATime(port, SPREAD);
    const oneServiceSeconds = await oneAtATime(port, ONE_SERVICE);
    process.stderr.write(`${name}: heartbeats ...\n`);
    const beats = await heartbeats(port);
    return {
      name,
      spreadSeconds,
      oneServiceSeconds,
      heartbeats: beats,
      fileBytes: stateFile === undefined ? undefined : statSync(stateFile).size,
    };
  } finally {
    cli.kill('SIGTERM');
  }
}

/** Appends a heartbeat-sized line and fdatasyncs it, back to back, for 2 s: fsyncs per second. */
function fsyncCeiling(folder: string): number {
  const fd = openSync(join(folder, 'fsync-ceiling'), 'a');
  const line = Buffer.from(`${'x'.repeat(150)}\n`);
  let count = 0;
  const started = performance.now();
  try {
    while (performance.now() - started < 2000) {
      writeSync(fd, line);
      fdatasyncSync(fd);
      count += 1;
    }
  } finally {
    closeSync(fd);
  }
  return count / ((performance.now() - started) / 1000);
}

async function main(): Promise<void> {
  const folder = mkdtempSync(join(tmpdir(), 'eds-agent-bench-'));
  try {
    const ceiling = fsyncCeiling(folder);
    const rows = [
      await measureAgent('agent, in memory (no --state-file)', undefined),
      await measureAgent(
        'agent, --state-file (journal, fsync before each 2xx)',
        join(folder, 'state.json'),
      ),
    ];
    const fmt = (value: number, digits = 1) => value.toFixed(digits);
    const rate = (hosts: number, seconds: number) =>
      `${fmt(seconds)} s (${Math.round(hosts / seconds)}/s)`;
    const table = rows.map(
      (row) =>
        `| ${row.name} | ${rate(SPREAD.hosts, row.spreadSeconds)} | ${rate(ONE_SERVICE.hosts, row.oneServiceSeconds)} | ` +
        `${Math.round(row.heartbeats.perSecond)}/s | ${fmt(row.heartbeats.p50)} | ${fmt(row.heartbeats.p99)} | ${fmt(row.heartbeats.max)} | ` +
        `${row.heartbeats.failed} of ${row.heartbeats.sent} | ${row.heartbeats.served} of ${HEARTBEAT_HOSTS} | ` +
        `${row.fileBytes === undefined ? '' : `${Math.round(row.fileBytes / 1024)} KiB`} |`,
    );
    writeBenchmarksSection(
      'registration-writes',
      [
        '## Durable registrations',
        '',
        'Command: `npm run bench:registrations` (bench/registration-writes.ts). The real command',
        `line, on loopback. New hosts registered one PUT at a time on one keep-alive connection:`,
        `${SPREAD.hosts.toLocaleString('en')} spread over ${SPREAD.services} services, then ${ONE_SERVICE.hosts.toLocaleString('en')} into one service. Then`,
        `${HEARTBEAT_HOSTS.toLocaleString('en')} hosts of one service each heartbeating (PUT with`,
        `\`ttl_seconds: ${HEARTBEAT_TTL_SECONDS}\`) once a second for ${HEARTBEAT_SECONDS} s, sent open-loop at`,
        `${HEARTBEAT_HOSTS}/s whatever the answers. The state file is on this machine's disk`,
        `(ext4); this disk's own ceiling for one fsync per change, measured in the same run: ` +
          `${Math.round(ceiling)} appends+fdatasync/s.`,
        `Measured ${new Date().toISOString().slice(0, 10)} on ${describeMachine()}.`,
        '',
        `| agent | ${SPREAD.hosts.toLocaleString('en')} new hosts, ${SPREAD.services} services | ${ONE_SERVICE.hosts.toLocaleString('en')} new hosts, one service | heartbeats answered | p50 ms | p99 ms | max ms | failed | hosts served at the end | state file at the end |`,
        '|---|---|---|---|---|---|---|---|---|---|',
        ...table,
      ].join('\n'),
    );
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

await main();
