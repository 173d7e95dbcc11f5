import { type FileHandle, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

import type { Logger } from 'pino';

import { NO_REGISTRATIONS, type Registrations } from '../../core/registrations/registered-host.js';
import { fail, ok, type Result } from '../../core/result.js';
import { parseStateFile, toSnapshotLine } from './state-file.js';

/** The registrations, kept on disk as a journal of changes (see `state-file.ts`). */
export interface StateJournal {
  /** The state with every change recorded so far, on disk or not: apply the next change to this. */
  readonly latest: Registrations;
  /** The state whose every change is on disk: what may be served and answered. */
  readonly durable: Registrations;
  /**
   * Records `lines` (the changes that turned `latest` into `next`); `next` is `latest` at once.
   * Resolves once the lines are on disk, fsynced, together with every change recorded before
   * them: changes recorded while a write is under way share the next write (group commit).
   * Rejects with a {@link StateFileWriteError} when that write fails; every change not yet on
   * disk is then dropped (their calls reject too), `latest` falls back to `durable`, and the
   * failure is logged once.
   */
  record(lines: string, next: Registrations): Promise<void>;
  /** Waits for the changes under way, then closes the file. */
  close(): Promise<void>;
}

export interface OpenedStateJournal {
  readonly journal: StateJournal;
  /** The file's last line was unfinished (a crash mid-write; never acknowledged) and was left out. */
  readonly droppedUnfinishedLine: boolean;
  /** Temporary files of an earlier run (killed mid-compaction) that were removed. */
  readonly removedTemporaryFiles: readonly string[];
}

/** Changes could not be made durable, so they were not applied. */
export class StateFileWriteError extends Error {
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    super(`cannot write ${path} (${(cause as Error).message})`, { cause });
    this.name = 'StateFileWriteError';
  }
}

export interface StateJournalOptions {
  /** Epoch ms, to drop hosts whose TTL ran out while the agent was stopped. */
  readonly now: number;
  readonly logger: Logger;
  /**
   * The file is compacted (rewritten as one snapshot line) once the changes appended since the
   * last compaction take more bytes than this and than the snapshot itself. Default 1 MiB.
   */
  readonly compactAfterBytes?: number | undefined;
}

const DEFAULT_COMPACT_AFTER_BYTES = 1024 * 1024;

/** A journal that keeps nothing on disk (every change is durable at once): no `--state-file`. */
export function createMemoryJournal(logger: Logger): StateJournal {
  return createJournal(undefined, NO_REGISTRATIONS, logger);
}

/**
 * Opens the state file at `path`: removes temporary files a killed run left, reads and checks
 * every line (a missing file is empty), and compacts it at once, which also proves the folder
 * is writable. Any problem is returned, so the agent refuses to start rather than start empty
 * or acknowledge what it cannot keep.
 */
export async function openStateJournal(
  path: string,
  options: StateJournalOptions,
): Promise<Result<OpenedStateJournal>> {
  const removed = await removeTemporaryFiles(path);
  if (!removed.ok) return removed;
  let text = '';
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      return fail([`${path}: cannot read the state file (${(error as Error).message})`]);
  }
  const parsed = parseStateFile(text, path, options.now);
  if (!parsed.ok) return parsed;
  const file = new JournalFile(path, options.compactAfterBytes ?? DEFAULT_COMPACT_AFTER_BYTES);
  try {
    await file.compact(parsed.value.registrations);
  } catch (error) {
    return fail([`${path}: cannot write the state file (${(error as Error).message})`]);
  }
  return ok({
    journal: createJournal(file, parsed.value.registrations, options.logger),
    droppedUnfinishedLine: parsed.value.droppedUnfinishedLine,
    removedTemporaryFiles: removed.value,
  });
}

interface Waiting {
  readonly lines: string;
  readonly next: Registrations;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

function createJournal(
  file: JournalFile | undefined,
  initial: Registrations,
  logger: Logger,
): StateJournal {
  let latest = initial;
  let durable = initial;
  let queue: Waiting[] = [];
  let writing: Promise<void> | undefined;

  /** Writes everything queued, one batch per write, until nothing is left. */
  async function drain(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue;
      queue = [];
      const next = batch[batch.length - 1]?.next ?? durable;
      try {
        await file?.write(batch.map((waiting) => waiting.lines).join(''), next);
        durable = next;
        for (const waiting of batch) waiting.resolve();
      } catch (cause) {
        const dropped = [...batch, ...queue];
        queue = [];
        latest = durable;
        const error = new StateFileWriteError(file?.path ?? '(memory)', cause);
        logger.error(
          { stateFile: error.path, err: error.message, changes: dropped.length },
          'could not write the state file; the changes were not applied',
        );
        for (const waiting of dropped) waiting.reject(error);
      }
    }
    writing = undefined;
  }

