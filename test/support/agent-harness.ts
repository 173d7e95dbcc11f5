import { Writable } from 'node:stream';

import { pino } from 'pino';

import { parseConfig } from '../../src/config/parse-config.js';
import { type Agent, type AgentDependencies, startAgent } from '../../src/start-agent.js';
import { checkEdsResponse } from '../conformance/support/check-eds-response.js';
import { type EdsReply, endpointsOf, pollEds, send } from './envoy-rest-client.js';

/** One structured log line the agent wrote. */
export interface LogLine {
  level: number;
  msg: string;
  container?: string;
  containerName?: string;
  problems?: string[];
  [key: string]: unknown;
}

export interface TestAgent {
  readonly agent: Agent;
  readonly port: number;
  /** Every log line so far, parsed. */
  readonly logs: LogLine[];
  /** One Envoy-style first poll (no version) of `cluster`. */
  poll(cluster: string): Promise<EdsReply>;
  /** `address:port HEALTH` of every endpoint of `cluster`, sorted. */
  endpoints(cluster: string): Promise<string[]>;
  readyStatus(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Starts the real agent in-process on 127.0.0.1 and a free port, configured through the same
 * flag parser as the CLI, and waits for its first sync unless told not to. Logs are captured
 * as parsed JSON for assertions.
 */
export async function startTestAgent(
  args: string[],
  deps: Omit<AgentDependencies, 'logger'> = {},
  { waitForFirstSync = true } = {},
): Promise<TestAgent> {
  const parsed = parseConfig(
    ['--port', '0', '--grpc-port', '0', '--bind', '127.0.0.1', '--log-level', 'debug', ...args],
    {},
  );
  if (!parsed.ok || parsed.value.kind !== 'run')
    throw new Error(`bad test config: ${JSON.stringify(parsed)}`);
  const logs: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line) logs.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  const logger = pino({ level: 'debug' }, sink);
  const started = await startAgent(parsed.value.config, { logger, ...deps });
  if (!started.ok) throw new Error(`the agent did not start: ${started.problems.join('; ')}`);
  const agent = started.value;
  if (waitForFirstSync) await agent.firstSync;
  return {
    agent,
    port: agent.port,
    logs,
    poll: (cluster) => pollAccepted(agent.port, cluster),
    endpoints: async (cluster) => endpointsOf(await pollAccepted(agent.port, cluster)),
    readyStatus: async () => (await send(agent.port, { method: 'GET', path: '/readyz' })).status,
    stop: () => agent.stop(),
  };
}

/**
 * An Envoy-style poll whose 200 answer must pass Envoy's acceptance check: every answer an
 * integration scenario reads is thereby also a conformance check.
 */
async function pollAccepted(port: number, cluster: string): Promise<EdsReply> {
  const reply = await pollEds(port, cluster);
  const problems = reply.status === 200 ? checkEdsResponse(reply.text, cluster) : [];
  if (problems.length > 0)
    throw new Error(`the agent answered what Envoy would reject: ${problems.join('; ')}`);
  return reply;
}
