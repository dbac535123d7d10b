// The feedback loop, end to end (`make loop-demo`): simulated visitors
// against the page and control workers under `wrangler dev`, exposure and
// conversion events collected by a local sink, `tailor stats aggregate`,
// `tailor catalog push --stats`, and the better variant's share per round.
//
// The catalog (examples/loop/catalog.json) has one block, `offer`, with
// three untargeted variants and a bandit. Visitors click with a known
// probability per variant: `bold` converts best. Every visitor has a new
// bucketing id, so each one is a fresh Thompson-sampling draw.
import { createServer } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, startWorker, kvEntries, tailor } from '../tests/e2e/harness.mjs';
import { COOKIE, PROFILE_KEYS } from '../tests/e2e/demo.mjs';
import { sign } from '../examples/node/profile-cookie.mjs';
import { KID, SECRET } from '../tests/e2e/demo.mjs';

export const CLICK_RATE = { control: 0.04, bold: 0.12, calm: 0.06 };
const SECRET_PUSH = 'loop-demo-push-secret-0123456789abcdefghij';

/** A local events sink: collects NDJSON lines POSTed to it. */
export async function startSink() {
  const lines = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      lines.push(...body.split('\n').filter((l) => l.trim()));
      res.writeHead(204);
      res.end();
    });
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${server.address().port}/events`,
    lines,
    events: () => lines.map((l) => JSON.parse(l)),
    stop: () => new Promise((ok) => { server.closeAllConnections?.(); server.close(ok); }),
  };
}

/** A one-page origin with the offer block. */
async function startOfferOrigin() {
  const page = '<!DOCTYPE html><html><body><h1>Loop demo</h1><tailor-block name="offer"><p>Start your trial</p></tailor-block></body></html>';
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(page);
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${server.address().port}`, stop: () => new Promise((ok) => { server.closeAllConnections?.(); server.close(ok); }) };
}

// A small deterministic PRNG so a run is reproducible.
function rng(seed) {
  let s = seed >>> 0;
  return () => { s = (s + 0x6d2b79f5) >>> 0; let t = s; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
}

async function main() {
  const rounds = Number(process.env.LOOP_ROUNDS ?? 6);
  const visitors = Number(process.env.LOOP_VISITORS ?? 100);
  const dir = join(ROOT, 'target/loop-demo');
  mkdirSync(dir, { recursive: true });
  const sink = await startSink();
  const origin = await startOfferOrigin();
  const worker = await startWorker('loop-demo', {
    entries: kvEntries('examples/loop/catalog.json'),
    vars: { ORIGIN_URL: origin.url, TAILOR_SITE: 'demo', TAILOR_CATALOG_REFRESH_MS: '0', TAILOR_PROFILE_KEYS: PROFILE_KEYS, TAILOR_EVENTS_URL: sink.url },
    control: { vars: { TAILOR_SITE: 'demo', TAILOR_PUBLISH_SECRETS: SECRET_PUSH } },
  });
  const random = rng(2026);
  const now = () => Math.floor(Date.now() / 1000);
  const table = [];
  try {
    for (let round = 1; round <= rounds; round += 1) {
      const shown = { control: 0, bold: 0, calm: 0 };
      const clicks = { control: 0, bold: 0, calm: 0 };
      for (let v = 0; v < visitors; v += 1) {
        const bid = `r${round}v${v}${Math.floor(random() * 1e9).toString(36)}`;
        const cookie = `${COOKIE}=${sign({ kid: KID, secret: SECRET, profile: { i: now() - 60, e: now() + 3600, c: 'pa', bid } })}`;
        const html = await (await fetch(`${worker.url}/`, { headers: { cookie } })).text();
        const variant = /data-variant="([a-z]+)"/.exec(html)?.[1];
        if (!variant) throw new Error(`no offer variant in the page:\n${html}`);
        shown[variant] += 1;
        if (random() < CLICK_RATE[variant]) {
          clicks[variant] += 1;
          const res = await fetch(`${worker.url}/__tailor/event`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify({ type: 'click', block: 'offer', path: '/' }) });
          if (res.status !== 204) throw new Error(`beacon answered ${res.status}`);
        }
      }
      const share = (shown.bold / visitors) * 100;
      table.push({ round, visitors, control: shown.control, bold: shown.bold, calm: shown.calm, 'bold share %': +share.toFixed(1), clicks: clicks.control + clicks.bold + clicks.calm });
      console.log(JSON.stringify(table.at(-1)));
      // Let the last events reach the sink, then aggregate everything so far and publish.
      await new Promise((ok) => setTimeout(ok, 500));
      const events = join(dir, 'events.ndjson');
      writeFileSync(events, sink.lines.join('\n') + '\n');
      tailor('stats', 'aggregate', events, '--out', join(dir, 'stats.json'));
      tailor('catalog', 'push', 'examples/loop/catalog.json', '--to', worker.url, '--stats', join(dir, 'stats.json'),
        { env: { ...process.env, TAILOR_PUBLISH_SECRETS: SECRET_PUSH } });
    }
    console.log(`click rates: ${JSON.stringify(CLICK_RATE)}; ${sink.lines.length} events; stats in target/loop-demo/stats.json`);
    console.table(table);
  } finally {
    worker.stop();
    await origin.stop();
    await sink.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
