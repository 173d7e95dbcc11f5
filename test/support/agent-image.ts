import { execFile } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

import { REPO_ROOT } from './repo-files.js';

const run = promisify(execFile);

/** Where Debian (and most distributions) keep the CA bundle that a TLS-intercepting proxy's CA is added to. */
export const SYSTEM_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

/** The base images the Dockerfile names (`FROM`), stage names excluded. */
export function dockerfileBaseImages(): string[] {
  const text = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
  const stages = new Set<string>();
  const images: string[] = [];
  for (const match of text.matchAll(/^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/gim)) {
    const image = match[1] ?? '';
    if (!stages.has(image)) images.push(image);
    if (match[2]) stages.add(match[2]);
  }
  return images;
}

/**
 * A docker CLI that builds with BuildKit (needed for `--secret`): one whose `buildx` plugin
 * answers, or one older than 23, whose BuildKit is built in (Debian's 20.10). Several CLIs may
 * be on the PATH (here a v28 without buildx comes first).
 */
export async function findBuildKitDocker(): Promise<string> {
  const candidates = new Set<string>();
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const path = join(dir, 'docker');
    if (existsSync(path)) candidates.add(realpathSync(path));
  }
  for (const docker of candidates) {
    if (await succeeds(docker, ['buildx', 'version'])) return docker;
    const version = await run(docker, ['version', '--format', '{{.Client.Version}}']).then(
      ({ stdout }) => Number(stdout.trim().split('.')[0]),
      () => NaN,
    );
    if (version < 23) return docker;
  }
  throw new Error(
    `no docker CLI here builds with BuildKit (tried ${[...candidates].join(', ') || 'none'}); install docker-buildx`,
  );
}

/**
 * Builds the Dockerfile of `context` (the repository's own by default), unchanged, as `tag`,
 * the way the README tells a user behind a TLS-intercepting proxy to: its CA bundle given as
 * the `ca_certificates` BuildKit secret (when `caFile` exists). Rejects with the build's
 * output on failure.
 */
export async function buildImage(
  tag: string,
  context = REPO_ROOT,
  caFile = SYSTEM_CA_BUNDLE,
): Promise<void> {
  const docker = await findBuildKitDocker();
  const secret = existsSync(caFile) ? ['--secret', `id=ca_certificates,src=${caFile}`] : [];
  try {
    await run(docker, ['build', ...secret, '--tag', tag, context], {
      env: { ...process.env, DOCKER_BUILDKIT: '1' },
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`docker build failed:\n${(stderr ?? '').slice(-4000)}${stdout ?? ''}`);
  }
}

async function succeeds(file: string, args: string[]): Promise<boolean> {
  return run(file, args).then(
    () => true,
    () => false,
  );
}
