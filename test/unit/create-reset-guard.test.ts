import { describe, expect, it } from 'vitest';

import { createResetGuard } from '../../src/transports/grpc/create-reset-guard.js';

describe('the rapid-reset guard', () => {
  it('says an address is over once it resets more than its bound within the window, once first', () => {
    let now = 0;
    const guard = createResetGuard({ max: 3, windowMs: 1000, now: () => now });
    const notes = (address: string, times: number) =>
      Array.from({ length: times }, () => guard.note(address));
    expect(notes('10.0.0.5', 3).every(({ over }) => !over)).toBe(true);
    expect(notes('10.0.0.5', 2)).toEqual([
      { over: true, first: true },
      { over: true, first: false },
    ]);
    // Another address has a bound of its own.
    expect(guard.note('10.0.0.6')).toEqual({ over: false, first: false });
    // A new window starts afresh.
    now = 1001;
    expect(notes('10.0.0.5', 3).every(({ over }) => !over)).toBe(true);
  });
});
