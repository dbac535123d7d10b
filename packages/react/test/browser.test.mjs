// The component in headless Chromium with real React (the repository's React
// 19, or TAILOR_REACT_DIR's): hydration of a page whose hero the edge
// replaced, and client-side mounts that ask the fragments endpoint.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { EDGE_CTA, EDGE_HERO, launchChromium, newPage, startEdge } from './serve.mjs';

let edge, browser;
before(async () => {
  edge = await startEdge();
  browser = await launchChromium();
}, { timeout: 60_000 });
after(async () => {
  await browser?.close();
  await edge?.stop();
});

async function open(path = '/') {
  const page = await newPage(browser);
  await page.goto(`${edge.url}${path}`);
  await page.waitForFunction(() => window.__hydrated === true);
  await page.waitForTimeout(300); // the re-render after hydration, and anything React would log
  return page;
}

test(`hydration keeps the edge's hero: same nodes, no mutation, no console error`, { timeout: 30_000 }, async (t) => {
  const page = await open('/');
  const version = await page.evaluate(() => window.__reactVersion);
  t.diagnostic(`React ${version} in the browser, ${edge.reactVersion} on the server`);
  assert.equal(version, edge.reactVersion);
  t.diagnostic(`console: ${page.problems.join(' | ') || 'clean'}`);
  const hero = page.locator('tailor-block[name=hero]');
  assert.equal(await hero.innerHTML(), EDGE_HERO, 'the edge content is still there');
  assert.equal(await hero.getAttribute('class'), 'hero');
  assert.equal(await page.evaluate(() => document.querySelector('tailor-block[name=hero]') === window.__heroBefore), true, 'the same element');
  assert.deepEqual(await page.evaluate(() => window.__heroMutations), [], 'React changed nothing in the hero (no flash)');
  assert.deepEqual(page.problems, [], 'no hydration error or warning');
  await page.close();
});

test('a block the edge left as it is hydrates its fallback, interactive', { timeout: 30_000 }, async () => {
  const page = await open('/');
  await page.click('#counter');
  await page.click('#counter');
  assert.equal(await page.textContent('#counter'), 'clicked 2', 'React owns the fallback (hydrated, not innerHTML)');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('a client-side navigation asks once for both blocks, fills the one the edge decided, keeps the other fallback', { timeout: 30_000 }, async () => {
  const page = await open('/');
  edge.fragmentRequests.length = 0;
  await page.evaluate(() => window.__navigate('/pricing'));
  // While the request is in flight (the fake edge answers after 300 ms): fallback, marked pending.
  await page.waitForSelector('tailor-block[name=cta][data-tailor-pending] #cta-default');
  assert.equal(await page.locator('tailor-block[name=plan][data-tailor-pending]').count(), 1);
  await page.waitForFunction(() => !document.querySelector('[data-tailor-pending]'));
  assert.equal(await page.locator('tailor-block[name=cta]').innerHTML(), EDGE_CTA);
  assert.equal(await page.locator('tailor-block[name=plan] #plan-default').textContent(), 'Plans for everyone');
  assert.equal(await page.locator('#invalid-default').count(), 1, 'an invalid name keeps its fallback…');
  assert.equal(edge.fragmentRequests.length, 1, 'one request for the two blocks (StrictMode mounts them twice)');
  const [request] = edge.fragmentRequests;
  assert.equal(request.path, '/pricing');
  assert.deepEqual(request.blocks.sort(), ['cta', 'plan'], '…and is not sent (the endpoint would refuse the request)');
  assert.match(request.cookie, /visitor=v1/, 'same-origin credentials');
  assert.equal(await page.locator('tailor-block[name=hero]').innerHTML(), EDGE_HERO, 'the hydrated hero is untouched');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('twenty blocks mounted together: two requests (16 + 4), every block filled', { timeout: 30_000 }, async () => {
  const page = await open('/');
  edge.fragmentRequests.length = 0;
  await page.evaluate(() => window.__navigate('/many'));
  await page.waitForFunction(() => document.querySelectorAll('tailor-block b.filled').length === 20);
  assert.deepEqual(edge.fragmentRequests.map((r) => r.blocks.length).sort((a, b) => b - a), [16, 4]);
  assert.equal(new Set(edge.fragmentRequests.flatMap((r) => r.blocks)).size, 20);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('an answer later than the timeout keeps the fallback', { timeout: 30_000 }, async () => {
  const page = await open('/');
  const started = Date.now();
  await page.evaluate(() => window.__navigate('/slow'));
  await page.waitForFunction(() => document.querySelector('tailor-block[name=cta]') && !document.querySelector('[data-tailor-pending]'));
  const waited = Date.now() - started;
  assert.ok(waited < 1500, `gave up after the 300 ms timeout (${waited} ms)`);
  await page.waitForTimeout(3000); // the late answer arrives and is ignored
  assert.equal(await page.locator('tailor-block[name=cta] #cta-default').count(), 1);
  assert.equal(await page.locator('#cta-edge').count(), 0);
  await page.close();
});

for (const path of ['/broken', '/offline']) {
  test(`a failed request (${path}) keeps the fallback`, { timeout: 30_000 }, async () => {
    const page = await open('/');
    await page.evaluate((p) => window.__navigate(p), path);
    await page.waitForFunction(() => document.querySelector('tailor-block[name=cta]') && !document.querySelector('[data-tailor-pending]'));
    assert.equal(await page.locator('tailor-block[name=cta] #cta-default').count(), 1);
    assert.equal(await page.locator('#cta-edge').count(), 0);
    assert.deepEqual(page.problems.filter((p) => !/Failed to load resource|ERR_EMPTY_RESPONSE/.test(p)), []);
    await page.close();
  });
}
