// Visitors the origin does not know, under `wrangler dev`: the edge's own id
// keeps an anonymous visitor's arm of the home page's experiment; 10,000 of
// them split as the experiment weighs them; consent is read from the site's
// banner cookie and nothing is kept or sent without it; cross-site posts are
// refused; crawlers get the default page with no cookie; a visitor who signs
// up keeps their arm when the origin carries the edge's id over as `bid`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker, kvEntries } from './harness.mjs';
import { COOKIE, KID, PROFILE_KEYS, SECRET, startDemoOrigin } from './demo.mjs';
import { edgeIdFromCookieHeader, sign } from '../../examples/node/profile-cookie.mjs';
import { startSink } from '../../scripts/loop-demo.mjs';

const STATE_KEY = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8';
const ID = '__Host-tailor_id';
let origin, sink, granted, asked;

before(async () => {
  origin = await startDemoOrigin();
  sink = await startSink();
  const base = { ORIGIN_URL: origin.url, TAILOR_SITE: 'demo', TAILOR_PROFILE_KEYS: PROFILE_KEYS, TAILOR_STATE_KEY: STATE_KEY, TAILOR_EVENTS_URL: sink.url };
  const entries = kvEntries('catalog/demo.json');
  granted = await startWorker('anonymous-granted', { entries, vars: { ...base, TAILOR_CONSENT_DEFAULT: 'granted' } });
  asked = await startWorker('anonymous-asked', {
    entries,
    vars: { ...base, TAILOR_CONSENT_DEFAULT: 'denied', TAILOR_CONSENT_COOKIE: 'site_consent', TAILOR_CONSENT_FORMAT: 'json' },
  });
}, { timeout: 240_000 });
after(async () => {
  granted?.stop();
  asked?.stop();
  await Promise.all([origin?.stop(), sink?.stop()]);
});

/** GET / with `cookie`: the proof experiment's variant (null outside it), the id cookie set, and every cookie set. */
async function home(worker, cookie, headers = {}) {
  const res = await fetch(`${worker.url}/`, { headers: { 'accept-encoding': 'identity', ...(cookie ? { cookie } : {}), ...headers } });
  await res.arrayBuffer();
  const decide = /decide;[^,]*desc="([^"]*)"/.exec(res.headers.get('server-timing') ?? '')?.[1] ?? '';
  const proof = / ?proof:([a-z0-9-]+):experiment/.exec(` ${decide}`)?.[1] ?? null;
  const set = res.headers.getSetCookie();
  const id = set.find((c) => c.startsWith(`${ID}=`))?.split(';')[0];
  return { proof, id, set, timing: res.headers.get('server-timing') ?? '' };
}

async function settle(count) {
  for (let i = 0; i < 80 && sink.lines.length < count; i += 1) await new Promise((ok) => setTimeout(ok, 50));
  await new Promise((ok) => setTimeout(ok, 300));
}

test('a visitor with no cookie and granted consent gets an id and keeps the same experiment arm over 20 requests', { timeout: 60_000 }, async () => {
  const first = await home(granted);
  assert.ok(first.id, 'the first page sets the id cookie');
  assert.ok(first.proof, 'in the experiment');
  const setCookie = first.set.find((c) => c.startsWith(`${ID}=`));
  for (const attribute of ['Path=/', 'Secure', 'HttpOnly', 'SameSite=Lax']) assert.ok(setCookie.includes(attribute), setCookie);
  for (let i = 0; i < 20; i += 1) {
    const again = await home(granted, first.id);
    assert.equal(again.proof, first.proof, `request ${i + 2}`);
    assert.equal(again.id, undefined, 'kept, not minted again');
  }
});

