// The walking skeleton end to end: the built worker under `wrangler dev`
// (workerd, local KV), in front of a local origin on 127.0.0.1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker, kvEntries, tailor } from './harness.mjs';
import { startOrigin, PAGE, PNG } from './origin.mjs';

const CATALOG = 'tests/fixtures/catalog.json';
let origin, worker, missing, corrupt;

async function setUp() {
  origin = await startOrigin();
  const entries = kvEntries(CATALOG);
  const vars = { ORIGIN_URL: origin.url, TAILOR_CATALOG_REFRESH_MS: '0' };
  [worker, missing, corrupt] = await Promise.all([
    startWorker('skeleton', { entries, vars: { ...vars, TAILOR_SITE: 'shop' } }),
    // A pointer naming a manifest that is not there (a half-visible publish).
    startWorker('missing-manifest', {
      entries: [{ key: 'tailor/shop/live', value: '{"schema":1,"version":"v-0000000000000000"}' }],
      vars: { ...vars, TAILOR_SITE: 'shop' },
    }),
    // A pointer naming a manifest that is not JSON.
    startWorker('corrupt-manifest', {
      entries: [
        { key: 'tailor/shop/live', value: '{"schema":1,"version":"v-0000000000000001"}' },
        { key: 'tailor/shop/manifest/v-0000000000000001', value: '{"schema":1,"site":"shop","blo' },
      ],
      vars: { ...vars, TAILOR_SITE: 'shop' },
    }),
  ]);
}
before(setUp, { timeout: 180_000 });

after(async () => {
  for (const w of [worker, missing, corrupt]) w?.stop();
  await origin?.stop();
});

const bytes = async (res) => Buffer.from(await res.arrayBuffer());

test('marked blocks are filled from the catalog in KV by the native rewriter', { timeout: 30_000 }, async () => {
  const res = await fetch(`${worker.url}/`);
  assert.equal(res.status, 200);
  const body = await res.text();
  assert.match(body, /<tailor-block name="hero"><h1 class="hero">Made for you — at the edge<\/h1><\/tailor-block>/);
  // Published through the sanitizer: links gain rel="noopener noreferrer".
  assert.match(body, /<tailor-block name="cta"><a class="btn" href="\/start" rel="noopener noreferrer">Start now ✓<\/a><\/tailor-block>/);
  assert.match(body, /<TAILOR-BLOCK NAME="banner"><p>Ünïcödé bänner · 日本語<\/p><\/TAILOR-BLOCK>/);
  assert.match(body, /Kept: the catalog does not know this block/);
  assert.match(body, /var s = '<tailor-block name="hero">in a script<\/tailor-block>';/);
});

test('the worker serves the same bytes the native engine produces for the same plan', { timeout: 30_000 }, async () => {
  const expected = tailor('render', 'tests/fixtures/page.html', '--catalog', CATALOG, '--path', '/');
  const served = await bytes(await fetch(`${worker.url}/`));
  assert.ok(served.equals(expected), `worker and native engine differ:\n${served}\n---\n${expected}`);
});

test('a personalized page is private, has no origin validators, and reports its phases', { timeout: 30_000 }, async () => {
  const res = await fetch(`${worker.url}/index.html`);
  await res.arrayBuffer();
  assert.equal(res.headers.get('cache-control'), 'private, no-store');
  assert.equal(res.headers.get('etag'), null);
  assert.equal(res.headers.get('last-modified'), null);
  assert.equal(res.headers.get('x-origin'), 'fixture');
  const timing = res.headers.get('server-timing');
  for (const phase of ['catalog;dur=', 'decide;dur=', 'fragments;dur=', 'rewrite;desc=']) {
    assert.ok(timing.includes(phase), `${phase} missing in ${timing}`);
  }
});

test('a marker split across chunks of a slowly streaming origin is rewritten, and the page streams', { timeout: 30_000 }, async () => {
  // identity: wrangler dev's proxy gzips for clients that accept it and its
  // compressor holds small chunks back; the worker's own streaming is what we test.
  const res = await fetch(`${worker.url}/slow`, { headers: { 'accept-encoding': 'identity' } });
  const reader = res.body.getReader();
  // The origin holds its last chunk back until the first bytes have reached us:
  // a worker that buffered the page would never get here.
  const first = await reader.read();
  assert.ok(first.value.length > 0);
  (await origin.slowHeldBack())();
  const parts = [Buffer.from(first.value)];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(Buffer.from(value));
  }
  const expected = tailor('render', 'tests/fixtures/page.html', '--catalog', CATALOG, '--path', '/slow');
  assert.ok(Buffer.concat(parts).equals(expected));
});

async function assertPassThrough(path, init = {}) {
  const [direct, via] = await Promise.all([fetch(`${origin.url}${path}`, { redirect: 'manual', ...init }),
    fetch(`${worker.url}${path}`, { redirect: 'manual', ...init })]);
  assert.equal(via.status, direct.status, path);
  for (const name of ['content-type', 'etag', 'last-modified', 'cache-control', 'x-origin', 'location', 'content-range']) {
    assert.equal(via.headers.get(name), direct.headers.get(name), `${path}: ${name}`);
  }
  assert.equal(via.headers.get('server-timing'), null, `${path}: server-timing`);
  assert.ok((await bytes(via)).equals(await bytes(direct)), `${path}: body differs`);
}

test('non-HTML responses pass through byte-identical', { timeout: 30_000 }, async () => {
  await assertPassThrough('/style.css');
  await assertPassThrough('/image.png');
  await assertPassThrough('/data');
  assert.ok((await bytes(await fetch(`${worker.url}/image.png`))).equals(PNG));
});

test('non-200 responses, redirects, Range and POST requests pass through byte-identical', { timeout: 30_000 }, async () => {
  await assertPassThrough('/missing');
  await assertPassThrough('/redirect');
  await assertPassThrough('/', { headers: { range: 'bytes=0-9' } });
  await assertPassThrough('/', { method: 'POST', body: 'a=1' });
});

test('a page the catalog does not cover passes through byte-identical', { timeout: 30_000 }, async () => {
  await assertPassThrough('/about');
});

test('a pointer naming a missing manifest fails open to the origin page, byte for byte', { timeout: 30_000 }, async () => {
  const res = await fetch(`${missing.url}/`);
  assert.equal(res.status, 200);
  assert.ok((await bytes(res)).equals(PAGE));
  assert.equal(res.headers.get('cache-control'), 'public, max-age=300');
  assert.match(res.headers.get('server-timing'), /fail-open: manifest-missing/);
});

test('a corrupt manifest fails open to the origin page, byte for byte', { timeout: 30_000 }, async () => {
  const res = await fetch(`${corrupt.url}/`);
  assert.equal(res.status, 200);
  assert.ok((await bytes(res)).equals(PAGE));
  assert.match(res.headers.get('server-timing'), /fail-open: catalog-corrupt/);
});

test('the worker keeps serving after failures', { timeout: 30_000 }, async () => {
  for (let i = 0; i < 5; i++) {
    assert.equal((await fetch(`${corrupt.url}/`)).status, 200);
    assert.equal((await fetch(`${worker.url}/`)).status, 200);
  }
  assert.doesNotMatch(worker.log(), /panicked|RuntimeError/);
});
