import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestAgent, type TestAgent } from '../support/agent-harness.js';
import { launchChromium } from '../support/browser.js';
import { DockerHarness } from '../support/docker-harness.js';
import { freeLoopbackPort } from '../support/free-port.js';
import { REPO_ROOT } from '../support/repo-files.js';
import { lacks } from '../support/test-tools.js';

// The live status page in a real browser (Debian's Chromium, driven by playwright-core),
// against the real agent following a real Docker engine: a labelled container and a broken
// one appear with their state, and the broken one's reason is shown. The screenshot is kept
// as a CI artifact.
const SCREENSHOT = join(REPO_ROOT, '.test-results', 'status-page.png');

describe.skipIf(lacks('docker', 'busybox', 'chromium'))('the live status page, in Chromium', () => {
  const docker = new DockerHarness();
  let agent: TestAgent;
  let browser: Browser;

  beforeAll(async () => {
    await docker.buildImage();
    agent = await startTestAgent([]);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser.close();
    await agent.stop();
    await docker.cleanup();
  });

  it('shows a served container and a broken one with its reason, and follows a change live', async () => {
    const served = `status-web-${docker.runId}`;
    const broken = `status-broken-${docker.runId}`;
    const later = `status-later-${docker.runId}`;
    await docker.run({
      name: served,
      labels: { 'eds.service': `web-${docker.runId}`, 'eds.port': '8000' },
    });
    await docker.run({
      name: broken,
      labels: { 'eds.service': `web-${docker.runId}`, 'eds.port': 'http' },
    });
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(`http://127.0.0.1:${agent.port}/`);

    const row = (name: string) => page.locator(`tr[data-container="${name}"]`);
    await row(served).waitFor({ timeout: 10_000 });
    expect(await row(served).getAttribute('data-state')).toBe('served');
    expect(await row(served).locator('td').nth(2).innerText()).toMatch(
      /^web-\S+ → \d+\.\d+\.\d+\.\d+:8000$/,
    );
    expect(await row(broken).getAttribute('data-state')).toBe('invalid');
    expect(await row(broken).locator('td.reason').innerText()).toBe(
      'labels["eds.port"]: expected an integer 1-65535, got "http"',
    );
    // Red at a glance: the reason of a skipped container is styled apart.
    expect(await row(broken).getAttribute('class')).toBe('skipped');

    // Live: a container started after the page was opened appears without a reload.
    await docker.run({
      name: later,
      labels: { 'eds.service': `web-${docker.runId}`, 'eds.port': '8000' },
    });
    await row(later).waitFor({ timeout: 10_000 });

    mkdirSync(join(REPO_ROOT, '.test-results'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    // No request but to the agent itself.
    expect(requests.every((url) => url.startsWith(`http://127.0.0.1:${agent.port}/`))).toBe(true);
    await page.close();
  }, 60_000);

  it('shows the front door’s certificates and how to trust the agent’s root', async () => {
    const front = await startTestAgent(['--listen', `https=127.0.0.1:${await freeLoopbackPort()}`]);
    try {
      const service = `status-tls-${docker.runId}`;
      await docker.run({
        labels: { 'eds.service': service, 'eds.port': '8000', 'eds.tls': 'true' },
      });
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await page.goto(`http://127.0.0.1:${front.port}/`);
      const row = page.locator(`tr[data-domain="${service}.localhost"]`);
      await row.waitFor({ timeout: 10_000 });
      await expect.poll(() => row.locator('td.reason').innerText()).toMatch(/^valid until /);
      expect(await row.locator('td').nth(2).innerText()).toBe('internal');
      await page.locator('#trust summary').click();
      expect(await page.locator('#trust-commands').innerText()).toContain('NODE_EXTRA_CA_CERTS');
      const root = await page.evaluate(async () => (await fetch('pki/root.pem')).text());
      expect(root).toMatch(/^-----BEGIN CERTIFICATE-----/);
      await page.close();
    } finally {
      await front.stop();
    }
  }, 60_000);
});
