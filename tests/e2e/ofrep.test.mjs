// One persona across channels: the worker's OFREP endpoints, checked with
// OpenFeature's own published SDKs and providers (browser flow with the
// visitor's cookie, server flow with an API key; in Node, and in Python
// through tests/e2e/ofrep_client.py) against what the HTML page shows the
// same visitor.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { OpenFeature as WebOpenFeature } from '@openfeature/web-sdk';
import { OFREPWebProvider } from '@openfeature/ofrep-web-provider';
import { OpenFeature as ServerOpenFeature } from '@openfeature/server-sdk';
import { OFREPProvider } from '@openfeature/ofrep-provider';
import { ROOT, startWorker, kvEntries } from './harness.mjs';
import { COOKIE, DEMO_PROFILES, PROFILE_KEYS, mint, startDemoOrigin, variantOf } from './demo.mjs';

const API_KEY = 'server-key-e2e-0123456789';
let origin, worker;

async function setUp() {
  origin = await startDemoOrigin();
  worker = await startWorker('ofrep', {
    entries: kvEntries('catalog/demo.json'),
    vars: {
      ORIGIN_URL: origin.url,
      TAILOR_SITE: 'demo',
      TAILOR_CATALOG_REFRESH_MS: '0',
      TAILOR_PROFILE_KEYS: PROFILE_KEYS,
      TAILOR_OFREP_KEYS: `old-server-key-0123456789 ${API_KEY}`,
      TAILOR_OFREP_CORS_ORIGINS: 'https://app.example',
    },
  });
}
before(setUp, { timeout: 180_000 });
after(async () => { await WebOpenFeature.close(); await ServerOpenFeature.close(); worker?.stop(); await origin?.stop(); });

const PROFILES = {
  fintech_cto: DEMO_PROFILES['fintech CTO, enterprise'].fields,
  smb_marketer: DEMO_PROFILES['SMB marketer'].fields,
  developer: DEMO_PROFILES.developer.fields,
  lapsed: DEMO_PROFILES['lapsed customer'].fields,
};
const LABELS = { ind: 'industry', role: 'role', size: 'company_size', stage: 'lifecycle' };

async function pageVariants(cookie) {
  const res = await fetch(`${worker.url}/`, { headers: { cookie: `${COOKIE}=${cookie}` } });
  const html = await res.text();
  // Tailor's reason per block, from Server-Timing's `decide;desc="block:variant:reason …"`.
  const decide = /decide;[^,]*desc="([^"]*)"/.exec(res.headers.get('server-timing') ?? '')?.[1] ?? '';
  const reasons = Object.fromEntries(decide.split(' ').filter(Boolean).map((d) => [d.split(':')[0], d.split(':')[2]]));
  return { hero: variantOf(html, 'hero'), cta: variantOf(html, 'cta'), reasons };
}

/** The server flow's evaluation context for a profile: targetingKey and the segment labels. */
function serverContext(id, fields) {
  const context = { targetingKey: id };
  for (const [short, attribute] of Object.entries(LABELS)) if (fields[short]) context[attribute] = fields[short];
  return context;
}

// OpenFeature's Python SDK and OFREP provider, pinned in tests/e2e/requirements.txt
// and installed into .venv by scripts/setup.sh.
const PYTHON = join(ROOT, '.venv/bin/python');

/**
 * Runs tests/e2e/ofrep_client.py: one OFREPProvider per entry of `clients`
 * ({ name: { headers } }), then each of `evaluations` ({ client, flag,
 * default, context }) through the SDK. Returns the details, in order.
 */
function pythonOfrep(clients, evaluations) {
  assert.ok(existsSync(PYTHON), `${PYTHON} is missing: run scripts/setup.sh`);
  return new Promise((ok, fail) => {
    const child = spawn(PYTHON, [join(ROOT, 'tests/e2e/ofrep_client.py')], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => { stdout += chunk; });
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    child.on('error', fail);
    child.on('close', (code) => {
      if (code !== 0) return fail(new Error(`ofrep_client.py exited ${code}: ${stderr}`));
      try { ok(JSON.parse(stdout)); } catch (e) { fail(new Error(`ofrep_client.py: ${e.message}: ${stdout} ${stderr}`)); }
    });
    child.stdin.end(JSON.stringify({ base_url: worker.url, clients, evaluations }));
  });
}

