// The servers the peer comparison measures, each in a process of its own so that its memory and
// CPU time can be read from /proc: the agent (its production build, as `npm start` runs it), the
// go-control-plane peer, and the bare node:http ceiling.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { productionCommand } from './production-command.js';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const PEER_DIR = fileURLToPath(new URL('../peers/go-control-plane/', import.meta.url));
const CLOCK_TICKS_PER_SECOND = 100;

/** Every server started, so none outlives a benchmark that fails halfway. */
const started = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of started) child.kill('SIGKILL');
});

/** A server under measurement. */
export interface ServerProcess {
  readonly name: string;
  readonly pid: number;
  /** Where REST polls go. */
  readonly restPort: number;
  readonly grpcPort: number | undefined;
  /** Resident memory now, from /proc. */
  rssMb(): number;
  /** CPU time used so far (user + system), from /proc. */
  cpuMs(): number;
  stop(): Promise<void>;
  /** SIGKILL, as a crash: nothing the server has not yet written survives. */
  kill(): Promise<void>;
}

function fromProc(name: string, child: ChildProcess, restPort: number, grpcPort?: number) {
  const pid = child.pid ?? 0;
  started.add(child);
  child.once('exit', () => started.delete(child));
  return {
    name,
    pid,
    restPort,
    grpcPort,
    rssMb: () => {
      const line = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      return Number(line?.[1] ?? NaN) / 1024;
    },
    cpuMs: () => {
      // Fields 14 and 15 of /proc/<pid>/stat (after the command in parentheses): utime, stime.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return ((Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND) * 1000;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await once(child, 'exit');
    },
  } satisfies ServerProcess;
}

/** The first line of `child`'s stdout that `accept` maps to a value (within 30 s). */
async function firstLine<T>(
  child: ChildProcess,
  accept: (line: string) => T | undefined,
): Promise<T> {
  const lines = createInterface({ input: child.stdout ?? process.stdin });
  const timer = setTimeout(() => child.kill(), 30_000);
  try {
    for await (const line of lines) {
      const value = accept(line);
      if (value !== undefined) return value;
    }
  } finally {
    clearTimeout(timer);
  }
  throw new Error('the server exited before it said it listens');
}

/**
 * The benchmarks register services of thousands of hosts, above the registration API's
 * default bounds (1,000 services, 1,000 hosts each): raised, by environment so that a
 * checkout from before the bounds (which only warns of a variable it does not know) runs too.
 */
const SCALE_ENV = {
  EDS_AGENT_REGISTRATION_MAX_SERVICES: '1000000',
  EDS_AGENT_REGISTRATION_MAX_HOSTS: '1000000',
};

/** How to run the agent: which checkout, with which flags of its own. */
export interface AgentProcessOptions {
  /** A checkout already built (bench/support/checkouts.ts); this one, built first, by default. */
  readonly dir?: string;
  /** Flags after the defaults (loopback, free ports, JSON logs at info). */
  readonly args?: readonly string[];
}

/**
 * The agent's production build on loopback, following the local Docker engine (where no
 * container is labelled for it unless `args` say otherwise): what `npm start` runs, in the
 * environment it sets, with Node's `v8Flags` (`npm start` and the image give
 * `--optimize-for-size`; see `productionCommand`).
 */
export async function startAgent(
  name: string,
  v8Flags: readonly string[],
  { dir, args = [] }: AgentProcessOptions = {},
): Promise<ServerProcess> {
  if (dir === undefined) await run('npm', ['run', 'build', '--silent'], { cwd: REPO });
  const child = spawn(
    process.execPath,
    [
      ...[...v8Flags, join(dir ?? REPO, 'dist/main.js'), '--port', '0', '--grpc-port', '0'],
      ...['--bind', '127.0.0.1', '--log-level', 'info', '--log-format', 'json'],
      ...args,
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ...SCALE_ENV, ...productionCommand(dir ?? REPO).env },
    },
  );
  const ports = await firstLine(child, (line) =>
    line.includes('eds-agent listening')
      ? (JSON.parse(line) as { port: number; grpcPort: number })
      : undefined,
  );
  child.stdout.resume();
  return fromProc(name, child, ports.port, ports.grpcPort);
}

/** Resolves once the agent has synced with Docker (its discovery answers from then on). */
export async function untilReady(agent: ServerProcess): Promise<void> {
  for (let waited = 0; waited < 30_000; waited += 100) {
    const status = await fetch(`http://127.0.0.1:${agent.restPort}/readyz`).then(
      (reply) => reply.status,
      () => 0,
    );
    if (status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${agent.name}: not ready within 30 s`);
}

/** Why the Go peer cannot run here, or undefined when it can. */
export async function goPeerMissing(): Promise<string | undefined> {
  try {
    await run('go', ['version']);
    return undefined;
  } catch {
    return 'go is not on the PATH, so the go-control-plane peer is not built (install Go to compare)';
  }
}

/** Builds and starts the go-control-plane peer on `resourcesFile`. */
export async function startGoPeer(resourcesFile: string): Promise<ServerProcess> {
  const binary = `${PEER_DIR}peer`;
  await run('go', ['build', '-o', binary, '.'], { cwd: PEER_DIR, maxBuffer: 16 * 1024 * 1024 });
  if (!existsSync(binary)) throw new Error('go build made no binary');
  const child = spawn(binary, ['-snapshot', resourcesFile], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ports = await firstLine(child, (line) =>
    line.startsWith('{"rest"') ? (JSON.parse(line) as { rest: number; grpc: number }) : undefined,
  );
  return fromProc('go-control-plane', child, ports.rest, ports.grpc);
}

/**
 * The runtime's ceiling: bare node:http doing what any REST EDS server must, and nothing
 * else: read the request, JSON-parse it, look the asked cluster up, and write its answer (the
 * agent's own bytes, given), or 304 for the version it was given. A GET answers its event-loop
 * delay histogram (and resets it), in seconds.
 */
export async function startCeiling(
  answers: ReadonlyMap<string, { version: string; body: Buffer }>,
): Promise<ServerProcess> {
  const entries = [...answers].map(([name, { version, body }]) => [
    name,
    version,
    body.toString('base64'),
  ]);
  const file = join(mkdtempSync(join(tmpdir(), 'eds-agent-ceiling-')), 'answers.json');
  writeFileSync(file, JSON.stringify(entries));
  const source = `
    const answers = new Map(JSON.parse(require('node:fs').readFileSync(${JSON.stringify(file)}, 'utf8'))
      .map(([n, v, b]) => [n, { version: v, body: Buffer.from(b, 'base64') }]));
    // Its own event-loop delay, as the agent's /metrics reports the agent's.
    const delay = require('node:perf_hooks').monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const server = require('node:http').createServer((req, res) => {
      if (req.method === 'GET') {
        res.end(JSON.stringify({ p99: delay.percentile(99) / 1e9, max: delay.max / 1e9 }));
        delay.reset();
        return;
      }
      const chunks = [];
      req.on('data', (chunk) => chunks.push(chunk));
      req.on('end', () => {
        const request = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        const answer = answers.get(request.resource_names[0]);
        if (request.version_info === answer.version) res.writeHead(304).end();
        else res.writeHead(200, { 'content-type': 'application/json' }).end(answer.body);
      });
    }).listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
  `;
  const child = spawn(process.execPath, ['-e', source], { stdio: ['ignore', 'pipe', 'inherit'] });
  const { port } = await firstLine(child, (line) =>
    line.startsWith('{"port"') ? (JSON.parse(line) as { port: number }) : undefined,
  );
  return fromProc('bare node:http', child, port);
}
