import type { Logger } from 'pino';

import type { ContainerRecord } from '../../core/container-record.js';
import { hasPrefixedLabels } from '../../core/labels/parse-service-labels.js';
import {
  type AddressOptions,
  type ContainerEndpoints,
  toContainerEndpoints,
} from '../../core/labels/to-container-endpoints.js';
import type { MemberChange } from '../../snapshot-store.js';

/**
 * What the Docker source last decided for each container it watches (those that exist with
 * its labels, running or not), and the one log line each change deserves.
 */
export interface ContainerLedger {
  /**
   * Decides one container's contribution from what Docker says now (`undefined`: it no longer
   * exists), logs it if it changed, and returns the store change.
   */
  decide(id: string, record: ContainerRecord | undefined): MemberChange;
  /**
   * Whether a container (or task) with these labels is the source's to watch: the one place
   * a source decides that. Labels under the prefix, and not left alone.
   */
  readonly watches: (labels: Readonly<Record<string, string>>) => boolean;
  /** The record last decided on, for a container still watched. */
  lastRecord(id: string): ContainerRecord | undefined;
  has(id: string): boolean;
  ids(): string[];
  /** Every watched container: its last record and what was decided for it, by id. */
  entries(): IterableIterator<[id: string, entry: LedgerEntry]>;
}

/** What the ledger knows of one container. */
export interface LedgerEntry {
  readonly record: ContainerRecord;
  readonly outcome: ContainerEndpoints;
}

interface Entry extends LedgerEntry {
  readonly summary: string;
  /** The problems last warned of, so a container is warned about once, not once per restart. */
  readonly warned: string | undefined;
}

/**
 * What a ledger keeps: Docker's containers, or a Swarm's tasks (logged as tasks), which the
 * core sees as containers.
 */
export type LedgerKind = 'container' | 'task';

/** What a ledger watches and how it names what it serves. */
export interface LedgerOptions {
  readonly address: AddressOptions;
  readonly logger: Logger;
  readonly kind: LedgerKind;
  /** What its members in the store start with, then the container (or task) id. */
  readonly members: string;
  /** Labelled containers that are not the source's nonetheless (Swarm tasks, for Docker's). */
  readonly leaveAlone?: (labels: Readonly<Record<string, string>>) => boolean;
}

/**
 * An empty ledger for containers (or tasks) labelled under `address.labelPrefix`, whose
 * members in the store are `<members><id>` (`docker:<engine>:<id>`: unique across sources
 * and engines). Deciding what was decided before returns the same endpoint objects, so a
 * full re-read that finds nothing new changes nothing downstream.
 */
export function createContainerLedger(options: LedgerOptions): ContainerLedger {
  const { address, logger, kind, members, leaveAlone } = options;
  const entries = new Map<string, Entry>();
  const watches = (labels: Readonly<Record<string, string>>) =>
    hasPrefixedLabels(labels, address.labelPrefix) && leaveAlone?.(labels) !== true;

  /** Logs what changed for one container: once, at the level the change deserves. */
  function logChange(
    id: string,
    record: ContainerRecord | undefined,
    outcome: ContainerEndpoints,
    previous: Entry | undefined,
  ): void {
    const fields = { [kind]: id.slice(0, 12), [`${kind}Name`]: record?.name };
    const wasServed = previous?.summary.startsWith('served') === true;
    switch (outcome.kind) {
      case 'served':
        for (const note of outcome.notes) logger[note.level](fields, note.message);
        logger.info(
          {
            ...fields,
            endpoints: outcome.endpoints.map(
              (e) =>
                `${e.cluster}=${e.address}:${e.port}${e.health === 'draining' ? ' (draining)' : ''}`,
            ),
          },
          `serving ${kind}`,
        );
        return;
      case 'invalid': {
        const problems = outcome.problems.join('; ');
        if (problems !== previous?.warned) {
          logger.warn({ ...fields, problems: outcome.problems }, `skipping ${kind}: ${problems}`);
        }
        return;
      }
      case 'withheld':
        if (wasServed || outcome.reason !== 'not running') {
          logger.info(
            { ...fields, reason: outcome.reason },
            `withholding ${kind}: ${outcome.reason}`,
          );
        }
        return;
      case 'ignored':
        if (wasServed) logger.info(fields, `${kind} removed`);
        return;
    }
  }

  return {
    decide(id, record) {
      const watched = record !== undefined && watches(record.labels);
      const decided: ContainerEndpoints = watched
        ? toContainerEndpoints(record, address)
        : { kind: 'ignored' };
      const previous = entries.get(id);
      const summary = summarize(decided);
      const unchanged = previous !== undefined && summary === previous.summary;
      if (!unchanged) logChange(id, record, decided, previous);
      const outcome = unchanged ? previous.outcome : decided;
      if (watched) {
        const warned =
          outcome.kind === 'invalid'
            ? outcome.problems.join('; ')
            : outcome.kind === 'served'
              ? undefined
              : previous?.warned;
        entries.set(id, { summary, warned, record, outcome });
      } else {
        entries.delete(id);
      }
      return [`${members}${id}`, outcome.kind === 'served' ? outcome.endpoints : []];
    },
    watches,
    lastRecord: (id) => entries.get(id)?.record,
    has: (id) => entries.has(id),
    ids: () => [...entries.keys()],
    entries: () => entries.entries(),
  };
}

function summarize(outcome: ContainerEndpoints): string {
  switch (outcome.kind) {
    case 'served':
      return `served ${JSON.stringify(outcome.endpoints)} ${JSON.stringify(outcome.notes)}`;
    case 'invalid':
      return `invalid ${outcome.problems.join('; ')}`;
    case 'withheld':
      return `withheld ${outcome.reason}`;
    case 'ignored':
      return 'ignored';
  }
}
