// What origins know, end to end under `wrangler dev`: a cookie minted by
// the Node reference signer with the site's own dimension (`usage_pct`) and
// segment triggers the demo's upgrade CTA on the page and through OFREP;
// the pricing page's `sales-chat` block follows business hours in the
// visitor's time zone, with the clock and `request.cf.timezone` faked by
// the dev-override headers (workerd's Intl computes the offset).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker, kvEntries, withoutExploration } from './harness.mjs';
import { COOKIE, KID, PROFILE_KEYS, SECRET, startDemoOrigin, variantOf } from './demo.mjs';
import { sign } from '../../examples/node/profile-cookie.mjs';

let origin, worker;

before(async () => {
  origin = await startDemoOrigin();
  worker = await startWorker('site-profile', {
    entries: kvEntries('catalog/demo.json', { edit: withoutExploration }),
    vars: {
      ORIGIN_URL: origin.url,
      TAILOR_SITE: 'demo',
      TAILOR_PROFILE_KEYS: PROFILE_KEYS,
      TAILOR_DEV_OVERRIDES: 'on',
      TAILOR_CONSENT_DEFAULT: 'granted',
    },
  });
}, { timeout: 180_000 });
after(async () => { worker?.stop(); await origin?.stop(); });

const now = () => Math.floor(Date.now() / 1000);
const cookieFor = (profile) => `${COOKIE}=${sign({ kid: KID, secret: SECRET, profile: { i: now() - 60, e: now() + 3600, c: 'pa', ...profile } })}`;

test('a cookie from the Node signer at 80 % of the usage limit gets the upgrade CTA on the page and through OFREP', { timeout: 30_000 }, async () => {
  const atLimit = cookieFor({ d: { usage_pct: 85, renewal: 'due-14d' }, s: ['power-users'] });
  const page = await (await fetch(`${worker.url}/pricing`, { headers: { cookie: atLimit } })).text();
  assert.equal(variantOf(page, 'cta'), 'upgrade-usage');
  const flag = await (await fetch(`${worker.url}/ofrep/v1/evaluate/flags/cta`, {
    method: 'POST',
    headers: { cookie: atLimit, 'content-type': 'application/json' },
    body: JSON.stringify({ context: {} }),
  })).json();
  assert.equal(flag.value, 'upgrade-usage', JSON.stringify(flag));
  const decided = await (await fetch(`${worker.url}/__tailor/decide?path=/pricing`, { headers: { cookie: atLimit } })).json();
  assert.equal(decided.profile.attributes.usage_pct, 85);
  assert.deepEqual(decided.profile.attributes.segments, ['power-users']);

  const below = await (await fetch(`${worker.url}/pricing`, { headers: { cookie: cookieFor({ d: { usage_pct: 40 } }) } })).text();
  assert.notEqual(variantOf(below, 'cta'), 'upgrade-usage');
});

test('the sales chat is live in the visitor\'s business hours and not after them, by a faked clock', { timeout: 30_000 }, async () => {
  const chat = async (isoUtc, timezone) => {
    const headers = { 'x-tailor-dev-now': String(Date.parse(isoUtc) / 1000) };
    if (timezone) headers['x-tailor-dev-cf-timezone'] = timezone;
    return variantOf(await (await fetch(`${worker.url}/pricing`, { headers })).text(), 'sales-chat');
  };
  // Monday 7 December 2026: Berlin is UTC+1, New York UTC-5.
  assert.equal(await chat('2026-12-07T09:30:00Z', 'Europe/Berlin'), 'live', '10:30 in Berlin');
  assert.equal(await chat('2026-12-07T09:30:00Z', 'America/New_York'), 'default', '04:30 in New York');
  assert.equal(await chat('2026-12-07T16:30:00Z', 'Europe/Berlin'), 'default', '17:30 in Berlin');
  assert.equal(await chat('2026-12-07T16:30:00Z', 'America/New_York'), 'live', '11:30 in New York');
  assert.equal(await chat('2026-12-05T10:30:00Z', 'Europe/Berlin'), 'default', 'a Saturday');
  // Summer time: 07:30 UTC on Monday 6 July 2026 is 09:30 in Berlin (UTC+2).
  assert.equal(await chat('2026-07-06T07:30:00Z', 'Europe/Berlin'), 'live', '09:30 CEST');
  assert.equal(await chat('2026-12-07T09:30:00Z', 'Mars/Olympus_Mons'), 'default', 'an unknown zone: no local hour');
});

test('the language and the date are attributes', { timeout: 30_000 }, async () => {
  const res = await fetch(`${worker.url}/__tailor/decide?path=/pricing`, {
    headers: { 'accept-language': 'fr-CH, fr;q=0.9, en;q=0.8', 'x-tailor-dev-now': String(Date.parse('2026-12-24T23:30:00Z') / 1000), 'x-tailor-dev-cf-timezone': 'Asia/Tokyo' },
  });
  const { attributes } = (await res.json()).profile;
  assert.equal(attributes.language, 'fr');
  assert.equal(attributes.date, '2026-12-24');
  assert.deepEqual([attributes.local_date, attributes.local_hour, attributes.weekday], ['2026-12-25', 8, 'fri']);
});
