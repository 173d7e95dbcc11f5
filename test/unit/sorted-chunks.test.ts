import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import type { Endpoint } from '../../src/core/endpoint.js';
import { compareEndpoints } from '../../src/core/index/endpoint-order.js';
import {
  editSortedChunks,
  type SortedChunks,
  toSortedChunks,
} from '../../src/core/index/sorted-chunks.js';
import { anEndpoint } from '../support/records.js';

// A group of many endpoints is kept in chunks, so that a change copies only what it touches.
// Whatever is added and taken back, the chunks must hold exactly the endpoints present, in
// sort order, each chunk neither empty nor larger than 512.

const pool = Array.from({ length: 3000 }, (_, i) =>
  anEndpoint({ address: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, port: 80 + (i % 3) }),
);

function check(chunks: SortedChunks, present: readonly Endpoint[]): void {
  expect(chunks.flat()).toEqual([...present].sort(compareEndpoints));
  for (const chunk of chunks) {
    expect(chunk.length).toBeGreaterThan(0);
    expect(chunk.length).toBeLessThanOrEqual(512);
  }
}

describe('sorted chunks', () => {
  it('hold what is present, in order, after any adds and removals, small or large', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            add: fc.uniqueArray(fc.integer({ min: 0, max: pool.length - 1 }), { maxLength: 900 }),
            removeEvery: fc.integer({ min: 1, max: 7 }),
          }),
          { minLength: 1, maxLength: 8 },
        ),
        (batches) => {
          let chunks: SortedChunks = [];
          let present: Endpoint[] = [];
          for (const { add, removeEvery } of batches) {
            const removed = new Set(present.filter((_, i) => i % removeEvery === 0));
            const added = add.map((i) => pool[i] as Endpoint).filter((e) => !present.includes(e));
            chunks = editSortedChunks(chunks, removed, added);
            present = [...present.filter((e) => !removed.has(e)), ...added];
            check(chunks, present);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('copy only the chunks a change touches, and share the others', () => {
    const before = toSortedChunks([...pool].sort(compareEndpoints));
    const after = editSortedChunks(before, new Set([pool[0] as Endpoint]), []);
    expect(after.filter((chunk, i) => chunk === before[i]).length).toBe(before.length - 1);
    expect(before.flat()).toHaveLength(pool.length); // what was given never changes
  });

  it('return the very same chunks for a change of nothing', () => {
    const chunks = toSortedChunks([...pool].sort(compareEndpoints));
    expect(editSortedChunks(chunks, new Set([anEndpoint({ address: '10.99.0.1' })]), [])).toEqual(
      chunks,
    );
    expect(editSortedChunks(chunks, new Set(), [])).toBe(chunks);
  });
});