test('the OpenFeature web SDK with the OFREP web provider gets the variants the page shows, per profile', { timeout: 60_000 }, async () => {
  for (const [name, fields] of Object.entries(PROFILES)) {
    const cookie = mint(fields);
    const provider = new OFREPWebProvider({
      baseUrl: worker.url,
      // What the browser would send: the visitor's own cookie.
      headers: [['Cookie', `${COOKIE}=${cookie}`]],
      disableVisibilityRefresh: true,
    });
    await WebOpenFeature.setProviderAndWait(name, provider, { route: '/' });
    const client = WebOpenFeature.getClient(name);
    const page = await pageVariants(cookie);
    assert.equal(client.getStringValue('hero', 'none'), page.hero, `${name} hero`);
    assert.equal(client.getStringValue('cta', 'none'), page.cta, `${name} cta`);
    const details = client.getStringDetails('hero', 'none');
    assert.equal(details.reason, 'TARGETING_MATCH');
    assert.equal(details.flagMetadata.tailorReason, 'rule');
    assert.match(String(details.flagMetadata.catalogVersion), /^v-/);
  }
});

test('the OpenFeature server SDK with the OFREP provider and an API key gets the same for the same segment labels', { timeout: 60_000 }, async () => {
  ServerOpenFeature.setProvider('server', new OFREPProvider({ baseUrl: worker.url, headers: [['X-API-Key', API_KEY]] }));
  const client = ServerOpenFeature.getClient('server');
  for (const [name, fields] of Object.entries(PROFILES)) {
    // The same bucketing id on both sides: exploration (an id-hashed share per
    // period) must then pick the same for both, whatever the period.
    const id = `customer_${name}`;
    const context = serverContext(id, fields);
    const page = await pageVariants(mint({ ...fields, bid: id }));
    assert.equal(await client.getStringValue('hero', 'none', context), page.hero, `${name} hero`);
    assert.equal(await client.getStringValue('cta', 'none', context), page.cta, `${name} cta`);
  }
  // An unknown flag is FLAG_NOT_FOUND, and the SDK falls back to the code default.
  const missing = await client.getStringDetails('no-such-block', 'fallback', { targetingKey: 'x' });
  assert.equal(missing.value, 'fallback');
  assert.equal(missing.errorCode, 'FLAG_NOT_FOUND');
});

test('the OpenFeature Python SDK with the OFREP provider and an API key gets the same for the same segment labels', { timeout: 60_000 }, async () => {
  const evaluations = [];
  const pages = {};
  for (const [name, fields] of Object.entries(PROFILES)) {
    // The same bucketing id as the page's cookie, as in the Node server test;
    // `name` is for the assertions (ofrep_client.py ignores it).
    const id = `customer_${name}`;
    pages[name] = await pageVariants(mint({ ...fields, bid: id }));
    for (const flag of ['hero', 'cta']) evaluations.push({ client: 'server', flag, default: 'none', context: serverContext(id, fields), name });
  }
  // An unknown flag is FLAG_NOT_FOUND, and the SDK falls back to the code default.
  evaluations.push({ client: 'server', flag: 'no-such-block', default: 'fallback', context: { targetingKey: 'x' } });
  const results = await pythonOfrep({ server: { headers: { 'X-API-Key': API_KEY } } }, evaluations);
  assert.equal(results.length, evaluations.length);
  const missing = results.pop();
  for (const [i, result] of results.entries()) {
    const { name, flag } = evaluations[i];
    assert.equal(result.value, pages[name][flag], `${name} ${flag}`);
    assert.equal(result.errorCode, null, `${name} ${flag}: ${result.errorMessage}`);
    assert.equal(result.variant, result.value);
    // The same decision, not only the same value: a rule, or exploration for
    // an id hashed into this period's share, on both sides.
    assert.equal(result.flagMetadata.tailorReason, pages[name].reasons[flag], `${name} ${flag} reason`);
    assert.match(String(result.flagMetadata.catalogVersion), /^v-/);
  }
  assert.equal(missing.value, 'fallback');
  assert.equal(missing.errorCode, 'FLAG_NOT_FOUND');
  assert.equal(missing.reason, 'ERROR');
});

test('the OpenFeature Python SDK with the OFREP provider and the visitor\'s cookie gets the variants the page shows', { timeout: 60_000 }, async () => {
  // What an app holding the visitor's cookie sends: the cookie as a header of
  // the provider (headers_factory), one provider per visitor; the context adds
  // only a client-settable fact, and a targetingKey and an industry that the
  // worker must ignore without a key.
  const clients = {};
  const evaluations = [];
  const pages = {};
  for (const [name, fields] of Object.entries(PROFILES)) {
    const cookie = mint({ ...fields, bid: `visitor_${name}` });
    pages[name] = await pageVariants(cookie);
    clients[name] = { headers: { Cookie: `${COOKIE}=${cookie}` } };
    const context = { targetingKey: 'someone-else', industry: 'fintech', route: '/' };
    for (const flag of ['hero', 'cta']) evaluations.push({ client: name, flag, default: 'none', context });
  }
  const results = await pythonOfrep(clients, evaluations);
  assert.equal(results.length, evaluations.length);
  for (const [i, result] of results.entries()) {
    const { client: name, flag } = evaluations[i];
    assert.equal(result.value, pages[name][flag], `${name} ${flag}`);
    assert.equal(result.errorCode, null, `${name} ${flag}: ${result.errorMessage}`);
    assert.equal(result.flagMetadata.tailorReason, pages[name].reasons[flag], `${name} ${flag} reason`);
  }
});

