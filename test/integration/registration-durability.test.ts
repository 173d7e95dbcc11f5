import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { type Cli, exitOf, killRunningClis, NO_DOCKER, portOf, startCli } from '../support/cli.js';
import { send } from '../support/envoy-rest-client.js';

afterEach(killRunningClis);

const agent = (stateFile: string): Cli =>
  startCli(['--port', '0', '--bind', '127.0.0.1', '--state-file', stateFile, ...NO_DOCKER]);

const putHost = (port: number, index: number) =>
  send(port, {
    method: 'PUT',
    path: `/edsservice/heartbeat/hosts/10.9.${Math.floor(index / 200)}.${(index % 200) + 1}:8080`,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ tags: { az: 'z1' } }),
    ownConnection: true,
  });

// What was acknowledged survives a crash at any moment, and the file is never half-written.
describe('registrations under kill -9', () => {
  it('still serves, after a restart, every registration acknowledged before the kill', async () => {
    const stateFile = join(mkdtempSync(join(tmpdir(), 'eds-agent-kill-')), 'state.json');
    const first = agent(stateFile);
    const port = await portOf(first);

    // Many writes in flight; the agent is killed the moment the fifth 2xx arrives.
    const acknowledged: number[] = [];
    await Promise.all(
      Array.from({ length: 40 }, async (_, index) => {
        const reply = await putHost(port, index).catch(() => undefined);
        if (reply && reply.status >= 200 && reply.status < 300) {
          acknowledged.push(index);
          if (acknowledged.length === 5) first.kill('SIGKILL');
        }
      }),
    );
    await exitOf(first);
    expect(acknowledged.length).toBeGreaterThanOrEqual(5);

    // Every finished line of the journal parses, and the restarted agent serves every
    // acknowledged host.
    const finished = readFileSync(stateFile, 'utf8').split('\n').slice(0, -1);
    for (const line of finished) expect(() => JSON.parse(line) as unknown).not.toThrow();
    const second = agent(stateFile);
    const served = await send(await portOf(second), {
      method: 'GET',
      path: '/edsservice/heartbeat',
    });
    const addresses = (JSON.parse(served.text) as { hosts: { ip_address: string }[] }).hosts.map(
      (h) => h.ip_address,
    );
    for (const index of acknowledged)
      expect(addresses).toContain(`10.9.${Math.floor(index / 200)}.${(index % 200) + 1}`);
  });

  it('refuses to start with a state file in a folder that does not exist', async () => {
    const stateFile = join(
      mkdtempSync(join(tmpdir(), 'eds-agent-nofolder-')),
      'gone',
      'state.json',
    );
    const cli = agent(stateFile);
    expect(await exitOf(cli)).toBe(2);
    expect(cli.output()).toContain(
      `${stateFile}: the folder ${dirname(stateFile)} does not exist; create it, or choose another --state-file`,
    );
  });

  it('refuses to start on a corrupt state file, saying why, instead of starting empty', async () => {
    const stateFile = join(mkdtempSync(join(tmpdir(), 'eds-agent-corrupt-')), 'state.json');
    writeFileSync(stateFile, '{"version": 1, "services": {');
    const cli = agent(stateFile);
    expect(await exitOf(cli)).toBe(2);
    expect(cli.output()).toMatch(
      /^eds-agent: cannot start:\n {2}- .*state\.json: the state file is not valid JSON \(/,
    );
  });
});
