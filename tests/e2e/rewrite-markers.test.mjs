// src/worker/rewrite-markers.mjs alone, under plain workerd (Miniflare from
// node_modules, no wrangler: wrangler dev's proxy runs every HTML response
// through an HTMLRewriter of its own, which fails on markup this module must
// survive). The module fills `<tailor-block name=…>` elements from a Map
// through workerd's HTMLRewriter; guarded (the default, TAILOR_REWRITE_GUARD)
// it holds the rewriter's output back to checkpoints so that a page stays
// whole when the rewriter fails mid-stream.
//
// A test worker calls the module as src/worker/rewriter.rs does (the same
// selector and attribute, read from src/rewrite/plan.rs) on an origin body it
// makes itself from the case's page: a native stream written chunk by chunk
// at the test's cut points, so every chunk boundary is exact (each chunk is
// one read of the module's). It returns the module's response as it is, or
// (`inspect`) reads it itself and reports what a client would get: the
// bytes, how many chunks, whether the stream ended with an error, and what
// had arrived while the origin stalled after its first chunk. A few cases
// also go through a real origin on 127.0.0.1 (Content-Length, a reset
// socket, timing-split chunks).
//
// Every case runs guarded and unguarded, at every two-chunk split and in
// one-byte chunks; cases over 100 KB run at the boundaries around each
// marker and each of the module's read sizes instead, and in chunks of a few
// sizes. rewriter-failure.test.mjs runs the built Tailor worker on pages the
// rewriter fails on.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Miniflare } from 'miniflare';
import { ROOT } from './harness.mjs';
import { outsideBlocks } from './demo.mjs';

/** The selector and attribute the worker passes (src/rewrite/plan.rs). */
const PLAN_RS = readFileSync(join(ROOT, 'src/rewrite/plan.rs'), 'utf8');
const rustConst = (name) => new RegExp(`pub const ${name}: &str = "([^"]*)";`).exec(PLAN_RS)[1];
const SELECTOR = rustConst('MARKER_SELECTOR');
const ATTRIBUTE = rustConst('MARKER_NAME_ATTRIBUTE');
/** The module's read sizes: reads start at 16 KiB and double up to 256 KiB. */
const READ_BOUNDARIES = [16, 48, 112, 240, 496].map((kib) => kib * 1024);

// ------------------------------------------------------------------ the pages

const block = (name, inner) => `<tailor-block name="${name}">${inner}</tailor-block>`;
const HEAD = '<!doctype html><html><head><title>t</title></head><body>';
const HERO = block('hero', '<h1>The origin\'s hero</h1>');
const PROOF = block('proof', '<p>The origin\'s proof</p>');
const BADGE = block('badge', '<span>New</span>');
const TAIL = '<footer><a href="/a?b=1&amp;c=2" title="x<y">end</a></footer></body></html>';
const AMBIGUOUS = '<select name="plan"><option>Pro</option><noscript>pick one</noscript></select>';
/** An empty fill too: while its block is open the output cannot end with it. */
const FILLS = { hero: '<h1>Hero for developers</h1>', proof: '<p>Proof for developers</p>', badge: '' };
const WHOLE = `${HEAD}${HERO}<p>between ${BADGE} <b>the</b> blocks</p>${PROOF}${TAIL}`;
/** A marker as text where markup is not parsed as elements (no quote of either kind in its content). */
const MARKUP = block('hero', '<h1>marker text</h1>');

/** `page` with each simple marker (`<tailor-block name="…">`, lowercase, not nested) whose name `fills` has filled. */
function filled(page, fills) {
  return page.replace(/(<tailor-block name="([^"]*)">)([\s\S]*?)(<\/tailor-block>)/g, (all, open, name, _, close) =>
    fills.has(name) ? `${open}${fills.get(name)}${close}` : all);
}

/** A page of about `bytes` bytes: paragraphs, with the blocks of `WHOLE` and more placed across the module's read sizes. */
function largePage(bytes) {
  const para = (i) => `<p class="c${i % 7}">Paragraph ${i}: ledger reconciliation across entities, é ✓ 🎉 &amp; more.</p>\n`;
  let page = HEAD;
  let i = 0;
  const markers = [...READ_BOUNDARIES.map((at, k) => [at - 10 - k * 7, k]), [bytes - 3000, 9]];
  for (const [at, k] of markers) {
    while (Buffer.byteLength(page) < at) page += para(i++);
    page += k % 3 === 0 ? block('hero', `<h1>origin ${k}</h1>`) : k % 3 === 1 ? block('badge', `<span>origin ${k}</span>`) : block('proof', `<p>origin ${k}</p>`);
  }
  while (Buffer.byteLength(page) < bytes) page += para(i++);
  return page + TAIL;
}

/** A start tag of `bytes` bytes of attribute (no `<` or `>` in it) for `tag`. */
const bigAttribute = (bytes) => `data-x="${'a'.repeat(bytes)}"`;

