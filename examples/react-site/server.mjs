#!/usr/bin/env node
// The example React site as Tailor's origin: server-renders / and /pricing
// with react-dom/server and serves the client bundle that hydrates them.
// Both are built with esbuild when the server starts (nothing to build by
// hand after `npm ci`).
//
//   node examples/react-site/server.mjs [--port 3000]     (default 0: any free port)
//
// Prints `listening <port>` once ready.
import { createServer } from 'node:http';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const HERE = import.meta.dirname;
const OUT = join(HERE, '.build');
const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, host: { type: 'string', default: '127.0.0.1' } } });

// In this repository the package is a folder, not an installed dependency:
// resolve '@tailor-edge/react' to it (an app that installs the package needs no such thing).
const tailorPackage = {
  name: 'tailor-edge-react',
  setup(b) {
    b.onResolve({ filter: /^@tailor-edge\/react$/ }, () => ({ path: join(HERE, '../../packages/react/index.js') }));
  },
};
const common = { bundle: true, format: 'esm', jsx: 'automatic', plugins: [tailorPackage], logLevel: 'warning' };
mkdirSync(OUT, { recursive: true });
const [client] = await Promise.all([
  build({ ...common, entryPoints: [join(HERE, 'src/client.jsx')], platform: 'browser', write: false, minify: true,
    define: { 'process.env.NODE_ENV': '"production"' } }),
  // Server side: React stays external, imported from node_modules like any Node dependency.
  build({ ...common, entryPoints: [join(HERE, 'src/server.jsx')], platform: 'node', outfile: join(OUT, 'server.mjs'),
    external: ['react', 'react-dom', 'react/*', 'react-dom/*'] }),
]);
const clientJs = client.outputFiles[0].text;
const { render, ROUTE_PATHS } = await import(pathToFileURL(join(OUT, 'server.mjs')).href);

const CSS = `
  tailor-block { display: contents; }
  body { font: 16px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 40rem; padding: 0 1rem; }
  nav { margin-bottom: 2rem; }
  .hero { padding: 2rem; border-radius: .5rem; background: #eef2ff; }
  .btn { display: inline-block; padding: .5rem 1rem; border-radius: .25rem; background: #4338ca; color: #fff; text-decoration: none; }
`;

function page(path) {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Ledgerly</title>
<link rel="icon" href="data:,">
<style>${CSS}</style>
<script src="/__tailor/events.js" defer></script>
<script src="/assets/client.js" type="module"></script>
</head>
<body><div id="root">${render(path)}</div></body>
</html>
`;
}

const server = createServer((req, res) => {
  const { pathname } = new URL(req.url, 'http://origin');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' });
    return res.end();
  }
  if (pathname === '/assets/client.js') {
    res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' });
    return res.end(req.method === 'HEAD' ? undefined : clientJs);
  }
  const known = ROUTE_PATHS.includes(pathname);
  const html = page(pathname);
  res.writeHead(known ? 200 : 404, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' });
  res.end(req.method === 'HEAD' ? undefined : html);
});
server.listen(Number(values.port), values.host, () => {
  console.log(`listening ${server.address().port}`);
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
