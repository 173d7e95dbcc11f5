import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import lockfile from 'proper-lockfile';

/** The lock agents sharing the folder take to issue, by default (a folder `<name>.lock`, as proper-lockfile makes it). */
const ISSUING_LOCK = 'issuing';
/** A lock not refreshed for this long is taken over: its holder died. */
const LOCK_STALE_MS = 20_000;

/**
 * The certificate store's folder (`--tls-store`): small text files, each written whole or
 * not at all (a temporary file, fsynced, renamed over the old one, then the folder fsynced),
 * readable by the agent's user alone (0600).
 */
export interface CertificateFolder {
  readonly path: string;
  /** The file's text, or undefined when there is none. */
  read(name: string): Promise<string | undefined>;
  write(name: string, text: string): Promise<void>;
  /**
   * Runs `work` holding the folder's lock `name`, so that of several agents sharing the folder
   * one issues at a time (and the others, after it, read what it wrote). Waits for the lock as
   * long as its holder keeps it fresh; takes it over once stale (the holder died). Not
   * reentrant: work under one lock takes another by another name (an ACME account's, say).
   */
  withLock<T>(work: () => Promise<T>, name?: string): Promise<T>;
}

/** The folder at `path`, made (0700) when missing. */
export async function openCertificateFolder(path: string): Promise<CertificateFolder> {
  await mkdir(path, { recursive: true, mode: 0o700 });
  return {
    path,
    async read(name) {
      try {
        return await readFile(join(path, name), 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
    async withLock(work, name = ISSUING_LOCK) {
      // proper-lockfile knows a lock by the file it guards: one name, one (virtual) file.
      const release = await lockfile.lock(join(path, name), {
        realpath: false,
        lockfilePath: join(path, `${name}.lock`),
        stale: LOCK_STALE_MS,
        retries: { retries: 1000, minTimeout: 20, maxTimeout: 200 },
      });
      try {
        return await work();
      } finally {
        await release();
      }
    },
    async write(name, text) {
      const target = join(path, name);
      await mkdir(dirname(target), { recursive: true, mode: 0o700 });
      const temporary = `${target}.${process.pid}.tmp`;
      const file = await open(temporary, 'w', 0o600);
      try {
        await file.writeFile(text, 'utf8');
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(temporary, target);
      const folder = await open(dirname(target), 'r');
      try {
        await folder.sync();
      } finally {
        await folder.close();
      }
    },
  };
}
