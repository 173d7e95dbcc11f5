import type { ContainerRecord } from '../../core/container-record.js';
import type { EngineInfo } from '../../core/engine-status.js';
import type { DockerClient } from '../engine/docker-client.js';
import type { DockerContainerSummary } from '../engine/docker-json.js';
import {
  toContainerRecordFromInspect,
  toContainerRecordFromSummary,
} from './to-container-record.js';

/** How many inspects a Podman full read has in flight at once. */
const INSPECTS_AT_ONCE = 8;

/** What one full read of an engine's containers found. */
export interface ContainersRead {
  /** Every container the engine listed, wanted or not. */
  readonly listed: ReadonlySet<string>;
  /** Each wanted container's record; `undefined` for one gone between the list and its inspect. */
  readonly records: readonly [id: string, record: ContainerRecord | undefined][];
}

/**
 * Lists every container once and reads the `wanted` ones from the list. Podman's list carries
 * no health, so there each wanted container is inspected instead, a few at a time. `stopping`
 * names the containers that got their stop signal; `deadline` gives each call its own.
 */
export async function readContainers(
  client: DockerClient,
  engine: EngineInfo,
  wanted: (summary: DockerContainerSummary) => boolean,
  stopping: ReadonlySet<string>,
  deadline: () => AbortSignal,
): Promise<ContainersRead> {
  const summaries = await client.listContainers(deadline());
  const listed = new Set(summaries.map((summary) => summary.Id));
  const relevant = summaries.filter(wanted);
  if (engine.product !== 'podman') {
    return {
      listed,
      records: relevant.map((summary) => [
        summary.Id,
        toContainerRecordFromSummary(summary, stopping.has(summary.Id)),
      ]),
    };
  }
  const ids = relevant.map((summary) => summary.Id);
  const records: [string, ContainerRecord | undefined][] = [];
  for (let i = 0; i < ids.length; i += INSPECTS_AT_ONCE) {
    const batch = ids.slice(i, i + INSPECTS_AT_ONCE);
    const inspects = await Promise.all(batch.map((id) => client.inspectContainer(id, deadline())));
    batch.forEach((id, j) => {
      const inspect = inspects[j];
      records.push([id, inspect && toContainerRecordFromInspect(inspect, stopping.has(id))]);
    });
  }
  return { listed, records };
}
