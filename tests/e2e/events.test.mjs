// Events end to end: the demo site and catalog under `wrangler dev`, a local
// events sink on 127.0.0.1. Exposures reach it after the response with the
// right fields, conversions are attributed on the server, and nothing is
// recorded for visitors who opted out, bots, or bad beacons.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, startWorker, kvEntries, withoutExploration } from './harness.mjs';
import { COOKIE, DEMO_PROFILES, KID, PROFILE_KEYS, SECRET, startDemoOrigin, variantOf } from './demo.mjs';
import { sign } from '../../examples/node/profile-cookie.mjs';
import { startSink } from '../../scripts/loop-demo.mjs';

let origin, sink, worker;
/** wrangler.toml's rate-limiting binding for beacons, read from the file itself. */
const BEACON_LIMIT_TOML = (() => {
  const text = readFileSync(join(ROOT, 'wrangler.toml'), 'utf8');
  const at = text.indexOf('[[ratelimits]]');
  assert.ok(at >= 0, 'wrangler.toml declares the beacon rate limit');
  return text.slice(at).split('\n\n')[0].split('\n');
})();
const ALLOWANCE = Number(/limit\s*=\s*(\d+)/.exec(BEACON_LIMIT_TOML.join('\n'))[1]);

async function setUp() {
  origin = await startDemoOrigin();
  sink = await startSink();
  worker = await startWorker('events', {
    // Without exploration: its 24-hour periods would put a fixed test visitor
    // in it on some days, and these tests name the reason they expect.
    entries: kvEntries('catalog/demo.json', { edit: withoutExploration }),
    vars: { ORIGIN_URL: origin.url, TAILOR_SITE: 'demo', TAILOR_PROFILE_KEYS: PROFILE_KEYS, TAILOR_EVENTS_URL: sink.url },
    // The per-visitor beacon allowance, as wrangler.toml declares it.
    toml: BEACON_LIMIT_TOML,
  });
}
before(setUp, { timeout: 180_000 });
after(async () => { worker?.stop(); await origin?.stop(); await sink?.stop(); });

const now = () => Math.floor(Date.now() / 1000);
const cto = (extra = {}) => `${COOKIE}=${sign({ kid: KID, secret: SECRET, profile: { i: now() - 60, e: now() + 3600, c: 'pa', bid: 'visitor-7f3a', ...DEMO_PROFILES['fintech CTO, enterprise'].fields, ...extra } })}`;

async function settle(count) {
  for (let i = 0; i < 60 && sink.lines.length < count; i += 1) await new Promise((ok) => setTimeout(ok, 50));
  await new Promise((ok) => setTimeout(ok, 200));
}

test('a personalized page sends one exposure per filled block after the response, with the right fields', { timeout: 30_000 }, async () => {
  sink.lines.length = 0;
  const res = await fetch(`${worker.url}/`, { headers: { cookie: cto() } });
  const html = await res.text();
  await settle(1);
  const events = sink.events();
  const hero = events.find((e) => e.block === 'hero');
  assert.ok(hero, JSON.stringify(events));
  assert.equal(hero.kind, 'exposure');
  assert.equal(hero.variant, variantOf(html, 'hero'));
  assert.equal(hero.reason, 'rule');
  assert.equal(hero.site, 'demo');
  assert.equal(hero.path, '/');
  assert.equal(hero.id, 'visitor-7f3a');
  assert.deepEqual(hero.segment, { industry: 'fintech', role: 'cto', company_size: 'enterprise', lifecycle: 'lead' });
  assert.match(hero.catalog_version, /^v-[0-9a-f]{16}$/);
  // Nothing personal: no cookie, address or user agent in any event.
  assert.doesNotMatch(sink.lines.join('\n'), /tailor_profile|127\.0\.0\.1|Mozilla|node/);
});

test('an experiment exposure names the experiment and the arm', { timeout: 30_000 }, async () => {
  await settle(0);
  sink.lines.length = 0;
  // The demo's proof experiment enrols visitors without a declared industry.
  const cookie = `${COOKIE}=${sign({ kid: KID, secret: SECRET, profile: { i: now() - 60, e: now() + 3600, c: 'pa', bid: 'visitor-9b1c', role: 'engineer' } })}`;
  await (await fetch(`${worker.url}/`, { headers: { cookie } })).text();
  await settle(1);
  const proof = sink.events().find((e) => e.block === 'proof');
  assert.equal(proof?.reason, 'experiment', JSON.stringify(sink.events()));
  assert.equal(proof.experiment, 'proof-social-2026');
  assert.ok([0, 1].includes(proof.arm));
});

