import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

import { freeLoopbackPort } from './free-port.js';

/** Compose files moved to free host ports; see {@link withFreeHostPorts}. */
export interface MovedComposeFiles {
  /** The copies, in the order given. */
  readonly files: readonly string[];
  /** The host port used for a port the files name (the first of a range for its first). */
  port(named: number): number;
}

/** Whether `port` can be listened on at 127.0.0.1 right now. */
async function isFree(port: number): Promise<boolean> {
  const server = createServer();
  const free = await new Promise<boolean>((resolve) => {
    server.once('listening', () => {
      resolve(true);
    });
    server.once('error', () => {
      resolve(false);
    });
    server.listen(port, '127.0.0.1');
  });
  if (free) await new Promise((resolve) => server.close(resolve));
  return free;
}

/** The first of `count` free loopback ports in a row. */
async function freePorts(count: number): Promise<number> {
  for (;;) {
    const first = await freeLoopbackPort();
    const rest = await Promise.all(
      Array.from({ length: count - 1 }, (_, i) => isFree(first + 1 + i)),
    );
    if (rest.every(Boolean)) return first;
  }
}

/**
 * Copies of the compose `files` in a temporary folder, identical but for the host ports they
 * publish on 127.0.0.1 (`'127.0.0.1:10000:10000'`, `'127.0.0.1:8080-8081:8080'`), each moved to
 * free ones, the same port to the same one in every file. So a stack runs beside whatever
 * holds the files' own ports (the quick start left up, say). Run the copies with the
 * originals' folder as `--project-directory`, so their relative paths mean what they meant.
 */
export async function withFreeHostPorts(files: readonly string[]): Promise<MovedComposeFiles> {
  const dir = mkdtempSync(join(tmpdir(), 'eds-agent-compose-'));
  const moved = new Map<number, number>();
  const published = /'127\.0\.0\.1:(\d+)(?:-(\d+))?:(\d+)'/g;
  const copies: string[] = [];
  for (const [index, file] of files.entries()) {
    let text = readFileSync(file, 'utf8');
    for (const match of [...text.matchAll(published)]) {
      const first = Number(match[1]);
      const last = match[2] === undefined ? first : Number(match[2]);
      if (!moved.has(first)) {
        const to = await freePorts(last - first + 1);
        for (let port = first; port <= last; port++) moved.set(port, to + port - first);
      }
      const range = match[2] === undefined ? '' : `-${moved.get(last)}`;
      text = text.replace(match[0], `'127.0.0.1:${moved.get(first)}${range}:${match[3]}'`);
    }
    const copy = join(dir, `${index}-${basename(file)}`);
    writeFileSync(copy, text);
    copies.push(copy);
  }
  return {
    files: copies,
    port: (named) => {
      const port = moved.get(named);
      if (port === undefined) throw new Error(`the compose files publish no port ${named}`);
      return port;
    },
  };
}
