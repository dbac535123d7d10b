// Profiles and decisions end to end: cookies minted by the Node reference
// signer (examples/node), the demo site and catalog, the worker under
// `wrangler dev`, and GrowthBook's own SDK as the judge of experiment arms.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { GrowthBook } from '@growthbook/growthbook';
import { startWorker, kvEntries, tailor } from './harness.mjs';
import { COOKIE, DEMO_PROFILES, KID, PROFILE_KEYS, mint, startDemoOrigin, variantOf } from './demo.mjs';

let origin, worker;

async function setUp() {
  origin = await startDemoOrigin();
  worker = await startWorker('decisions', {
    entries: kvEntries('catalog/demo.json'),
    vars: {
      ORIGIN_URL: origin.url,
      TAILOR_SITE: 'demo',
      TAILOR_CATALOG_REFRESH_MS: '0',
      TAILOR_PROFILE_KEYS: PROFILE_KEYS,
      TAILOR_FIRMOGRAPHICS: 'on',
      TAILOR_DEV_OVERRIDES: 'on',
    },
  });
}
before(setUp, { timeout: 180_000 });
after(async () => { worker?.stop(); await origin?.stop(); });


async function page(path, headers = {}) {
  const res = await fetch(`${worker.url}${path}`, { headers });
  return { res, html: await res.text(), timing: res.headers.get('server-timing') ?? '' };
}

const PROFILES = Object.fromEntries(Object.entries(DEMO_PROFILES).map(([name, p]) => [name, [p.fields, p.expected]]));

test('four demo profiles from the Node signer see four different heroes and CTAs; anonymous sees the default', { timeout: 30_000 }, async () => {
  const heroes = new Set();
  const ctas = new Set();
  for (const [name, [fields, expected]] of Object.entries(PROFILES)) {
    const { html, timing } = await page('/', { cookie: `${COOKIE}=${mint(fields)}` });
    assert.equal(variantOf(html, 'hero'), expected, name);
    assert.equal(variantOf(html, 'cta'), expected, name);
    assert.match(timing, new RegExp(`profile;desc="cookie ${KID}"`), name);
    assert.match(timing, new RegExp(`hero:${expected}:rule`), name);
    heroes.add(variantOf(html, 'hero'));
    ctas.add(variantOf(html, 'cta'));
  }
  const { html, timing } = await page('/');
  assert.equal(variantOf(html, 'hero'), 'default');
  assert.equal(variantOf(html, 'cta'), 'default');
  assert.match(timing, /profile;desc="anonymous"/);
  heroes.add(variantOf(html, 'hero'));
  ctas.add(variantOf(html, 'cta'));
  assert.equal(heroes.size, 5);
  assert.equal(ctas.size, 5);
});

test('the pricing page is personalized for the same profile', { timeout: 30_000 }, async () => {
  const { html } = await page('/pricing', { cookie: `${COOKIE}=${mint(PROFILES['fintech CTO, enterprise'][0])}` });
  assert.equal(variantOf(html, 'pricing-hero'), 'enterprise');
  assert.equal(variantOf(html, 'plan-highlight'), 'enterprise');
});

test('the same cookie with one character changed is an anonymous visitor', { timeout: 30_000 }, async () => {
  const cookie = mint(PROFILES['fintech CTO, enterprise'][0]);
  const changed = cookie.replace('role=cto', 'role=cfo');
  const { res, html, timing } = await page('/', { cookie: `${COOKIE}=${changed}` });
  assert.equal(res.status, 200);
  assert.equal(variantOf(html, 'hero'), 'default');
  assert.match(timing, /profile;desc="anonymous bad-signature"/);
  assert.doesNotMatch(worker.log(), new RegExp(changed.slice(10, 40).replace(/[|]/g, '\\|')), 'a cookie value is never logged');
});

test('Sec-GPC: 1 gets the default experience even with a valid cookie', { timeout: 30_000 }, async () => {
  const cookie = mint(PROFILES['developer'][0]);
  const { html, timing } = await page('/', { cookie: `${COOKIE}=${cookie}`, 'sec-gpc': '1' });
  assert.equal(variantOf(html, 'hero'), 'default');
  assert.match(timing, /no-consent/);
  assert.match(timing, /hero:default:consent/);
});

test('a cookie without personalization consent gets the default experience', { timeout: 30_000 }, async () => {
  const cookie = mint({ ...PROFILES['developer'][0], c: 'a' });
  const { html } = await page('/', { cookie: `${COOKIE}=${cookie}` });
  assert.equal(variantOf(html, 'hero'), 'default');
});

test('crawlers get the default experience', { timeout: 30_000 }, async () => {
  const cookie = mint(PROFILES['developer'][0]);
  const { html, timing } = await page('/', { cookie: `${COOKIE}=${cookie}`, 'user-agent': 'Mozilla/5.0 (compatible; Googlebot/2.1)' });
  assert.equal(variantOf(html, 'hero'), 'default');
  assert.match(timing, /hero:default:bot/);
});

test('the demo experiment splits visitors as configured, arm for arm as GrowthBook\'s SDK', { timeout: 120_000 }, async () => {
  const counts = { default: 0, smb: 0 };
  for (let n = 0; n < 200; n++) {
    const bid = `visitor-${String(n).padStart(4, '0')}`;
    const { html, timing } = await page('/', { cookie: `${COOKIE}=${mint({ bid })}` });
    const served = variantOf(html, 'proof');
    const gb = new GrowthBook({ attributes: { id: bid } });
    const expected = gb.run({ key: 'proof-social-2026', variations: ['default', 'smb'], weights: [0.5, 0.5], hashVersion: 2 });
    assert.equal(served, expected.value, bid);
    assert.match(timing, /proof:[a-z-]+:experiment/);
    counts[served] += 1;
  }
  assert.ok(counts.default >= 80 && counts.smb >= 80, JSON.stringify(counts));
});

test('a personalized page is the same bytes as the native engine renders for that cookie', { timeout: 30_000 }, async () => {
  const cookie = mint(PROFILES['SMB marketer'][0]);
  const expected = tailor('render', 'www/index.html', '--catalog', 'catalog/demo.json', '--cookie', cookie, {
    env: { ...process.env, TAILOR_PROFILE_KEYS: PROFILE_KEYS },
  });
  const served = Buffer.from(await (await fetch(`${worker.url}/`, { headers: { cookie: `${COOKIE}=${cookie}` } })).arrayBuffer());
  assert.ok(served.equals(expected));
});

test('a first visit from a known company network gets industry-level content without any cookie', { timeout: 30_000 }, async () => {
  const { html, timing, res } = await page('/', { 'x-tailor-dev-cf-asn': '64500' });
  assert.equal(variantOf(html, 'hero'), 'fintech-enterprise');
  assert.match(timing, /firmographics;desc="network-labels"/);
  assert.equal(res.headers.getSetCookie().length, 0, 'nothing about the network is stored');
  const byName = await page('/', { 'x-tailor-dev-cf-as-organization': 'Example Health Systems' });
  assert.match(byName.timing, /firmographics/);
  // A declared profile wins over the network's labels.
  const declared = await page('/', { 'x-tailor-dev-cf-asn': '64500', cookie: `${COOKIE}=${mint(PROFILES['SMB marketer'][0])}` });
  assert.equal(variantOf(declared.html, 'hero'), 'smb-marketer');
});
