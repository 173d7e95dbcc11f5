import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { send } from '../support/envoy-rest-client.js';
import { eventually } from '../support/eventually.js';
import { freeLoopbackPort } from '../support/free-port.js';
import { REPO_ROOT } from '../support/repo-files.js';

const run = promisify(execFile);

// The real binary (dist/main.js, as `npm start` runs it) with its stdout and stderr piped to
// a reader, as `eds-agent | some-log-shipper` does, and that reader misbehaving: gone, or
// paused while the pipe fills. The agent must keep serving and exit within its shutdown
// timeout on SIGTERM, whatever the state of the pipe.
const dir = mkdtempSync(join(tmpdir(), 'eds-agent-logpipe-'));
const running: ChildProcess[] = [];

beforeAll(async () => {
  await run('npm', ['run', 'build', '--silent'], { cwd: REPO_ROOT });
}, 120_000);
afterEach(() => {
  for (const child of running.splice(0)) child.kill('SIGKILL');
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The agent writing its logs into a fifo that `cat` reads into a file. */
async function startPiped(name: string) {
  const fifo = join(dir, `${name}.fifo`);
  const copy = join(dir, `${name}.log`);
  await run('mkfifo', [fifo]);
  const reader = spawn('sh', ['-c', `exec cat "$0" > "$1"`, fifo, copy]);
  running.push(reader);
  const out = openSync(fifo, 'w'); // returns once the reader has the fifo open
  const port = await freeLoopbackPort();
  const agent = spawn(
    process.execPath,
    [
      join(REPO_ROOT, 'dist/main.js'),
      ...['--port', String(port), '--grpc-port', '0', '--bind', '127.0.0.1'],
      // Debug logs a line per poll: the pipe fills fast. Once synced with the engine (the
      // default socket), the agent logs nothing unless something happens.
      ...['--log-level', 'debug'],
    ],
    { stdio: ['ignore', out, out] },
  );
  closeSync(out);
  running.push(agent);
  const exited = once(agent, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const logged = () => readFileSync(copy, 'utf8');
  await eventually('the agent has synced', logged, (text) => text.includes('full sync done'));
  return {
    port,
    logged,
    reader,
    /** 300 polls, each a debug line of ~400 bytes: more than a pipe holds (64 KiB). */
    async flood(): Promise<void> {
      for (let i = 0; i < 300; i++) {
        await send(port, { method: 'POST', path: '/v3/discovery:endpoints', body: '{}' });
      }
    },
    /** How long a health check takes now. */
    async healthIn(): Promise<number> {
      const started = Date.now();
      const reply = await send(port, { method: 'GET', path: '/healthz' });
      expect(reply.status).toBe(200);
      return Date.now() - started;
    },
    /** SIGTERM: the agent must exit 0 within the timeout (10 s; here it must take under 5). */
    async terminatesPromptly(): Promise<void> {
      const started = Date.now();
      agent.kill('SIGTERM');
      const [code] = await exited;
      expect(code).toBe(0);
      expect(Date.now() - started).toBeLessThan(5000);
    },
  };
}

describe('an agent whose log reader misbehaves', () => {
  it('keeps serving once its reader is gone, and exits on SIGTERM within the timeout', async () => {
    const agent = await startPiped('gone');
    agent.reader.kill('SIGKILL');
    await once(agent.reader, 'exit');
    // As `kill %1; kill -TERM %2` does: the first line written after the reader went away
    // is the one about shutting down, and the exit comes before its write has failed.
    expect(await agent.healthIn()).toBeLessThan(1000);
    await agent.terminatesPromptly();
  });

  it('keeps serving while its reader pauses and the pipe fills, and writes what it held once the reader reads again', async () => {
    const agent = await startPiped('paused');
    agent.reader.kill('SIGSTOP');
    await agent.flood();
    expect(await agent.healthIn()).toBeLessThan(1000);
    await send(agent.port, {
      method: 'PUT',
      path: '/edsservice/held-while-paused/hosts/10.0.0.1:80',
    });
    agent.reader.kill('SIGCONT');
    await eventually('the line logged during the pause arrives', agent.logged, (text) =>
      text.includes('held-while-paused'),
    );
    await agent.terminatesPromptly();
    expect(agent.logged()).toContain('"msg":"stopped"');
  });

  it('exits on SIGTERM within the timeout while the pipe is full and nobody reads it', async () => {
    const agent = await startPiped('stuck');
    agent.reader.kill('SIGSTOP');
    await agent.flood();
    await agent.terminatesPromptly();
  });

  it('exits on SIGTERM within the timeout when the reader paused, let the pipe fill, then went away', async () => {
    const agent = await startPiped('paused-then-gone');
    agent.reader.kill('SIGSTOP');
    await agent.flood();
    agent.reader.kill('SIGKILL');
    await once(agent.reader, 'exit');
    expect(await agent.healthIn()).toBeLessThan(1000);
    await agent.terminatesPromptly();
  });
});
