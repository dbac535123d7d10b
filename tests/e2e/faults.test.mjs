// Hostile requests and key rotation end to end: headers an attacker controls
// never reach a response, and the whole profile-key rotation sequence keeps
// every visitor served (old cookies honoured until the old key is removed).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker, kvEntries } from './harness.mjs';
import { COOKIE, DEMO_PROFILES, KID, PROFILE_KEYS, mint, startDemoOrigin, variantOf } from './demo.mjs';
import { sign } from '../../examples/node/profile-cookie.mjs';

const started = [];
after(async () => { for (const s of started) await s.stop(); });

async function demoWorker(name, vars) {
  const origin = await startDemoOrigin();
  started.push(origin);
  const worker = await startWorker(name, {
    entries: kvEntries('catalog/demo.json'),
    vars: { ORIGIN_URL: origin.url, TAILOR_SITE: 'demo', ...vars },
  });
  started.push({ stop: async () => worker.stop() });
  return worker;
}

const EVIL = 'evil-attacker.example';
const SCRIPT = '<script>alert(1337)</script>';

test('headers an attacker controls never reach a response header or body', { timeout: 120_000 }, async () => {
  const worker = await demoWorker('faults-headers', { TAILOR_PROFILE_KEYS: PROFILE_KEYS, TAILOR_PREVIEW: 'on' });
  const hostile = {
    'x-forwarded-host': EVIL,
    'x-forwarded-proto': `javascript:${EVIL}`,
    'x-forwarded-for': `1.2.3.4, ${EVIL}`,
    'x-original-url': `/${EVIL}`,
    'x-rewrite-url': `/${EVIL}`,
    forwarded: `host=${EVIL}`,
    referer: `https://${EVIL}/${SCRIPT}`,
    'user-agent': `Mozilla/5.0 ${SCRIPT} ${EVIL}`,
    origin: `https://${EVIL}`,
    'x-api-key': SCRIPT,
    'if-none-match': `"${EVIL}"`,
    cookie: `${COOKIE}=${mint(DEMO_PROFILES.developer.fields)}; other=${EVIL}`,
  };
  const paths = ['/', '/pricing', `/?utm_source=${encodeURIComponent(SCRIPT)}&q=${EVIL}`, '/__tailor/why', '/__tailor/decide?path=/', '/__tailor/preview', '/ofrep/v1/configuration', '/nope'];
  for (const path of paths) {
    const res = await fetch(`${worker.url}${path}`, { headers: hostile });
    const body = await res.text();
    assert.ok(res.status < 500, `${path}: ${res.status}`);
    for (const [name, value] of res.headers) {
      assert.ok(!value.includes(EVIL) && !value.includes('alert(1337)'), `${path}: header ${name} reflects the attacker: ${value}`);
    }
    assert.ok(!body.includes(EVIL), `${path}: body reflects ${EVIL}`);
    assert.ok(!body.includes(SCRIPT), `${path}: body reflects a script`);
  }
  // A hostile Host header does not change what is served.
  const page = await (await fetch(`${worker.url}/`, { headers: { cookie: hostile.cookie, 'x-forwarded-host': EVIL } })).text();
  assert.equal(variantOf(page, 'hero'), 'developer');
});

