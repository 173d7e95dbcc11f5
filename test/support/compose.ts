import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** One Compose command line, and which major version it is. */
export interface Compose {
  /** `v2` for the `docker compose` plugin users have, `v1` for Debian's `docker-compose`. */
  readonly version: 'v1' | 'v2';
  readonly command: readonly string[];
}

/**
 * Every Compose available here, v2 first: `docker compose` (the plugin) and `docker-compose`
 * (Debian's v1, or a standalone v2 binary), each counted once per major version.
 */
export async function findComposes(): Promise<Compose[]> {
  const found: Compose[] = [];
  for (const command of [['docker', 'compose'], ['docker-compose']]) {
    const [file, ...args] = command as [string, ...string[]];
    try {
      const { stdout } = await run(file, [...args, 'version', '--short']);
      const version = stdout.trim().replace(/^v/, '').startsWith('1.') ? 'v1' : 'v2';
      if (!found.some((compose) => compose.version === version)) found.push({ version, command });
    } catch {
      continue;
    }
  }
  return found.sort((a, b) => b.version.localeCompare(a.version));
}

/**
 * Runs one compose command for `project` on `files` (later ones override earlier ones, as
 * with repeated `-f`), with `env` added to the environment for interpolation, and relative
 * paths taken from `projectDirectory` when given (else from the first file's folder).
 */
export async function compose(
  { command }: Compose,
  project: string,
  files: string | readonly string[],
  args: string[],
  env: Record<string, string>,
  projectDirectory?: string,
): Promise<void> {
  const [bin, ...prefix] = command as [string, ...string[]];
  const fileArgs = (typeof files === 'string' ? [files] : files).flatMap((file) => ['-f', file]);
  const directory = projectDirectory === undefined ? [] : ['--project-directory', projectDirectory];
  await run(bin, [...prefix, '-p', project, ...directory, ...fileArgs, ...args], {
    env: { ...process.env, ...env },
    timeout: 180_000, // a hung compose fails the test instead of holding it
  });
}
