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
import { rng } from './rng.mjs';
import { ROOT, startWorker, kvEntries, tailor } from '../tests/e2e/harness.mjs';
import { COOKIE, PROFILE_KEYS, STATE_KEY } from '../tests/e2e/demo.mjs';
import { sign } from '../examples/node/profile-cookie.mjs';
import { KID, SECRET } from '../tests/e2e/demo.mjs';

export const CLICK_RATE = { control: 0.04, bold: 0.12, calm: 0.06 };
const SECRET_PUSH = 'loop-demo-push-secret-0123456789abcdefghij';
const PREVIEW_KEY = 'bG9vcC1kZW1vLXByZXZpZXcta2V5LTAxMjM0NTY3ODk';

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


/** The loop's Cloudflare engines, as wrangler.toml and control/wrangler.toml declare them. */
const QUEUE_PRODUCER = ['[[queues.producers]]', 'binding = "EVENTS"', 'queue = "tailor-events"'];
const QUEUE_CONSUMER = ['[[queues.consumers]]', 'queue = "tailor-events"', 'max_batch_size = 100', 'max_batch_timeout = 1',
  '[[d1_databases]]', 'binding = "LOOP"', 'database_name = "tailor-loop"', 'database_id = "00000000-0000-0000-0000-000000000000"'];

/** The last loop tick the page worker logged (`tailor: loop tick → 200 {…}`), parsed, after `from` bytes of the log. */
function lastTick(log, from) {
  const lines = log.slice(from).split('\n').filter((l) => l.includes('tailor: loop tick → '));
  if (lines.length === 0) return null;
  const answer = lines.at(-1).split('tailor: loop tick → ')[1];
  const status = Number(answer.split(' ')[0]);
  const body = answer.slice(answer.indexOf(' ') + 1).trim();
  try {
    return { http: status, ...JSON.parse(body) };
  } catch {
    return { http: status, body };
  }
}

/**
 * Runs the loop: `rounds` of `visitors` simulated visitors (a share of them
 * anonymous: no profile cookie, the edge's own id after consent), clicking
 * at CLICK_RATE. `mode`: `queue` (the default: events through the Queue to
 * the control worker's consumer and D1, posteriors published by the cron
 * trigger, nobody pushing) or `manual` (a local sink, `tailor stats
 * aggregate`, `tailor catalog push --stats`, as a site without the Queue
 * would). Returns the table of rounds and the ticks.
 */
