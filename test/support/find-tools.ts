import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { promisify } from 'node:util';

import Docker from 'dockerode';

import { CHROMIUM } from './browser.js';
import { findComposes } from './compose.js';
import { obtainEnvoy, useEnvoy } from './envoy-binary.js';
import { findGo } from './grpc-go-client.js';
import { BUSYBOX_ENV, obtainStaticBusybox } from './static-busybox.js';
import type { ToolName } from './test-tools.js';

const run = promisify(execFile);

/** Whether every one of `commands` is on the PATH. */
async function haveCommands(...commands: string[]): Promise<boolean> {
  const script = commands.map((command) => `command -v ${command}`).join(' && ');
  return run('sh', ['-c', script]).then(
    () => true,
    () => false,
  );
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Looks for every tool of `TOOLS` once per run, fetching what can be fetched (a busybox, an
 * Envoy), and hands the binaries to the test processes through the environment. Returns
 * the tools that are missing.
 */
export async function findTools(): Promise<ToolName[]> {
  const docker = await new Docker({ socketPath: '/var/run/docker.sock' }).ping().then(
    () => true,
    () => false,
  );
  const busybox = docker ? await obtainStaticBusybox() : undefined;
  if (busybox !== undefined) process.env[BUSYBOX_ENV] = busybox;
  const envoy = await obtainEnvoy();
  if (envoy !== undefined) useEnvoy(envoy);
  const root = process.getuid?.() === 0;
  const present: Record<ToolName, boolean> = {
    docker,
    busybox: busybox !== undefined,
    compose: docker && (await findComposes()).length > 0,
    envoy: envoy !== undefined,
    chromium: isExecutable(CHROMIUM),
    go: findGo() !== undefined,
    root,
    dockerd: await haveCommands('dockerd', 'ip'),
    podman: await haveCommands('podman'),
    sshd: await haveCommands('sshd', 'ssh-keygen'),
    openssl: await haveCommands('openssl'),
  };
  return (Object.keys(present) as ToolName[]).filter((tool) => !present[tool]);
}
