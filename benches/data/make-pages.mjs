// Writes the pages, stylesheet and image `benches/workerd.mjs` serves from
// its origin: `node benches/data/make-pages.mjs`. The outputs are committed;
// this script is here so they can be regenerated or resized. Deterministic
// (a seeded generator, no clock), so re-running it changes nothing.
//
// Each page is written twice from the same parts: `NAME.html` with five
// `<tailor-block>` markers around the blocks' default content, and
// `NAME-plain.html` with the same content and no marker at all.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { rng } from '../../scripts/rng.mjs';

const OUT = import.meta.dirname;


const WORDS = (
  'ledger reconciliation payments settlement real-time audit finance team close month-end variance ' +
  'account balance journal entry approval workflow policy controls compliance report export import ' +
  'bank feed card processor invoice vendor customer revenue recognition subscription usage billing ' +
  'currency conversion rate schedule forecast cash position treasury liquidity sweep transfer batch ' +
  'webhook event retry idempotent request response latency throughput region residency encryption ' +
  'key rotation access role permission review dashboard chart metric alert threshold anomaly rule ' +
  'match exception queue owner comment history snapshot version rollback deploy pipeline integration ' +
  'connector warehouse query schema field column table index partition stream consumer producer ' +
  'the a of to and for with in on by from every each your our their across without within before after ' +
  'faster simpler safer clearer automatic continuous accurate reliable complete consistent scalable'
).split(' ');

