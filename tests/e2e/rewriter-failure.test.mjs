// workerd's HTMLRewriter failing mid-stream, under plain workerd (Miniflare,
// no wrangler: wrangler dev's own proxy runs every HTML response through an
// HTMLRewriter of its own, which cuts such pages whatever the worker did).
//
// 1. src/worker/rewrite-markers.mjs alone, at every chunk boundary: the page
//    is rewritten whole when the rewriter copes, and kept whole when it fails
//    (`<noscript>` inside `<select>`, which strict mode refuses).
// 2. The built Tailor worker (build/worker/entry.mjs) on the demo page with a
//    4 MiB marker attribute (over the rewriter's 3 MiB cap) or the ambiguous
//    markup, in 4 KiB chunks: the block keeps the origin's content, the
//    document is whole. resilience.test.mjs runs the cap cases under wrangler dev.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Miniflare } from 'miniflare';
import { ROOT, kvEntries } from './harness.mjs';
import { COOKIE, DEMO_PROFILES, PROFILE_KEYS, blockContent, mint, outsideBlocks, variantOf } from './demo.mjs';

// An empty fill too: while its block is open the output cannot end with it.
const FILLS = { hero: '<h1>Hero for developers</h1>', proof: '<p>Proof for developers</p>', badge: '' };
const HEAD = '<!doctype html><html><head><title>t</title></head><body>';
const HERO = '<tailor-block name="hero"><h1>The origin\'s hero</h1></tailor-block>';
const PROOF = '<tailor-block name="proof"><p>The origin\'s proof</p></tailor-block>';
const BADGE = '<tailor-block name="badge"><span>New</span></tailor-block>';
const TAIL = '<footer><a href="/a?b=1&amp;c=2" title="x<y">end</a></footer></body></html>';
const AMBIGUOUS = '<select name="plan"><option>Pro</option><noscript>pick one</noscript></select>';

/** Pages by name: whole, and the same with the markup strict mode refuses between the blocks. */
const PAGES = {
  whole: `${HEAD}${HERO}<p>between ${BADGE} <b>the</b> blocks</p>${PROOF}${TAIL}`,
  failing: `${HEAD}${HERO}<p>between ${BADGE} <b>the</b> blocks</p>${AMBIGUOUS}${PROOF}${TAIL}`,
  failingInBlock: `${HEAD}${HERO}<p>between</p><tailor-block name="proof"><p>The origin's proof</p>${AMBIGUOUS}<p>more</p></tailor-block>${TAIL}`,
};

const WORKER = `
import { rewriteMarkers } from './rewrite-markers.mjs';
const FILLS = new Map(Object.entries(${JSON.stringify(FILLS)}));
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const response = await fetch(env.ORIGIN + url.pathname + url.search);
    return rewriteMarkers(response, 'tailor-block[name]', 'name', FILLS, !url.searchParams.has('unguarded'));
  },
};`;

let origin;
let mf;
let tailor;

/** The demo home page and its variants the rewriter fails on, by `case`. */
const DEMO = readFileSync(join(ROOT, 'www/index.html'), 'utf8');
const PROOF_TAG = '<tailor-block name="proof">';
const DEMO_CASES = {
  plain: DEMO,
  'marker-attr-4mib': DEMO.replace(PROOF_TAG, `<tailor-block name="proof" data-x="${'a'.repeat(4 << 20)}">`),
  ambiguous: DEMO.replace(PROOF_TAG, `${AMBIGUOUS}${PROOF_TAG}`),
};
const developer = { cookie: `${COOKIE}=${mint(DEMO_PROFILES.developer.fields)}` };

