import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { compose, findCompose } from '../support/compose.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FILES = [
  'docker-compose.yml',
  ...readdirSync(`${ROOT}test/fixtures/compose`).map((file) => `test/fixtures/compose/${file}`),
];

describe('every compose file in the repo', () => {
  it.each(FILES)('%s passes `compose config`', async (file) => {
    const command = await findCompose();
    const env = { EDS_TEST_IMAGE: 'image', EDS_TEST_CLUSTER: 'web', EDS_TEST_RUN: 'config' };
    await expect(
      compose(command, 'edsconfig', `${ROOT}${file}`, ['config', '--quiet'], env),
    ).resolves.toBeUndefined();
  });
});
