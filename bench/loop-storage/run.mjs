// Where the loop's counts live: D1 or a SQLite-backed Durable Object.
// `make bench-loop-storage` (or `node bench/loop-storage/run.mjs`).
//
// Starts each variant under `wrangler dev` (its own --persist-to under
// target/loop-storage/), posts BATCHES batches of 100 Queue messages (one
// page view each, 1–6 NDJSON events, ~5 on average) to POST /apply one after
// another (or CONCURRENCY at a time), then checks the stored counts against
// what was sent and replays batches under new delivery ids (a Queue retry):
// nothing may change; and fails one batch's transaction on purpose: nothing
// of it may stay. RUNS runs per case, fresh state each; medians printed.
//
// Env: BATCHES (200), RUNS (3), SEED_IDS (700000: the ids a site with 100k
// events/day keeps for 7 days, for the "seeded" cases), CASES (comma list of
// case names to run), BENCH_QUICK=1 (20 batches, 1 run).

import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { rmSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { rng } from '../../scripts/rng.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const WRANGLER = join(ROOT, 'node_modules/.bin/wrangler');
const STATE = join(ROOT, 'target/loop-storage');
const QUICK = process.env.BENCH_QUICK === '1';
const BATCHES = Number(process.env.BATCHES ?? (QUICK ? 20 : 200));
const RUNS = Number(process.env.RUNS ?? (QUICK ? 1 : 3));
const SEED_IDS = Number(process.env.SEED_IDS ?? 700_000);
const MESSAGES = 100;
const REPLAYS = 20;

const CASES = [
  { name: 'd1', config: 'wrangler-d1.toml', query: '', seed: 0, concurrency: 1 },
  { name: 'do', config: 'wrangler-do.toml', query: '?mode=json', seed: 0, concurrency: 1 },
  { name: 'do-rows', config: 'wrangler-do.toml', query: '?mode=rows', seed: 0, concurrency: 1 },
  { name: 'd1-c4', config: 'wrangler-d1.toml', query: '', seed: 0, concurrency: 4 },
  { name: 'do-c4', config: 'wrangler-do.toml', query: '?mode=json', seed: 0, concurrency: 4 },
  { name: 'd1-seeded', config: 'wrangler-d1.toml', query: '', seed: SEED_IDS, concurrency: 1 },
  { name: 'do-seeded', config: 'wrangler-do.toml', query: '?mode=json', seed: SEED_IDS, concurrency: 1 },
].filter((c) => !process.env.CASES || process.env.CASES.split(',').includes(c.name));

// ---- the workload -------------------------------------------------------


const DAY_MS = 86_400_000;
const BASE_MS = Date.UTC(2026, 11, 4, 12); // two days: Dec 4 12:00 .. Dec 5 ~12:00
const VERSIONS = ['v41', 'v42'];
const BLOCKS = ['hero', 'proof', 'cta', 'pricing', 'spotlight', 'footer-cta'];
const VARIANTS = ['a', 'b', 'c'];
const SEGMENTS = [
  {}, { role: 'developer' }, { role: 'marketer', industry: 'saas' },
  { company_size: 'enterprise', lifecycle: 'returning' }, { industry: 'retail' },
];
// Events per page view: 1–6, mean ~4.95.
const SIZES = [1, 2, 3, 4, 4, 5, 5, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6];

function eventId() {
  return randomBytes(17).toString('base64url').slice(0, 22);
}

function segmentLabel(s) {
  return Object.keys(s).sort().map((k) => `${k}=${s[k]}`).join('&');
}

// Builds the batches; returns them with the expected counts per key.
// ~1% of messages are repeated within a batch (sent twice in one delivery)
// and ~2% are redelivered in a later batch: both must count once.
function workload(batches) {
  const r = rng(20261205);
  const expected = new Map();
  const all = [];
  let events = 0;
  let sentLines = 0;
  const earlier = [];
  for (let b = 0; b < batches; b++) {
    const messages = [];
    const ts0 = BASE_MS + Math.floor((b / batches) * DAY_MS);
    for (let m = 0; m < MESSAGES; m++) {
      if (earlier.length && r() < 0.02) { messages.push(earlier[Math.floor(r() * earlier.length)]); continue; }
      if (messages.length && r() < 0.01) { messages.push(messages[messages.length - 1]); continue; }
      const version = VERSIONS[Math.floor(r() * VERSIONS.length)];
      const segment = SEGMENTS[Math.floor(r() * SEGMENTS.length)];
      const experiment = r() < 0.5 ? 'exp-proof' : undefined;
      const reason = experiment ? 'experiment' : 'rule';
      const n = SIZES[Math.floor(r() * SIZES.length)];
      const lines = [];
      for (let e = 0; e < n; e++) {
        const block = BLOCKS[e % BLOCKS.length];
        const variant = VARIANTS[Math.floor(r() * VARIANTS.length)];
        const kind = r() < 0.8 ? 'exposure' : 'conversion';
        const ts = ts0 + Math.floor(r() * 60_000);
        const ev = { kind, event_id: eventId(), ts_ms: ts, site: 'demo', catalog_version: version, path: '/',
          block, variant, reason, ...(experiment ? { experiment } : {}), segment };
        lines.push(JSON.stringify(ev));
        const key = [version, block, variant, reason, experiment ?? '', segmentLabel(segment), Math.floor(ts / DAY_MS)].join('|');
        const c = expected.get(key) ?? { exposures: 0, conversions: 0, last_ms: 0 };
        c[kind === 'exposure' ? 'exposures' : 'conversions']++;
        c.last_ms = Math.max(c.last_ms, ts);
        expected.set(key, c);
        events++;
      }
      const msg = lines.join('\n');
      messages.push(msg);
      earlier.push(msg);
    }
    sentLines += messages.reduce((s, m) => s + m.split('\n').length, 0);
    all.push(messages);
  }
  return { batches: all, expected, events, sentLines };
}

// ---- wrangler dev -------------------------------------------------------

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function startWrangler(config, port, persist) {
  // An explicit inspector port: the default (9229) may still be held by the
  // previous run's workerd, or by another wrangler dev, and then the runtime
  // fails to start.
  const child = spawn(WRANGLER, ['dev', '-c', join(HERE, config), '--ip', '127.0.0.1', '--port', String(port),
    '--inspector-port', String(port + 1000),
    '--persist-to', persist, '--show-interactive-dev-session=false', '--log-level', 'warn'], {
    cwd: HERE, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
  });
  let log = '';
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    try {
      const res = await fetch(`${base}/totals`);
      if (res.ok) { await res.json(); return { child, base, log: () => log }; }
    } catch { /* not up yet */ }
    if (child.exitCode !== null) break;
    await sleep(100);
  }
  await stop(child);
  throw new Error(`wrangler dev did not start:\n${log}`);
}

