import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { anyHttpRequest, FUZZ_SEED } from '../support/fuzz-inputs.js';
import { type FuzzTarget, sendRawHttp, startFuzzTarget } from '../support/fuzz-target.js';

// Seeded, so a failure replays exactly (fast-check prints the seed and the path to it).
// Each request is answered, with a status below 500, and the agent is still running after.

let target: FuzzTarget;
beforeAll(async () => {
  target = await startFuzzTarget();
});
afterAll(async () => {
  await target.stop();
});

describe('the HTTP API, fuzzed', () => {
  it(`answers each of 2,000 hostile requests below 500 (seed ${FUZZ_SEED})`, async () => {
    await fc.assert(
      fc.asyncProperty(anyHttpRequest, async (request) => {
        const status = await sendRawHttp(target.port, request);
        expect(status, `${request.method} ${request.path.slice(0, 120)}`).toBeDefined();
        expect(status).toBeLessThan(500);
      }),
      { seed: FUZZ_SEED, numRuns: 2000 },
    );
    expect(target.alive()).toBe(true);
    expect((await fetch(`http://127.0.0.1:${target.port}/healthz`)).status).toBe(200);
  }, 120_000);
});
