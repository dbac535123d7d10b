// The review queue end to end: the demo catalog with its spotlight block
// needing approval (and a word limit), the page and control workers in one
// `wrangler dev`, the demo generator on 127.0.0.1. One segment's 100
// requests make one generator call and one pending write; `tailor review
// approve` (the CLI) makes the draft live for that segment; a draft over the
// word limit is never served and is listed with its rule; the preview's
// review panel in Debian's chromium lists drafts, shows one in the page, rejects and approves.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startWorker, kvEntries, kvKeys, tailor, ROOT } from './harness.mjs';
import { COOKIE, PROFILE_KEYS, mint, startDemoOrigin, variantOf } from './demo.mjs';
import { startGenerator } from '../../scripts/demo-generator.mjs';

const SECRET = 'e2e-review-push-secret-0123456789abcdefghij';
const PREVIEW_KEY = 'ZTJlLXByZXZpZXcta2V5LWZvci10ZXN0cy1vbmx5LTMyYnl0ZXM';
const ARTIFACTS = join(ROOT, 'test-results');
let origin, generator, worker, browser;

async function setUp() {
  origin = await startDemoOrigin();
  generator = await startGenerator();
  worker = await startWorker('review', {
    entries: kvEntries('catalog/demo.json', {
      edit: (catalog) => {
        catalog.blocks.spotlight.generate = { unmatched: true, approval: true, guardrails: { max_words: 60 } };
      },
    }),
    vars: {
      ORIGIN_URL: origin.url,
      TAILOR_SITE: 'demo',
      TAILOR_BUDGET_MS: '2000',
      TAILOR_CATALOG_REFRESH_MS: '0',
      TAILOR_PROFILE_KEYS: PROFILE_KEYS,
      TAILOR_GENERATOR_URL: generator.url,
      TAILOR_GENERATOR_TIMEOUT_MS: '5000',
      TAILOR_PREVIEW: 'on',
      TAILOR_PREVIEW_KEY: PREVIEW_KEY,
      TAILOR_PREVIEW_STYLESHEETS: '/assets/site.css',
    },
    control: { vars: { TAILOR_SITE: 'demo', TAILOR_PUBLISH_SECRETS: SECRET } },
    logLevel: 'log',
  });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  mkdirSync(ARTIFACTS, { recursive: true });
}
before(setUp, { timeout: 240_000 });
after(async () => { await browser?.close(); worker?.stop(); await origin?.stop(); await generator?.stop(); });

/** A visitor whose segment no spotlight variant fits. */
const visitor = (industry) => ({ cookie: `${COOKIE}=${mint({ ind: industry, role: 'founder', size: 'mid' })}` });

async function page(headers) {
  const res = await fetch(`${worker.url}/`, { headers: { 'accept-encoding': 'identity', ...headers } });
  return { res, html: await res.text(), timing: res.headers.get('server-timing') ?? '' };
}

const review = (...args) =>
  tailor('review', ...args, '--to', worker.url, { env: { ...process.env, TAILOR_PUBLISH_SECRETS: SECRET } }).toString('utf8');
const drafts = () => JSON.parse(review('list', '--json')).drafts;
const draftFor = (industry) => drafts().find((d) => d.segment.industry === industry);
const generatedWrites = () => (worker.log().match(/POST \/__tailor\/generated/g) ?? []).length;
const callsFor = (industry) => generator.calls().filter((c) => c.segment?.industry === industry).length;

