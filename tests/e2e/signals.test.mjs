// Behavioral signals end to end: a cookie-jar visitor browsing the demo under
// `wrangler dev`, the edge's signed state cookie, consent, and tampering.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker, kvEntries, withoutExploration } from './harness.mjs';
import { startDemoOrigin, variantOf } from './demo.mjs';

const STATE = '__Host-tailor_state';
let origin, worker;

async function setUp() {
  origin = await startDemoOrigin();
  worker = await startWorker('signals', {
    entries: kvEntries('catalog/demo.json', { edit: withoutExploration }),
    vars: {
      ORIGIN_URL: origin.url,
      TAILOR_SITE: 'demo',
      TAILOR_CATALOG_REFRESH_MS: '0',
      TAILOR_STATE_KEY: 'ZTJlLXN0YXRlLWtleS1mb3ItdGVzdHMtb25seS0zMi1ieXRlcw',
      // Anonymous visitors here have consented (the default is denied).
      TAILOR_CONSENT_DEFAULT: 'granted',
    },
  });
}
before(setUp, { timeout: 180_000 });
after(async () => { worker?.stop(); await origin?.stop(); });

/** A visitor with a cookie jar (just the state cookie). */
function visitor(extraHeaders = {}) {
  let jar = '';
  return {
    get jar() { return jar; },
    set jar(value) { jar = value; },
    async get(path) {
      const res = await fetch(`${worker.url}${path}`, { headers: { ...extraHeaders, ...(jar ? { cookie: jar } : {}) } });
      const html = await res.text();
      const set = res.headers.getSetCookie().find((c) => c.startsWith(`${STATE}=`));
      if (set) jar = set.split(';')[0];
      return { res, html, set, timing: res.headers.get('server-timing') ?? '' };
    },
  };
}

const heroOf = (html) => variantOf(html, 'hero');

test('two views of the pricing page make the home page show the sales hero, naming the signal', { timeout: 30_000 }, async () => {
  const v = visitor();
  const first = await v.get('/');
  assert.equal(heroOf(first.html), 'default');
  assert.match(first.set, /HttpOnly/);
  assert.match(first.set, /SameSite=Lax/);
  assert.match(first.set, /Secure/);
  assert.equal(first.res.headers.get('cache-control'), 'private, no-store');
  await v.get('/pricing');
  await v.get('/pricing');
  const home = await v.get('/');
  assert.equal(heroOf(home.html), 'pricing-interest');
  assert.match(home.timing, /signals;desc="[^"]*pricing_interest:2\.0/);
  assert.match(home.timing, /hero:pricing-interest:rule/);
  const explained = await (await fetch(`${worker.url}/__tailor/decide?path=/`, { headers: { cookie: v.jar } })).json();
  const hero = explained.decisions.find((d) => d.block === 'hero');
  assert.equal(hero.variant, 'pricing-interest');
  assert.deepEqual(hero.reason.condition, { 'signals.pricing_interest': { $gte: 2 } });
  const why = await (await fetch(`${worker.url}/__tailor/why`, { headers: { cookie: v.jar } })).text();
  assert.match(why, /pricing interest/);
});

test('with Sec-GPC: 1 the visitor is not tracked: default hero, no state cookie, an old one deleted', { timeout: 30_000 }, async () => {
  const v = visitor({ 'sec-gpc': '1' });
  for (const path of ['/pricing', '/pricing', '/']) {
    const page = await v.get(path);
    assert.equal(page.set, undefined, `${path} set a state cookie`);
    if (path === '/') assert.equal(heroOf(page.html), 'default');
  }
  // A visitor who had state, then turns GPC on: the cookie is deleted.
  const tracked = visitor();
  await tracked.get('/pricing');
  const res = await fetch(`${worker.url}/`, { headers: { cookie: tracked.jar, 'sec-gpc': '1' } });
  const deleted = res.headers.getSetCookie().find((c) => c.startsWith(`${STATE}=`));
  assert.match(deleted, /Max-Age=0/);
});

test('a hand-edited state cookie is ignored and replaced', { timeout: 30_000 }, async () => {
  const v = visitor();
  await v.get('/pricing');
  const edited = v.jar.replace(/pricing_interest~\d+/, 'pricing_interest~50');
  assert.notEqual(edited, v.jar);
  v.jar = edited;
  const home = await v.get('/');
  assert.equal(heroOf(home.html), 'default', 'the forged score must not count');
  assert.match(home.timing, /replaced-invalid-state/);
  assert.ok(home.set && !home.set.includes('pricing_interest~50'));
});

test('a developer campaign visitor sees the docs CTA, and a third page view marks the visit as engaged', { timeout: 30_000 }, async () => {
  const v = visitor();
  const landing = await v.get('/?utm_campaign=dev-summit');
  assert.equal(variantOf(landing.html, 'cta'), 'developer');
  await v.get('/docs/');
  const third = await v.get('/pricing');
  assert.match(third.timing, /engaged:1\.0/);
});