before(async () => {
  // ?page=…&at=…: the page in two chunks, split at byte `at`; &bytes: one chunk per byte;
  // &length: one chunk with Content-Length.
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://origin');
    if (url.searchParams.has('case')) {
      // The demo page in 4 KiB chunks, as a server streaming it would send it.
      const demo = Buffer.from(DEMO_CASES[url.searchParams.get('case')], 'utf8');
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      for (let at = 0; at < demo.length; at += 4096) {
        res.write(demo.subarray(at, at + 4096));
        await sleep(1);
      }
      res.end();
      return;
    }
    const page = Buffer.from(PAGES[url.searchParams.get('page')], 'utf8');
    if (url.searchParams.has('length')) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': page.length });
      res.end(page);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    const at = Number(url.searchParams.get('at') ?? -1);
    const cuts = url.searchParams.has('bytes') ? [...page.keys()].slice(1) : at > 0 && at < page.length ? [at] : [];
    let from = 0;
    for (const cut of [...cuts, page.length]) {
      res.write(page.subarray(from, cut));
      from = cut;
      // Apart in time, so workerd reads them as separate chunks.
      if (cut < page.length) await sleep(cuts.length > 1 ? 1 : 3);
    }
    res.end();
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  origin = server;
  mf = new Miniflare({
    modules: [
      { type: 'ESModule', path: 'worker.mjs', contents: WORKER },
      { type: 'ESModule', path: 'rewrite-markers.mjs', contents: readFileSync(join(ROOT, 'src/worker/rewrite-markers.mjs'), 'utf8') },
    ],
    compatibilityDate: '2026-04-01',
    bindings: { ORIGIN: `http://127.0.0.1:${server.address().port}` },
    // workerd logs each failure; the test counts them itself.
    handleRuntimeStdio() {},
  });
  await mf.ready;
  tailor = new Miniflare({
    modules: true,
    scriptPath: join(ROOT, 'build/worker/entry.mjs'),
    modulesRoot: join(ROOT, 'build'),
    modulesRules: [
      { type: 'ESModule', include: ['**/*.mjs', '**/*.js'] },
      { type: 'CompiledWasm', include: ['**/*.wasm'] },
    ],
    compatibilityDate: '2026-04-01',
    bindings: { ORIGIN_URL: `http://127.0.0.1:${server.address().port}`, TAILOR_SITE: 'demo', TAILOR_PROFILE_KEYS: PROFILE_KEYS },
    kvNamespaces: ['CATALOG'],
    handleRuntimeStdio() {},
  });
  const kv = await tailor.getKVNamespace('CATALOG');
  for (const { key, value } of kvEntries('catalog/demo.json')) await kv.put(key, value);
});
after(async () => {
  await tailor?.dispose();
  await mf?.dispose();
  origin?.close();
});

async function get(query) {
  const response = await mf.dispatchFetch(`http://tailor.test/?${query}`);
  return { status: response.status, length: response.headers.get('content-length'), body: await response.text() };
}

const filled = (page) =>
  page
    .replace(HERO, `<tailor-block name="hero">${FILLS.hero}</tailor-block>`)
    .replace(PROOF, `<tailor-block name="proof">${FILLS.proof}</tailor-block>`)
    .replace(BADGE, '<tailor-block name="badge"></tailor-block>');

/** The page with each block's content put back to the origin's, if it is the fill. */
function unfilled(html) {
  return html
    .replace(`<tailor-block name="hero">${FILLS.hero}</tailor-block>`, HERO)
    .replace(`<tailor-block name="proof">${FILLS.proof}</tailor-block>`, PROOF)
    .replace('<tailor-block name="badge"></tailor-block>', BADGE);
}

test('a page the rewriter copes with is filled whole, split at every byte boundary', { timeout: 120_000 }, async () => {
  const page = PAGES.whole;
  const expected = filled(page);
  for (let at = 1; at < Buffer.byteLength(page); at += 1) {
    const { status, body } = await get(`page=whole&at=${at}`);
    assert.equal(status, 200);
    assert.equal(body, expected, `split at ${at}`);
  }
  assert.equal((await get('page=whole&bytes')).body, expected, 'one chunk per byte');
  assert.equal((await get('page=whole&unguarded')).body, expected, 'without the guard (TAILOR_REWRITE_GUARD=off)');
  const withLength = await get('page=whole&length');
  assert.equal(withLength.body, expected, 'one chunk with Content-Length');
  assert.equal(withLength.length, null, 'no Content-Length of the origin on a rewritten body');
});

