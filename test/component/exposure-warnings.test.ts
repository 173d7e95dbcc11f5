import { describe, expect, it } from 'vitest';

import { startTestAgent } from '../support/agent-harness.js';
import { FakeDockerEngine } from '../support/fake-docker-engine.js';

// Each channel left open to whoever reaches it is said once at start, with the flags that
// close it; on loopback there is nothing to say.
describe('the warnings of what is exposed', () => {
  const warnings = async (args: string[]) => {
    const agent = await startTestAgent(args, { dockerClient: new FakeDockerEngine() });
    await agent.stop();
    return agent.logs.filter((line) => line.level === 40).map((line) => line.msg);
  };

  it('warns of plaintext xDS and of a token sent in clear beyond loopback, once each', async () => {
    const said = await warnings(['--bind', '0.0.0.0', '--admin-token', 'a-token']);
    expect(said.filter((msg) => msg.startsWith('the gRPC xDS server is plaintext'))).toHaveLength(
      1,
    );
    expect(
      said.filter((msg) => msg.startsWith('the admin token crosses the network')),
    ).toHaveLength(1);
  });

  it('says nothing of them on loopback', async () => {
    const said = await warnings(['--admin-token', 'a-token']);
    expect(said.filter((msg) => msg.includes('plaintext') || msg.includes('in clear'))).toEqual([]);
  });
});