const beacon = (cookie, body) => fetch(`${worker.url}/__tailor/event`, { method: 'POST', headers: { cookie, 'content-type': 'text/plain' }, body: JSON.stringify(body) });

test('a page marking one block sends one exposure, with its own id, and a click on a block it did not have is not credited', { timeout: 30_000 }, async () => {
  await settle(0);
  sink.lines.length = 0;
  const docs = await (await fetch(`${worker.url}/docs/`, { headers: { cookie: cto() } })).text();
  assert.ok(docs.includes('<tailor-block name="cta"') && !docs.includes('name="hero"'));
  await settle(1);
  const exposures = sink.events();
  assert.deepEqual(exposures.map((e) => e.block), ['cta'], JSON.stringify(exposures));
  assert.match(exposures[0].event_id, /^[A-Za-z0-9_-]{22}$/);
  sink.lines.length = 0;
  const hero = await beacon(cto(), { type: 'click', block: 'hero', path: '/docs/' });
  assert.equal(hero.status, 204);
  assert.match(hero.headers.get('server-timing'), /beacon;desc="credited 0"/);
  const cta = await beacon(cto(), { type: 'click', block: 'cta', path: '/docs/' });
  assert.match(cta.headers.get('server-timing'), /beacon;desc="credited 1"/);
  await settle(1);
  assert.deepEqual(sink.events().map((e) => [e.kind, e.block, e.variant]), [['conversion', 'cta', exposures[0].variant]]);
});

test('1,000 beacons paced at 80 per second from one visitor record at most its allowance, and another visitor\'s still pass', { timeout: 60_000 }, async (t) => {
  await settle(0);
  const greedy = cto({ bid: 'visitor-greedy' });
  const other = cto({ bid: 'visitor-other' });
  for (const cookie of [greedy, other]) await (await fetch(`${worker.url}/`, { headers: { cookie } })).text();
  await settle(1);
  sink.lines.length = 0;
  const statuses = { 204: 0, 429: 0 };
  const start = Date.now();
  for (let i = 0; i < 1000; i += 1) {
    const wait = start + i * 12.5 - Date.now();
    if (wait > 0) await new Promise((ok) => setTimeout(ok, wait));
    const res = await beacon(greedy, { type: 'click', block: 'cta', path: '/' });
    await res.arrayBuffer();
    statuses[res.status] = (statuses[res.status] ?? 0) + 1;
    if (i % 100 === 50) {
      const theirs = await beacon(other, { type: 'click', block: 'cta', path: '/' });
      assert.equal(theirs.status, 204, `another visitor's beacon at ${i}`);
    }
  }
  await settle(statuses[204] + 10);
  const conversions = sink.events().filter((e) => e.kind === 'conversion');
  const mine = conversions.filter((e) => e.id === 'visitor-greedy').length;
  t.diagnostic(`${statuses[204]} accepted, ${statuses[429]} refused with 429 in ${Date.now() - start} ms; ${mine} recorded`);
  // A fixed window per minute: a run that crosses a window's edge may get two allowances.
  assert.ok(mine >= 1 && mine <= 2 * ALLOWANCE, `${mine} recorded, allowance ${ALLOWANCE} a minute`);
  assert.equal(statuses[204], mine);
  assert.equal(conversions.filter((e) => e.id === 'visitor-other').length, 10);
});

test('a click beacon becomes a conversion for the variant the visitor was shown', { timeout: 30_000 }, async () => {
  const page = await (await fetch(`${worker.url}/`, { headers: { cookie: cto() } })).text();
  await settle(1);
  sink.lines.length = 0;
  const res = await fetch(`${worker.url}/__tailor/event`, { method: 'POST', headers: { cookie: cto(), 'content-type': 'text/plain' }, body: JSON.stringify({ type: 'click', block: 'cta', path: '/' }) });
  assert.equal(res.status, 204);
  await settle(1);
  const events = sink.events();
  assert.equal(events.length, 1, JSON.stringify(events));
  assert.equal(events[0].kind, 'conversion');
  assert.equal(events[0].goal, 'click');
  assert.equal(events[0].block, 'cta');
  assert.equal(events[0].variant, variantOf(page, 'cta'));
});

test('nothing is recorded for Sec-GPC, opted-out or analytics-off visitors, bots, or preview traffic', { timeout: 60_000 }, async () => {
  await settle(0);
  sink.lines.length = 0;
  const requests = [
    { cookie: cto(), 'sec-gpc': '1' },
    { cookie: `${cto()}; tailor_optout=1` },
    { cookie: cto({ c: 'p' }) },
    { cookie: cto(), 'user-agent': 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)' },
  ];
  for (const headers of requests) {
    const res = await fetch(`${worker.url}/`, { headers });
    await res.text();
    const beacon = await fetch(`${worker.url}/__tailor/event`, { method: 'POST', headers, body: JSON.stringify({ type: 'click', block: 'cta', path: '/' }) });
    assert.equal(beacon.status, 204);
  }
  await new Promise((ok) => setTimeout(ok, 800));
  assert.deepEqual(sink.lines, []);
});

