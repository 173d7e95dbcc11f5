#!/usr/bin/env node
// The command-line entry point: the only module that reads the environment, installs signal
// handlers or exits the process. Exit codes: 0 after a clean stop, 2 when the configuration
// or the machine leaves the agent unable to work (one line per problem on stderr), 1 on a bug.
import { isatty } from 'node:tty';

import type { Config } from './config/config.js';
import { formatHelp } from './config/format-help.js';
import { parseConfig } from './config/parse-config.js';
import { buildBootstrap } from './core/front-door/build-bootstrap.js';
import { createLogger } from './create-logger.js';
import { DockerUnusableError } from './sources/engine/docker-client.js';
import { SHUTDOWN_GRACE_MS, startAgent } from './start-agent.js';
import { VERSION } from './version.js';

/** How long an exit waits for the last log lines to be written. */
const LOG_FLUSH_MS = 1000;

/** Prints `problems` as the reason the agent cannot run, and exits 2. */
function refuse(heading: string, problems: readonly string[], hint = ''): never {
  process.stderr.write(
    `eds-agent: ${heading}:\n${problems.map((p) => `  - ${p}`).join('\n')}\n${hint}`,
  );
  process.exit(2);
}

/** Runs the agent until a signal stops it. */
async function run(config: Config, warnings: readonly string[]): Promise<void> {
  // isatty, not process.stdout: creating stdout's stream would make a pipe blocking.
  const terminal = isatty(1);
  const { logger, sink } = createLogger({
    level: config.logLevel,
    format: config.logFormat ?? (terminal ? 'pretty' : 'json'),
    colour: terminal,
  });
  /** Exits once the logs are out, or after a second: a stuck reader of stdout never holds it. */
  const exit = (code: number): void => {
    void sink.flush(LOG_FLUSH_MS).then(() => process.exit(code));
  };
  for (const warning of warnings) logger.warn(warning);

  let started;
  try {
    started = await startAgent(config, { logger });
  } catch (error) {
    logger.fatal({ err: error }, 'could not start');
    exit(1);
    return;
  }
  if (!started.ok) refuse('cannot start', started.problems);
  const agent = started.value;

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    // Whatever holds the stop up (a client that never finishes, a hung engine call), it ends.
    setTimeout(() => process.exit(1), SHUTDOWN_GRACE_MS + 2 * LOG_FLUSH_MS).unref();
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    agent.stop().then(
      () => {
        logger.info('stopped');
        exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'error while stopping');
        exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  agent.done.catch((error: unknown) => {
    if (error instanceof DockerUnusableError)
      refuse('cannot use the Docker engine', [error.message]);
    logger.fatal({ err: error }, 'the Docker source failed; exiting');
    exit(1);
  });
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
  process.stdout.write(`eds-agent ${VERSION}\n`);
  process.exit(0);
}
if (invocation.kind === 'bootstrap') {
  // JSON is YAML: `eds-agent bootstrap > envoy.yaml` is Envoy's whole configuration.
  process.stdout.write(`${JSON.stringify(buildBootstrap(invocation.bootstrap), null, 2)}\n`);
  process.exit(0);
}
await run(invocation.config, invocation.warnings);
