#!/usr/bin/env node
// The command-line entry point: the only module that reads the environment, installs signal
// handlers or exits the process.
import { pino } from 'pino';

import { formatHelp } from './config/config.js';
import { parseConfig } from './config/parse-config.js';
import { startAgent } from './start-agent.js';

const parsed = parseConfig(process.argv.slice(2), process.env);
if (!parsed.ok) {
  process.stderr.write(
    `eds-agent: invalid configuration:\n${parsed.problems.map((p) => `  - ${p}`).join('\n')}\nRun eds-agent --help for the reference.\n`,
  );
  process.exit(2);
}
if (parsed.value.kind === 'help') {
  process.stdout.write(`${formatHelp()}\n`);
  process.exit(0);
}

const { config } = parsed.value;
const logger = pino({ level: config.logLevel, base: { service: 'eds-agent' } });

try {
  const agent = await startAgent(config, { logger });
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
    logger.fatal({ err: error }, 'the Docker source failed; exiting');
    process.exit(1);
  });
} catch (error) {
  logger.fatal({ err: error }, 'could not start');
  process.exit(1);
}