const FILL_MAP = Object.entries(FILLS);
const CASES = {
  'several blocks, one with an empty fill': { page: WHOLE, fills: FILL_MAP },
  'multi-byte UTF-8 in the page, block names and fills': {
    page: '<!doctype html><html><head><meta charset="utf-8"><title>Café ☕ 日本</title></head><body><p title="€ 😀">Ünïcödé 🎉</p>' +
      `${block('héro', '<h1>Orígin — ✓</h1>')}<p>€ 😀 between</p>${block('日本', '日本語の証明')}${block('vide', 'é')}<p>末尾 🏁</p></body></html>`,
    fills: [['héro', '<h1>Für Entwickler 🚀</h1>'], ['日本', '<p>証明 ✅ 𝄞</p>'], ['vide', '']],
  },
  'block names the map does not hold are left as the origin wrote them': {
    page: `${HEAD}${block('__proto__', '<p>p</p>')}${block('constructor', 'c')}${block('toString', 't')}${block('hasOwnProperty', 'h')}` +
      `${block('', 'empty name')}${block('HERO', 'case differs')}${block(' hero', 'space')}${block('missing', 'm')}${HERO}${block('valueOf', 'v')}${TAIL}`,
    fills: [['hero', FILLS.hero]],
  },
  'a block named __proto__ or constructor is filled when the map holds that name': {
    page: `${HEAD}${block('__proto__', '<p>p</p>')}<p>x</p>${block('constructor', 'c')}${TAIL}`,
    fills: [['__proto__', '<p>from the map</p>'], ['constructor', '']],
  },
  'a marker without the name attribute, and look-alike tags, are left alone': {
    page: `${HEAD}<tailor-block>no name</tailor-block><tailor-block data-name="hero">data-name</tailor-block>` +
      '<tailor-block id="hero">id</tailor-block><tailor-blocks name="hero">plural</tailor-blocks>' +
      `<x-tailor-block name="hero">prefixed</x-tailor-block><div name="hero">div</div>${HERO}${TAIL}`,
    fills: [['hero', FILLS.hero]],
  },
  'a block name used twice is filled twice': {
    page: `${HEAD}${HERO}<p>x</p>${BADGE}${HERO}${BADGE}<p>y</p>${PROOF}${PROOF}${TAIL}`,
    fills: FILL_MAP,
  },
  'markers in upper or mixed case are filled, their tags kept as written': {
    page: `${HEAD}<TAILOR-BLOCK NAME="hero"><h1>upper</h1></TAILOR-BLOCK><p>x</p><Tailor-Block name='proof'>mixed</Tailor-Block>` +
      `<p>y</p><tailor-block NAME=badge>unquoted</TAILOR-BLOCK><p>z</p>${TAIL}`,
    fills: FILL_MAP,
    expected: `${HEAD}<TAILOR-BLOCK NAME="hero">${FILLS.hero}</TAILOR-BLOCK><p>x</p><Tailor-Block name='proof'>${FILLS.proof}</Tailor-Block>` +
      `<p>y</p><tailor-block NAME=badge></TAILOR-BLOCK><p>z</p>${TAIL}`,
  },
  'markers inside scripts, styles, comments, attribute values, a textarea and the title are left alone': {
    page: `<!doctype html><html><head><title>${MARKUP}</title>` +
      `<style>tailor-block[name="hero"]::before { content: "${MARKUP.replaceAll('"', '\\"')}"; }</style></head><body>${BADGE}` +
      `<script>document.write('${MARKUP}');</script><!-- ${MARKUP} --><div title='${MARKUP}' data-x="<tailor-block name=hero>">d</div>` +
      `<textarea>${MARKUP}</textarea>${PROOF}<script>"</tailor-block>"; "<tailor-block name=\\"badge\\">"</script><p>after</p>${TAIL}`,
    fills: FILL_MAP,
    expected: `<!doctype html><html><head><title>${MARKUP}</title>` +
      `<style>tailor-block[name="hero"]::before { content: "${MARKUP.replaceAll('"', '\\"')}"; }</style></head><body>${block('badge', '')}` +
      `<script>document.write('${MARKUP}');</script><!-- ${MARKUP} --><div title='${MARKUP}' data-x="<tailor-block name=hero>">d</div>` +
      `<textarea>${MARKUP}</textarea>${block('proof', FILLS.proof)}<script>"</tailor-block>"; "<tailor-block name=\\"badge\\">"</script><p>after</p>${TAIL}`,
  },
  'a marker with < and > in its attribute values is filled': {
    page: `${HEAD}<p>x</p><tailor-block name="hero" data-a="1 < 2" title='a>b'><h1>origin</h1></tailor-block><p title="<tailor-block>">y</p>${BADGE}${TAIL}`,
    fills: FILL_MAP,
    expected: `${HEAD}<p>x</p><tailor-block name="hero" data-a="1 < 2" title='a>b'>${FILLS.hero}</tailor-block><p title="<tailor-block>">y</p>${block('badge', '')}${TAIL}`,
  },
  'a marker nested in a filled block goes with the origin\'s content it is in': {
    page: `${HEAD}<tailor-block name="hero"><h1>x</h1>${PROOF}<p>more</p></tailor-block><p>after</p>${BADGE}${TAIL}`,
    fills: FILL_MAP,
    expected: `${HEAD}${block('hero', FILLS.hero)}<p>after</p>${block('badge', '')}${TAIL}`,
  },
  'a page without markers passes byte for byte': {
    page: `${HEAD}<p>No tailor-block here, &lt;tailor-block name="hero"&gt; as text.</p><img src="a.png" alt="é">${TAIL}`,
    fills: FILL_MAP,
  },
  'an empty body stays empty': { page: '', fills: FILL_MAP },
  'a one-byte body passes': { page: '\n', fills: FILL_MAP },
  'a page ending inside a filled block or a tag ends as the rewriter leaves it': {
    page: `${HEAD}${HERO}<p>x</p><tailor-block name="proof"><p>never closed</p><p`,
    fills: FILL_MAP,
    // workerd's rewriter drops an unfinished tag at the end of the input.
    expected: `${HEAD}${block('hero', FILLS.hero)}<p>x</p><tailor-block name="proof">${FILLS.proof}`,
  },
  'a page larger than the module\'s reads (600 KB) is filled whole': { page: largePage(600_000), fills: FILL_MAP, large: true },
  'tags spanning many chunks (a 20 KB marker attribute, a 300 KB one, a 300 KB attribute and comment elsewhere) are filled whole': {
    page: `${HEAD}<tailor-block name="hero" ${bigAttribute(20_000)}><h1>origin</h1></tailor-block><p>x</p>` +
      `<div ${bigAttribute(300_000)}>div</div><!-- ${'c'.repeat(300_000)} --><tailor-block name="badge" ${bigAttribute(300_000)}>old</tailor-block>` +
      `<p>y</p>${PROOF}${TAIL}`,
    fills: FILL_MAP,
    large: true,
    expected: `${HEAD}<tailor-block name="hero" ${bigAttribute(20_000)}>${FILLS.hero}</tailor-block><p>x</p>` +
      `<div ${bigAttribute(300_000)}>div</div><!-- ${'c'.repeat(300_000)} --><tailor-block name="badge" ${bigAttribute(300_000)}></tailor-block>` +
      `<p>y</p>${block('proof', FILLS.proof)}${TAIL}`,
  },
  // The rewriter fails on these (strict mode cannot decide `<noscript>`'s text type inside `<select>`;
  // a marker start tag over its 3 MiB cap).
  'fails between blocks': { page: `${HEAD}${HERO}<p>between ${BADGE} <b>the</b> blocks</p>${AMBIGUOUS}${PROOF}${TAIL}`, fills: FILL_MAP, fails: true },
  // Adjacent blocks (filled, empty-filled, left alone), and blocks after the same separator: their output ends alike.
  'fails after adjacent blocks': {
    page: `${HEAD}<p>x</p>${HERO}${BADGE}<p>y</p>${block('cta', '<a>o</a>')}${block('other', '<i>kept</i>')}${block('note', 'n')}\n  ` +
      `${block('faq', '<dl>q</dl>')}\n  ${AMBIGUOUS}${PROOF}${TAIL}`,
    fills: [...FILL_MAP, ['cta', '<a>new</a>'], ['note', '<b>a note</b>'], ['faq', '<dl>a</dl>']],
    fails: true,
  },
  'fails in a filled block': {
    page: `${HEAD}${HERO}<p>between</p><tailor-block name="proof"><p>The origin's proof</p>${AMBIGUOUS}<p>more</p></tailor-block>${TAIL}`,
    fills: FILL_MAP,
    fails: true,
  },
  'fails on a marker start tag over 3 MiB': {
    page: `${HEAD}${HERO}<p>between</p><tailor-block name="proof" ${bigAttribute(3.5 * (1 << 20))}><p>The origin's proof</p></tailor-block>${TAIL}`,
    fills: FILL_MAP,
    fails: true,
    large: true,
  },
};
for (const c of Object.values(CASES)) {
  c.fillMap = new Map(c.fills);
  c.bytes = Buffer.from(c.page, 'utf8');
  c.expectedBytes = Buffer.from(c.expected ?? filled(c.page, c.fillMap), 'utf8');
}

