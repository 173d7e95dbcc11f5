import { onTestFinished } from 'vitest';

import { type LoadOptions, type RunningLoad, startLoad } from './http-load.js';

/**
 * `startLoad` for the running test: the load stops when the test finishes, passed or failed,
 * so a failing test never leaves a loop hammering an Envoy that is gone.
 */
export function startTestLoad(url: string, options: LoadOptions = {}): RunningLoad {
  const load = startLoad(url, options);
  onTestFinished(async () => {
    await load.stop();
  });
  return load;
}
