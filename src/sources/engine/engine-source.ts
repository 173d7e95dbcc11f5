import type { LedgerEntry } from './create-container-ledger.js';
import type { EventStream } from './docker-client.js';
import { runSessions, type SessionLoopOptions } from './run-sessions.js';

/**
 * What every source of one engine is, whatever it reads (containers, a Swarm's tasks): it
 * keeps its part of the store in step with the engine from its first full read on, through
 * sessions that end and begin again, until stopped.
 */
export interface EngineSource<Status> {
  status(): Status;
  /** Every labelled container (or task) the source watches, with what was decided for it. */
  watched(): Iterable<[id: string, entry: LedgerEntry]>;
  /** Resolves after the first full read. */
  readonly firstSync: Promise<void>;
  /**
   * Rejects with a `DockerUnusableError` when the engine refuses the agent for good, or on a
   * programming error (the source then stops); never because the engine is down.
   */
  readonly done: Promise<void>;
  /**
   * Withdraws everything the source serves and forgets it (the engine is gone for good, as far
   * as the agent can tell); the next session's full read serves what it finds again.
   */
  withdraw(): void;
  /** Unsubscribes and waits for the session loop to end. Endpoints stay in the store. */
  stop(): Promise<void>;
}

/** The lifecycle every engine source shares: one abort, one deadline, one session loop. */
export interface SourceLifecycle {
  /** Aborted by `stop()`. */
  readonly signal: AbortSignal;
  stopped(): boolean;
  /** A deadline for one engine call, also cut by `stop()`. */
  readonly deadline: () => AbortSignal;
  /** Resolves at the first `synced()`. */
  readonly firstSync: Promise<void>;
  /** The source has read the engine in full (again); the first call resolves `firstSync`. */
  synced(): void;
  /** Whether `synced()` has been called since start. */
  isSynced(): boolean;
  /** The session's event stream, closed by `stop()`. */
  following(stream: EventStream): void;
  /** Closes the current session's event stream, which ends the session. */
  endSession(): void;
  /** Starts the session loop (once); its end, except that a stop is not an error. */
  run(sessions: Omit<SessionLoopOptions, 'signal'>): Promise<void>;
  /** Aborts, ends the session, and waits for the loop to end. */
  stop(): Promise<void>;
}

/** A lifecycle whose engine calls each get `requestTimeoutMs`. */
export function createSourceLifecycle(requestTimeoutMs: number): SourceLifecycle {
  const abort = new AbortController();
  const stopped = () => abort.signal.aborted;
  let events: EventStream | undefined;
  let done: Promise<void> = Promise.resolve();
  let hasSynced = false;
  let resolveFirstSync: () => void = () => undefined;
  const firstSync = new Promise<void>((resolve) => (resolveFirstSync = resolve));
  return {
    signal: abort.signal,
    stopped,
    deadline: () => AbortSignal.any([abort.signal, AbortSignal.timeout(requestTimeoutMs)]),
    firstSync,
    synced: () => {
      hasSynced = true;
      resolveFirstSync();
    },
    isSynced: () => hasSynced,
    following(stream) {
      events = stream;
    },
    endSession() {
      events?.close();
    },
    run(sessions) {
      done = runSessions({ ...sessions, signal: abort.signal }).catch((error: unknown) => {
        if (stopped()) return;
        throw error;
      });
      return done;
    },
    async stop() {
      abort.abort();
      events?.close();
      await done.catch(() => undefined);
    },
  };
}