test('the whole profile-key rotation sequence keeps visitors served', { timeout: 180_000 }, async () => {
  const NEW_KID = 'k2';
  const NEW_SECRET = 'cm90YXRpb24tdGVzdC1uZXcta2V5LTMyLWJ5dGVzLWxvbmch';
  const now = () => Math.floor(Date.now() / 1000);
  const fields = DEMO_PROFILES['fintech CTO, enterprise'].fields;
  const oldCookie = mint(fields);
  const newCookie = sign({ kid: NEW_KID, secret: NEW_SECRET, profile: { i: now() - 60, e: now() + 86_400, c: 'pa', ...fields } });
  const heroFor = async (worker, cookie) => {
    const res = await fetch(`${worker.url}/`, { headers: { cookie: `${COOKIE}=${cookie}` } });
    return { hero: variantOf(await res.text(), 'hero'), timing: res.headers.get('server-timing') };
  };
  // 1. Only the old key.
  const before = await demoWorker('faults-rotation-1', { TAILOR_PROFILE_KEYS: PROFILE_KEYS });
  assert.equal((await heroFor(before, oldCookie)).hero, 'fintech-enterprise');
  assert.match((await heroFor(before, newCookie)).timing, /anonymous unknown-key/);
  before.stop();
  // 2. Both, the new one first (it signs from now on): both cookies work.
  const during = await demoWorker('faults-rotation-2', { TAILOR_PROFILE_KEYS: `${NEW_KID}:${NEW_SECRET} ${PROFILE_KEYS}` });
  assert.equal((await heroFor(during, oldCookie)).hero, 'fintech-enterprise');
  assert.equal((await heroFor(during, newCookie)).hero, 'fintech-enterprise');
  assert.match((await heroFor(during, newCookie)).timing, new RegExp(`cookie ${NEW_KID}`));
  during.stop();
  // 3. The old key removed: old cookies are anonymous visitors, never errors.
  const afterRotation = await demoWorker('faults-rotation-3', { TAILOR_PROFILE_KEYS: `${NEW_KID}:${NEW_SECRET}` });
  const old = await heroFor(afterRotation, oldCookie);
  assert.equal(old.hero, 'default');
  assert.match(old.timing, new RegExp(`anonymous unknown-key`));
  assert.equal((await heroFor(afterRotation, newCookie)).hero, 'fintech-enterprise');
  assert.ok(KID !== NEW_KID);
});

test('an origin that resets mid-body: the bytes it sent pass through as they would have, never a page of ours; the next request is served', { timeout: 120_000 }, async () => {
  const { createServer } = await import('node:http');
  const { readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { ROOT } = await import('./harness.mjs');
  const page = readFileSync(join(ROOT, 'www/index.html'));
  const cut = page.indexOf('<tailor-block name="cta"') + 40;
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    if (req.url.includes('reset=1')) {
      res.write(page.subarray(0, cut));
      setTimeout(() => req.socket.destroy(), 100);
    } else {
      res.end(page);
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  started.push({ stop: () => new Promise((ok) => { server.closeAllConnections?.(); server.close(ok); }) });
  const worker = await startWorker('faults-reset', {
    entries: kvEntries('catalog/demo.json'),
    vars: { ORIGIN_URL: `http://127.0.0.1:${server.address().port}`, TAILOR_SITE: 'demo', TAILOR_PROFILE_KEYS: PROFILE_KEYS },
  });
  started.push({ stop: async () => worker.stop() });
  const headers = { cookie: `${COOKIE}=${mint(DEMO_PROFILES.developer.fields)}`, 'accept-encoding': 'identity' };
  const whole = await (await fetch(`${worker.url}/`, { headers })).text();
  // `/` is a page the demo catalog covers: the cut stream is being personalized.
  const res = await fetch(`${worker.url}/?reset=1`, { headers });
  assert.equal(res.status, 200, 'the origin status, not ours');
  const reader = res.body.getReader();
  const chunks = [];
  let ended = 'cleanly';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      chunks.push(Buffer.from(value));
    }
  } catch {
    ended = 'with an error';
  }
  const received = Buffer.concat(chunks).toString('utf8');
  assert.ok(received.length > 0, 'the bytes before the reset arrive');
  let same = 0;
  while (same < received.length && received[same] === whole[same]) same += 1;
  assert.ok(whole.startsWith(received), `what arrived (${received.length} bytes, ended ${ended}) is a prefix of the full personalized page; they differ at ${same}: ${JSON.stringify(received.slice(same - 80, same + 80))} vs ${JSON.stringify(whole.slice(same - 80, same + 80))}`);
  assert.doesNotMatch(received, /Bad gateway/);
  assert.ok(received.length < whole.length, 'the page is cut where the origin cut it, not completed by us');
  // The isolate is fine: the next page is whole and personalized.
  const next = await (await fetch(`${worker.url}/`, { headers })).text();
  assert.equal(next, whole);
  assert.equal(variantOf(next, 'hero'), 'developer');
});
