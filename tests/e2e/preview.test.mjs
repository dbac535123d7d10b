// The preview UI in a real browser (Debian's chromium, driven by
// playwright-core), the decision API, and the visitors' "why" page with its
// opt-out, against the demo under `wrangler dev`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startWorker, kvEntries, ROOT } from './harness.mjs';
import { startDemoOrigin } from './demo.mjs';

const PREVIEW_KEY = 'ZTJlLXByZXZpZXcta2V5LWZvci10ZXN0cy1vbmx5LTMyYnl0ZXM';
const ARTIFACTS = join(ROOT, 'test-results');
let origin, worker, production, browser;

async function setUp() {
  origin = await startDemoOrigin();
  const vars = {
    ORIGIN_URL: origin.url,
    TAILOR_SITE: 'demo',
    TAILOR_CATALOG_REFRESH_MS: '0',
    TAILOR_PREVIEW_KEY: PREVIEW_KEY,
    TAILOR_PREVIEW_STYLESHEETS: '/assets/site.css',
  };
  const entries = kvEntries('catalog/demo.json');
  [worker, production] = await Promise.all([
    startWorker('preview', { entries, vars: { ...vars, TAILOR_PREVIEW: 'on' } }),
    // Production-like: a preview key is configured, but preview is not on.
    startWorker('preview-off', { entries, vars }),
  ]);
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  mkdirSync(ARTIFACTS, { recursive: true });
}
before(setUp, { timeout: 180_000 });
after(async () => {
  await browser?.close();
  worker?.stop();
  production?.stop();
  await origin?.stop();
});

const heroVariant = (page) =>
  page.frameLocator('#site').locator('tailor-block[name="hero"] [data-variant]').first().getAttribute('data-variant');

test('the preview shows the site as a fintech CTO at an enterprise, and explains the hero', { timeout: 90_000 }, async () => {
  const page = await browser.newPage({ viewport: { width: 1440, height: 1100 } });
  await page.goto(`${worker.url}/__tailor/preview`);
  await page.waitForSelector('body[data-ready="true"]');
  assert.equal(await heroVariant(page), 'default');

  await page.selectOption('select[name="industry"]', 'fintech');
  await page.selectOption('select[name="role"]', 'cto');
  await page.selectOption('select[name="company_size"]', 'enterprise');
  await Promise.all([page.waitForURL(/\/__tailor\/preview$/), page.click('button[value="apply"]')]);
  await page.waitForSelector('body[data-ready="true"]');
  await page.frameLocator('#site').locator('tailor-block[name="hero"] [data-variant="fintech-enterprise"]').waitFor();
  assert.equal(await heroVariant(page), 'fintech-enterprise');

  const row = page.locator('#explain tr[data-block="hero"]');
  const explained = await row.innerText();
  assert.match(explained, /fintech-enterprise/);
  assert.match(explained, /rule/);
  assert.match(explained, /"industry":"fintech"/, 'the explain panel names the matching rule');
  assert.equal(await page.locator('#gallery .gallery-block').count(), 7, 'every block of the demo catalog, including the pricing page ones');
  await page.screenshot({ path: join(ARTIFACTS, 'preview.png'), fullPage: false });

  // Force another hero: the site and the explain panel follow.
  await Promise.all([
    page.waitForURL(/\/__tailor\/preview$/),
    page.locator('#force form:has(input[value="hero"]) select').selectOption('developer'),
  ]);
  await page.waitForSelector('body[data-ready="true"]');
  await page.frameLocator('#site').locator('tailor-block[name="hero"] [data-variant="developer"]').waitFor();
  assert.match(await page.locator('#explain tr[data-block="hero"]').innerText(), /forced/);
  await page.close();
});

