import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What one wrk run measured. */
export interface WrkResult {
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
  /** Socket errors and answers that are neither 2xx nor 3xx. */
  readonly errors: number;
}

/** Why wrk cannot run here, or undefined when it can. */
export async function wrkMissing(): Promise<string | undefined> {
  try {
    await run('wrk', ['--version']).catch((error: unknown) => {
      // wrk prints its version and exits 1.
      if (!(error as { stdout?: string }).stdout?.includes('wrk')) throw error;
    });
    return undefined;
  } catch {
    return 'wrk is not on the PATH (Debian: apt-get install wrk)';
  }
}

/**
 * POSTs `body` to `url` from `connections` keep-alive connections for `seconds`, with wrk (one
 * thread: the machine's other core is the server's). wrk is C: it can load a server harder
 * than a Node load generator on the same two cores.
 */
export async function runWrk(
  url: string,
  body: string,
  connections: number,
  seconds: number,
): Promise<WrkResult> {
  const dir = mkdtempSync(join(tmpdir(), 'eds-agent-wrk-'));
  const script = join(dir, 'post.lua');
  writeFileSync(
    script,
    [
      'wrk.method = "POST"',
      'wrk.headers["Content-Type"] = "application/json"',
      `wrk.body = ${JSON.stringify(body)}`,
    ].join('\n'),
  );
  try {
    const { stdout } = await run(
      'wrk',
      ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '-s', script, url],
      { maxBuffer: 4 * 1024 * 1024, timeout: (seconds + 30) * 1000 },
    );
    return parseWrk(stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function parseWrk(output: string): WrkResult {
  const number = (pattern: RegExp) => Number(pattern.exec(output)?.[1] ?? NaN);
  const latency = (percent: string) => {
    const match = new RegExp(`^\\s+${percent}%\\s+([\\d.]+)(us|ms|s)`, 'm').exec(output);
    const value = Number(match?.[1] ?? NaN);
    return match?.[2] === 'us' ? value / 1000 : match?.[2] === 's' ? value * 1000 : value;
  };
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(
    output,
  );
  const errors =
    (socketErrors ? socketErrors.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0) +
    (number(/Non-2xx or 3xx responses: (\d+)/) || 0);
  return {
    perSecond: number(/Requests\/sec:\s+([\d.]+)/),
    p50Ms: latency('50'),
    p99Ms: latency('99'),
    requests: number(/(\d+) requests in/),
    errors,
  };
}
