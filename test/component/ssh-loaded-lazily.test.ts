import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { afterAll, describe, expect, it } from 'vitest';

import type { DockerEndpoint } from '../../src/config/parse-docker-host.js';

const run = promisify(execFile);
const CLIENT = fileURLToPath(
  new URL('../../src/sources/engine/create-dockerode-client.ts', import.meta.url),
);

/**
 * In a fresh Node process (this worker's require cache may hold ssh2 already): creates the
 * agent's Docker client for `endpoint`, sends one ping (to nothing that answers), and says
 * whether ssh2 was loaded before and after it.
 */
async function ssh2LoadedFor(endpoint: DockerEndpoint) {
  const script = `
    import { createRequire } from 'node:module';
    const require = createRequire(import.meta.url);
    const ssh2Loaded = () => Object.keys(require.cache).some((f) => f.includes('/node_modules/ssh2/'));
    const { createDockerodeClient } = await import(${JSON.stringify(CLIENT)});
    const client = createDockerodeClient(${JSON.stringify(endpoint)});
    if (!client.ok) throw new Error(client.problems.join('; '));
    const beforePing = ssh2Loaded();
    const ping = await client.value.ping(AbortSignal.timeout(5000)).then(() => 'answered', () => 'failed');
    console.log(JSON.stringify({ beforePing, ping, afterPing: ssh2Loaded() }));
    process.exit(0);
  `;
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', script],
    { timeout: 30_000 },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as {
    beforePing: boolean;
    ping: string;
    afterPing: boolean;
  };
}

// ssh2 instantiates a 16 MB WebAssembly memory when it loads: an agent that never connects
// over ssh must not pay for it.
describe('ssh2, loaded only for an ssh engine', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eds-agent-ssh-lazy-'));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('is never loaded by an agent on a unix socket', async () => {
    const result = await ssh2LoadedFor({ kind: 'unix', path: join(dir, 'no-engine.sock') });
    expect(result).toEqual({ beforePing: false, ping: 'failed', afterPing: false });
  });

  it('is loaded at the first request to an ssh:// engine', async () => {
    const knownHosts = join(dir, 'known_hosts');
    writeFileSync(knownHosts, '');
    const result = await ssh2LoadedFor({
      kind: 'ssh',
      // A loopback port that nothing listens on: the login fails, after ssh2 has loaded.
      host: '127.0.0.1',
      port: 9,
      username: 'nobody',
      ssh: {
        agentSocket: join(dir, 'no-agent.sock'),
        identityFile: undefined,
        knownHostsFile: knownHosts,
        home: dir,
      },
    });
    expect(result).toEqual({ beforePing: false, ping: 'failed', afterPing: true });
  });
});
