import { describe, expect, it } from 'vitest';

import { toBackoffDelay } from '../../src/sources/engine/to-backoff-delay.js';

const timing = { minTimeout: 250, maxTimeout: 5000 };

describe('toBackoffDelay', () => {
  it.each([
    [1, 0, 125],
    [1, 1, 250],
    [2, 0, 250],
    [3, 1, 1000],
    [5, 1, 4000],
    [6, 0, 2500],
    [6, 1, 5000],
    [40, 0.5, 3750],
  ])('after failure %i with random %f waits %i ms', (failures, random, expected) => {
    expect(toBackoffDelay(failures, timing, random)).toBe(expected);
  });

  it('never exceeds the cap and still varies at it', () => {
    const atCap = [0, 0.25, 0.5, 0.75, 0.999].map((random) => toBackoffDelay(50, timing, random));
    expect(Math.max(...atCap)).toBeLessThanOrEqual(5000);
    expect(new Set(atCap).size).toBe(5);
  });
});
