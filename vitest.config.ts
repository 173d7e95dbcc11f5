import { defineConfig } from 'vitest/config';

// One suite: unit, component and integration tests. Files run one at a time because the
// integration files share one Docker engine and the machine has two cores; the JSON report
// is what `.ci/run` summarizes. The global setup says once why Envoy scenarios are skipped,
// when they are.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    fileParallelism: false,
    testTimeout: 30_000,
    // The memory-bound tests measure what stays after a garbage collection.
    execArgv: ['--expose-gc'],
    hookTimeout: 120_000,
    reporters: ['default', ['json', { outputFile: '.test-results/vitest.json' }]],
  },
});
