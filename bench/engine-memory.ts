// What one more engine costs the agent in resident memory: the built agent, run as `npm start`
// runs it, following 1, 2, 5 and 9 engines, each of them this machine's Docker engine under
// another name (so each engine brings its own client, event stream, pings, ledger and Swarm
// check, and reads the same labelled containers). Its RSS once every engine is read and the
// process has settled, several starts of each, interleaved.
//
// Usage: npm run bench:engine-memory   (needs a Docker engine at /var/run/docker.sock; builds
// dist/ first; writes its section into BENCHMARKS.md)
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

import type { StatusJson } from '../src/status/build-status.js';
import { DockerHarness } from '../test/support/docker-harness.js';
import { freeLoopbackPort } from '../test/support/free-port.js';
import { REPO_ROOT } from '../test/support/repo-files.js';
import { sh } from './support/checkouts.js';
import { markdownTable } from './support/markdown-table.js';
import { median } from './support/percentile.js';
import { productionCommand } from './support/production-command.js';
import { describeMachine, writeBenchmarksSection } from './write-benchmarks-section.js';

const ENGINE_COUNTS = [1, 2, 5, 9] as const;
const ROUNDS = 5;
const CONTAINERS = 20;
/** After every engine is read: long enough for the start's garbage to be collected. */
const SETTLE_MS = 4000;

/** The RSS (bytes) of the agent following `engines` engines, once read and settled. */
async function rssWith(engines: number, socket: string): Promise<number> {
  const port = await freeLoopbackPort();
  const { env, v8Flags } = productionCommand(REPO_ROOT);
  const hosts = Array.from({ length: engines }, (_, i) => `e${i + 1}=unix://${socket}`);
  const child = spawn(
    process.execPath,
    [
      ...v8Flags,
      'dist/main.js',
      ...['--port', String(port), '--grpc-port', '0', '--bind', '127.0.0.1'],
      ...['--log-level', 'warn', '--docker-host', hosts.join(',')],
    ],
    { cwd: REPO_ROOT, stdio: 'ignore', env: { ...process.env, ...env } },
  );
  try {
    const started = performance.now();
    for (;;) {
      const status = await fetch(`http://127.0.0.1:${port}/status`).then(
        async (reply) => (await reply.json()) as StatusJson,
        () => undefined,
      );
      const read = status?.engines.filter((engine) => engine.synced && engine.swarm?.synced);
      if (status?.agent.ready === true && read?.length === engines) break;
      if (performance.now() - started > 30_000)
        throw new Error(`${engines} engines: not read in 30 s`);
      await sleep(20);
    }
    await sleep(SETTLE_MS);
    const samples: number[] = [];
    for (let i = 0; i < 5; i++) {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      samples.push(Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]) * 1024);
      await sleep(200);
    }
    return median(samples);
  } finally {
    child.kill('SIGKILL');
  }
}

/** The least-squares slope of `y` over `x`. */
function slope(points: readonly (readonly [number, number])[]): number {
  const n = points.length;
  const mx = points.reduce((sum, [x]) => sum + x, 0) / n;
  const my = points.reduce((sum, [, y]) => sum + y, 0) / n;
  const sxy = points.reduce((sum, [x, y]) => sum + (x - mx) * (y - my), 0);
  const sxx = points.reduce((sum, [x]) => sum + (x - mx) ** 2, 0);
  return sxy / sxx;
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

async function main(): Promise<void> {
  await sh(REPO_ROOT, 'npm', ['run', 'build']);
  const docker = new DockerHarness();
  await docker.buildImage();
  try {
    for (let i = 0; i < CONTAINERS; i++)
      await docker.run({ labels: { 'eds.service': `mem-${i % 4}`, 'eds.port': '8000' } });
    const rss = new Map<number, number[]>(ENGINE_COUNTS.map((count) => [count, []]));
    // Interleaved, so every count sees the same machine.
    for (let round = 0; round < ROUNDS; round++)
      for (const count of ENGINE_COUNTS)
        rss.get(count)?.push(await rssWith(count, docker.socketPath));
    const medians = ENGINE_COUNTS.map((count) => [count, median(rss.get(count) ?? [])] as const);
    const perEngine = slope(medians);
    const first = medians[0]?.[1] ?? 0;
    writeBenchmarksSection(
      'engine-memory',
      [
        '## What one more engine costs in memory',
        '',
        'Command: `npm run bench:engine-memory` (bench/engine-memory.ts). The built agent, run as `npm start` runs',
        `it, following 1 to 9 engines, each this machine's Docker engine under its own name (its own client,`,
        `event stream, pings, ledger and Swarm check), with ${CONTAINERS} labelled containers that every engine`,
        `reads; resident memory (VmRSS) ${SETTLE_MS / 1000} s after every engine was read, median of ${ROUNDS} starts`,
        `of each, interleaved. Measured ${new Date().toISOString().slice(0, 10)} on ${describeMachine()}.`,
        '',
        markdownTable(
          ['engines', 'RSS, median', 'above one engine', 'fewest and most'],
          medians.map(([count, bytes]) => [
            String(count),
            mb(bytes),
            count === 1 ? '' : `${mb(bytes - first)} (${mb((bytes - first) / (count - 1))} each)`,
            `${mb(Math.min(...(rss.get(count) ?? [])))}–${mb(Math.max(...(rss.get(count) ?? [])))}`,
          ]),
        ),
        '',
        `Each engine more: **${mb(perEngine)}** (least-squares slope over the medians; target < 5 MB).`,
      ].join('\n'),
    );
  } finally {
    await docker.cleanup();
  }
}

await main();
