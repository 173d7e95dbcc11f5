import { write as fsWrite } from 'node:fs';

/** Where the logger writes: each call gets one JSON line. */
export interface LogSink {
  write(line: string): void;
  /**
   * Resolves once every line accepted so far is written, or after `timeoutMs`, or at once if
   * the output is gone; never rejects. For a shutdown that must not wait on a stuck reader.
   */
  flush(timeoutMs: number): Promise<void>;
}

export interface LogSinkOptions {
  /** File descriptor written to; 1 (stdout) by default. */
  readonly fd?: number;
  /** Turns a JSON line into what is written (pretty lines); the line as it is by default. */
  readonly format?: (line: string) => string;
  /** Most bytes held while the reader is behind; lines beyond are dropped, and counted. Default 1 MiB. */
  readonly maxQueuedBytes?: number;
  /** How long to wait before writing again into a full non-blocking pipe. Default 50 ms. */
  readonly retryMs?: number;
  /** `fs.write`, replaceable in tests. */
  readonly writeFd?: typeof fsWrite;
}

/**
 * The logger's output, built so that a slow, stuck or vanished reader of stdout (a log shipper
 * that died, a pipe nobody reads) can neither block the agent nor stop it from exiting:
 * - every write is asynchronous (libuv's thread pool), one at a time, so the event loop never
 *   waits on the pipe, even when the pipe is a blocking one;
 * - while the reader is behind, lines queue up to `maxQueuedBytes`; beyond, they are dropped,
 *   and a line saying how many goes out once the reader catches up;
 * - a full non-blocking pipe (EAGAIN) is tried again shortly; any other failure (EPIPE: the
 *   reader is gone) ends the output for good, silently: there is nowhere left to say it;
 * - there is no synchronous flush (pino's own destination loops forever on EPIPE at exit):
 *   `flush` waits a bounded time, and the process may exit with lines still queued.
 */
export function createLogSink(options: LogSinkOptions = {}): LogSink {
  const fd = options.fd ?? 1;
  const format = options.format ?? ((line: string) => line);
  const maxQueuedBytes = options.maxQueuedBytes ?? 1024 * 1024;
  const retryMs = options.retryMs ?? 50;
  const writeFd = options.writeFd ?? fsWrite;
  let queue: string[] = [];
  let queuedBytes = 0;
  /** Bytes of the write in flight that are not written yet. */
  let writing: Buffer | undefined;
  let dropped = 0;
  let gone = false;
  const idle = new Set<() => void>();

  const settle = (): void => {
    if (gone || (writing === undefined && queue.length === 0)) {
      for (const resolve of idle) resolve();
      idle.clear();
    }
  };

  const pump = (): void => {
    if (gone || writing !== undefined || queue.length === 0) return;
    writing = Buffer.from(queue.join(''), 'utf8');
    queue = [];
    queuedBytes = 0;
    send();
  };

  const send = (): void => {
    const buffer = writing;
    if (buffer === undefined) return;
    writeFd(fd, buffer, 0, buffer.length, null, (error, written) => {
      if (error) {
        if (error.code === 'EAGAIN') {
          setTimeout(send, retryMs).unref();
          return;
        }
        gone = true;
        writing = undefined;
        queue = [];
        settle();
        return;
      }
      writing = written < buffer.length ? buffer.subarray(written) : undefined;
      if (writing) send();
      else {
        pump();
        settle();
      }
    });
  };

  return {
    write(line) {
      if (gone) return;
      const text = format(line);
      const bytes = Buffer.byteLength(text);
      if (queuedBytes + bytes > maxQueuedBytes) {
        dropped += 1;
        return;
      }
      if (dropped > 0) {
        const note = format(
          `${JSON.stringify({ level: 40, time: Date.now(), msg: `${dropped} log lines dropped: the reader of the output fell behind` })}\n`,
        );
        queue.push(note);
        queuedBytes += Buffer.byteLength(note);
        dropped = 0;
      }
      queue.push(text);
      queuedBytes += bytes;
      pump();
    },
    flush(timeoutMs) {
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          idle.delete(done);
          resolve();
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          resolve();
        };
        idle.add(done);
        settle();
      });
    },
  };
}
