// The origin for `benches/workerd.mjs`, run as its own process so its CPU is
// never counted as workerd's. Serves benches/data from memory on 127.0.0.1:
//
//   /p/NAME.html          the page, whole, with content-length
//   /slow/p/NAME.html     the same page chunked: SLOW_FIRST_BYTES at once, then
//                         SLOW_CHUNK_BYTES every SLOW_INTERVAL_MS (a slow backend;
//                         the three come from the environment)
//   /assets/site.css, /assets/logo.png
//
// Prints `listening PORT` on stdout once it accepts connections.
import { createServer } from 'node:http';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const SLOW_FIRST_BYTES = Number(process.env.SLOW_FIRST_BYTES ?? 4096);
const SLOW_CHUNK_BYTES = Number(process.env.SLOW_CHUNK_BYTES ?? 16384);
const SLOW_INTERVAL_MS = Number(process.env.SLOW_INTERVAL_MS ?? 50);

const DATA = join(import.meta.dirname, 'data');
const TYPES = { html: 'text/html; charset=utf-8', css: 'text/css; charset=utf-8', png: 'image/png' };
const files = new Map();
for (const name of readdirSync(DATA)) {
  const ext = name.split('.').pop();
  if (!TYPES[ext]) continue;
  const prefix = ext === 'html' ? '/p/' : '/assets/';
  files.set(`${prefix}${name}`, { body: readFileSync(join(DATA, name)), type: TYPES[ext] });
}
// What a CDN-fronted origin typically sends; the workers must pass them on.
const HEADERS = { 'cache-control': 'public, max-age=300', etag: '"bench-1"', 'x-origin': 'bench' };

const server = createServer((req, res) => {
  const path = new URL(req.url, 'http://origin').pathname;
  const slow = path.startsWith('/slow/');
  const file = files.get(slow ? path.slice('/slow'.length) : path);
  if (!file) {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found\n');
    return;
  }
  if (!slow) {
    res.writeHead(200, { 'content-type': file.type, 'content-length': file.body.length, ...HEADERS });
    res.end(file.body);
    return;
  }
  res.writeHead(200, { 'content-type': file.type, ...HEADERS });
  res.write(file.body.subarray(0, SLOW_FIRST_BYTES));
  let at = SLOW_FIRST_BYTES;
  const timer = setInterval(() => {
    res.write(file.body.subarray(at, at + SLOW_CHUNK_BYTES));
    at += SLOW_CHUNK_BYTES;
    if (at >= file.body.length) {
      clearInterval(timer);
      res.end();
    }
  }, SLOW_INTERVAL_MS);
  res.on('close', () => clearInterval(timer));
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