// ------------------------------------------------------------------ the test worker

const WORKER = `
import { rewriteMarkers } from './rewrite-markers.mjs';
import CASES from './cases.mjs';

const pages = new Map();
function pageOf(name) {
  if (!pages.has(name)) pages.set(name, new TextEncoder().encode(CASES[name].page));
  return pages.get(name);
}
const nextTurn = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Where the origin's chunks end: at=a,b,… (then the end), every=n, the whole page; cut at errorAt if given. */
function cutsOf(q, length) {
  const end = q.has('errorAt') ? Number(q.get('errorAt')) : length;
  let cuts = [];
  if (q.has('at')) cuts = q.get('at').split(',').map(Number);
  else if (q.has('every')) for (let at = Number(q.get('every')); at < end; at += Number(q.get('every'))) cuts.push(at);
  return [...cuts.filter((at) => at > 0 && at < end), end].filter((at, i, all) => at > 0 && at !== all[i - 1]);
}

/**
 * The origin's body: a native stream written chunk by chunk, each chunk one
 * read for its reader. gap: a turn of the event loop between chunks, as a
 * network would leave. After the first chunk, stall() if given. errorAt: the
 * stream errors after that many bytes, as a reset connection does.
 */
function originBody(bytes, q, stall) {
  const { readable, writable } = new IdentityTransformStream();
  const writer = writable.getWriter();
  const origin = { canceled: false };
  (async () => {
    let from = 0;
    for (const [i, cut] of cutsOf(q, bytes.length).entries()) {
      await writer.write(bytes.slice(from, cut));
      from = cut;
      if (i === 0 && stall) await stall();
      else if (q.has('gap')) await nextTurn();
    }
    if (q.has('errorAt')) await writer.abort(new Error('the origin reset the connection'));
    else await writer.close();
  })().catch(() => {
    origin.canceled = true;
  });
  return { body: readable, origin };
}

export default {
  async fetch(request, env) {
    const q = new URL(request.url).searchParams;
    const name = q.get('case');
    const fills = new Map(CASES[name].fills);
    const guarded = q.get('guarded') === '1';
    let received = 0;
    let atStall = null;
    // While the origin stalls: wait until \`want\` bytes have reached the client (or 2 s), then note how many did.
    const stall = q.has('stall') && (async () => {
      const want = Number(q.get('stall'));
      for (let i = 0; i < (want > 0 ? 1000 : 3) && received < want; i += 1) await scheduler.wait(2);
      atStall = received;
    });
    let response;
    let origin = null;
    if (q.has('origin')) {
      response = await fetch(env.ORIGIN + '/?case=' + encodeURIComponent(name) + '&' + q.get('origin'));
    } else {
      const made = originBody(pageOf(name), q, stall);
      origin = made.origin;
      const status = Number(q.get('status') ?? 200);
      response = new Response(made.body, {
        status,
        statusText: q.get('statusText') ?? '',
        headers: { 'content-type': 'text/html; charset=utf-8', 'x-origin': 'kept', 'cache-control': 'private' },
      });
    }
    const [rewritten, filled] = rewriteMarkers(response, ${JSON.stringify(SELECTOR)}, ${JSON.stringify(ATTRIBUTE)}, fills, guarded);
    if (!q.has('inspect')) return rewritten;
    // What a client would read, chunk by chunk.
    const reader = rewritten.body.getReader();
    const chunks = [];
    let error = null;
    for (;;) {
      try {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        received += value.byteLength;
        if (q.has('cancelAfter') && chunks.length >= Number(q.get('cancelAfter'))) {
          await reader.cancel('the client went away');
          break;
        }
      } catch (e) {
        error = String(e);
        break;
      }
    }
    for (let i = 0; i < 50 && q.has('cancelAfter') && !origin.canceled; i += 1) await scheduler.wait(2);
    // The blocks the module reports filled (never, for a page it could not end).
    const reported = q.has('filled') ? await Promise.race([filled, scheduler.wait(500).then(() => 'never')]) : null;
    const meta = { status: rewritten.status, statusText: rewritten.statusText, chunks: chunks.length, error, atStall, originCanceled: origin?.canceled ?? null, filled: reported };
    const body = new Uint8Array(received);
    let at = 0;
    for (const chunk of chunks) {
      body.set(chunk, at);
      at += chunk.byteLength;
    }
    return new Response(body, { headers: { 'x-meta': JSON.stringify(meta) } });
  },
};`;

