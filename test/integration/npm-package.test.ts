import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { NO_DOCKER } from '../support/cli.js';
import { eventually } from '../support/eventually.js';
import { REPO_ROOT } from '../support/repo-files.js';

const run = promisify(execFile);
const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  version: string;
};

// What a user gets from npm: the package `npm pack` makes, installed into an empty project
// the way `npm install eds-agent` installs it (production dependencies from the registry),
// then run with npx. Nothing from this checkout but the tarball is used.
describe('the npm package', () => {
  const work = mkdtempSync(join(tmpdir(), 'eds-agent-package-'));
  const project = join(work, 'user-project');
  let files: string[] = [];

  beforeAll(async () => {
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], {
      cwd: REPO_ROOT,
      maxBuffer: 16 * 1024 * 1024,
    });
    const [packed] = JSON.parse(stdout.slice(stdout.indexOf('['))) as {
      filename: string;
      files: { path: string }[];
    }[];
    if (!packed) throw new Error(`npm pack said: ${stdout}`);
    files = packed.files.map((file) => file.path);
    await run('mkdir', ['-p', project]);
    writeFileSync(join(project, 'package.json'), '{"name":"user-project","private":true}\n');
    await run(
      'npm',
      ['install', '--omit=dev', '--no-audit', '--no-fund', join(work, packed.filename)],
      { cwd: project, maxBuffer: 16 * 1024 * 1024 },
    );
  }, 180_000);
  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
  });

  const npx = (...args: string[]) =>
    run('npx', ['--no-install', 'eds-agent', ...args], { cwd: project });

  it('holds the compiled agent and nothing else: no sources, tests or source maps', () => {
    expect(files).toContain('dist/main.js');
    expect(files.filter((file) => !file.startsWith('dist/'))).toEqual([
      'README.md',
      'package.json',
    ]);
    // Besides the JavaScript, only the descriptor of Envoy's messages the gRPC server loads.
    expect(files.filter((file) => !file.endsWith('.js') && file.startsWith('dist/'))).toEqual([
      'dist/transports/grpc/envoy-protos.json',
    ]);
  });

  it('runs as `npx eds-agent --help` and `--version` once installed', async () => {
    expect((await npx('--help')).stdout).toContain('Usage: eds-agent [flags]');
    expect((await npx('--version')).stdout.trim()).toBe(`eds-agent ${version}`);
  });

  it('installs no package that only development needs', () => {
    // Our lockfile marks `dev` the packages only development needs (a name that is also
    // needed at run time, such as @types/node through protobufjs, is not one of them).
    const names = (lock: { packages: Record<string, { dev?: boolean }> }, dev: boolean) =>
      Object.entries(lock.packages)
        .filter(([path, entry]) => path !== '' && (entry.dev === true) === dev)
        .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
    const ours = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean }>;
    };
    const runtime = new Set(names(ours, false));
    const devOnly = new Set(names(ours, true).filter((name) => !runtime.has(name)));
    const installed = JSON.parse(readFileSync(join(project, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean }>;
    };
    expect(devOnly).toContain('vitest');
    expect(devOnly).toContain('typescript');
    expect(names(installed, false).filter((name) => devOnly.has(name))).toEqual([]);
  });

  it('starts and serves from the installed package alone (Envoy protos included)', async () => {
    // npx runs the agent as a child of its own: both are in a process group of their own, and
    // the whole group is stopped, so that no agent outlives the test.
    const child = spawn(
      'npx',
      [
        ...['--no-install', 'eds-agent', '--port', '0', '--grpc-port', '0', '--bind', '127.0.0.1'],
        ...[...NO_DOCKER, '--log-format', 'json'],
      ],
      { cwd: project, detached: true },
    );
    const exited = new Promise((resolve) => child.once('exit', resolve));
    let agentPid = 0;
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      const line = await eventually(
        'the agent listens',
        () => output.split('\n').find((l) => l.includes('eds-agent listening')),
        (found) => found !== undefined,
        { timeoutMs: 20_000 },
      );
      const { port, grpcPort, pid } = JSON.parse(line ?? '{}') as {
        port: number;
        grpcPort: number;
        pid: number;
      };
      agentPid = pid;
      expect(pid).not.toBe(child.pid); // the agent is npx's child, not npx itself
      expect(grpcPort).toBeGreaterThan(0);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    } finally {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
      await exited;
    }
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    expect(agentPid).toBeGreaterThan(0);
    await eventually(
      'the agent npx started has exited',
      () => alive(agentPid),
      (up) => !up,
    );
  }, 60_000);
});
