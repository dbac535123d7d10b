// One visitor across routes, under `wrangler dev`: what a page decides, the
// decision API, OFREP (OpenFeature's own web SDK and provider) and the why
// page decide alike, behavioral signals included; and the routes that only
// decide never read a fragment or call the generator.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { OpenFeature } from '@openfeature/web-sdk';
import { OFREPWebProvider } from '@openfeature/ofrep-web-provider';
import { startWorker, kvEntries, withoutExploration } from './harness.mjs';
import { COOKIE, PROFILE_KEYS, mint, startDemoOrigin, variantOf } from './demo.mjs';
import { startGenerator } from '../../scripts/demo-generator.mjs';
import { startSink } from '../../scripts/loop-demo.mjs';

const STATE_KEY = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8';
const STATE = '__Host-tailor_state';
let origin, generator, sink, worker, bare;

before(async () => {
  origin = await startDemoOrigin();
  generator = await startGenerator();
  sink = await startSink();
  const vars = {
    ORIGIN_URL: origin.url,
    TAILOR_SITE: 'demo',
    TAILOR_CATALOG_REFRESH_MS: '0',
    TAILOR_PROFILE_KEYS: PROFILE_KEYS,
    TAILOR_STATE_KEY: STATE_KEY,
    // Anonymous visitors here have consented (the default is denied).
    TAILOR_CONSENT_DEFAULT: 'granted',
    TAILOR_GENERATOR_URL: generator.url,
    TAILOR_EVENTS_URL: sink.url,
  };
  const entries = kvEntries('catalog/demo.json', { edit: withoutExploration });
  worker = await startWorker('routes', { entries, vars, control: { vars: { TAILOR_SITE: 'demo' } } });
  // The same catalog with no fragment in KV: any fragment read misses.
  bare = await startWorker('routes-bare', {
    entries: entries.filter(({ key }) => !key.includes('/fragment/')),
    vars,
    control: { vars: { TAILOR_SITE: 'demo' } },
  });
}, { timeout: 240_000 });
after(async () => {
  await OpenFeature.close();
  worker?.stop();
  bare?.stop();
  await Promise.all([origin?.stop(), generator?.stop(), sink?.stop()]);
});

/** The `name=value` of the state cookie a response sets. */
function stateOf(res) {
  const set = res.headers.getSetCookie().find((c) => c.startsWith(`${STATE}=`));
  return set?.split(';')[0];
}

test('a visitor whose two views of the pricing page trigger the sales hero gets it from the page, the decision API, OFREP and the why page alike', { timeout: 60_000 }, async () => {
  const first = await fetch(`${worker.url}/pricing`);
  await first.text();
  let state = stateOf(first);
  assert.ok(state, 'the first view sets the state cookie');
  const second = await fetch(`${worker.url}/pricing`, { headers: { cookie: state } });
  await second.text();
  state = stateOf(second);
  assert.match(second.headers.get('server-timing'), /pricing_interest:2\.0/);

  const page = await fetch(`${worker.url}/`, { headers: { cookie: state } });
  assert.equal(variantOf(await page.text(), 'hero'), 'pricing-interest', 'the page');

  const decide = await fetch(`${worker.url}/__tailor/decide?path=/`, { headers: { cookie: state } });
  const decided = await decide.json();
  assert.equal(decided.decisions.find((d) => d.block === 'hero').variant, 'pricing-interest', 'the decision API');
  assert.equal(decided.profile.attributes.signals.pricing_interest, 2, 'the API only reads: no third view counted');
  assert.equal(decide.headers.getSetCookie().length, 0);

  const provider = new OFREPWebProvider({ baseUrl: worker.url, headers: [['Cookie', state]], disableVisibilityRefresh: true });
  await OpenFeature.setProviderAndWait('routes', provider, {});
  const details = OpenFeature.getClient('routes').getStringDetails('hero', 'none');
  assert.equal(details.value, 'pricing-interest', 'OFREP through the OpenFeature web SDK');
  assert.equal(details.flagMetadata.tailorReason, 'rule');

  const why = await (await fetch(`${worker.url}/__tailor/why`, { headers: { cookie: state } })).text();
  assert.match(why, /“pricing-interest”/);

  // Without the signals, everyone's hero: the state cookie is what made the difference.
  const anonymous = await (await fetch(`${worker.url}/ofrep/v1/evaluate/flags/hero`, { method: 'POST', body: '{}' })).json();
  assert.equal(anonymous.value, 'default');
});

test('the decision API and the beacon make no generator call and read no fragment for a segment whose fragments are missing', { timeout: 60_000 }, async () => {
  // A segment no spotlight variant fits: a page generates its spotlight.
  const cookie = `${COOKIE}=${mint({ ind: 'retail', role: 'founder', size: 'mid', bid: 'visitor-retail-founder' })}`;
  const before = generator.calls().length;
  const decide = await fetch(`${bare.url}/__tailor/decide?path=/`, { headers: { cookie } });
  const decided = await decide.json();
  assert.equal(decided.outcome, 'personalize');
  assert.equal(decided.decisions.find((d) => d.block === 'spotlight').variant, 'default');
  const timing = decide.headers.get('server-timing');
  assert.match(timing, /decide;dur=/);
  assert.doesNotMatch(timing, /fragments|generat/, timing);

  sink.lines.length = 0;
  const beacon = await fetch(`${bare.url}/__tailor/event`, {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'click', block: 'cta', path: '/' }),
  });
  assert.equal(beacon.status, 204);
  assert.doesNotMatch(beacon.headers.get('server-timing'), /fragments|generat/);
  // No page served to this visitor yet: nothing to credit (the served ledger is empty).
  assert.match(beacon.headers.get('server-timing'), /beacon;desc="credited 0"/);
  await new Promise((ok) => setTimeout(ok, 500));
  assert.equal(generator.calls().length, before, 'no generator call from the API or the beacon');

  // The page does both: its fragments miss, and it asks the generator.
  const page = await fetch(`${bare.url}/`, { headers: { cookie, 'accept-encoding': 'identity' } });
  await page.text();
  assert.match(page.headers.get('server-timing'), /fragment-missing/);
  for (let i = 0; i < 40 && generator.calls().length === before; i += 1) await new Promise((ok) => setTimeout(ok, 50));
  assert.equal(generator.calls().length, before + 1);

  // The page kept the origin's own cta (its fragment is missing here): neither an
  // exposure nor a credit for it, and still no generator call from the beacon.
  await new Promise((ok) => setTimeout(ok, 500));
  assert.ok(!sink.events().some((e) => e.block === 'cta'), 'no exposure for a block the page did not fill');
  const calls = generator.calls().length;
  const again = await fetch(`${bare.url}/__tailor/event`, {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'click', block: 'cta', path: '/' }),
  });
  assert.match(again.headers.get('server-timing'), /beacon;desc="credited 0"/);
  await new Promise((ok) => setTimeout(ok, 300));
  assert.equal(generator.calls().length, calls, 'no generator call from the beacon');
});