  return {
    get latest() {
      return latest;
    },
    get durable() {
      return durable;
    },
    record(lines, next) {
      latest = next;
      return new Promise<void>((resolve, reject) => {
        queue.push({ lines, next, resolve, reject });
        writing ??= drain();
      });
    },
    async close() {
      await writing;
      await file?.close();
    },
  };
}

/** The file itself: appends with fsync, and compacts by an atomic rename. */
class JournalFile {
  #handle: FileHandle | undefined;
  /** Bytes of the file known to be on disk, and how many of them are appended changes. */
  #size = 0;
  #appended = 0;
  #snapshotBytes = 0;
  /** Set after a failed write, whose bytes may be on disk in part: rewrite whole next time. */
  #mustCompact = false;
  #sequence = 0;

  constructor(
    readonly path: string,
    readonly compactAfterBytes: number,
  ) {}

  /** Makes `lines` durable; `state` is the state with them, written instead when compacting. */
  async write(lines: string, state: Registrations): Promise<void> {
    const bytes = Buffer.from(lines);
    if (
      this.#mustCompact ||
      this.#handle === undefined ||
      this.#appended + bytes.length > Math.max(this.compactAfterBytes, this.#snapshotBytes)
    ) {
      await this.compact(state);
      return;
    }
    try {
      await this.#handle.appendFile(bytes);
      await this.#handle.datasync();
      this.#size += bytes.length;
      this.#appended += bytes.length;
    } catch (error) {
      // Take back what may have reached the file; if even that fails, the next write compacts.
      this.#mustCompact = true;
      await this.#handle.truncate(this.#size).then(
        () => (this.#mustCompact = false),
        () => undefined,
      );
      throw error;
    }
  }

  /**
   * Replaces the file with one snapshot line, atomically and durably: a temporary file in the
   * same folder is written and fsynced, renamed over the file, and the folder fsynced.
   */
  async compact(state: Registrations): Promise<void> {
    const snapshot = Buffer.from(toSnapshotLine(state));
    this.#mustCompact = true;
    const { file, temporary } = await this.#createTemporary();
    try {
      await file.writeFile(snapshot);
      await file.sync();
    } finally {
      await file.close();
    }
    try {
      await rename(temporary, this.path);
    } catch (error) {
      await unlink(temporary).catch(() => undefined);
      throw error;
    }
    const folder = await open(dirname(this.path), 'r');
    try {
      await folder.sync();
    } finally {
      await folder.close();
    }
    await this.#handle?.close();
    this.#handle = await open(this.path, 'a');
    this.#size = snapshot.length;
    this.#snapshotBytes = snapshot.length;
    this.#appended = 0;
    this.#mustCompact = false;
  }

  async close(): Promise<void> {
    await this.#handle?.close();
    this.#handle = undefined;
  }

  /**
   * A new temporary file beside the state file, created exclusively (`wx`: never an existing
   * file, nor a symlink planted at its predictable name, which `w` would follow and truncate);
   * a name taken is skipped for the next.
   */
  async #createTemporary(): Promise<{ file: FileHandle; temporary: string }> {
    for (let attempt = 1; ; attempt++) {
      this.#sequence += 1;
      const temporary = join(
        dirname(this.path),
        `${temporaryPrefix(this.path)}${process.pid}.${this.#sequence}.tmp`,
      );
      try {
        return { file: await open(temporary, 'wx', 0o600), temporary };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= MAX_TEMPORARY_TRIES)
          throw error;
      }
    }
  }
}

/** Names tried for a compaction's temporary file before the compaction fails. */
const MAX_TEMPORARY_TRIES = 8;

/** `.<name>.`: temporary files are `.<name>.<pid>.<n>.tmp`, beside the state file. */
function temporaryPrefix(path: string): string {
  return `.${basename(path)}.`;
}

/** Removes the temporary files of earlier runs; a missing folder is a problem. */
async function removeTemporaryFiles(path: string): Promise<Result<string[]>> {
  const folder = dirname(path);
  let names: string[];
  try {
    names = await readdir(folder);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return fail([
      code === 'ENOENT'
        ? `${path}: the folder ${folder} does not exist; create it, or choose another --state-file`
        : `${path}: cannot read the folder ${folder} (${(error as Error).message})`,
    ]);
  }
  const prefix = temporaryPrefix(path);
  const leftovers = names.filter(
    (name) => name.startsWith(prefix) && /^\d+\.\d+\.tmp$/.test(name.slice(prefix.length)),
  );
  for (const name of leftovers) await unlink(join(folder, name)).catch(() => undefined);
  return ok(leftovers.map((name) => join(folder, name)));
}