test('a call without a key cannot override a signed dimension', { timeout: 30_000 }, async () => {
  const cookie = mint(PROFILES.smb_marketer);
  const res = await fetch(`${worker.url}/ofrep/v1/evaluate/flags/hero`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: `${COOKIE}=${cookie}` },
    body: JSON.stringify({ context: { targetingKey: 'someone-else', industry: 'fintech', company_size: 'enterprise', role: 'cto' } }),
  });
  assert.equal(res.status, 200);
  assert.equal((await res.json()).value, 'smb-marketer');
  // A wrong key is no key: the same answer.
  const wrong = await fetch(`${worker.url}/ofrep/v1/evaluate/flags/hero`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: `${COOKIE}=${cookie}`, 'x-api-key': 'guess' },
    body: JSON.stringify({ context: { industry: 'fintech', company_size: 'enterprise' } }),
  });
  assert.equal((await wrong.json()).value, 'smb-marketer');
});

test('consent off and Sec-GPC give defaults with reason DISABLED', { timeout: 30_000 }, async () => {
  const res = await fetch(`${worker.url}/ofrep/v1/evaluate/flags`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: `${COOKIE}=${mint(PROFILES.developer)}`, 'sec-gpc': '1' },
    body: '{"context":{}}',
  });
  const { flags } = await res.json();
  assert.ok(flags.length >= 6);
  assert.ok(flags.every((f) => f.reason === 'DISABLED' && f.value === 'default'), JSON.stringify(flags));
});

test('bulk responses carry an ETag, honour If-None-Match, and are never shared', { timeout: 30_000 }, async () => {
  const init = { method: 'POST', headers: { 'content-type': 'application/json', cookie: `${COOKIE}=${mint(PROFILES.lapsed)}` }, body: '{"context":{}}' };
  const first = await fetch(`${worker.url}/ofrep/v1/evaluate/flags`, init);
  const etag = first.headers.get('etag');
  assert.match(etag, /^"[0-9a-f]{32}"$/);
  assert.equal(first.headers.get('cache-control'), 'no-store');
  const again = await fetch(`${worker.url}/ofrep/v1/evaluate/flags`, { ...init, headers: { ...init.headers, 'if-none-match': etag } });
  assert.equal(again.status, 304);
  const other = await fetch(`${worker.url}/ofrep/v1/evaluate/flags`, {
    ...init, headers: { 'content-type': 'application/json', cookie: `${COOKIE}=${mint(PROFILES.developer)}`, 'if-none-match': etag },
  });
  assert.equal(other.status, 200, 'another visitor\'s decisions are another ETag');
});

test('malformed, oversized and unknown requests get OFREP errors that leak nothing', { timeout: 30_000 }, async () => {
  const post = (path, body, headers = {}) => fetch(`${worker.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const bad = await post('/ofrep/v1/evaluate/flags/hero', '{not json');
  assert.equal(bad.status, 400);
  assert.deepEqual(await bad.json(), { key: 'hero', errorCode: 'PARSE_ERROR', errorDetails: 'request body is not JSON' });
  const big = await post('/ofrep/v1/evaluate/flags', JSON.stringify({ context: { route: 'x'.repeat(20_000) } }));
  assert.equal(big.status, 400);
  assert.equal((await big.json()).errorCode, 'PARSE_ERROR');
  const missing = await post('/ofrep/v1/evaluate/flags/nope', '{"context":{}}');
  assert.equal(missing.status, 404);
  assert.equal((await missing.json()).errorCode, 'FLAG_NOT_FOUND');
  assert.equal((await fetch(`${worker.url}/ofrep/v1/evaluate/flags`)).status, 405);
  const config = await (await fetch(`${worker.url}/ofrep/v1/configuration`)).json();
  assert.deepEqual(config.capabilities.flagEvaluation.supportedTypes, ['string']);
});

test('CORS is granted to configured origins only, preflight included, never with *', { timeout: 30_000 }, async () => {
  const preflight = await fetch(`${worker.url}/ofrep/v1/evaluate/flags`, {
    method: 'OPTIONS',
    headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
  });
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers.get('access-control-allow-origin'), 'https://app.example');
  assert.equal(preflight.headers.get('access-control-allow-credentials'), 'true');
  const evil = await fetch(`${worker.url}/ofrep/v1/evaluate/flags`, { method: 'POST', headers: { origin: 'https://evil.example' }, body: '{}' });
  assert.equal(evil.headers.get('access-control-allow-origin'), null);
});