test('malformed or oversized beacons are refused and send nothing', { timeout: 30_000 }, async () => {
  await settle(0);
  sink.lines.length = 0;
  const cases = [
    ['{"type":"click"', 400],
    [JSON.stringify({ type: 'view', block: 'cta', path: '/' }), 400],
    [JSON.stringify({ type: 'click', block: '<script>', path: '/' }), 400],
    [JSON.stringify({ type: 'click', block: 'cta', path: 'https://evil.example/' }), 400],
    [JSON.stringify({ type: 'click', block: 'cta', path: '/', extra: 'x' }), 400],
    [JSON.stringify({ type: 'click', block: 'cta', path: `/${'a'.repeat(2000)}` }), 413],
  ];
  for (const [body, status] of cases) {
    const res = await fetch(`${worker.url}/__tailor/event`, { method: 'POST', headers: { cookie: cto() }, body });
    assert.equal(res.status, status, body.slice(0, 60));
  }
  const get = await fetch(`${worker.url}/__tailor/event`);
  assert.equal(get.status, 405);
  await new Promise((ok) => setTimeout(ok, 800));
  assert.deepEqual(sink.lines, []);
});

test('an OFREP evaluation sends one exposure per flag evaluated, marked with its channel', { timeout: 30_000 }, async () => {
  await settle(0);
  sink.lines.length = 0;
  const res = await fetch(`${worker.url}/ofrep/v1/evaluate/flags/hero`, {
    method: 'POST',
    headers: { cookie: cto(), 'content-type': 'application/json' },
    body: JSON.stringify({ context: {} }),
  });
  const flag = await res.json();
  assert.equal(res.status, 200);
  await settle(1);
  const events = sink.events();
  assert.equal(events.length, 1, JSON.stringify(events));
  assert.deepEqual([events[0].channel, events[0].block, events[0].variant, events[0].path], ['ofrep', 'hero', flag.value, '']);
  assert.equal(events[0].id, 'visitor-7f3a');
});

test('a client navigation\'s fragments are the page\'s blocks, counted as exposures marked fragment, and a sighting is credited once', { timeout: 30_000 }, async () => {
  await settle(0);
  const cookie = cto({ bid: 'visitor-spa1' });
  const page = await (await fetch(`${worker.url}/pricing`, { headers: { cookie } })).text();
  await settle(2);
  sink.lines.length = 0;
  const res = await fetch(`${worker.url}/__tailor/fragments?path=/pricing&block=pricing-hero&block=cta`, { headers: { cookie } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('cache-control'), 'private, no-store');
  const { path, blocks } = await res.json();
  assert.equal(path, '/pricing');
  assert.deepEqual(Object.keys(blocks).sort(), ['cta', 'pricing-hero']);
  for (const name of ['pricing-hero', 'cta']) {
    assert.equal(blocks[name].variant, variantOf(page, name), name);
    assert.ok(page.includes(`<tailor-block name="${name}">${blocks[name].html}</tailor-block>`), `${name}: the page's own fill`);
  }
  await settle(2);
  assert.deepEqual(sink.events().map((e) => [e.kind, e.channel, e.block, e.path]).sort(),
    [['exposure', 'fragment', 'cta', '/pricing'], ['exposure', 'fragment', 'pricing-hero', '/pricing']]);
  sink.lines.length = 0;
  const seen = { type: 'seen', block: 'pricing-hero', path: '/pricing' };
  assert.match((await beacon(cookie, seen)).headers.get('server-timing'), /credited 1/);
  assert.match((await beacon(cookie, seen)).headers.get('server-timing'), /credited 0/, 'once per page view');
  await settle(1);
  assert.deepEqual(sink.events().map((e) => [e.kind, e.block, e.variant]), [['seen', 'pricing-hero', blocks['pricing-hero'].variant]]);
  const refused = await fetch(`${worker.url}/__tailor/fragments?path=/pricing`, { headers: { cookie } });
  assert.equal(refused.status, 400);
});

test('the click reporter script is served', { timeout: 30_000 }, async () => {
  const res = await fetch(`${worker.url}/__tailor/events.js`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /javascript/);
  const script = await res.text();
  assert.match(script, /sendBeacon\('\/__tailor\/event'/);
  assert.match(script, /type: 'seen'/);
});
