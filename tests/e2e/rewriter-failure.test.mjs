// The built Tailor worker (build/worker/entry.mjs) when workerd's
// HTMLRewriter fails mid-stream, under plain workerd (Miniflare, no wrangler:
// wrangler dev's own proxy runs every HTML response through an HTMLRewriter of
// its own, which cuts such pages whatever the worker did): the demo page with
// a 4 MiB marker attribute (over the rewriter's 3 MiB cap) or `<noscript>`
// inside `<select>` (which strict mode refuses), in 4 KiB chunks: the block
// keeps the origin's content, the document is whole. rewrite-markers.test.mjs
// runs src/worker/rewrite-markers.mjs alone at every chunk boundary;
// resilience.test.mjs runs the cap cases under wrangler dev.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Miniflare } from 'miniflare';
import { ROOT, kvEntries } from './harness.mjs';
import { COOKIE, DEMO_PROFILES, PROFILE_KEYS, blockContent, mint, outsideBlocks, variantOf } from './demo.mjs';

const AMBIGUOUS = '<select name="plan"><option>Pro</option><noscript>pick one</noscript></select>';

let origin;
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
  // ?case=…: the demo page (or a variant) in 4 KiB chunks, as a server streaming it would send it.
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://origin');
    const demo = Buffer.from(DEMO_CASES[url.searchParams.get('case')], 'utf8');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    for (let at = 0; at < demo.length; at += 4096) {
      res.write(demo.subarray(at, at + 4096));
      await sleep(1);
    }
    res.end();
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  origin = server;
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
  origin?.close();
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