export async function runLoop({ rounds = 6, visitors = 100, mode = 'queue', anonymousShare = 0.5, seed = 2026, log = console.log } = {}) {
  const dir = join(ROOT, 'target/loop-demo');
  mkdirSync(dir, { recursive: true });
  const queue = mode === 'queue';
  const sink = queue ? null : await startSink();
  const origin = await startOfferOrigin();
  const worker = await startWorker(`loop-${mode}`, {
    entries: kvEntries('examples/loop/catalog.json'),
    vars: {
      ORIGIN_URL: origin.url, TAILOR_SITE: 'demo', TAILOR_CATALOG_REFRESH_MS: '0', TAILOR_PROFILE_KEYS: PROFILE_KEYS,
      TAILOR_STATE_KEY: STATE_KEY, TAILOR_CONSENT_DEFAULT: 'granted', ...(queue ? {} : { TAILOR_EVENTS_URL: sink.url }),
      // The preview UI, for the report at /__tailor/preview/report.
      TAILOR_PREVIEW: 'on', TAILOR_PREVIEW_KEY: PREVIEW_KEY,
    },
    toml: queue ? QUEUE_PRODUCER : [],
    logLevel: 'log',
    control: { vars: { TAILOR_SITE: 'demo', TAILOR_PUBLISH_SECRETS: SECRET_PUSH }, toml: queue ? QUEUE_CONSUMER : [] },
  });
  const random = rng(seed);
  const now = () => Math.floor(Date.now() / 1000);
  const table = [];
  const ticks = [];
  let sent = 0;
  /** What the personalized traffic and the holdout were shown, over the whole run. */
  const arms = { personalized: { control: 0, bold: 0, calm: 0 }, holdout: { control: 0, bold: 0, calm: 0 } };
  try {
    for (let round = 1; round <= rounds; round += 1) {
      const shown = { control: 0, bold: 0, calm: 0 };
      const clicks = { control: 0, bold: 0, calm: 0 };
      for (let v = 0; v < visitors; v += 1) {
        let cookie = '';
        if (random() >= anonymousShare) {
          const bid = `r${round}v${v}${Math.floor(random() * 1e9).toString(36)}`;
          cookie = `${COOKIE}=${sign({ kid: KID, secret: SECRET, profile: { i: now() - 60, e: now() + 3600, c: 'pa', bid } })}`;
        }
        const res = await fetch(`${worker.url}/`, { headers: cookie ? { cookie } : {} });
        const html = await res.text();
        // An anonymous visitor keeps the id the edge minted for them.
        const id = res.headers.getSetCookie().find((c) => c.startsWith('__Host-tailor_id='))?.split(';')[0];
        if (!cookie && id) cookie = id;
        const variant = /data-variant="([a-z]+)"/.exec(html)?.[1];
        if (!variant) throw new Error(`no offer variant in the page:\n${html}`);
        shown[variant] += 1;
        const holdout = /offer:[a-z]+:holdout/.test(res.headers.get('server-timing') ?? '');
        arms[holdout ? 'holdout' : 'personalized'][variant] += 1;
        sent += 1;
        if (random() < CLICK_RATE[variant]) {
          clicks[variant] += 1;
          // The page's exposure (and served ledger) is written once the page has been streamed.
          await new Promise((ok) => setTimeout(ok, 20));
          const beacon = await fetch(`${worker.url}/__tailor/event`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify({ type: 'click', block: 'offer', path: '/' }) });
          if (beacon.status !== 204) throw new Error(`beacon answered ${beacon.status}`);
          if (/credited 1/.test(beacon.headers.get('server-timing') ?? '')) sent += 1;
        }
      }
      const share = (shown.bold / visitors) * 100;
      table.push({ round, visitors, control: shown.control, bold: shown.bold, calm: shown.calm, 'bold share %': +share.toFixed(1), clicks: clicks.control + clicks.bold + clicks.calm });
      log(JSON.stringify(table.at(-1)));
      if (queue) {
        // The consumer's batches wait at most 1 s; then the cron trigger, as Cloudflare would fire it.
        await new Promise((ok) => setTimeout(ok, 2500));
        const from = worker.log().length;
        const fired = await fetch(`${worker.url}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent('*/5 * * * *')}`);
        const firedBody = await fired.text();
        if (fired.status !== 200) throw new Error(`the cron trigger answered ${fired.status}: ${firedBody}`);
        let tick = null;
        for (let i = 0; i < 100 && !tick; i += 1) {
          await new Promise((ok) => setTimeout(ok, 100));
          tick = lastTick(worker.log(), from);
        }
        if (!tick) throw new Error(`the cron trigger ran no tick:\n${worker.log().slice(from)}`);
        ticks.push({ round, ...tick, sent });
        log(JSON.stringify({ tick: ticks.at(-1) }));
      } else {
        await new Promise((ok) => setTimeout(ok, 500));
        const events = join(dir, 'events.ndjson');
        writeFileSync(events, sink.lines.join('\n') + '\n');
        tailor('stats', 'aggregate', events, '--out', join(dir, 'stats.json'));
        tailor('catalog', 'push', 'examples/loop/catalog.json', '--to', worker.url, '--stats', join(dir, 'stats.json'),
          { env: { ...process.env, TAILOR_PUBLISH_SECRETS: SECRET_PUSH } });
      }
    }
    // The report, as the preview UI shows it: personalized against the holdout.
    const reported = queue ? await (await fetch(`${worker.url}/__tailor/preview/report?format=json`)).json() : null;
    const html = queue ? await (await fetch(`${worker.url}/__tailor/preview/report`)).text() : null;
    // The simulated effect: the click rate of what personalized visitors were shown over the holdout's.
    const rate = (shown) => {
      const n = Object.values(shown).reduce((a, b) => a + b, 0);
      return n ? Object.entries(shown).reduce((sum, [v, k]) => sum + k * CLICK_RATE[v], 0) / n : NaN;
    };
    const effect = rate(arms.personalized) / rate(arms.holdout) - 1;
    return { table, ticks, sent, arms, effect, report: reported, reportHtml: html, log: worker.log() };
  } finally {
    worker.stop();
    await origin.stop();
    await sink?.stop();
  }
}

async function main() {
  const mode = process.env.LOOP_MODE ?? 'queue';
  const { table, sent, report, effect, arms } = await runLoop({
    rounds: Number(process.env.LOOP_ROUNDS ?? 6),
    visitors: Number(process.env.LOOP_VISITORS ?? 100),
    mode,
  });
  console.log(`mode ${mode}; click rates: ${JSON.stringify(CLICK_RATE)}; ${sent} events counted by the edge`);
  console.table(table);
  if (report) {
    const offer = report.blocks.find((b) => b.block === 'offer')?.overall;
    const lift = offer?.lift_vs_holdout;
    console.log(`holdout: ${JSON.stringify(arms.holdout)}; personalized: ${JSON.stringify(arms.personalized)}`);
    console.log(`simulated effect (personalized vs holdout): ${(effect * 100).toFixed(1)} %`);
    console.log(`report: personalized ${JSON.stringify(offer?.personalized)}, holdout ${JSON.stringify(offer?.holdout)}`);
    console.log(`report: lift ${lift?.lift === undefined ? '–' : (lift.lift * 100).toFixed(1) + ' %'}, 95 % interval ${lift?.interval ? `[${(lift.interval.low * 100).toFixed(1)} %, ${(lift.interval.high * 100).toFixed(1)} %]` : '(small sample: none)'}; contains the simulated effect: ${lift?.interval ? lift.interval.low <= effect && effect <= lift.interval.high : 'n/a'}`);
    console.log(`loop latency: ${JSON.stringify(report.loop_latency)}`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
