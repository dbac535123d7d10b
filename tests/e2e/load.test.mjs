// A bounded load run against `wrangler dev` on 127.0.0.1: good, bad and
// abusive requests mixed at concurrency 16. Every personalized response is
// checked against the profile that asked for it (no page leaks between
// profiles), nothing answers 5xx, and the figures are reported.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker, kvEntries } from './harness.mjs';
import { COOKIE, DEMO_PROFILES, PROFILE_KEYS, mint, startDemoOrigin, variantOf } from './demo.mjs';

let origin, worker;
const TOTAL = Number(process.env.LOAD_REQUESTS ?? 1200);
const CONCURRENCY = 16;

async function setUp() {
  origin = await startDemoOrigin();
  worker = await startWorker('load', {
    entries: kvEntries('catalog/demo.json'),
    vars: { ORIGIN_URL: origin.url, TAILOR_SITE: 'demo', TAILOR_PROFILE_KEYS: PROFILE_KEYS },
  });
}
before(setUp, { timeout: 180_000 });
after(async () => { worker?.stop(); await origin?.stop(); });

const profiles = Object.entries(DEMO_PROFILES).map(([name, p]) => ({ name, cookie: `${COOKIE}=${mint(p.fields)}`, hero: p.expected }));

/** The request mix: [kind, path, init, check(res, body)]. */
function requestFor(i) {
  const kind = i % 10;
  if (kind < 5) {
    const p = profiles[i % profiles.length];
    return ['profile', '/', { headers: { cookie: p.cookie } }, (res, body) => {
      assert.equal(res.status, 200);
      assert.equal(variantOf(body, 'hero'), p.hero, `${p.name} got another profile's hero`);
      assert.equal(res.headers.get('cache-control'), 'private, no-store');
    }];
  }
  if (kind === 5) return ['anonymous', '/', {}, (res, body) => assert.equal(variantOf(body, 'hero'), 'default')];
  if (kind === 6) {
    const p = profiles[i % profiles.length];
    const tampered = p.cookie.slice(0, -3) + (p.cookie.endsWith('A') ? 'BBB' : 'AAA');
    return ['tampered cookie', '/', { headers: { cookie: tampered } }, (res, body) => assert.equal(variantOf(body, 'hero'), 'default')];
  }
  if (kind === 7) {
    const junk = Array.from({ length: 200 }, (_, n) => `c${n}=${'x'.repeat(60)}`).join('; ');
    return ['huge cookie header', '/', { headers: { cookie: `${junk}; ${COOKIE}=${'é'.repeat(300)}` } }, (res) => assert.ok(res.status < 500)];
  }
  if (kind === 8) {
    const paths = ['/index.html;x.css', '/%2e%2e/%2e%2e/etc/passwd', '/pricing?utm_source=<script>', '/__tailor/nope', '/assets/site.css', '/ofrep/v1/evaluate/flags'];
    return ['odd path', paths[i % paths.length], {}, (res) => assert.ok(res.status < 500, `status ${res.status}`)];
  }
  const bodies = ['{', 'x'.repeat(5000), JSON.stringify({ type: 'click', block: 'cta', path: '/' })];
  return ['beacon / push abuse', i % 20 === 9 ? '/__tailor/publish' : '/__tailor/event', { method: 'POST', body: bodies[i % bodies.length] }, (res) => assert.ok(res.status < 500, `status ${res.status}`)];
}

test(`a bounded load run of ${TOTAL} mixed requests: no 5xx, no personalized page reaches the wrong profile`, { timeout: 600_000 }, async (t) => {
  const started = performance.now();
  const counts = {};
  const failures = [];
  let next = 0;
  async function workerLoop() {
    while (next < TOTAL) {
      const i = next;
      next += 1;
      const [kind, path, init, check] = requestFor(i);
      counts[kind] = (counts[kind] ?? 0) + 1;
      try {
        const res = await fetch(`${worker.url}${path}`, init);
        const body = await res.text();
        assert.ok(res.status < 500, `${kind} ${path}: ${res.status}`);
        check(res, body);
      } catch (error) {
        failures.push(`${kind} ${path}: ${error.message}`);
      }
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, workerLoop));
  const seconds = (performance.now() - started) / 1000;
  t.diagnostic(`${TOTAL} requests in ${seconds.toFixed(1)} s (${(TOTAL / seconds).toFixed(0)}/s) at concurrency ${CONCURRENCY}: ${JSON.stringify(counts)}; failures ${failures.length}`);
  console.log(`load: ${TOTAL} requests, ${(TOTAL / seconds).toFixed(0)}/s, failures ${failures.length}, mix ${JSON.stringify(counts)}`);
  assert.deepEqual(failures.slice(0, 5), []);
  // And the worker still serves normally afterwards.
  const after = await fetch(`${worker.url}/`, { headers: { cookie: profiles[0].cookie } });
  assert.equal(variantOf(await after.text(), 'hero'), profiles[0].hero);
});
