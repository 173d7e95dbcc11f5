import { once } from 'node:events';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { type Cli, exitOf, killRunningClis, NO_DOCKER, portOf, startCli } from '../support/cli.js';
import { send } from '../support/envoy-rest-client.js';
import { eventually } from '../support/eventually.js';
import { lacks } from '../support/test-tools.js';

afterAll(killRunningClis);

const MISSING_ROOT = lacks('root');

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
    const cli = startCli(['--port', '0', '--bind', '127.0.0.1', ...NO_DOCKER]);
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

  const CLOSED = 'registration writes (/edsservice) are refused';
  const INSECURE = 'INSECURE: --insecure-open-writes';
  it.each([
    [['--bind', '0.0.0.0'], CLOSED],
    [['--bind', '0.0.0.0', '--insecure-open-writes'], INSECURE],
    [['--bind', '127.0.0.1'], undefined],
    [['--bind', '0.0.0.0', '--admin-token', 's3cret'], undefined],
    [['--bind', '0.0.0.0', '--read-only'], undefined],
  ])('with %j says once, at start, who may write registrations: %s', async (args, said) => {
    const cli = startCli(['--port', '0', ...NO_DOCKER, ...args]);
    try {
      await portOf(cli);
      const lines = cli.output().split('\n');
      for (const phrase of [CLOSED, INSECURE])
        expect(lines.filter((line) => line.includes(phrase))).toHaveLength(phrase === said ? 1 : 0);
    } finally {
      cli.kill('SIGKILL');
      await exitOf(cli);
    }
  });

  // The attack: anyone on the network rerouted a public route to Envoy's admin port.
  it('bound beyond loopback with no token, refuses every write, whoever sends it (403)', async () => {
    const cli = startCli(['--port', '0', '--bind', '0.0.0.0', ...NO_DOCKER]);
    try {
      const port = await portOf(cli);
      const reply = await send(port, {
        method: 'PUT',
        path: '/edsservice/web/hosts/10.0.0.9:9901',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ tags: { load_balancing_weight: 1000000 } }),
      });
      expect(reply.status).toBe(403);
      expect(reply.text).toContain('--admin-token-file');
      expect((await send(port, { method: 'GET', path: '/edsservice' })).text).toBe(
        '{"services":{}}',
      );
    } finally {
      cli.kill('SIGKILL');
      await exitOf(cli);
    }
  });
});

// Whatever stops the agent from working is said in one line naming what to change, with exit
// code 2, before anything else happens: no stack trace, no misleading retry messages.
describe('the command line when the agent cannot work', () => {
  const refusal = async (cli: Cli) => {
    expect(await exitOf(cli)).toBe(2);
    expect(cli.output()).not.toMatch(/\n\s+at /); // no stack trace
    expect(cli.output()).not.toContain('Docker engine unreachable');
    return cli.output();
  };

  it('prints its version with --version, and exits 0', async () => {
    const cli = startCli(['--version']);
    expect(await exitOf(cli)).toBe(0);
    expect(cli.output()).toBe('eds-agent 0.1.0\n');
  });

  it('prints Envoy’s whole bootstrap with `bootstrap`, and refuses one Envoy could not use', async () => {
    const cli = startCli(['bootstrap', '--xds-address', 'eds-agent:18000']);
    expect(await exitOf(cli)).toBe(0);
    const bootstrap = JSON.parse(cli.output()) as {
      dynamic_resources: { lds_config: unknown };
      static_resources: { clusters: { type: string }[] };
    };
    expect(bootstrap.dynamic_resources.lds_config).toEqual({ ads: {}, resource_api_version: 'V3' });
    expect(bootstrap.static_resources.clusters.map((cluster) => cluster.type)).toEqual([
      'STRICT_DNS',
    ]);
    const refused = startCli(['bootstrap', '--grpc-port', 'off']);
    expect(await exitOf(refused)).toBe(2);
    expect(refused.output()).toContain('--grpc-port cannot be off');
  });

  it('says the port is taken, and which setting to change', async () => {
    const taken = createServer().listen(0, '127.0.0.1');
    await once(taken, 'listening');
    const { port } = taken.address() as AddressInfo;
    try {
      const cli = startCli(['--port', String(port), '--bind', '127.0.0.1', ...NO_DOCKER]);
      expect(await refusal(cli)).toBe(
        `eds-agent: cannot start:\n  - cannot listen on 127.0.0.1:${port}: the port is already in use (another eds-agent?); stop what holds it, or choose another port with --port (EDS_AGENT_PORT)\n`,
      );
    } finally {
      taken.close();
    }
  });

  it('says when --bind names an address this machine does not have', async () => {
    const cli = startCli(['--port', '0', '--bind', '192.0.2.1', ...NO_DOCKER]);
    expect(await refusal(cli)).toContain(
      'cannot listen on 192.0.2.1:0: no network interface of this machine has the address 192.0.2.1; choose another with --bind',
    );
  });

  it('says which TLS file it cannot read, instead of a stack trace', async () => {
    const cli = startCli(['--port', '0', '--bind', '127.0.0.1'], {
      DOCKER_HOST: 'tcp://127.0.0.1:9',
      DOCKER_TLS_VERIFY: '1',
      DOCKER_CERT_PATH: '/nonexistent/certs',
    });
    expect(await refusal(cli)).toContain(
      'cannot read the TLS CA certificate /nonexistent/certs/ca.pem: no such file (set DOCKER_CERT_PATH or the --tls* flags)',
    );
  });

  it.skipIf(MISSING_ROOT)('says whose group opens the Docker socket when it may not', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eds-agent-socket-'));
    chmodSync(dir, 0o755);
    const socketPath = join(dir, 'docker.sock');
    const engine = createServer().listen(socketPath);
    await once(engine, 'listening');
    chmodSync(socketPath, 0o660); // root:root, as a docker.sock of group docker would be
    try {
      const nobody = { uid: 65534, gid: 65534 };
      const cli = startCli(
        ['--port', '0', '--bind', '127.0.0.1', '--docker-host', `unix://${socketPath}`],
        {},
        nobody,
      );
      expect(await refusal(cli)).toContain(
        `eds-agent: cannot use the Docker engine:\n  - permission denied on the Docker socket ${socketPath}, which belongs to group 0 (root); run the agent in that group (docker run --group-add 0, or group_add: ["0"] in compose)\n`,
      );
    } finally {
      engine.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('warns of an EDS_AGENT_ variable it does not know, and runs on', async () => {
    const cli = startCli(['--port', '0', '--bind', '127.0.0.1', ...NO_DOCKER], {
      EDS_AGENT_LOG_LEVE: 'debug',
    });
    try {
      await portOf(cli);
      expect(cli.output()).toContain(
        'EDS_AGENT_LOG_LEVE is not a setting of eds-agent and is ignored; did you mean EDS_AGENT_LOG_LEVEL?',
      );
    } finally {
      cli.kill('SIGKILL');
      await exitOf(cli);
    }
  });
});
