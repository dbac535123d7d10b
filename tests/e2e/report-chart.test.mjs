// The lift report's page in a real browser (Debian's chromium via
// playwright-core): `tailor stats report --html` on a generated events file
// (three variants of `offer` over five days, an experiment on `proof`), then
// the page loaded from disk: one line per variant, a legend naming each,
// the tables, nothing fetched from elsewhere. Needs `cargo build --features
// cli` first; no worker. Saves test-results/report-chart.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { tailor, ROOT } from './harness.mjs';

const ARTIFACTS = join(ROOT, 'test-results');
const WORK = join(ROOT, 'target/e2e/report-chart');
const DAY_MS = 86_400_000;
const FIRST_DAY = Math.floor(Date.UTC(2026, 10, 20) / DAY_MS);
let browser;

/** SplitMix32-ish seeded generator: the same events every run. */
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return ((z ^ (z >>> 16)) >>> 0) / 2 ** 32;
  };
}

/** NDJSON events: per day and variant, exposures and conversions at a known rate. */
function events() {
  const random = rng(23);
  const lines = [];
  let n = 0;
  const emit = (kind, block, variant, reason, day, experiment) => {
    n += 1;
    lines.push(JSON.stringify({
      kind, event_id: `ev-${n}`, ts_ms: (FIRST_DAY + day) * DAY_MS + 3_600_000, site: 'demo', catalog_version: 'v-1',
      path: '/', block, variant, reason, ...(experiment ? { experiment } : {}), id: `visitor-${n}`,
      segment: { industry: n % 2 ? 'fintech' : 'retail' },
    }));
  };
  const arms = [
    ['offer', 'control', 'holdout', 0.04, null],
    ['offer', 'bold', 'bandit', 0.12, null],
    ['offer', 'calm', 'exploration', 0.06, null],
    ['proof', 'default', 'experiment', 0.05, 'proof-social-2026'],
    ['proof', 'smb', 'experiment', 0.07, 'proof-social-2026'],
  ];
  for (let day = 0; day < 5; day += 1) {
    for (const [block, variant, reason, rate, experiment] of arms) {
      for (let i = 0; i < 400; i += 1) {
        emit('exposure', block, variant, reason, day, experiment);
        // The rate drifts a little by day so the lines are not flat.
        if (random() < rate * (0.8 + 0.1 * day)) emit('conversion', block, variant, reason, day, experiment);
      }
    }
  }
  // A retried delivery: the same ids again count once.
  return `${lines.join('\n')}\n${lines.slice(0, 100).join('\n')}\n`;
}

before(async () => {
  mkdirSync(WORK, { recursive: true });
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}, { timeout: 60_000 });
after(async () => {
  await browser?.close();
});

test('the report page draws one line per variant with a legend naming each', { timeout: 60_000 }, async () => {
  const eventsFile = join(WORK, 'events.ndjson');
  const pageFile = join(WORK, 'report.html');
  writeFileSync(eventsFile, events());
  const text = tailor('stats', 'report', eventsFile, '--catalog', 'catalog/demo.json', '--html', pageFile).toString();
  assert.match(text, /offer/);
  assert.match(text, /proof-social-2026: sample ratio/);
  const json = JSON.parse(tailor('stats', 'report', eventsFile, '--json').toString());
  assert.equal(json.exposures, 5 * 5 * 400, 'each event id counted once');

  const html = readFileSync(pageFile, 'utf8');
  assert.doesNotMatch(html, /<script|<link|src=/i, 'self-contained: no script, no external resource');

  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(pathToFileURL(pageFile).href);

  const offer = page.locator('figure.chart[data-block="offer"]');
  await offer.waitFor();
  const lines = offer.locator('svg polyline.series');
  assert.equal(await lines.count(), 3, 'one line per variant');
  const variants = await lines.evaluateAll((els) => els.map((e) => e.getAttribute('data-variant')));
  assert.deepEqual(variants.sort(), ['bold', 'calm', 'control']);
  for (const variant of variants) {
    const line = offer.locator(`svg polyline.series[data-variant="${variant}"]`);
    const points = (await line.getAttribute('points')).trim().split(/\s+/);
    assert.equal(points.length, 5, `${variant}: a point per day`);
    const box = await line.boundingBox();
    assert.ok(box && box.width > 300, `${variant}: drawn across the chart (${JSON.stringify(box)})`);
  }
  const legend = await offer.locator('.legend li').allInnerTexts();
  assert.deepEqual(legend.map((t) => t.trim()).sort(), ['bold', 'calm', 'control'], 'the legend names each line');
  const strokes = await lines.evaluateAll((els) => els.map((e) => getComputedStyle(e).stroke));
  assert.equal(new Set(strokes).size, 3, 'each line its own colour');
  const ticks = await offer.locator('svg text.tick').allTextContents();
  assert.equal(ticks[0], '2026-11-20', 'the x axis is dated');

  const proof = page.locator('figure.chart[data-block="proof"] svg polyline.series');
  assert.equal(await proof.count(), 2);
  assert.match(await page.locator('.srm').innerText(), /proof-social-2026/);
  assert.ok(await page.locator('table').count() >= 3, 'lift, exploration and experiment tables');
  assert.deepEqual(requests.filter((u) => !u.startsWith('file:')), [], 'nothing fetched');

  await page.screenshot({ path: join(ARTIFACTS, 'report-chart.png'), fullPage: true });
  await context.close();
});
