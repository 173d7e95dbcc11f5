import { afterAll, describe, expect, it } from 'vitest';

import { killRunningClis, NO_DOCKER, portOf, startCli } from '../support/cli.js';
import { send } from '../support/envoy-rest-client.js';
import { eventually } from '../support/eventually.js';

afterAll(killRunningClis);

// No engine at this socket: what is logged here is the agent's own start, its retries and
// the registrations the test makes.
const ARGS = ['--port', '0', '--bind', '127.0.0.1', ...NO_DOCKER];

describe('the logs of the command line', () => {
  it('are JSON lines when stdout is not a terminal, each with the agent named once', async () => {
    const cli = startCli(ARGS);
    const port = await portOf(cli);
    const reply = await send(port, { method: 'PUT', path: '/edsservice/shop/hosts/10.0.0.7:8080' });
    expect(reply.status).toBe(201);
    const lines = await eventually(
      'the registration is logged',
      () => cli.output().split('\n').filter(Boolean),
      (all) => all.some((line) => line.includes('registration changed')),
    );
    for (const line of lines) {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      expect(parsed.name).toBe('eds-agent');
      // One key per name: a registration's service no longer collides with the agent's name.
      expect(line.match(/"name":/g)).toHaveLength(1);
      expect(line.match(/"service":/g)?.length ?? 0).toBeLessThanOrEqual(1);
    }
    const change = JSON.parse(
      lines.find((line) => line.includes('registration changed')) ?? '{}',
    ) as Record<string, unknown>;
    expect(change).toMatchObject({ service: 'shop', host: '10.0.0.7:8080', change: 'put-host' });
    cli.kill('SIGTERM');
  });

  it('are one readable line each with --log-format pretty', async () => {
    const cli = startCli([...ARGS, '--log-format', 'pretty']);
    const listening = await eventually(
      'the agent says it listens',
      () =>
        cli
          .output()
          .split('\n')
          .find((line) => line.includes('eds-agent listening')),
      (line) => line !== undefined,
      { timeoutMs: 15_000 },
    );
    expect(listening).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: eds-agent listening \{/);
    expect(listening).toContain('"bind":"127.0.0.1"');
    expect(cli.output()).not.toMatch(/^\{"level"/m);
    cli.kill('SIGTERM');
  });
});