test('preview is off where it is not switched on, and its cookies are not honoured there', { timeout: 30_000 }, async () => {
  assert.equal((await fetch(`${production.url}/__tailor/preview`)).status, 404);
  assert.equal((await fetch(`${production.url}/__tailor/preview?key=wrong`, { redirect: 'manual' })).status, 404);
  // A preview profile cookie made on the dev worker: valid signature, but preview is off here.
  const form = new URLSearchParams({ industry: 'software', role: 'engineer', consent: 'pa', action: 'apply' });
  const set = await fetch(`${worker.url}/__tailor/preview/profile`, { method: 'POST', body: form, redirect: 'manual' });
  assert.equal(set.status, 303);
  const cookie = set.headers.get('set-cookie').split(';')[0];
  const onDev = await (await fetch(`${worker.url}/__tailor/decide?path=/`, { headers: { cookie } })).json();
  assert.equal(onDev.decisions.find((d) => d.block === 'hero').variant, 'developer');
  const onProd = await (await fetch(`${production.url}/__tailor/decide?path=/`, { headers: { cookie } })).json();
  assert.equal(onProd.decisions.find((d) => d.block === 'hero').variant, 'default');
  // Presenting the key starts a preview session.
  const session = await fetch(`${production.url}/__tailor/preview?key=${PREVIEW_KEY}`, { redirect: 'manual' });
  assert.equal(session.status, 303);
  const sessionCookie = session.headers.get('set-cookie').split(';')[0];
  const page = await fetch(`${production.url}/__tailor/preview`, { headers: { cookie: sessionCookie } });
  assert.equal(page.status, 200);
});

test('the decision API returns the visitor\'s decisions with reasons', { timeout: 30_000 }, async () => {
  const res = await fetch(`${worker.url}/__tailor/decide?path=/pricing`, { headers: { 'sec-gpc': '1' } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  const data = await res.json();
  assert.equal(data.path, '/pricing');
  assert.match(data.catalog_version, /^v-[0-9a-f]{16}$/);
  assert.equal(data.profile.personalization, false);
  assert.ok(data.decisions.every((d) => d.reason.kind === 'consent'));
  assert.equal((await fetch(`${worker.url}/__tailor/nope`)).status, 404);
  assert.equal((await fetch(`${worker.url}/__tailor/decide`, { method: 'DELETE' })).status, 405);
});

test('the why page explains in plain words and its opt-out is honoured like consent off', { timeout: 30_000 }, async () => {
  const why = await fetch(`${worker.url}/__tailor/why`);
  assert.equal(why.status, 200);
  assert.match(await why.text(), /Why am I seeing this\?[\s\S]*hero/);
  const out = await fetch(`${worker.url}/__tailor/why`, { method: 'POST', body: new URLSearchParams({ choice: 'out' }), redirect: 'manual' });
  assert.equal(out.status, 303);
  const cookie = out.headers.get('set-cookie').split(';')[0];
  assert.equal(cookie, 'tailor_optout=1');
  const prefs = new URLSearchParams({ industry: 'software', role: 'engineer', consent: 'pa', action: 'apply' });
  const preview = await fetch(`${worker.url}/__tailor/preview/profile`, { method: 'POST', body: prefs, redirect: 'manual' });
  const both = `${cookie}; ${preview.headers.get('set-cookie').split(';')[0]}`;
  const page = await fetch(`${worker.url}/`, { headers: { cookie: both } });
  assert.match(page.headers.get('server-timing'), /opted-out/);
  assert.match(page.headers.get('server-timing'), /hero:default:consent/);
  assert.match(await (await fetch(`${worker.url}/__tailor/why`, { headers: { cookie } })).text(), /turned personalization off/);
});

test('without dev overrides (production) the X-Tailor-Dev-Cf headers are ignored', { timeout: 30_000 }, async () => {
  const res = await fetch(`${production.url}/__tailor/decide?path=/`, { headers: { 'x-tailor-dev-cf-asn': '64500', 'x-tailor-dev-cf-country': 'ZZ' } });
  const data = await res.json();
  assert.equal(data.profile.attributes.industry, undefined);
  assert.notEqual(data.profile.attributes.country, 'ZZ');
});
