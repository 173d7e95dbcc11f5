import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { eventually } from '../support/eventually.js';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

/** Runs the real command line (`src/main.ts` through tsx, as `npm start` runs the built one). */
function startCli(
  args: string[],
  env: Record<string, string> = {},
): ChildProcessWithoutNullStreams & { output: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return Object.assign(child, { output: () => output });
}

async function exitOf(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const [code] = (await once(child, 'exit')) as [number | null];
  return code;
}

describe('the eds-agent command line', () => {
  it('prints every flag and its variable with --help, and exits 0', async () => {
    const cli = startCli(['--help']);
    expect(await exitOf(cli)).toBe(0);
    for (const flag of [
      '--port',
      '--bind',
      '--docker-host',
      '--label-prefix',
      '--address-mode',
      '--host-ip',
      '--network',
      '--log-level',
    ]) {
      expect(cli.output()).toContain(flag);
    }
    expect(cli.output()).toContain('EDS_AGENT_DOCKER_HOST');
  });

  it('refuses an invalid configuration with one message listing every problem, and a non-zero exit', async () => {
    const cli = startCli(['--port', 'eighty', '--address-mode', 'bridge'], {
      EDS_AGENT_HOST_IP: 'localhost',
    });
    expect(await exitOf(cli)).toBe(2);
    expect(cli.output()).toBe(
      [
        'eds-agent: invalid configuration:',
        '  - --port: expected a port 0-65535, got "eighty"',
        '  - --address-mode: expected container or host, got "bridge"',
        '  - EDS_AGENT_HOST_IP: expected an IP address such as 127.0.0.1 or ::1, got "localhost"',
        'Run eds-agent --help for the reference.',
        '',
      ].join('\n'),
    );
  });

  it('on SIGTERM stops accepting, finishes the request in flight, and exits 0', async () => {
    // No engine at this socket: the agent serves (empty) and keeps retrying Docker meanwhile.
    const cli = startCli([
      '--port',
      '0',
      '--bind',
      '127.0.0.1',
      '--docker-host',
      'unix:///nonexistent/docker.sock',
    ]);
    const port = await eventually(
      'the agent logs its port',
      () => /"port":(\d+)/.exec(cli.output())?.[1],
      (found) => found !== undefined,
      { timeoutMs: 15_000 },
    ).then(Number);

    // A request whose body is still being sent when SIGTERM arrives.
    const body = JSON.stringify({ resource_names: ['web'] });
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    let response = '';
    socket.on('data', (chunk: Buffer) => (response += chunk.toString()));
    socket.write(
      `POST /v3/discovery:endpoints HTTP/1.1\r\nHost: eds_cluster\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    cli.kill('SIGTERM');
    await eventually(
      'shutdown begins',
      () => cli.output(),
      (out) => out.includes('shutting down'),
    );

    const refused = connect(port, '127.0.0.1');
    const [error] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('ECONNREFUSED');

    socket.end(body.slice(10));
    expect(await exitOf(cli)).toBe(0);
    expect(response).toMatch(/^HTTP\/1.1 200 OK/);
    expect(response).toContain('"cluster_name":"web"');
  });
});
