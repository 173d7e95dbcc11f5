import type { write as fsWrite } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { createLogSink } from '../../src/create-log-sink.js';

/** A file descriptor whose writes the test answers: with an error, or by accepting bytes. */
function aPipe() {
  const pending: {
    data: string;
    done: (error: NodeJS.ErrnoException | null, n: number) => void;
  }[] = [];
  const written: string[] = [];
  const writeFd = ((
    _fd: number,
    buffer: Buffer,
    offset: number,
    length: number,
    _position: null,
    done: (error: NodeJS.ErrnoException | null, n: number) => void,
  ) => {
    pending.push({ data: buffer.subarray(offset, offset + length).toString(), done });
  }) as unknown as typeof fsWrite;
  const fail = (code: string) => Object.assign(new Error(code), { code });
  return {
    writeFd,
    written,
    /** Writes in flight. */
    get inFlight() {
      return pending.length;
    },
    /** The reader takes `n` bytes of the write in flight (all by default). */
    accept(n?: number) {
      const write = pending.shift();
      if (!write) throw new Error('no write in flight');
      const taken = n ?? write.data.length;
      written.push(write.data.slice(0, taken));
      write.done(null, taken);
    },
    refuse(code: 'EAGAIN' | 'EPIPE') {
      pending.shift()?.done(fail(code), 0);
    },
  };
}

const line = (msg: string) => `${JSON.stringify({ msg })}\n`;

describe('the log sink', () => {
  it('writes one line at a time, then everything queued meanwhile in one write', () => {
    const pipe = aPipe();
    const sink = createLogSink({ writeFd: pipe.writeFd });
    sink.write(line('a'));
    sink.write(line('b'));
    sink.write(line('c'));
    expect(pipe.inFlight).toBe(1);
    pipe.accept();
    pipe.accept();
    expect(pipe.written).toEqual([line('a'), line('b') + line('c')]);
  });

  it('writes the rest of a partial write first', () => {
    const pipe = aPipe();
    const sink = createLogSink({ writeFd: pipe.writeFd });
    sink.write(line('hello'));
    pipe.accept(5);
    pipe.accept();
    expect(pipe.written.join('')).toBe(line('hello'));
  });

  it('tries a full pipe (EAGAIN) again, and loses nothing', async () => {
    const pipe = aPipe();
    const sink = createLogSink({ writeFd: pipe.writeFd, retryMs: 1 });
    sink.write(line('a'));
    pipe.refuse('EAGAIN');
    await new Promise((resolve) => setTimeout(resolve, 20));
    pipe.accept();
    expect(pipe.written).toEqual([line('a')]);
  });

  it('stops writing for good once the reader is gone (EPIPE), and flushes at once', async () => {
    const pipe = aPipe();
    const sink = createLogSink({ writeFd: pipe.writeFd });
    sink.write(line('a'));
    pipe.refuse('EPIPE');
    sink.write(line('b'));
    expect(pipe.inFlight).toBe(0);
    const started = Date.now();
    await sink.flush(5000);
    expect(Date.now() - started).toBeLessThan(100);
  });

  it('holds at most maxQueuedBytes while the reader is behind, and says how many lines it dropped', () => {
    const pipe = aPipe();
    const sink = createLogSink({ writeFd: pipe.writeFd, maxQueuedBytes: 40 });
    sink.write(line('in flight'));
    for (let i = 0; i < 10; i++) sink.write(line(`queued ${i}`)); // 17 bytes each: two fit
    pipe.accept();
    pipe.accept();
    sink.write(line('after'));
    pipe.accept();
    expect(pipe.written.slice(1)).toEqual([
      line('queued 0') + line('queued 1'),
      expect.stringMatching(/"msg":"8 log lines dropped: the reader of the output fell behind"/),
    ]);
    expect(pipe.written[2]).toContain(line('after'));
  });

  it('gives up waiting for a stuck reader after the flush timeout', async () => {
    const pipe = aPipe();
    const sink = createLogSink({ writeFd: pipe.writeFd });
    sink.write(line('never read'));
    const started = Date.now();
    await sink.flush(100);
    expect(Date.now() - started).toBeGreaterThanOrEqual(95);
    expect(pipe.written).toEqual([]);
  });

  it('formats each line on its way out (pretty logs)', () => {
    const pipe = aPipe();
    const sink = createLogSink({ writeFd: pipe.writeFd, format: (text) => `> ${text}` });
    sink.write(line('quiet'));
    pipe.accept();
    expect(pipe.written).toEqual([`> ${line('quiet')}`]);
  });
});
