import type { Logger } from 'pino';

import type { ContainerRecord } from '../../core/container-record.js';
import type { EngineInfo } from '../../core/engine-status.js';
import type { MemberChange, SnapshotStore } from '../../snapshot-store.js';
import type { ContainerLedger } from '../engine/create-container-ledger.js';
import type { DockerClient } from '../engine/docker-client.js';
import type { DockerEvent } from '../engine/docker-json.js';
import { errorMessage } from '../engine/error-message.js';
import { createKeyedCoalescer } from './create-keyed-coalescer.js';
import { readContainers } from './read-containers.js';
import { toContainerRecordFromInspect } from './to-container-record.js';
import { toEventHint } from './to-event-hint.js';

/** What the Docker source's container bookkeeping needs from it. */
export interface ContainerSyncOptions {
  readonly client: DockerClient;
  readonly store: SnapshotStore;
  readonly ledger: ContainerLedger;
  readonly logger: Logger;
  /** A deadline for one engine call. */
  readonly deadline: () => AbortSignal;
  /** Whether a session is established: a failed re-read is then worth a warning. */
  readonly connected: () => boolean;
  /** The name it marks the store synced under after a full read. */
  readonly syncName: string;
}

/**
 * One engine's containers kept in step within sessions: events, the re-reads they ask for,
 * and full reads. A re-read is applied only if no event settled its container and no new
 * session began meanwhile; a full read skips what was re-read while it ran.
 */
export interface ContainerSync {
  /** A session begins: re-reads of the last one are stale, and so are its stop signals. */
  newSession(): void;
  /** Takes one event of the session's stream. */
  onEvent(event: DockerEvent): void;
  /** Reads every container once and applies what was not re-read meanwhile. */
  fullSync(engine: EngineInfo): Promise<void>;
  /** Withdraws every container and forgets it; a re-read in flight is not applied. */
  withdraw(): void;
  /** Resolves once no re-read is in flight. */
  idle(): Promise<void>;
}

export function createContainerSync(options: ContainerSyncOptions): ContainerSync {
  const { client, store, ledger, logger, deadline } = options;
  /** Containers that got their stop signal and have not died yet. */
  const stopping = new Set<string>();
  /** Bumped when an event settles a container, so a re-read begun before it is not applied. */
  const generations = new Map<string, number>();
  /** During a full sync: containers re-read since it began, whose list entry is then stale. */
  let touchedDuringSync: Set<string> | undefined;
  /** Bumped per session, so a re-read that started in an older session is not applied. */
  let session = 0;

  /** Applies one container's new record, forgetting its stop mark once it is no longer watched. */
  const apply = (id: string, record: ContainerRecord | undefined): MemberChange => {
    const change = ledger.decide(id, record);
    if (!ledger.has(id)) stopping.delete(id);
    return change;
  };

  const reread = createKeyedCoalescer(async (id) => {
    const started = { session, generation: generations.get(id) ?? 0 };
    try {
      const inspect = await client.inspectContainer(id, deadline());
      if (started.session !== session || started.generation !== (generations.get(id) ?? 0)) return;
      const record = inspect && toContainerRecordFromInspect(inspect, stopping.has(id));
      store.applySoon([apply(id, record)]);
    } catch (error) {
      // The engine is likely going away; the next session's full sync repairs this container.
      const level = options.connected() && started.session === session ? 'warn' : 'debug';
      logger[level](
        { container: id.slice(0, 12), err: errorMessage(error) },
        'could not re-read container',
      );
    }
  });

  return {
    newSession() {
      session += 1;
      // A stop signal seen in an earlier session may be stale; events of this one set it again.
      stopping.clear();
    },
    onEvent(event) {
      const hint = toEventHint(event, ledger.watches);
      if (!hint) return;
      const id = hint.containerId;
      if (!ledger.has(id) && hint.labelled !== true) return;
      if (hint.stopping === 'set') stopping.add(id);
      if (hint.stopping === 'clear') stopping.delete(id);
      touchedDuringSync?.add(id);
      const last = ledger.lastRecord(id);
      if (hint.ended && last !== undefined) {
        generations.set(id, (generations.get(id) ?? 0) + 1);
        store.applySoon([apply(id, { ...last, state: 'not-running', stopping: false })]);
      }
      reread.schedule(id);
    },
    async fullSync(engine) {
      touchedDuringSync = new Set();
      try {
        const read = await readContainers(
          client,
          engine,
          (summary) => ledger.has(summary.Id) || ledger.watches(summary.Labels ?? {}),
          stopping,
          deadline,
        );
        const fresh = (id: string) => !touchedDuringSync?.has(id);
        const changes: MemberChange[] = [];
        for (const [id, record] of read.records) if (fresh(id)) changes.push(apply(id, record));
        for (const id of ledger.ids())
          if (!read.listed.has(id) && fresh(id)) changes.push(apply(id, undefined));
        const changed = store.apply(changes);
        store.markSynced(options.syncName);
        logger.info(
          { containers: ledger.ids().length, changedClusters: changed },
          'full sync done',
        );
      } finally {
        touchedDuringSync = undefined;
      }
    },
    withdraw() {
      session += 1; // a re-read in flight is not applied
      store.apply(ledger.ids().map((id) => apply(id, undefined)));
    },
    idle: () => reread.idle(),
  };
}