/** Text and markup helpers over one PRNG. */
function writer(seed) {
  const r = rng(seed);
  const int = (lo, hi) => lo + Math.floor(r() * (hi - lo + 1));
  const pick = (list) => list[Math.floor(r() * list.length)];
  const words = (n) => Array.from({ length: n }, () => pick(WORDS)).join(' ');
  const sentence = () => {
    const s = words(int(8, 22));
    return `${s[0].toUpperCase()}${s.slice(1)}.`;
  };
  const para = (lo = 2, hi = 6) => {
    const parts = Array.from({ length: int(lo, hi) }, sentence);
    // Inline markup the way CMS text has it: links, emphasis, code.
    if (r() < 0.5) parts[0] = `${parts[0]} See <a href="/docs/${pick(WORDS)}">${words(2)}</a>.`;
    if (r() < 0.4) parts.push(`Use <code>${pick(WORDS)}_${pick(WORDS)}</code> for <em>${words(2)}</em>.`);
    return `<p>${parts.join(' ')}</p>`;
  };
  const title = (n = 4) => {
    const s = words(n);
    return `${s[0].toUpperCase()}${s.slice(1)}`;
  };
  const slug = () => `${pick(WORDS)}-${pick(WORDS)}`.replace(/[^a-z-]/g, '');
  const list = (n) => `<ul>${Array.from({ length: n }, () => `<li>${sentence()}</li>`).join('')}</ul>`;
  const table = (rows, cols) => {
    const head = Array.from({ length: cols }, () => `<th scope="col">${title(2)}</th>`).join('');
    const body = Array.from({ length: rows }, () =>
      `<tr><td><code>${slug()}</code></td>${Array.from({ length: cols - 1 }, () => `<td>${words(int(2, 8))}</td>`).join('')}</tr>`,
    ).join('\n');
    return `<table class="table">\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
  };
  // A code sample with syntax-highlighting spans: docs pages are full of them.
  const code = (lines) => {
    const kw = ['const', 'let', 'await', 'return', 'if', 'for', 'import', 'export'];
    const body = Array.from({ length: lines }, () => {
      const indent = '  '.repeat(int(0, 3));
      return `${indent}<span class="tok-k">${pick(kw)}</span> <span class="tok-v">${pick(WORDS).replace(/-/g, '_')}</span> = <span class="tok-f">${pick(WORDS).replace(/-/g, '_')}</span>(<span class="tok-s">"${pick(WORDS)}"</span>, <span class="tok-n">${int(1, 9999)}</span>);`;
    }).join('\n');
    return `<pre class="code"><code class="language-js">${body}</code></pre>`;
  };
  return { r, int, pick, words, sentence, para, title, slug, list, table, code };
}

const INLINE_STYLE = `<style>
:root{--ink:#0b1b2b;--muted:#5b6b7b;--brand:#1f6feb;--bg:#fff;--line:#e3e8ee}
*{box-sizing:border-box}body{margin:0;font:16px/1.6 system-ui,sans-serif;color:var(--ink);background:var(--bg)}
.container{max-width:1120px;margin:0 auto;padding:0 24px}.nav{display:flex;gap:24px;align-items:center}
.hero{padding:96px 0 64px}.hero__title{font-size:56px;line-height:1.05;margin:0 0 16px}
.grid{display:grid;grid-template-columns:repeat(3,1fr);gap:24px}.card{border:1px solid var(--line);border-radius:12px;padding:24px}
.table{width:100%;border-collapse:collapse}.table td,.table th{border-bottom:1px solid var(--line);padding:8px;text-align:left}
pre.code{background:#0d1117;color:#e6edf3;padding:16px;border-radius:8px;overflow:auto}
.tok-k{color:#ff7b72}.tok-v{color:#79c0ff}.tok-f{color:#d2a8ff}.tok-s{color:#a5d6ff}.tok-n{color:#79c0ff}
</style>`;

const INLINE_SCRIPTS = `<script type="application/ld+json">{"@context":"https://schema.org","@type":"Organization","name":"Ledgerline","url":"https://www.example.com","logo":"https://www.example.com/assets/logo.png","sameAs":["https://github.com/example","https://www.linkedin.com/company/example"]}</script>
<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}gtag("js",new Date());gtag("config","G-EXAMPLE0",{anonymize_ip:true});
(function(){var d=document,s=d.createElement("script");s.async=true;s.src="/assets/app.js?v=2026.11";d.head.appendChild(s);if(d.cookie.indexOf("theme=dark")>=0){d.documentElement.classList.add("dark")}})();</script>`;

/** A page's parts: strings, and { block, html } for the five marked blocks. */
function parts(kind, seed, targetBytes) {
  const w = writer(seed);
  const out = [];
  const head = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${w.title(5)} | Ledgerline</title>
<meta name="description" content="${w.sentence()}">
<meta property="og:title" content="${w.title(4)}">
<meta property="og:image" content="https://www.example.com/assets/og/${w.slug()}.png">
<link rel="canonical" href="https://www.example.com/${kind}">
<link rel="stylesheet" href="/assets/site.css">
${INLINE_STYLE}
${INLINE_SCRIPTS}
</head>
<body class="page page--${kind}">
<header class="site-header"><div class="container nav">
<a class="logo" href="/"><img src="/assets/logo.png" alt="Ledgerline" width="48" height="48"></a>
<nav aria-label="Main"><ul class="nav__links">${['Product', 'Solutions', 'Pricing', 'Docs', 'Customers', 'Blog', 'Company'].map((l) => `<li><a href="/${l.toLowerCase()}">${l}</a></li>`).join('')}</ul></nav>
<a class="btn btn--primary" href="/signup">Start free</a>
</div></header>
<main>`;
  out.push(head);
  out.push({
    block: 'hero',
    html: `<section class="hero"><div class="container">
<p class="eyebrow">${w.title(3)}</p>
<h1 class="hero__title">${w.title(7)}</h1>
<p class="hero__lede">${w.sentence()} ${w.sentence()}</p>
<div class="hero__actions"><a class="btn btn--primary btn--lg" href="/signup">Start free</a> <a class="link-arrow" href="/demo">Watch the demo</a></div>
</div></section>`,
  });

  // A docs page has a long sidebar before the article, the way docs sites do.
  if (kind === 'docs') {
    const groups = Array.from({ length: 24 }, () =>
      `<li><span class="sidebar__group">${w.title(2)}</span><ul>${Array.from({ length: 14 }, () => `<li><a href="/docs/${w.slug()}/${w.slug()}">${w.title(3)}</a></li>`).join('')}</ul></li>`,
    ).join('\n');
    out.push(`<div class="docs container"><aside class="sidebar"><nav aria-label="Docs"><ul>\n${groups}\n</ul></nav></aside>\n<article class="docs__article">`);
  }

  // Section generators; a docs page is mostly reference, a marketing page cards.
  const sections = {
    marketing: () => (w.r() < 0.5
      ? `<section class="features"><div class="container"><h2>${w.title(5)}</h2>${w.para(1, 3)}<div class="grid">${Array.from({ length: 3 }, () => `<div class="card"><img src="/assets/icons/${w.slug()}.svg" alt="" width="32" height="32" loading="lazy"><h3>${w.title(3)}</h3>${w.para(1, 2)}</div>`).join('')}</div></div></section>`
      : `<section class="split"><div class="container"><div><h2>${w.title(6)}</h2>${w.para()}${w.list(w.int(3, 5))}</div><figure><img src="/assets/shots/${w.slug()}.png" alt="${w.words(4)}" width="560" height="360" loading="lazy"><figcaption>${w.sentence()}</figcaption></figure></div></section>`),
    landing: () => {
      const x = w.r();
      if (x < 0.4) return sections.marketing();
      if (x < 0.6) return `<section class="comparison"><div class="container"><h2>${w.title(4)}</h2>${w.table(w.int(6, 12), 4)}</div></section>`;
      if (x < 0.8) return `<section class="faq"><div class="container"><h2>Questions</h2>${Array.from({ length: w.int(4, 8) }, () => `<details><summary>${w.title(6)}?</summary>${w.para(1, 3)}</details>`).join('')}</div></section>`;
      return `<section class="quotes"><div class="container">${Array.from({ length: 3 }, () => `<blockquote class="quote"><p>${w.sentence()} ${w.sentence()}</p><footer>${w.title(2)}, ${w.title(2)} at ${w.title(1)}</footer></blockquote>`).join('')}</div></section>`;
    },
    docs: () => {
      const id = w.slug();
      const x = w.r();
      const body = x < 0.45
        ? `${w.para(3, 7)}${w.code(w.int(6, 24))}${w.para(1, 4)}`
        : x < 0.7
          ? `${w.para(1, 3)}${w.table(w.int(5, 15), 3)}`
          : x < 0.85
            ? `${w.para(2, 5)}${w.list(w.int(3, 8))}<aside class="note"><strong>Note</strong> ${w.sentence()}</aside>`
            : `<h3 id="${id}-example">Example</h3>${w.code(w.int(10, 30))}`;
      return `<section id="${id}"><h2><a class="anchor" href="#${id}">#</a> ${w.title(4)}</h2>${body}</section>`;
    },
  };

  // Blocks go at fixed fractions of the page, whatever its size.
  const footer = `<footer class="site-footer"><div class="container">${Array.from({ length: 4 }, () => `<div class="footer__col"><h4>${w.title(1)}</h4><ul>${Array.from({ length: 6 }, () => `<li><a href="/${w.slug()}">${w.title(2)}</a></li>`).join('')}</ul></div>`).join('')}<p class="legal">&copy; 2026 Ledgerline, Inc. ${w.sentence()}</p></div></footer>`;
  const checkpoints = [
    [0.2, { block: 'cta', html: `<section class="cta"><div class="container"><h2>${w.title(5)}</h2><p>${w.sentence()}</p><a class="btn btn--primary" href="/signup">Start free</a> <a class="btn" href="/contact">Talk to sales</a></div></section>` }],
    [0.45, { block: 'proof', html: `<section class="proof"><div class="container"><ul class="logos">${Array.from({ length: 6 }, () => `<li><img src="/assets/logos/${w.slug()}.svg" alt="${w.title(1)}" width="120" height="40"></li>`).join('')}</ul><blockquote><p>${w.sentence()}</p><footer>${w.title(2)}, CFO</footer></blockquote></div></section>` }],
    [0.7, { block: 'spotlight', html: `<section class="spotlight"><div class="container"><h2>${w.title(4)}</h2>${w.para(1, 2)}<a class="link-arrow" href="/blog/${w.slug()}">Read the story</a></div></section>` }],
  ];
  const tail = kind === 'docs' ? '</article></div>' : '';
  const closing = { block: 'footer-cta', html: `<section class="footer-cta"><div class="container"><h2>${w.title(5)}</h2><a class="btn btn--primary" href="/signup">Start free</a></div></section>` };
  const fixed = `</main>\n${footer}\n</body>\n</html>\n`;
  const size = () => out.reduce((n, p) => n + (typeof p === 'string' ? p : p.html).length, 0);
  const reserve = closing.html.length + fixed.length + tail.length;
  while (size() + reserve < targetBytes) {
    if (checkpoints.length > 0 && size() >= checkpoints[0][0] * targetBytes) out.push(checkpoints.shift()[1]);
    out.push(sections[kind]());
  }
  out.push(...checkpoints.map(([, block]) => block), tail, closing, fixed);
  return out;
}

const render = (list, marked) =>
  list.map((p) => (typeof p === 'string' ? p : marked ? `<tailor-block name="${p.block}">${p.html}</tailor-block>` : p.html)).join('\n');

const PAGES = { marketing: ['marketing', 1, 9_000], landing: ['landing', 2, 120_000], docs: ['docs', 3, 700_000] };

for (const [name, [kind, seed, bytes]] of Object.entries(PAGES)) {
  const list = parts(kind, seed, bytes);
  writeFileSync(join(OUT, `${name}.html`), render(list, true));
  writeFileSync(join(OUT, `${name}-plain.html`), render(list, false));
}

// The stylesheet: a few KB of ordinary rules.
const css = writer(4);
const rules = Array.from({ length: 120 }, (_, i) =>
  `.${css.slug()}-${i}{margin:${css.int(0, 32)}px ${css.int(0, 32)}px;padding:${css.int(0, 24)}px;color:#${css.int(0, 0xffffff).toString(16).padStart(6, '0')}}`,
);
writeFileSync(join(OUT, 'site.css'), `tailor-block{display:contents}\n${rules.join('\n')}\n`);

// The image: a valid 48×48 RGB PNG of seeded noise (so it stays a few KB after deflate).
const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf) => {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type, data) => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
};
const SIDE = 48;
const noise = rng(5);
const raw = Buffer.alloc(SIDE * (SIDE * 3 + 1));
for (let y = 0; y < SIDE; y += 1) {
  raw[y * (SIDE * 3 + 1)] = 0; // filter: none
  for (let x = 0; x < SIDE * 3; x += 1) raw[y * (SIDE * 3 + 1) + 1 + x] = Math.floor(noise() * 256);
}
const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(SIDE, 0);
ihdr.writeUInt32BE(SIDE, 4);
ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, no interlace
writeFileSync(join(OUT, 'logo.png'), Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', ihdr),
  chunk('IDAT', deflateSync(raw, { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]));