test('10,000 anonymous visitors split within a sample-ratio check of the 50/50 weights, and their exposures carry the id', { timeout: 600_000 }, async (t) => {
  const counts = { default: 0, smb: 0 };
  const ids = new Set();
  // The previous test's last exposures (sent once its pages were streamed) land first.
  await settle(0);
  sink.lines.length = 0;
  let next = 0;
  const started = Date.now();
  async function worker() {
    while (next < 10_000) {
      next += 1;
      const { proof, id } = await home(granted);
      counts[proof] += 1;
      ids.add(edgeIdFromCookieHeader(id));
    }
  }
  await Promise.all(Array.from({ length: 8 }, worker));
  t.diagnostic(`10,000 visitors in ${((Date.now() - started) / 1000).toFixed(1)} s: ${JSON.stringify(counts)}`);
  assert.equal(ids.size, 10_000, 'every visitor a new id');
  const expected = 5_000;
  const chi2 = Object.values(counts).reduce((sum, n) => sum + (n - expected) ** 2 / expected, 0);
  assert.ok(chi2 < 10.828, `sample ratio mismatch (p < 0.001): ${JSON.stringify(counts)}, chi2 = ${chi2.toFixed(2)}`);
  await settle(10_000);
  const exposures = sink.events().filter((e) => e.kind === 'exposure' && e.block === 'proof');
  assert.ok(exposures.length >= 9_000, `${exposures.length} proof exposures`);
  assert.ok(exposures.every((e) => ids.has(e.id)), 'each exposure carries its visitor id');
});

test('with consent denied by default, nothing is set or sent until the banner cookie grants analytics; then the id appears and events flow', { timeout: 60_000 }, async () => {
  sink.lines.length = 0;
  const denied = await home(asked);
  assert.deepEqual(denied.set, [], 'no Set-Cookie');
  assert.equal(denied.proof, null, 'no id, no experiment');
  assert.match(denied.timing, /consent;desc="default context-only"/);
  const personalizationOnly = await home(asked, 'site_consent={"personalization":true}');
  assert.deepEqual(personalizationOnly.set, []);
  await settle(1);
  assert.equal(sink.lines.length, 0, 'no event');

  const consent = 'site_consent=%7B%22personalization%22%3Atrue%2C%22analytics%22%3Atrue%7D';
  const allowed = await home(asked, consent);
  assert.ok(allowed.id, 'the id appears');
  assert.ok(allowed.proof);
  await settle(1);
  const events = sink.events();
  assert.ok(events.length > 0, 'events flow');
  assert.ok(events.every((e) => e.id === edgeIdFromCookieHeader(allowed.id)));
});

test('a cross-site POST to the opt-out endpoint is refused, the site\'s own is not', { timeout: 30_000 }, async () => {
  const post = (headers) => fetch(`${granted.url}/__tailor/why`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: 'choice=out',
  });
  const evil = await post({ origin: 'https://evil.example' });
  assert.equal(evil.status, 403);
  assert.deepEqual(evil.headers.getSetCookie(), []);
  const fetched = await post({ 'sec-fetch-site': 'cross-site' });
  assert.equal(fetched.status, 403);
  const own = await post({ origin: granted.url, 'sec-fetch-site': 'same-origin' });
  assert.equal(own.status, 303);
  assert.ok(own.headers.getSetCookie().some((c) => c.startsWith('tailor_optout=1')));
  assert.ok(own.headers.getSetCookie().some((c) => c.startsWith(`${ID}=;`)), 'opting out deletes the id');
  const beacon = await fetch(`${granted.url}/__tailor/event`, {
    method: 'POST', headers: { origin: 'https://evil.example', 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'goal', goal: 'signup', path: '/' }),
  });
  assert.equal(beacon.status, 403);
});

test('crawlers get the default page with no cookie', { timeout: 30_000 }, async () => {
  for (const agent of ['Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', 'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)', 'facebookexternalhit/1.1']) {
    const crawler = await home(granted, undefined, { 'user-agent': agent });
    assert.deepEqual(crawler.set, [], agent);
    assert.equal(crawler.proof, null, agent);
    assert.match(crawler.timing, /proof:default:bot/, agent);
  }
});

test('a visitor who signs up keeps their arm: the origin carries the edge id over as bid', { timeout: 120_000 }, async () => {
  const now = Math.floor(Date.now() / 1000);
  let checked = 0;
  for (let i = 0; i < 20; i += 1) {
    const anonymous = await home(granted);
    const bid = edgeIdFromCookieHeader(anonymous.id);
    assert.ok(bid, anonymous.id);
    const profile = sign({ kid: KID, secret: SECRET, profile: { i: now - 60, e: now + 86_400, c: 'pa', bid, stage: 'trial' } });
    const profiled = await home(granted, `${anonymous.id}; ${COOKIE}=${profile}`);
    assert.equal(profiled.proof, anonymous.proof, `visitor ${i}: the arm is unchanged after signing up`);
    assert.match(profiled.timing, /profile;desc="cookie e2e1"/);
    checked += 1;
  }
  assert.equal(checked, 20);
});
