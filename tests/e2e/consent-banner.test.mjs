// The demo as a person meets it, in a real browser (Debian's chromium via
// playwright-core) under `wrangler dev` with the demo's own consent settings
// (wrangler.toml): the banner asks first; until it is answered nothing is
// kept; "Allow both" gives the edge's id and the home page's experiment,
// kept across reloads; "Neither" keeps nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startWorker, kvEntries, ROOT } from './harness.mjs';
import { startDemoOrigin } from './demo.mjs';

const ARTIFACTS = join(ROOT, 'test-results');
let origin, worker, browser;

before(async () => {
  origin = await startDemoOrigin();
  worker = await startWorker('consent-banner', {
    entries: kvEntries('catalog/demo.json'),
    vars: {
      ORIGIN_URL: origin.url,
      TAILOR_SITE: 'demo',
      TAILOR_STATE_KEY: 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8',
      // As in wrangler.toml.
      TAILOR_CONSENT_DEFAULT: 'denied',
      TAILOR_CONSENT_COOKIE: 'site_consent',
      TAILOR_CONSENT_FORMAT: 'letters',
    },
  });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  mkdirSync(ARTIFACTS, { recursive: true });
}, { timeout: 180_000 });
after(async () => {
  await browser?.close();
  worker?.stop();
  await origin?.stop();
});

/** The proof block's variant and the decision's reason, from Server-Timing. */
async function proofOf(response) {
  const timing = (await response.allHeaders())['server-timing'] ?? '';
  return /proof:([a-z0-9-]+):([a-z]+)/.exec(timing)?.slice(1) ?? [];
}

test('the banner asks first; "Allow both" gives an id and the experiment, kept across reloads', { timeout: 90_000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const first = await page.goto(`${worker.url}/`);
  await page.locator('.consent-banner').waitFor();
  assert.deepEqual((await context.cookies()).map((c) => c.name), [], 'nothing kept before an answer');
  assert.equal((await proofOf(first))[1], 'default', 'no experiment before an answer');
  await page.screenshot({ path: join(ARTIFACTS, 'consent-banner.png') });

  const [reloaded] = await Promise.all([page.waitForNavigation(), page.click('.consent-banner button[data-choice="pa"]')]);
  const [variant, reason] = await proofOf(reloaded);
  assert.equal(reason, 'experiment');
  const names = (await context.cookies()).map((c) => c.name);
  for (const kept of ['site_consent', '__Host-tailor_id']) assert.ok(names.includes(kept), `${kept} is kept: ${names}`);
  assert.equal(await page.locator('.consent-banner').count(), 0, 'answered: no banner');
  for (let i = 0; i < 3; i += 1) {
    const again = await page.reload();
    assert.deepEqual(await proofOf(again), [variant, 'experiment'], 'the same arm');
  }
  await context.close();
});

test('"Neither" keeps nothing and shows the default experience', { timeout: 60_000 }, async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${worker.url}/`);
  const [reloaded] = await Promise.all([page.waitForNavigation(), page.click('.consent-banner button[data-choice="-"]')]);
  assert.deepEqual((await context.cookies()).map((c) => c.name), ['site_consent']);
  assert.equal((await proofOf(reloaded))[1], 'consent');
  await context.close();
});
