import { accessSync, constants } from 'node:fs';

import { type Browser, chromium } from 'playwright-core';

/** Debian's Chromium, which `.ci/run` installs (package `chromium`). */
const CHROMIUM = process.env.EDS_AGENT_TEST_CHROMIUM ?? '/usr/bin/chromium';

/** Whether the browser scenarios run: always under CI=true (a missing browser fails them), else where Chromium is. */
export const BROWSER_SCENARIOS_RUN = process.env.CI === 'true' || isExecutable(CHROMIUM);

/**
 * Starts headless Chromium through playwright-core. Without a sandbox (the tests run as
 * root), and without the background requests a closed network would refuse.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
