import { type Browser, chromium } from 'playwright-core';

/** Debian's Chromium, which `.ci/run` installs (package `chromium`). */
export const CHROMIUM = process.env.EDS_AGENT_TEST_CHROMIUM ?? '/usr/bin/chromium';

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
