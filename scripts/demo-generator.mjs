// The demo's content generator: what an origin's generator (say, a language
// model behind an HTTP endpoint) looks like to Tailor. POST /generate with
// {site, block, variant, catalog_version, segment} answers a spotlight
// section written for the segment's labels. Only labels arrive: never a
// visitor. `make dev` starts it; the end-to-end tests start their own.
//
//   node scripts/demo-generator.mjs [--port 8788] [--delay-ms 0]
//
// GET /control?delay_ms=2000&mode=ok|fail|oversized|script|long changes how it
// answers (for tests and for trying the budget by hand); GET /calls counts.
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const title = (s) => esc(String(s).replace(/[-_]/g, ' '));

/** The section written for a segment. */
export function spotlightFor(segment) {
  const who = [segment.industry, segment.role].filter(Boolean).map(title).join(' ') || 'your team';
  return `<section class="spotlight" id="spotlight" data-variant="generated">
  <div class="container spotlight__inner">
    <div class="spotlight__copy">
      <p class="kicker">Written for ${who}</p>
      <h2 class="spotlight__title">What ${who} teams reconcile first</h2>
      <p class="spotlight__lede">Generated at the origin for this segment, cached at the edge, served to everyone who shares it.</p>
      <a class="link-arrow" href="/pricing">See plans</a>
    </div>
  </div>
</section>
`;
}

/** Starts a generator on 127.0.0.1; returns { url, port, calls(), control(opts), stop() }. */
export async function startGenerator({ port = 0, delayMs = 0 } = {}) {
  const settings = { delayMs, mode: 'ok' };
  const calls = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://generator');
    if (req.method === 'GET' && url.pathname === '/control') {
      if (url.searchParams.has('delay_ms')) settings.delayMs = Number(url.searchParams.get('delay_ms'));
      if (url.searchParams.has('mode')) settings.mode = url.searchParams.get('mode');
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify(settings));
    }
    if (req.method === 'GET' && url.pathname === '/calls') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify(calls));
    }
    if (req.method !== 'POST' || url.pathname !== '/generate') {
      res.writeHead(404);
      return res.end();
    }
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      let request = {};
      try { request = JSON.parse(body); } catch { /* answered below */ }
      calls.push(request);
      const { mode } = settings;
      setTimeout(() => {
        if (mode === 'fail') {
          res.writeHead(503, { 'content-type': 'text/plain' });
          return res.end('overloaded');
        }
        let html = spotlightFor(request.segment ?? {});
        if (mode === 'oversized') html += `<p>${'x'.repeat(70 * 1024)}</p>`;
        if (mode === 'script') html += '<script>document.cookie</script>';
        // Over a block's word limit (guardrails), still safe HTML.
        if (mode === 'long') html = html.replace('</section>', `<p>${'more words about this segment '.repeat(30)}</p></section>`);
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(html);
      }, settings.delayMs);
    });
  });
  await new Promise((ok) => server.listen(port, '127.0.0.1', ok));
  const actual = server.address().port;
  return {
    port: actual,
    url: `http://127.0.0.1:${actual}/generate`,
    calls: () => calls,
    control: (opts) => Object.assign(settings, opts),
    stop: () => new Promise((ok) => { server.closeAllConnections?.(); server.close(ok); }),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name, fallback) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : fallback;
  };
  const generator = await startGenerator({ port: arg('port', 8788), delayMs: arg('delay-ms', 0) });
  console.log(`demo generator on ${generator.url}`);
}
