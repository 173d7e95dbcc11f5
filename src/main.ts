#!/usr/bin/env node
// The command-line entry point: the only module that reads the environment, installs signal
// handlers or exits the process. Exit codes: 0 after a clean stop, 2 when the configuration
// or the machine leaves the agent unable to work (one line per problem on stderr), 1 on a bug.
import { createRequire } from 'node:module';

import { pino } from 'pino';

import { formatHelp } from './config/config.js';
import { parseConfig } from './config/parse-config.js';
import { DockerUnusableError } from './sources/docker/docker-client.js';
import { startAgent } from './start-agent.js';

/** Prints `problems` as the reason the agent cannot run, and exits 2. */
function refuse(heading: string, problems: readonly string[], hint = ''): never {
  process.stderr.write(
    `eds-agent: ${heading}:\n${problems.map((p) => `  - ${p}`).join('\n')}\n${hint}`,
  );
  process.exit(2);
}

const parsed = parseConfig(process.argv.slice(2), process.env);
if (!parsed.ok) {
  refuse('invalid configuration', parsed.problems, 'Run eds-agent --help for the reference.\n');
}
const invocation = parsed.value;
if (invocation.kind === 'help') {
  process.stdout.write(`${formatHelp()}\n`);
  process.exit(0);
}
if (invocation.kind === 'version') {
  // package.json is one folder up from both src/main.ts and dist/main.js.
  const { version } = createRequire(import.meta.url)('../package.json') as { version: string };
  process.stdout.write(`eds-agent ${version}\n`);
  process.exit(0);
}

const { config, warnings } = invocation;
const logger = pino({ level: config.logLevel, base: { service: 'eds-agent' } });
for (const warning of warnings) logger.warn(warning);

const started = await startAgent(config, { logger }).catch((error: unknown) => {
  logger.fatal({ err: error }, 'could not start');
  process.exit(1);
});
if (!started.ok) refuse('cannot start', started.problems);
const agent = started.value;

let stopping = false;
const shutdown = (signal: NodeJS.Signals): void => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down: finishing in-flight requests');
  agent.stop().then(
    () => {
      logger.info('stopped');
      process.exit(0);
    },
    (error: unknown) => {
      logger.error({ err: error }, 'error while stopping');
      process.exit(1);
    },
  );
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
agent.done.catch((error: unknown) => {
  if (error instanceof DockerUnusableError) refuse('cannot use the Docker engine', [error.message]);
  logger.fatal({ err: error }, 'the Docker source failed; exiting');
  process.exit(1);
});
