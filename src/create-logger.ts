import { type Logger, pino } from 'pino';
import { prettyFactory } from 'pino-pretty';

import type { LogFormat, LogLevel } from './config/config.js';
import { createLogSink, type LogSink } from './create-log-sink.js';

/**
 * The agent's logger, named `eds-agent`, writing to stdout through a sink that a broken or
 * stuck reader cannot block (see `createLogSink`): JSON lines, or one readable line each
 * (`pretty`, in colour when `colour`). Returns the sink too, for a bounded flush at exit.
 */
export function createLogger(options: { level: LogLevel; format: LogFormat; colour: boolean }): {
  logger: Logger;
  sink: LogSink;
} {
  const pretty =
    options.format === 'pretty'
      ? prettyFactory({
          colorize: options.colour,
          translateTime: 'SYS:HH:MM:ss.l',
          ignore: 'pid,hostname,name',
          singleLine: true,
          // One line each, errors too (their JSON form keeps the stack).
          errorLikeObjectKeys: [],
        })
      : undefined;
  const sink = createLogSink(pretty ? { format: (line) => pretty(line) } : {});
  return { logger: pino({ level: options.level, name: 'eds-agent' }, sink), sink };
}
