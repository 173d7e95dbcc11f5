import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

import { eventually } from './eventually.js';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

/** The real command line (`src/main.ts` through tsx, as `npm start` runs the built one). */
export type Cli = ChildProcessWithoutNullStreams & { output: () => string };

/**
 * Starts the agent's command line with `args`, a clean environment plus `env`, optionally as
 * another user (`as`, which needs root).
 */
export function startCli(
  args: string[],
  env: Record<string, string> = {},
  as?: { uid: number; gid: number },
): Cli {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    ...as,
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return Object.assign(child, { output: () => output });
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
