import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * The Compose command available here: `docker compose` (v2, what users have) when the plugin
 * answers, else `docker-compose` (v1, what Debian packages). Both take the same arguments.
 */
export async function findCompose(): Promise<string[]> {
  for (const command of [['docker', 'compose'], ['docker-compose']]) {
    const [file, ...args] = command as [string, ...string[]];
    try {
      await run(file, [...args, 'version']);
      return command;
    } catch {
      continue;
    }
  }
  throw new Error(
    'integration tests need Docker Compose: `docker compose` (v2) or `docker-compose` (v1)',
  );
}

/** Runs one compose command for `project`, with `env` added to the environment for interpolation. */
export async function compose(
  command: string[],
  project: string,
  file: string,
  args: string[],
  env: Record<string, string>,
): Promise<void> {
  const [bin, ...prefix] = command as [string, ...string[]];
  await run(bin, [...prefix, '-p', project, '-f', file, ...args], {
    env: { ...process.env, ...env },
  });
}