// ------------------------------------------------------------------ harness

let origin;
let mf;
let base;
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

before(async () => {
  // The real origin: ?case=…&length: one chunk with Content-Length; &reset=N: N bytes, then the socket
  // is destroyed; &bytes: one chunk per byte; &at=N: two chunks apart in time; otherwise one chunked write.
  origin = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://origin');
    const page = CASES[url.searchParams.get('case')].bytes;
    if (url.searchParams.has('length')) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': page.length });
      res.end(page);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    if (url.searchParams.has('reset')) {
      res.write(page.subarray(0, Number(url.searchParams.get('reset'))));
      setTimeout(() => req.socket.destroy(), 20);
      return;
    }
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
  await new Promise((ok) => origin.listen(0, '127.0.0.1', ok));
  const cases = Object.fromEntries(Object.entries(CASES).map(([name, c]) => [name, { page: c.page, fills: c.fills }]));
  mf = new Miniflare({
    modules: [
      { type: 'ESModule', path: 'worker.mjs', contents: WORKER },
      { type: 'ESModule', path: 'cases.mjs', contents: `export default ${JSON.stringify(cases)};` },
      { type: 'ESModule', path: 'rewrite-markers.mjs', contents: readFileSync(join(ROOT, 'src/worker/rewrite-markers.mjs'), 'utf8') },
    ],
    compatibilityDate: '2026-04-01',
    bindings: { ORIGIN: `http://127.0.0.1:${origin.address().port}` },
    // Straight to workerd's socket: Miniflare's own entry worker would add its time to every request.
    unsafeDirectSockets: [{ host: '127.0.0.1', port: 0 }],
    // workerd logs each rewriter failure and each origin reset; the tests look at the responses.
    handleRuntimeStdio() {},
  });
  await mf.ready;
  base = await mf.unsafeGetDirectURL();
});
after(async () => {
  agent.destroy();
  await mf?.dispose();
  origin?.close();
});