test('when the rewriter fails mid-stream, at every byte boundary the page is whole and each block is the fill or the origin\'s, never cut or doubled', { timeout: 120_000 }, async (t) => {
  const page = PAGES.failing;
  const heroEnds = page.indexOf(HERO) + HERO.length;
  const failsAt = page.indexOf('<noscript>');
  // A chunk ending inside the (empty-filled) badge leaves a block open: no checkpoint there.
  const badgeStarts = page.indexOf(BADGE);
  const badgeEnds = badgeStarts + BADGE.length;
  let heroFilled = 0;
  let splits = 0;
  for (let at = 1; at < Buffer.byteLength(page); at += 1) {
    const { status, body } = await get(`page=failing&at=${at}`);
    splits += 1;
    assert.equal(status, 200);
    assert.equal(unfilled(body), page, `split at ${at}: outside the blocks, the origin's page byte for byte`);
    assert.ok(!body.includes(FILLS.proof), `split at ${at}: the block at the failure keeps the origin's content`);
    if (body.includes(FILLS.hero)) heroFilled += 1;
    // A chunk holding the hero's end tag and what follows it, before the failure: a checkpoint
    // right after the hero (a checkpoint needs no block open; a failing piece loses its output).
    else if (at > heroEnds && at <= failsAt && !(at > badgeStarts && at <= badgeEnds)) assert.fail(`split at ${at}: the hero, read whole before the failure, is filled`);
  }
  t.diagnostic(`hero filled in ${heroFilled} of ${splits} splits`);
  for (const query of ['page=failing&bytes', 'page=failing&length', 'page=failing']) {
    const { body } = await get(query);
    assert.equal(unfilled(body), page, query);
  }
});

test('when the rewriter fails inside a filled block, at every byte boundary that block keeps the origin\'s content whole', { timeout: 120_000 }, async () => {
  const page = PAGES.failingInBlock;
  for (let at = 1; at < Buffer.byteLength(page); at += 1) {
    const { body } = await get(`page=failingInBlock&at=${at}`);
    assert.equal(body.replace(FILLS.hero, '<h1>The origin\'s hero</h1>'), page, `split at ${at}`);
  }
});

test('the Tailor worker under plain workerd: when the rewriter fails on the demo page, the block keeps the origin\'s content and the document is whole', { timeout: 60_000 }, async (t) => {
  const page = async (kind) => {
    const response = await tailor.dispatchFetch(`http://tailor.test/?case=${kind}`, { headers: developer });
    return { status: response.status, html: await response.text() };
  };
  const personalized = await page('plain');
  assert.equal(variantOf(personalized.html, 'hero'), 'developer');
  for (const kind of ['marker-attr-4mib', 'ambiguous']) {
    const expected = DEMO_CASES[kind];
    const { status, html } = await page(kind);
    t.diagnostic(`${kind}: ${status}, ${Buffer.byteLength(html)} bytes (origin ${Buffer.byteLength(expected)})`);
    assert.equal(status, 200, kind);
    assert.ok(html.trimEnd().endsWith('</html>'), `${kind}: not truncated (${Buffer.byteLength(html)} bytes, ending ${JSON.stringify(html.slice(-40))})`);
    assert.equal(outsideBlocks(html), outsideBlocks(expected), `${kind}: outside the blocks, the origin's page`);
    assert.equal(blockContent(html, 'proof'), blockContent(expected, 'proof'), `${kind}: the block at the failure keeps the origin's content`);
    assert.equal(variantOf(html, 'hero'), 'developer', `${kind}: the hero, before the failure, is personalized`);
  }
  assert.equal((await page('plain')).html, personalized.html, 'the next page is whole and personalized');
});
