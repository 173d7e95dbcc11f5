import { ENVOY_MISSING_MESSAGE, ENVOY_SCENARIOS_RUN } from './envoy-binary.js';

/** Runs once per `vitest run`: says, once, why the Envoy scenarios are skipped when they are. */
export default function setup(): void {
  if (!ENVOY_SCENARIOS_RUN) process.stderr.write(`\n${ENVOY_MISSING_MESSAGE}\n\n`);
}