async function until(check, what) {
  for (let i = 0; i < 100; i += 1) {
    if (await check()) return;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('one segment missing on an approval block: 100 requests make one generator call and one pending write, and never serve the draft', { timeout: 120_000 }, async () => {
  generator.control({ delayMs: 0, mode: 'ok' });
  const who = visitor('retail');
  for (let round = 0; round < 10; round += 1) {
    const pages = await Promise.all(Array.from({ length: 10 }, () => page(who)));
    for (const p of pages) {
      assert.equal(p.res.status, 200);
      assert.equal(variantOf(p.html, 'spotlight'), 'default', 'the draft is never served');
      assert.doesNotMatch(p.html, /Written for Retail Founder/i);
    }
  }
  await until(() => generatedWrites() >= 1, 'the control worker to keep the draft');
  assert.equal(callsFor('retail'), 1, 'one generator call');
  assert.equal(generatedWrites(), 1, 'one pending write by the control worker');
  const pending = (await kvKeys(worker)).filter((k) => k.startsWith('tailor/demo/pending/spotlight/'));
  assert.equal(pending.length, 1, pending.join('\n'));
  const last = await page(who);
  assert.match(last.timing, /spotlight:generator-pending-approval/);
});

test('`tailor review approve` makes the draft live for that segment only', { timeout: 60_000 }, async () => {
  const draft = draftFor('retail');
  assert.ok(draft, 'listed');
  assert.equal(draft.status, 'pending');
  assert.deepEqual(draft.segment, { industry: 'retail', role: 'founder', company_size: 'mid' });
  assert.match(draft.html, /Written for Retail Founder/i);
  assert.match(review('list'), new RegExp(`${draft.id}\\s+pending\\s+spotlight`));
  const out = review('approve', draft.id);
  assert.match(out, /approved .* variant `approved-[0-9a-f]{8}`/);
  const served = await page(visitor('retail'));
  assert.match(served.html, /Written for Retail Founder/i);
  assert.match(served.timing, /spotlight/);
  assert.equal(callsFor('retail'), 1, 'no new call for the approved segment');
  assert.equal(draftFor('retail'), undefined, 'the draft left the queue');
  // Another segment still gets the default (and its own draft, pending).
  const other = await page(visitor('logistics'));
  assert.equal(variantOf(other.html, 'spotlight'), 'default');
});

test('a draft over the word limit is never served and is listed with the rule it broke', { timeout: 60_000 }, async () => {
  generator.control({ delayMs: 0, mode: 'long' });
  const who = visitor('healthcare');
  for (let i = 0; i < 20; i += 1) {
    const p = await page(who);
    assert.equal(variantOf(p.html, 'spotlight'), 'default');
    assert.doesNotMatch(p.html, /more words about this segment/);
    if (i > 0) assert.match(p.timing, /spotlight:guardrail:max_words/);
  }
  assert.equal(callsFor('healthcare'), 1);
  await until(() => draftFor('healthcare'), 'the refused draft to be recorded');
  const draft = draftFor('healthcare');
  assert.equal(draft.status, 'refused');
  assert.equal(draft.rule, 'max_words');
  assert.match(review('list'), /refused\s+spotlight\s+\[.*industry=healthcare.*\]\s+broke max_words/);
  assert.throws(() => review('approve', draft.id), /max_words/);
  generator.control({ mode: 'ok' });
});

test('the review panel in the preview lists drafts beside the live variant and in the page; reject and approve work from it', { timeout: 120_000 }, async () => {
  generator.control({ delayMs: 0, mode: 'ok' });
  for (const industry of ['energy', 'media']) await page(visitor(industry));
  await until(() => draftFor('energy') && draftFor('media'), 'two pending drafts');
  const tab = await browser.newPage({ viewport: { width: 1440, height: 2200 } });
  tab.on('dialog', (dialog) => dialog.accept('off-brand for energy'));
  await tab.goto(`${worker.url}/__tailor/preview`);
  await tab.waitForSelector('body[data-ready="true"]');
  const card = (industry) => tab.locator('.draft', { hasText: `industry=${industry}` });
  await card('energy').waitFor();
  assert.equal(await card('energy').locator('.live iframe').count(), 1, 'the live variant');
  assert.equal(await card('energy').locator('.candidate iframe').count(), 1, 'the draft');
  assert.match(await card('healthcare').locator('.facts').textContent(), /max_words/);
  assert.equal(await card('healthcare').locator('button[name="approve"]').count(), 0, 'a refused draft cannot be approved');
  // "In the page": the preview's page with the draft in its block, the rest as the preview visitor gets it.
  await card('media').locator('button[name="in-page"]').click();
  const inPage = card('media').frameLocator('.in-page iframe');
  assert.match(await inPage.locator('tailor-block[name="spotlight"]').innerText(), /Written for Media Founder/i);
  assert.ok(await inPage.locator('tailor-block[name="hero"]').count() > 0, 'the rest of the page is there');
  // The panel alone, in view: Chromium paints no frame outside the viewport.
  await tab.locator('#review').scrollIntoViewIfNeeded();
  await tab.waitForTimeout(500);
  await tab.locator('#review').screenshot({ path: join(ARTIFACTS, 'review.png') });

  await card('energy').locator('button[name="reject"]').click();
  await tab.waitForSelector('#review-status:has-text("Rejected")');
  await card('energy').waitFor({ state: 'detached' });
  const rejected = (await kvKeys(worker)).filter((k) => k.startsWith('tailor/demo/rejected/spotlight/'));
  assert.equal(rejected.length, 1);

  await card('media').locator('button[name="approve"]').click();
  await tab.waitForSelector('#review-status:has-text("Approved")');
  const served = await page(visitor('media'));
  assert.match(served.html, /Written for Media Founder/i);
  await tab.close();

  // A cross-site form post to the panel is refused.
  const forged = await fetch(`${worker.url}/__tailor/preview/review`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'cross-site' },
    body: `action=approve&id=${encodeURIComponent(draftFor('healthcare').id)}`,
  });
  assert.equal(forged.status, 403);
});
