import { afterAll, afterEach, beforeEach } from 'vitest';

import { type EnvoyUnderTest, startEnvoy } from './envoy-process.js';

/**
 * Envoys for the tests of the enclosing `describe`: one started inside a test is stopped
 * after that test, one started in `beforeAll` after the last test. When a test fails, the log
 * of every Envoy running during it is printed.
 */
export function useEnvoys(): { start(bootstrap: unknown): Promise<EnvoyUnderTest> } {
  const suiteScoped: EnvoyUnderTest[] = [];
  let testScoped: EnvoyUnderTest[] | undefined;
  beforeEach(({ onTestFailed }) => {
    testScoped = [];
    const running = testScoped;
    onTestFailed(() => {
      for (const [i, envoy] of [...suiteScoped, ...running].entries())
        process.stderr.write(
          `\n--- log of Envoy #${i + 1} (${envoy.adminUrl}) ---\n${envoy.log()}\n` +
            `--- requests through Envoy #${i + 1} that did not go plainly ---\n${envoy.notableRequests()}\n`,
        );
    });
  });
  afterEach(async () => {
    await Promise.all((testScoped ?? []).map((envoy) => envoy.stop()));
    testScoped = undefined;
  });
  afterAll(async () => {
    await Promise.all(suiteScoped.map((envoy) => envoy.stop()));
  });
  return {
    async start(bootstrap) {
      const envoy = await startEnvoy(bootstrap);
      (testScoped ?? suiteScoped).push(envoy);
      return envoy;
    },
  };
}
