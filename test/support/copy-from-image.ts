import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Pulls `image` (which needs a registry) and copies the file at `path` in it to `to`, through
 * a container created for it and removed after. Rejects when any step fails.
 */
export async function copyFromImage(image: string, path: string, to: string): Promise<void> {
  await run('docker', ['pull', '--quiet', image], { timeout: 300_000 });
  const container = (await run('docker', ['create', image])).stdout.trim();
  try {
    mkdirSync(dirname(to), { recursive: true });
    await run('docker', ['cp', `${container}:${path}`, to]);
  } finally {
    await run('docker', ['rm', container]);
  }
}
