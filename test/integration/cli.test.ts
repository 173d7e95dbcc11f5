import { once } from 'node:events';
import { connect } from 'node:net';

import { describe, expect, it } from 'vitest';

import { exitOf, portOf, startCli } from '../support/cli.js';
import { eventually } from '../support/eventually.js';

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
    // No engine at this socket: the agent answers discovery 503 (not synced) and keeps retrying.
    const cli = startCli([
      '--port',
      '0',
      '--bind',
      '127.0.0.1',
      '--docker-host',
      'unix:///nonexistent/docker.sock',
    ]);
    const port = await portOf(cli);

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
    expect(response).toMatch(/^HTTP\/1.1 503 Service Unavailable/);
    expect(response).toContain('not synced yet');
  });

  it.each([
    [['--bind', '0.0.0.0'], 1],
    [['--bind', '127.0.0.1'], 0],
    [['--bind', '0.0.0.0', '--admin-token', 's3cret'], 0],
    [['--bind', '0.0.0.0', '--read-only'], 0],
  ])('with %j warns %i time(s) that the registration API is open', async (args, warnings) => {
    const cli = startCli([
      '--port',
      '0',
      '--docker-host',
      'unix:///nonexistent/docker.sock',
      ...args,
    ]);
    try {
      await portOf(cli);
      expect(
        cli
          .output()
          .split('\n')
          .filter((line) => line.includes('registration API (/edsservice) is open')),
      ).toHaveLength(warnings);
    } finally {
      cli.kill('SIGKILL');
      await exitOf(cli);
    }
  });
});
