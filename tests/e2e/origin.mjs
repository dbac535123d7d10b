// A local origin for the end-to-end tests, on 127.0.0.1. It serves the
// fixture page and the odd responses the worker must pass through untouched,
// plus a page it streams in chunks that split a marker, released on demand.
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './harness.mjs';

export const PAGE = readFileSync(join(ROOT, 'tests/fixtures/page.html'));
export const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 1, 2, 3, 255, 254]);
const ORIGIN_HEADERS = {
  etag: '"origin-etag-1"',
  'last-modified': 'Sat, 21 Nov 2026 10:00:00 GMT',
  'cache-control': 'public, max-age=300',
  'x-origin': 'fixture',
};

/** Cut points for /slow: inside `<tailor-block name="hero">` and inside the CTA's attribute. */
export function slowChunks() {
  const text = PAGE.toString('latin1');
  const a = text.indexOf('<tailor-block name="hero"') + 9;
  const b = text.indexOf('name="cta"') + 4;
  const c = text.indexOf('Origin banner') + 3;
  return [PAGE.subarray(0, a), PAGE.subarray(a, b), PAGE.subarray(b, c), PAGE.subarray(c)];
}

export async function startOrigin() {
  const waiting = [];
  let release = null;
  const server = createServer((req, res) => {
    const path = new URL(req.url, 'http://origin').pathname;
    const html = (status, body, extra = {}) => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', ...ORIGIN_HEADERS, ...extra });
      res.end(body);
    };
    if (req.method === 'POST') {
      let body = '';
      req.on('data', (d) => { body += d; });
      req.on('end', () => html(201, `<p>posted ${body.length} bytes</p>`, { 'x-method': 'POST' }));
      return;
    }
    if (req.headers.range && (path === '/' || path === '/index.html')) {
      res.writeHead(206, { 'content-type': 'text/html; charset=utf-8', 'content-range': `bytes 0-9/${PAGE.length}`, ...ORIGIN_HEADERS });
      res.end(PAGE.subarray(0, 10));
      return;
    }
    switch (path) {
      case '/':
      case '/index.html':
      case '/about':
        return html(200, PAGE);
      case '/missing':
        return html(404, '<h1>Not found</h1><tailor-block name="hero">x</tailor-block>');
      case '/redirect':
        res.writeHead(302, { location: '/about', ...ORIGIN_HEADERS });
        return res.end();
      case '/style.css':
        res.writeHead(200, { 'content-type': 'text/css', ...ORIGIN_HEADERS });
        return res.end('tailor-block{display:contents}\n');
      case '/image.png':
        res.writeHead(200, { 'content-type': 'image/png', ...ORIGIN_HEADERS });
        return res.end(PNG);
      case '/data':
        res.writeHead(200, { 'content-type': 'application/json', ...ORIGIN_HEADERS });
        return res.end('{"html":"<tailor-block name=\\"hero\\">x</tailor-block>"}');
      case '/slow': {
        // Streams the page in four chunks; the last waits for the test's go.
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', ...ORIGIN_HEADERS });
        const chunks = slowChunks();
        (async () => {
          for (const [i, chunk] of chunks.entries()) {
            if (i === chunks.length - 1) await new Promise((ok) => { release = ok; waiting.forEach((w) => w()); });
            res.write(chunk);
            await new Promise((ok) => setTimeout(ok, 20));
          }
          res.end();
        })();
        return;
      }
      default:
        return html(404, '<h1>Not found</h1>');
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    /** Resolves once /slow holds back its last chunk; call the result to send it. */
    slowHeldBack: () => new Promise((ok) => (release ? ok(release) : waiting.push(() => ok(release)))),
    stop: () => new Promise((ok) => { server.closeAllConnections(); server.close(ok); }),
  };
}

const TYPES = { '.html': 'text/html; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml' };

/** A static origin for a site directory (the demo in www/): `/pricing` → pricing.html, `/docs/` → docs/index.html. */
export async function startStaticOrigin(root) {
  const { readFile } = await import('node:fs/promises');
  const { extname, join: joinPath, normalize } = await import('node:path');
  const server = createServer(async (req, res) => {
    let path = normalize(decodeURIComponent(new URL(req.url, 'http://origin').pathname));
    if (path.includes('..')) { res.writeHead(400); return res.end(); }
    if (path.endsWith('/')) path += 'index.html';
    if (!extname(path)) path += '.html';
    try {
      const body = await readFile(joinPath(root, path));
      res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<h1>Not found</h1>');
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    stop: () => new Promise((ok) => { server.closeAllConnections(); server.close(ok); }),
  };
}
