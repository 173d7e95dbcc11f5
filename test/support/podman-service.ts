import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import Docker from 'dockerode';

import { eventually } from './eventually.js';
import type { ToolName } from './test-tools.js';

/**
 * Podman's Docker-compatible API (`podman system service`) on a socket of the test's own,
 * over the machine's (root) Podman storage. Podman's default limits on open files and
 * processes are above what this sandbox lets a container have, so its containers get modest
 * ones (a containers.conf of the service's). Needs root and `podman`.
 */
export class PodmanService {
  readonly dir = mkdtempSync(join(tmpdir(), 'eds-agent-podman-'));
  readonly socketPath = join(this.dir, 'podman.sock');
  #process: ChildProcess | undefined;

  /** What running one takes (for `lacks`): root and Podman. */
  static readonly NEEDS = ['root', 'podman'] as const satisfies ToolName[];

  async start(): Promise<void> {
    const conf = join(this.dir, 'containers.conf');
    writeFileSync(
      conf,
      '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n',
    );
    this.#process = spawn(
      'podman',
      ['system', 'service', '--time=0', `unix://${this.socketPath}`],
      {
        env: { ...process.env, CONTAINERS_CONF: conf },
        stdio: 'ignore',
      },
    );
    const api = new Docker({ socketPath: this.socketPath });
    await eventually(
      'the Podman service answers',
      () => api.ping(),
      () => true,
      { timeoutMs: 30_000 },
    );
  }

  /**
   * Runs a container's HEALTHCHECK once. Podman schedules checks with systemd timers; without
   * systemd they run only when asked.
   */
  runHealthcheck(containerId: string): void {
    try {
      execFileSync('podman', ['healthcheck', 'run', containerId], { stdio: 'ignore' });
    } catch {
      // a failing check exits non-zero; the container's health says so
    }
  }

  stop(): void {
    this.#process?.kill('SIGTERM');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
