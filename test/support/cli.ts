import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

import { send } from './envoy-rest-client.js';
import { eventually } from './eventually.js';
import { freeLoopbackPort } from './free-port.js';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

/**
 * Arguments that point the agent at a socket with no engine behind it: it serves what is
 * registered over HTTP and keeps retrying the engine, for tests of the command line itself.
 */
export const NO_DOCKER = ['--docker-host', 'unix:///nonexistent/docker.sock'] as const;

/** The real command line (`src/main.ts` through tsx, as `npm start` runs the built one). */
export type Cli = ChildProcessWithoutNullStreams & { output: () => string };

const running = new Set<Cli>();

/**
 * Starts the agent's command line with `args`, a clean environment plus `env`, optionally as
 * another user (`as`, which needs root). A test that may time out before the process exits
 * calls {@link killRunningClis} in its `afterAll`, so no agent outlives its test file.
 */
export function startCli(
  args: string[],
  env: Record<string, string> = {},
  as?: { uid: number; gid: number },
): Cli {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    // The gRPC server on a free port unless a test says otherwise: agents run side by side.
    env: { PATH: process.env.PATH ?? '', EDS_AGENT_GRPC_PORT: '0', ...env },
    ...as,
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const cli = Object.assign(child, { output: () => output });
  running.add(cli);
  child.once('exit', () => running.delete(cli));
  return cli;
}

/** Kills (SIGKILL) every command line this test file started that is still running. */
export function killRunningClis(): void {
  for (const cli of running) cli.kill('SIGKILL');
}

/** The process's exit code once it has exited. */
export async function exitOf(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const [code] = (await once(child, 'exit')) as [number | null];
  return code;
}

/** The port the agent logged once listening. */
export async function portOf(cli: Cli): Promise<number> {
  const found = await eventually(
    'the agent logs its port',
    () => /"port":(\d+)/.exec(cli.output())?.[1],
    (port) => port !== undefined,
    { timeoutMs: 15_000 },
  );
  return Number(found);
}

/** An agent command line on loopback ports of its own, ready. */
export interface AgentProcess {
  readonly cli: Cli;
  readonly port: number;
  readonly grpcPort: number;
}

/**
 * Starts the agent's command line on free loopback ports with `args` besides, and resolves
 * once its `/readyz` answers 200 (its output in the error when it never does).
 */
export async function startAgentProcess(args: readonly string[]): Promise<AgentProcess> {
  const [port, grpcPort] = [await freeLoopbackPort(), await freeLoopbackPort()];
  const cli = startCli([
    ...['--bind', '127.0.0.1', '--port', String(port), '--grpc-port', String(grpcPort)],
    ...args,
  ]);
  await eventually(
    'the agent is ready',
    () => send(port, { method: 'GET', path: '/readyz' }).then((reply) => reply.status),
    (status) => status === 200,
    { timeoutMs: 30_000 },
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}\n${cli.output()}`);
  });
  return { cli, port, grpcPort };
}