// Ends wrangler and its workerd (its process group) and waits for them.
async function stop(child) {
  const gone = new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
  try { process.kill(-child.pid, 'SIGTERM'); } catch { /* gone */ }
  await Promise.race([gone, sleep(5000)]);
  try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
}

async function post(base, path, body) {
  const res = await fetch(base + path, { method: 'POST', body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${path}: ${res.status} ${text.slice(0, 500)}`);
  return JSON.parse(text);
}

// Applies one batch as a Queue consumer would: a delivery that fails (here:
// wrangler dev's "worker restarted mid-request" 503, seen when other jobs
// load the machine) is retried under a new delivery id, which must count it
// once whether or not the failed attempt committed. Retries are reported.
let retries = 0;
async function apply(base, query, messages) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await post(base, `/apply${query}`, { batch: randomUUID(), messages });
    } catch (e) {
      if (attempt >= 5) throw e;
      retries++;
      await sleep(200 * attempt);
    }
  }
}

const get = async (base, path) => (await fetch(base + path)).json();

// ---- one run ------------------------------------------------------------

function pct(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function runOnce(c, run, w, port) {
  const persist = join(STATE, `${c.name}-${run}`);
  rmSync(persist, { recursive: true, force: true });
  mkdirSync(persist, { recursive: true });
  const wr = await startWrangler(c.config, port, persist);
  try {
    const base = wr.base;
    if (c.seed) {
      // A week of ids (c.seed spread over the 7 days before the workload's).
      const s = await post(base, `/seed${c.query ? c.query + '&' : '?'}n=${c.seed}&day=${Math.floor(BASE_MS / DAY_MS)}`, {});
      if (s.seeded < c.seed) throw new Error(`seeded ${s.seeded} of ${c.seed}`);
    }
    // One warm-up request (schema, isolate, object) not timed: an empty batch.
    await post(base, `/apply${c.query}`, { batch: randomUUID(), messages: [] });

    const client = [];
    const server = [];
    const read = [];
    const written = [];
    let jsonMax = 0;
    let newIds = 0;
    let next = 0;
    const t0 = performance.now();
    async function worker() {
      while (next < w.batches.length) {
        const i = next++;
        const s = performance.now();
        const r = await apply(base, c.query, w.batches[i]);
        client.push(performance.now() - s);
        server.push(r.ms);
        read.push(r.rows_read);
        written.push(r.rows_written);
        jsonMax = Math.max(jsonMax, r.json_bytes ?? 0);
        newIds += r.new_ids;
      }
    }
    await Promise.all(Array.from({ length: c.concurrency }, worker));
    const wall = (performance.now() - t0) / 1000;
    const retried = retries;
    retries = 0;

    const totals = await get(base, '/totals');
    const rows = await get(base, '/rows');
    // Every stored row against what was sent.
    let rowMismatch = 0;
    const seen = new Set();
    for (const row of rows) {
      const key = [row.catalog_version, row.block, row.variant, row.reason, row.experiment, row.segment, row.day].join('|');
      const e = w.expected.get(key);
      seen.add(key);
      if (!e || e.exposures !== row.exposures || e.conversions !== row.conversions || e.last_ms !== row.last_ms) rowMismatch++;
    }
    rowMismatch += [...w.expected.keys()].filter((k) => !seen.has(k)).length;

    // A Queue retry: batches delivered again under new delivery ids.
    let replayNew = 0;
    for (let k = 0; k < REPLAYS; k++) {
      const i = Math.floor((k * w.batches.length) / REPLAYS);
      const r = await post(base, `/apply${c.query}`, { batch: randomUUID(), messages: w.batches[i] });
      replayNew += r.new_ids;
    }
    const after = await get(base, '/totals');

    // Atomicity: a delivery of new events whose transaction fails after both
    // statements ran (D1: a third statement in the batch fails; DO: the
    // transactionSync callback throws) must leave nothing behind.
    const fresh = Array.from({ length: MESSAGES }, (_, m) => JSON.stringify({ kind: 'exposure', event_id: eventId(),
      ts_ms: BASE_MS + m, site: 'demo', catalog_version: 'v-atomic', path: '/', block: 'hero', variant: 'a', reason: 'rule' }));
    const failed = await post(base, `/apply${c.query}${c.query ? '&' : '?'}fail=1`, { batch: randomUUID(), messages: fresh });
    const afterFail = await get(base, '/totals');

    // The daily prune on a store that keeps a week of ids: the oldest day
    // goes (seeded cases only; a cron's job, timed once).
    let prune = null;
    if (c.seed) {
      prune = await post(base, `/prune${c.query ? c.query + '&' : '?'}before=${Math.floor(BASE_MS / DAY_MS) - 6}`, {});
      const afterPrune = await get(base, '/totals');
      prune.ok = prune.deleted > 0 && afterPrune.ids === totals.ids - prune.deleted &&
        afterPrune.exposures === totals.exposures && afterPrune.conversions === totals.conversions;
    }

    const expExposures = [...w.expected.values()].reduce((s, e) => s + e.exposures, 0);
    const expConversions = w.events - expExposures;
    client.sort((a, b) => a - b);
    server.sort((a, b) => a - b);
    const idsWant = w.events + c.seed;
    const checks = {
      totals: totals.exposures === expExposures && totals.conversions === expConversions,
      rows: rows.length === w.expected.size && rowMismatch === 0,
      ids: totals.ids === idsWant,
      replay: replayNew === 0 && JSON.stringify(after) === JSON.stringify(totals),
      atomic: failed.failed === true && JSON.stringify(afterFail) === JSON.stringify(totals),
      ...(prune ? { prune: prune.ok } : {}),
    };
    read.sort((a, b) => a - b);
    written.sort((a, b) => a - b);
    return {
      eventsPerS: w.events / wall,
      batchesPerS: w.batches.length / wall,
      p50: pct(client, 50),
      p99: pct(client, 99),
      srvP50: pct(server, 50),
      srvP99: pct(server, 99),
      readP50: pct(read, 50),
      writtenP50: pct(written, 50),
      jsonKB: jsonMax / 1024,
      pruneMs: prune?.ms,
      pruneDeleted: prune?.deleted,
      failError: failed.error,
      rows: rows.length,
      counted: totals.exposures + totals.conversions,
      ids: totals.ids,
      newIds,
      retried,
      checks,
      ok: Object.values(checks).every(Boolean),
    };
  } finally {
    await stop(wr.child);
    await sleep(500);
  }
}

// ---- main ---------------------------------------------------------------

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const f = (x, d = 1) => x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });

const w = workload(BATCHES);
console.log(`workload: ${BATCHES} batches × ${MESSAGES} messages, ${w.sentLines} event lines sent, ` +
  `${w.events} distinct events (${w.sentLines - w.events} repeats within or across batches), ${w.expected.size} count rows; ` +
  `${RUNS} run(s) per case, fresh state each; replay check: ${REPLAYS} batches again under new delivery ids`);
console.log(`wrangler: ${WRANGLER}; state: ${STATE}; load average at start ${loadavg().map((x) => x.toFixed(2)).join(' ')} on ${cpus().length} cores\n`);

let failed = false;
const summary = CASES.map((c) => ({ c, runs: [] }));
// PORT_BASE: where the runs' ports start (one per run, +1000 for the inspector).
let port = Number(process.env.PORT_BASE ?? 8930);
// Runs interleave the cases (run 1 of every case, then run 2, ...) so that
// load from other jobs on the machine falls on all of them alike.
for (let run = 1; run <= RUNS; run++) {
  for (const { c, runs } of summary) {
    const r = await runOnce(c, run, w, port++);
    runs.push(r);
    console.log(`${c.name} run ${run}: ${f(r.eventsPerS, 0)} events/s, ${f(r.batchesPerS)} batches/s, ` +
      `p50 ${f(r.p50)} ms, p99 ${f(r.p99)} ms (storage call p50 ${r.srvP50} / p99 ${r.srvP99} ms), ` +
      `${r.rows} rows, ${r.counted} counted, ${r.ids} ids; rows read/written per batch (p50) ${r.readP50}/${r.writtenP50}, ` +
      `largest batch JSON ${f(r.jsonKB)} KB` + (r.pruneMs !== undefined ? `; prune of the oldest day: ${r.pruneDeleted} ids in ${r.pruneMs} ms` : '') +
      `; ${r.retried} deliveries retried; checks ${JSON.stringify(r.checks)}`);
    if (run === 1) console.log(`  (the failed delivery's error: ${r.failError})`);
    if (!r.ok) failed = true;
  }
}

console.log('\nmedians of runs (client-side latency includes wrangler dev\'s proxy and the worker\'s JSON parsing):');
console.log('| case | concurrency | ids kept before | events/s | batches/s | p50 ms/batch | p99 ms/batch | storage call p50/p99 ms | rows read/written per batch | rows | counted = sent | replay changes nothing | failed batch leaves nothing | prune oldest day |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const { c, runs } of summary) {
  const m = (k) => median(runs.map((r) => r[k]));
  console.log(`| ${c.name} | ${c.concurrency} | ${f(c.seed, 0)} | ${f(m('eventsPerS'), 0)} | ${f(m('batchesPerS'))} | ` +
    `${f(m('p50'))} | ${f(m('p99'))} | ${m('srvP50')} / ${m('srvP99')} | ${m('readP50')} / ${m('writtenP50')} | ${m('rows')} | ` +
    `${runs.every((r) => r.checks.totals && r.checks.rows && r.checks.ids) ? 'yes' : 'NO'} (${w.events}) | ` +
    `${runs.every((r) => r.checks.replay) ? 'yes' : 'NO'} | ${runs.every((r) => r.checks.atomic) ? 'yes' : 'NO'} | ` +
    (c.seed ? `${f(m('pruneDeleted'), 0)} ids, ${m('pruneMs')} ms${runs.every((r) => r.checks.prune) ? '' : ' (CHECK FAILED)'}` : '-') + ' |');
}
console.log(`\nload average at end ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
if (failed) {
  console.error('\nA correctness check failed.');
  process.exit(1);
}
