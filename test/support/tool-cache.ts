import { join } from 'node:path';

import { REPO_ROOT } from './repo-files.js';

/**
 * Where the tests keep what they fetched for themselves (a busybox, an Envoy), so the next
 * run finds it: inside node_modules, which git ignores and `rm -rf node_modules` clears.
 */
export const TOOL_CACHE = join(REPO_ROOT, 'node_modules', '.cache', 'eds-agent-tests');
