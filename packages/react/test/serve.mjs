// Test helpers: the fixture app bundled with esbuild (for the browser, and
// for Node to server-render it), a small HTTP server standing in for the
// edge (it server-renders a route, replaces the hero's content as the edge
// would, and answers a fake /__tailor/fragments), and Debian's chromium.
//
// TAILOR_REACT_DIR=/path/to/node_modules bundles another React (e.g. 18)
// from that folder instead of the repository's.
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';

const FIXTURES = join(import.meta.dirname, 'fixtures');
export const EDGE_HERO = '<h1 class="edge" id="hero-edge">Hello from the edge, <em>Germany</em></h1>';
export const EDGE_CTA = '<a class="btn" id="cta-edge" href="/demo" rel="noopener noreferrer">Book a demo</a>';

/** esbuild plugin: react and react-dom from TAILOR_REACT_DIR when set. */
function reactFrom(dir) {
  const require = createRequire(join(dir, 'noop.js'));
  return {
    name: 'react-from',
    setup(b) {
      b.onResolve({ filter: /^(react|react-dom|scheduler)(\/.*)?$/ }, (args) => ({
        path: require.resolve(args.path, { paths: [dir] }),
      }));
    },
  };
}

async function bundle(entry, platform) {
  const dir = process.env.TAILOR_REACT_DIR;
  const result = await build({
    entryPoints: [join(FIXTURES, entry)],
    bundle: true,
    write: false,
    format: 'esm',
    platform,
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"development"' },
    logLevel: 'error',
    plugins: dir ? [reactFrom(dir)] : [],
    // react-dom/server's CommonJS requires Node built-ins.
    banner: platform === 'node' ? { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" } : {},
  });
  return result.outputFiles[0].text;
}

/**
 * Starts the fake edge: GET /<route> (server-rendered; the hero replaced as
 * the edge would), /client.js, /__tailor/fragments (records each request in
 * `fragmentRequests`; path /pricing answers `cta` after 300 ms, /many every block, /slow after
 * 3 s, /broken with 500, /offline by closing the connection).
 */
export async function startEdge() {
  const [client, serverCode] = await Promise.all([bundle('client.jsx', 'browser'), bundle('server.jsx', 'node')]);
  const dir = mkdtempSync(join(tmpdir(), 'tailor-react-'));
  writeFileSync(join(dir, 'server.mjs'), serverCode);
  const ssr = await import(pathToFileURL(join(dir, 'server.mjs')).href);
  rmSync(dir, { recursive: true, force: true });

  const fragmentRequests = [];
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://edge');
    if (url.pathname === '/client.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      return res.end(client);
    }
    if (url.pathname === '/__tailor/fragments') {
      const path = url.searchParams.get('path');
      fragmentRequests.push({ path, blocks: url.searchParams.getAll('block'), cookie: req.headers.cookie ?? '' });
      if (path === '/offline') return req.socket.destroy();
      if (path === '/broken') {
        res.writeHead(500, { 'content-type': 'application/json' });
        return res.end('{"error":"boom"}');
      }
      await sleep(path === '/slow' ? 3000 : 300);
      const blocks = {};
      if (url.searchParams.getAll('block').includes('cta')) blocks.cta = { variant: 'demo', html: EDGE_CTA };
      if (path === '/many') for (const name of url.searchParams.getAll('block')) blocks[name] = { variant: 'v', html: `<b class="filled">${name}</b>` };
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'private, no-store' });
      return res.end(JSON.stringify({ path, blocks }));
    }
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204);
      return res.end();
    }
    // The origin's page, then what the edge does: the hero's content replaced, `note` left as it is.
    const app = ssr.render(url.pathname).replace(/(<tailor-block [^>]*name="hero"[^>]*>)[\s\S]*?(<\/tailor-block>)/, `$1${EDGE_HERO}$2`);
    const page = `<!doctype html><html><head><meta charset="utf-8"><title>t</title>
<script>
  // Before React: every change React makes inside the hero is recorded.
  addEventListener('DOMContentLoaded', () => {
    window.__heroBefore = document.querySelector('tailor-block[name=hero]');
    window.__heroMutations = [];
    new MutationObserver((records) => {
      for (const r of records) {
        if (window.__heroBefore.contains(r.target) || [...r.removedNodes].includes(window.__heroBefore)) {
          window.__heroMutations.push(r.type + ' ' + (r.target.nodeName || ''));
        }
      }
    }).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
  });
</script></head><body><div id="root">${app}</div><script type="module" src="/client.js"></script></body></html>`;
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'set-cookie': 'visitor=v1; Path=/; SameSite=Lax' });
    res.end(page);
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    reactVersion: ssr.version,
    fragmentRequests,
    stop: () => new Promise((ok) => { server.closeAllConnections(); server.close(ok); }),
  };
}

export function launchChromium() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

/** A new page that records console errors and warnings, and page errors, in `page.problems`. */
export async function newPage(browser) {
  const page = await browser.newPage();
  page.problems = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') page.problems.push(`${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => page.problems.push(`pageerror: ${e.message}`));
  return page;
}
