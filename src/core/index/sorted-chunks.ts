import type { Endpoint } from '../endpoint.js';
import { compareEndpoints, lowerBound, upperBound } from './endpoint-order.js';

/**
 * Endpoints in sort order, kept in chunks: every endpoint of a chunk sorts before those of the
 * next. A change copies the chunks it touches and the list of chunks, not every endpoint, so
 * editing a group of 50,000 costs a few hundred copied pointers. Immutable: edits return new
 * chunks and share the untouched ones (which lets encoders keep what they built of them).
 */
export type SortedChunks = readonly (readonly Endpoint[])[];

/** Chunks hold up to twice this many endpoints; a larger one is split in two. */
const CHUNK = 256;

/** `sorted` (already in sort order) as chunks. */
export function toSortedChunks(sorted: readonly Endpoint[]): SortedChunks {
  const chunks: Endpoint[][] = [];
  for (let from = 0; from < sorted.length; from += CHUNK)
    chunks.push(sorted.slice(from, from + CHUNK));
  return chunks;
}

/** The endpoints of `chunks` without `removed` (those present) and with `added`, as new chunks. */
export function editSortedChunks(
  chunks: SortedChunks,
  removed: ReadonlySet<Endpoint>,
  added: readonly Endpoint[],
): SortedChunks {
  let spine: Endpoint[][] = chunks as Endpoint[][];
  const copied = new Set<Endpoint[]>();
  /** The chunk at `index`, copied once so that it may be edited. */
  const editable = (index: number): Endpoint[] => {
    const chunk = spine[index] as Endpoint[];
    if (copied.has(chunk)) return chunk;
    if (spine === chunks) spine = chunks.slice() as Endpoint[][];
    const copy = chunk.slice();
    spine[index] = copy;
    copied.add(copy);
    return copy;
  };
  for (const endpoint of removed) {
    const chunk = editable(chunkFor(spine, endpoint));
    let at = lowerBound(chunk, endpoint);
    while (at < chunk.length && chunk[at] !== endpoint) at += 1; // among equals, that very one
    if (at < chunk.length) chunk.splice(at, 1);
    // An empty chunk would have no last endpoint to search by.
    if (chunk.length === 0) spine = spine.filter((other) => other.length > 0);
  }
  for (const endpoint of [...added].sort(compareEndpoints)) {
    if (spine.length === 0) {
      const chunk: Endpoint[] = [];
      spine = [chunk];
      copied.add(chunk);
    }
    const chunk = editable(chunkFor(spine, endpoint));
    chunk.splice(upperBound(chunk, endpoint), 0, endpoint);
  }
  if (spine === chunks) return chunks;
  return spine.flatMap((chunk) =>
    chunk.length > 2 * CHUNK ? toSortedChunks(chunk) : chunk.length > 0 ? [chunk] : [],
  );
}

/** The chunk `endpoint` belongs in: the first whose last endpoint does not sort before it. */
function chunkFor(spine: readonly (readonly Endpoint[])[], endpoint: Endpoint): number {
  let low = 0;
  let high = spine.length - 1;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const chunk = spine[middle] as readonly Endpoint[];
    const last = chunk[chunk.length - 1];
    if (last !== undefined && compareEndpoints(last, endpoint) < 0) low = middle + 1;
    else high = middle;
  }
  return low;
}
