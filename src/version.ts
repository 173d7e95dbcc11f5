import { createRequire } from 'node:module';

/** The agent's version, from package.json (one folder up from both src/ and dist/). */
export const VERSION = (createRequire(import.meta.url)('../package.json') as { version: string })
  .version;
