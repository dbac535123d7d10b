// A real React app behind the worker: examples/react-site (server-rendered
// with react-dom/server, hydrated with @tailor-edge/react's TailorBlock) as
// the origin, the built worker under `wrangler dev` with the example's
// catalog, headless Chromium as a visitor from Germany (the dev override
// header standing in for request.cf.country). After hydration the hero is
// still the visitor's variant with no hydration error in the console; a
// client-side navigation (the app's <Link>, no page load) fills the pricing
// page's block from /__tailor/fragments. With the reporter
// (/__tailor/events.js) on the page, the blocks that stayed on screen are
// confirmed: the sink gets a `seen` event for the hero and for the block the
// navigation filled (the visitor's consent granted by the worker's default,
// so the edge keeps an id and sends events).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startWorker, kvEntries, ROOT } from './harness.mjs';
import { startSink } from '../../scripts/loop-demo.mjs';

const COUNTRY = { 'x-tailor-dev-cf-country': 'DE' };
const STATE_KEY = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8';
let origin, sink, worker, browser;

/** examples/react-site/server.mjs on a free port. */
async function startOrigin() {
  const child = spawn(process.execPath, [join(ROOT, 'examples/react-site/server.mjs'), '--port', '0'], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const port = await new Promise((ok, fail) => {
    child.stdout.on('data', (d) => {
      log += d;
      const match = /listening (\d+)/.exec(log);
      if (match) ok(Number(match[1]));
    });
    child.stderr.on('data', (d) => { log += d; });
    child.on('exit', (code) => fail(new Error(`react-site exited (${code}):\n${log}`)));
  });
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') };
}

before(async () => {
  origin = await startOrigin();
  sink = await startSink();
  worker = await startWorker('react-site', {
    entries: kvEntries('examples/react-site/catalog.json'),
    vars: {
      ORIGIN_URL: origin.url,
      TAILOR_SITE: 'react-site',
      TAILOR_DEV_OVERRIDES: 'on',
      TAILOR_CONSENT_DEFAULT: 'granted',
      TAILOR_STATE_KEY: STATE_KEY,
      TAILOR_EVENTS_URL: sink.url,
    },
  });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}, { timeout: 180_000 });
after(async () => {
  await browser?.close();
  worker?.stop();
  origin?.stop();
  await sink?.stop();
});

/** A page for a visitor from Germany that records console errors, page errors and fragment requests. */
async function visitor() {
  const context = await browser.newContext({ extraHTTPHeaders: COUNTRY });
  const page = await context.newPage();
  page.problems = [];
  page.fragments = [];
  page.on('console', (m) => { if (m.type() === 'error') page.problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => page.problems.push(`pageerror: ${e.message}`));
  page.on('request', (r) => { if (r.url().includes('/__tailor/fragments')) page.fragments.push(r.url()); });
  // Before any script of the page: keep the hero element the edge sent and record React's changes inside it.
  await page.addInitScript(() => {
    addEventListener('DOMContentLoaded', () => {
      const hero = document.querySelector('tailor-block[name=hero]');
      window.__edgeHero = hero;
      window.__heroMutations = [];
      if (hero) {
        new MutationObserver((records) => window.__heroMutations.push(...records.map((r) => r.type)))
          .observe(hero, { subtree: true, childList: true, attributes: true, characterData: true });
      }
    });
  });
  return { context, page };
}

/** Waits until the sink has an event matching `fields`, and returns it. */
async function sunk(fields, timeoutMs = 10_000) {
  const matches = (e) => Object.entries(fields).every(([k, v]) => e[k] === v);
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline;) {
    const found = sink.events().find(matches);
    if (found) return found;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  assert.fail(`no event ${JSON.stringify(fields)} in ${JSON.stringify(sink.events(), null, 1)}`);
}

const variantIn = (page, block) => page.locator(`tailor-block[name="${block}"] [data-variant]`).getAttribute('data-variant');

test('the edge personalizes the server-rendered page: Germany gets its hero, others the default', { timeout: 30_000 }, async () => {
  const germany = await (await fetch(`${worker.url}/`, { headers: COUNTRY })).text();
  assert.match(germany, /<tailor-block name="hero"><section class="hero" data-variant="germany">/);
  const elsewhere = await (await fetch(`${worker.url}/`, { headers: { 'x-tailor-dev-cf-country': 'FR' } })).text();
  assert.match(elsewhere, /<tailor-block name="hero"><section class="hero" data-variant="default">/);
});

test('after hydration the hero is still the visitor\'s variant, untouched, with no hydration error', { timeout: 60_000 }, async () => {
  const { context, page } = await visitor();
  await page.goto(`${worker.url}/`);
  await page.waitForSelector('html[data-hydrated]');
  await page.waitForTimeout(500); // React's post-hydration re-render, and anything it would log
  assert.equal(await variantIn(page, 'hero'), 'germany');
  assert.equal(await page.evaluate(() => document.querySelector('tailor-block[name=hero]') === window.__edgeHero), true,
    'the element the edge sent is the one on screen');
  assert.deepEqual(await page.evaluate(() => window.__heroMutations), [], 'React changed nothing in the hero (no flash)');
  assert.deepEqual(page.problems, [], 'no hydration error, no page error');
  assert.deepEqual(page.fragments, [], 'hydration asks nothing');
  const seen = await sunk({ kind: 'seen', block: 'hero', path: '/' });
  assert.equal(seen.variant, 'germany', 'the hero that stayed is confirmed seen');
  await context.close();
});

test('a client-side navigation to /pricing shows that route\'s personalized block', { timeout: 60_000 }, async () => {
  const { context, page } = await visitor();
  await page.goto(`${worker.url}/`);
  await page.waitForSelector('html[data-hydrated]');
  await page.evaluate(() => { window.__samePage = true; });
  await page.click('#to-pricing');
  await page.waitForURL(`${worker.url}/pricing`);
  await page.waitForSelector('tailor-block[name="plan-cta"]:not([data-tailor-pending]) [data-variant]');
  assert.equal(await page.evaluate(() => window.__samePage), true, 'no page load: the app navigated');
  assert.equal(await variantIn(page, 'plan-cta'), 'germany');
  assert.match(await page.locator('tailor-block[name="plan-cta"] a').textContent(), /Berlin/);
  assert.equal(page.fragments.length, 1, 'one request');
  const asked = new URL(page.fragments[0]);
  assert.equal(asked.searchParams.get('path'), '/pricing');
  assert.deepEqual(asked.searchParams.getAll('block'), ['plan-cta']);
  const exposure = await sunk({ kind: 'exposure', block: 'plan-cta', path: '/pricing' });
  assert.equal(exposure.channel, 'fragment');
  assert.equal(exposure.variant, 'germany');
  const seen = await sunk({ kind: 'seen', block: 'plan-cta', path: '/pricing' });
  assert.equal(seen.variant, 'germany', 'the filled block is confirmed seen');
  // The rest of the route is React's as usual.
  await page.click('#billing');
  assert.equal(await page.textContent('#price'), '$490 / year');
  // And back home by the nav: the hero is asked for and filled the same way.
  await page.click('#nav-home');
  await page.waitForSelector('tailor-block[name=hero]:not([data-tailor-pending]) [data-variant="germany"]');
  assert.equal(page.fragments.length, 2);
  assert.deepEqual(page.problems, []);
  await context.close();
});