/**
 * The case's page through the module: `guarded`, and the origin's chunking and
 * behaviour in `query` (see the worker). Returns status, headers, body (a
 * Buffer), and with `inspect` what the worker's own reader saw (`meta`).
 */
function get(name, guarded, query = {}) {
  const search = new URLSearchParams({ case: name, guarded: guarded ? '1' : '0', ...query });
  return new Promise((resolve, reject) => {
    const req = http.get({ host: base.hostname, port: base.port, path: `/?${search}`, agent }, (res) => {
      const parts = [];
      res.on('data', (part) => parts.push(part));
      res.on('end', () => resolve({
        status: res.statusCode,
        headers: res.headers,
        body: Buffer.concat(parts),
        meta: res.headers['x-meta'] ? JSON.parse(res.headers['x-meta']) : null,
      }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/** Runs `check` on every item, four at a time (workerd and this process share 2 cores). */
async function each(items, check) {
  let next = 0;
  let failed = false;
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (!failed && next < items.length) {
      const item = items[next++];
      try {
        await check(item);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  }));
}

const range = (from, to) => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
/** Two-chunk split points: every one, or for a large page those within `span` bytes of each marker's tags and of the read sizes. */
function splitPoints(c, span = 24) {
  if (!c.large) return range(1, c.bytes.length);
  const text = c.bytes.toString('latin1');
  const around = [...READ_BOUNDARIES, c.bytes.length >> 1];
  for (const re of [/<tailor-block\b[^>]*>/g, /<\/tailor-block>/g]) {
    for (const m of text.matchAll(re)) around.push(m.index, m.index + m[0].length);
  }
  const points = new Set();
  for (const at of around) for (const p of range(at - span, at + span + 1)) if (p > 0 && p < c.bytes.length) points.add(p);
  return [...points].sort((a, b) => a - b);
}
/** Chunkings besides the two-chunk splits: one chunk, one-byte chunks (pages under 100 KB), and a few sizes. */
const chunkings = (c) => [{}, ...(c.large ? [{ every: 1000 }, { every: 4096 }, { every: 65536 }, { every: 300_000 }] : [{ every: 1 }, { every: 1, gap: '' }, { every: 7 }])];
const describe = (query) => JSON.stringify(query);

/** How far two buffers agree from the start. */
const commonPrefix = (a, b) => {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n += 1;
  return n;
};
function assertBytes(actual, expected, what) {
  if (actual.equals(expected)) return;
  const at = commonPrefix(actual, expected);
  assert.fail(`${what}: ${actual.length} bytes, expected ${expected.length}; they differ at byte ${at}: ` +
    `${JSON.stringify(actual.subarray(Math.max(0, at - 40), at + 40).toString('latin1'))} vs ${JSON.stringify(expected.subarray(Math.max(0, at - 40), at + 40).toString('latin1'))}`);
}

// ------------------------------------------------------------------ pages the rewriter copes with

for (const [name, c] of Object.entries(CASES).filter(([, c]) => !c.fails)) {
  test(`${name}, guarded and unguarded, at every chunk boundary`, { timeout: 120_000 }, async () => {
    const runs = [];
    for (const guarded of [true, false]) {
      for (const at of splitPoints(c)) runs.push([guarded, { at, gap: '' }]);
      for (const query of chunkings(c)) runs.push([guarded, query]);
    }
    await each(runs, async ([guarded, query]) => {
      const { status, headers, body } = await get(name, guarded, query);
      assert.equal(status, 200);
      assert.equal(headers['x-origin'], 'kept');
      assertBytes(body, c.expectedBytes, `${guarded ? 'guarded' : 'unguarded'}, ${describe(query)}`);
    });
  });
}

// ------------------------------------------------------------------ streaming, status, origin faults

/**
 * How many bytes of the rewritten page follow from the page's first `cut`
 * bytes (simple markers only), and whether a filled block is open there (its
 * start tag read, its end tag not: the output then ends with its fill).
 */
function rewrittenUpTo(c, cut) {
  const text = c.bytes.toString('latin1');
  let shift = 0;
  for (const m of text.matchAll(/(<tailor-block name="([^"]*)">)([\s\S]*?)<\/tailor-block>/g)) {
    const fill = c.fillMap.get(Buffer.from(m[2], 'latin1').toString('utf8'));
    if (fill === undefined) continue;
    const open = m.index + m[1].length;
    if (cut < open) break;
    if (cut < m.index + m[0].length) return { length: open + shift + Buffer.byteLength(fill), open: true };
    shift += Buffer.byteLength(fill) - m[3].length;
  }
  return { length: cut + shift, open: false };
}

/**
 * What must reach the client, and what may, while the origin stalls after its
 * first `at` bytes, as [least, most] bytes. The rewriter has had those bytes
 * (unguarded) or those before the chunk's last `<` if no `>` follows it
 * (guarded: the module keeps an unfinished tag for the next chunk). At least
 * the rewrite up to the start of a tag cut at `at` must have arrived; guarded,
 * nothing while a filled block is open.
 */
function streamedBy(c, at, guarded) {
  const text = c.bytes.toString('latin1');
  let tagStart = at;
  for (const m of text.matchAll(/<[^>]*>?/g)) if (m.index < at && at < m.index + m[0].length) tagStart = m.index;
  const least = rewrittenUpTo(c, tagStart);
  if (!guarded) return [least.length, rewrittenUpTo(c, at).length];
  const lastOpen = text.lastIndexOf('<', at - 1);
  const given = rewrittenUpTo(c, lastOpen > text.lastIndexOf('>', at - 1) ? lastOpen : at);
  return given.open ? [0, 0] : [least.length, given.length];
}

test('while the origin stalls, the page so far has reached the client, but for an unfinished tag and, guarded, an open block', { timeout: 120_000 }, async () => {
  for (const name of ['several blocks, one with an empty fill', 'multi-byte UTF-8 in the page, block names and fills']) {
    const c = CASES[name];
    await each(splitPoints(c).flatMap((at) => [[true, at], [false, at]]), async ([guarded, at]) => {
      const [least, most] = streamedBy(c, at, guarded);
      const { body, meta } = await get(name, guarded, { at, stall: least, inspect: '' });
      const what = `${name}, ${guarded ? 'guarded' : 'unguarded'}, origin stalled after ${at} bytes`;
      assertBytes(body, c.expectedBytes, `${what}: then the whole page`);
      assert.ok(meta.atStall >= least && meta.atStall <= most, `${what}: ${meta.atStall} bytes sent during the stall, expected ${least}–${most}`);
    });
  }
});

test('the origin\'s status, status text and headers are kept; its Content-Length is dropped', { timeout: 30_000 }, async () => {
  const name = 'several blocks, one with an empty fill';
  for (const guarded of [true, false]) {
    for (const [status, statusText] of [[200, 'OK'], [404, 'Not Found'], [503, 'Service Unavailable']]) {
      const { body, meta } = await get(name, guarded, { status, statusText, inspect: '' });
      assert.equal(meta.status, status);
      assert.equal(meta.statusText, statusText);
      assertBytes(body, CASES[name].expectedBytes, `${status}, guarded ${guarded}`);
      const direct = await get(name, guarded, { status, statusText });
      assert.equal(direct.status, status);
      assert.equal(direct.headers['x-origin'], 'kept');
      assert.equal(direct.headers['cache-control'], 'private');
      assert.equal(direct.headers['content-type'], 'text/html; charset=utf-8');
    }
    const withLength = await get(name, guarded, { origin: 'length' });
    assertBytes(withLength.body, CASES[name].expectedBytes, 'one chunk with Content-Length');
    assert.equal(withLength.headers['content-length'], undefined, 'no Content-Length of the origin on a rewritten body');
    for (const origin of ['', 'bytes', 'at=100']) {
      assertBytes((await get(name, guarded, { origin })).body, CASES[name].expectedBytes, `from a real origin, ${origin || 'one write'}`);
    }
  }
});

test('when the origin\'s body breaks, the client gets the rewritten page up to the break, then the error, at every byte', { timeout: 120_000 }, async () => {
  const name = 'several blocks, one with an empty fill';
  const c = CASES[name];
  await each(range(0, c.bytes.length + 1).flatMap((errorAt) => [[true, errorAt], [false, errorAt]]), async ([guarded, errorAt]) => {
    const { status, body, meta } = await get(name, guarded, { errorAt, inspect: '', gap: '' });
    const what = `${guarded ? 'guarded' : 'unguarded'}, origin reset after ${errorAt} bytes`;
    assert.equal(status, 200);
    assert.match(meta.error ?? 'no error', /the origin reset the connection/, `${what}: the client's stream ends with the origin's error`);
    assert.ok(c.expectedBytes.subarray(0, body.length).equals(body), `${what}: ${JSON.stringify(body.toString())} is a prefix of the rewritten page`);
    // The rewrite of every whole tag before the break (an open block's fill included) has been sent.
    const [upTo] = streamedBy(c, errorAt, false);
    assert.ok(body.length >= upTo, `${what}: ${body.length} bytes sent, at least ${upTo}`);
  });
  // Through a real origin that resets its socket inside the badge.
  for (const guarded of [true, false]) {
    const reset = c.bytes.indexOf('<span>New');
    const { body, meta } = await get(name, guarded, { origin: `reset=${reset}`, inspect: '' });
    assert.ok(meta.error, `guarded ${guarded}: the stream ends with an error`);
    assert.ok(c.expectedBytes.subarray(0, body.length).equals(body), `guarded ${guarded}: a prefix of the rewritten page`);
    assert.ok(body.length >= streamedBy(c, reset, false)[0], `guarded ${guarded}: everything before the reset`);
  }
});

test('a client that goes away cancels the origin\'s body', { timeout: 30_000 }, async () => {
  const name = 'a page larger than the module\'s reads (600 KB) is filled whole';
  for (const guarded of [true, false]) {
    const { meta } = await get(name, guarded, { every: 4096, gap: '', cancelAfter: 1, inspect: '' });
    assert.equal(meta.chunks, 1);
    assert.equal(meta.originCanceled, true, `guarded ${guarded}: the origin's stream is canceled`);
  }
});

// ------------------------------------------------------------------ pages the rewriter fails on

/** The page with each block's content put back to the origin's, if it is the fill. */
function unfilled(html) {
  return html
    .replace(`<tailor-block name="hero">${FILLS.hero}</tailor-block>`, HERO)
    .replace(`<tailor-block name="proof">${FILLS.proof}</tailor-block>`, PROOF)
    .replace('<tailor-block name="badge"></tailor-block>', BADGE);
}

/** The blocks' inner contents, in order. */
const contents = (html) => [...html.matchAll(/<tailor-block\b[^>]*>([\s\S]*?)<\/tailor-block>/gi)].map((m) => m[1]);

test('when the rewriter fails after adjacent blocks, at every byte boundary the page is whole, each block its fill or the origin\'s', { timeout: 120_000 }, async () => {
  const name = 'fails after adjacent blocks';
  const c = CASES[name];
  const origin = contents(c.page);
  const names = [...c.page.matchAll(/<tailor-block name="([^"]*)"/g)].map((m) => m[1]);
  const runs = [...range(1, c.bytes.length).flatMap((at) => [{ at, gap: '' }, { at }]), { every: 1 }, { every: 1, gap: '' }, {}];
  await each(runs, async (query) => {
    const body = (await get(name, true, query)).body.toString('utf8');
    assert.equal(outsideBlocks(body), outsideBlocks(c.page), `${describe(query)}: outside the blocks, the origin's page byte for byte`);
    contents(body).forEach((content, i) => {
      assert.ok(content === origin[i] || content === c.fillMap.get(names[i]), `${describe(query)}: block ${names[i]} is ${JSON.stringify(content)}`);
    });
  });
});

test('when the rewriter fails mid-stream, at every byte boundary the page is whole and each block is the fill or the origin\'s, never cut or doubled', { timeout: 120_000 }, async (t) => {
  const name = 'fails between blocks';
  const page = CASES[name].page;
  const heroEnds = page.indexOf(HERO) + HERO.length;
  const failsAt = page.indexOf('<noscript>');
  // A chunk ending inside the (empty-filled) badge leaves a block open: no checkpoint there.
  const badgeStarts = page.indexOf(BADGE);
  const badgeEnds = badgeStarts + BADGE.length;
  let heroFilled = 0;
  let splits = 0;
  await each(range(1, Buffer.byteLength(page)), async (at) => {
    const { status, body: bytes } = await get(name, true, { at, gap: '' });
    const body = bytes.toString('utf8');
    splits += 1;
    assert.equal(status, 200);
    assert.equal(unfilled(body), page, `split at ${at}: outside the blocks, the origin's page byte for byte`);
    assert.ok(!body.includes(FILLS.proof), `split at ${at}: the block at the failure keeps the origin's content`);
    if (body.includes(FILLS.hero)) heroFilled += 1;
    // A chunk holding the hero's end tag and what follows it, before the failure: a checkpoint
    // right after the hero (a checkpoint needs no block open; a failing piece loses its output).
    else if (at > heroEnds && at <= failsAt && !(at > badgeStarts && at <= badgeEnds)) assert.fail(`split at ${at}: the hero, read whole before the failure, is filled`);
  });
  t.diagnostic(`hero filled in ${heroFilled} of ${splits} splits`);
  for (const query of [{ every: 1 }, { every: 1, gap: '' }, {}, { origin: 'bytes' }, { origin: 'length' }, { origin: '' }]) {
    const { body } = await get(name, true, query);
    assert.equal(unfilled(body.toString('utf8')), page, describe(query));
  }
});

test('the blocks reported filled (what exposures are sent for) are those whose fill reached the client, at every byte boundary', { timeout: 120_000 }, async () => {
  const whole = 'several blocks, one with an empty fill';
  const order = [...CASES[whole].page.matchAll(/<tailor-block name="([^"]*)">/g)].map((m) => m[1]).filter((n) => CASES[whole].fillMap.has(n));
  await each(range(1, CASES[whole].bytes.length).flatMap((at) => [[true, at], [false, at]]), async ([guarded, at]) => {
    const { meta } = await get(whole, guarded, { at, gap: '', inspect: '', filled: '' });
    assert.deepEqual(meta.filled, order, `${guarded ? 'guarded' : 'unguarded'}, split at ${at}`);
  });
  const failing = 'fails between blocks';
  await each(range(1, CASES[failing].bytes.length), async (at) => {
    const { body, meta } = await get(failing, true, { at, gap: '', inspect: '', filled: '' });
    const text = body.toString('utf8');
    assert.ok(Array.isArray(meta.filled), `split at ${at}: reported once the page was sent`);
    assert.equal(meta.filled.includes('hero'), text.includes(FILLS.hero), `split at ${at}: hero reported iff its fill was sent`);
    assert.ok(!meta.filled.includes('proof'), `split at ${at}: the block at the failure kept the origin's content`);
  });
  const cut = await get(failing, false, { inspect: '', filled: '' });
  assert.equal(cut.meta.filled, 'never', 'unguarded, a page cut by the rewriter reports nothing');
});

test('when the rewriter fails inside a filled block, at every byte boundary that block keeps the origin\'s content whole', { timeout: 120_000 }, async () => {
  const name = 'fails in a filled block';
  const page = CASES[name].page;
  await each([...range(1, Buffer.byteLength(page)).map((at) => ({ at, gap: '' })), { every: 1 }, {}], async (query) => {
    const { body } = await get(name, true, query);
    assert.equal(body.toString('utf8').replace(FILLS.hero, '<h1>The origin\'s hero</h1>'), page, describe(query));
  });
});

test('when a marker start tag is over the rewriter\'s 3 MiB cap, that block keeps the origin\'s content and the page is whole', { timeout: 120_000 }, async () => {
  const name = 'fails on a marker start tag over 3 MiB';
  const c = CASES[name];
  const heroEnds = c.page.indexOf(HERO) + HERO.length;
  const proofStarts = c.page.indexOf('<tailor-block name="proof"');
  const runs = [...splitPoints(c, 6).map((at) => ({ at, gap: '' })), ...chunkings(c), { every: 1 << 20 }];
  await each(runs, async (query) => {
    const { status, body: bytes } = await get(name, true, query);
    const body = bytes.toString('utf8');
    assert.equal(status, 200);
    assert.equal(body.replace(FILLS.hero, '<h1>The origin\'s hero</h1>'), c.page, `${describe(query)}: the origin's page, but for the hero`);
    // The hero is sent filled when a chunk ends between it and the failing marker.
    const cutBetween = query.at ? query.at >= heroEnds && query.at <= proofStarts : query.every && Math.floor(proofStarts / query.every) * query.every >= heroEnds;
    if (cutBetween) assert.ok(body.includes(FILLS.hero), `${describe(query)}: the hero is filled`);
  });
});

test('unguarded, a rewriter failure cuts the page: the client gets a prefix of the filled page, then an error', { timeout: 60_000 }, async () => {
  for (const name of ['fails between blocks', 'fails in a filled block', 'fails on a marker start tag over 3 MiB']) {
    const c = CASES[name];
    for (const query of [{}, { every: 4096 }, { at: c.bytes.indexOf('</select>') }]) {
      const { status, body, meta } = await get(name, false, { ...query, inspect: '' });
      const what = `${name}, ${describe(query)}`;
      assert.equal(status, 200);
      assert.ok(meta.error, `${what}: the stream ends with an error`);
      assert.ok(body.length < c.expectedBytes.length, `${what}: cut (${body.length} of ${c.expectedBytes.length} bytes)`);
      assert.ok(c.expectedBytes.subarray(0, body.length).equals(body), `${what}: a prefix of the filled page`);
    }
  }
});

test('each rewriter failure is logged, at the 1st, 2nd, 4th, 8th… in an isolate', { timeout: 30_000 }, async () => {
  const lines = [];
  const logged = new Miniflare({
    modules: [
      { type: 'ESModule', path: 'worker.mjs', contents: WORKER },
      { type: 'ESModule', path: 'cases.mjs', contents: `export default ${JSON.stringify({ f: { page: CASES['fails between blocks'].page, fills: FILL_MAP } })};` },
      { type: 'ESModule', path: 'rewrite-markers.mjs', contents: readFileSync(join(ROOT, 'src/worker/rewrite-markers.mjs'), 'utf8') },
    ],
    compatibilityDate: '2026-04-01',
    handleRuntimeStdio(stdout, stderr) {
      for (const stream of [stdout, stderr]) stream.on('data', (data) => lines.push(...String(data).split('\n').filter((l) => l.includes('tailor:'))));
    },
  });
  try {
    for (let i = 0; i < 9; i += 1) {
      const response = await logged.dispatchFetch('http://tailor.test/?case=f&guarded=1');
      assert.equal(unfilled(await response.text()), CASES['fails between blocks'].page);
    }
    // workerd's log reaches this process a little after the responses.
    for (let i = 0; i < 100 && lines.length < 4; i += 1) await sleep(20);
    await sleep(100);
  } finally {
    await logged.dispose();
  }
  assert.deepEqual(lines.map((l) => /\((\d+) in this isolate\)/.exec(l)?.[1]), ['1', '2', '4', '8'], lines.join('\n'));
});
