// Page latency through `wrangler dev` (workerd behind wrangler's dev proxy),
// p50 and p99, for the demo home page: warm caches, and a generator that
// answers after 0 ms, 50 ms and 2 s for segments not cached yet. A benchmark
// that prints figures, not a test: `make bench-e2e` (part of `make bench`).
// Figures go to docs/benchmarks.md.
import { startWorker, kvEntries } from '../tests/e2e/harness.mjs';
import { COOKIE, PROFILE_KEYS, mint, startDemoOrigin } from '../tests/e2e/demo.mjs';
import { startGenerator } from '../scripts/demo-generator.mjs';

const N = Number(process.env.BENCH_REQUESTS ?? 200);
const origin = await startDemoOrigin();
const generator = await startGenerator();
const worker = await startWorker('bench-latency', {
  entries: kvEntries('catalog/demo.json'),
  vars: {
    ORIGIN_URL: origin.url, TAILOR_SITE: 'demo', TAILOR_BUDGET_MS: '100',
    TAILOR_PROFILE_KEYS: PROFILE_KEYS, TAILOR_GENERATOR_URL: generator.url, TAILOR_GENERATOR_TIMEOUT_MS: '5000',
  },
  control: { vars: { TAILOR_SITE: 'demo' } },
});

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
async function timed(url, headers) {
  const t = performance.now();
  const res = await fetch(url, { headers: { 'accept-encoding': 'identity', ...headers } });
  await res.arrayBuffer();
  return performance.now() - t;
}
async function series(name, n, next) {
  const times = [];
  for (let i = 0; i < n; i += 1) times.push(await next(i));
  times.sort((a, b) => a - b);
  const row = { case: name, n, p50_ms: +pct(times, 50).toFixed(2), p99_ms: +pct(times, 99).toFixed(2), max_ms: +times.at(-1).toFixed(2) };
  console.log(JSON.stringify(row));
  return row;
}

try {
  const page = `${worker.url}/`;
  const cookie = (industry) => ({ cookie: `${COOKIE}=${mint({ ind: industry, role: 'founder', size: 'mid' })}` });
  // Warm up the isolate, the catalog and every cache.
  for (let i = 0; i < 20; i += 1) { await timed(page, cookie('retail')); await timed(`${origin.url}/`, {}); }
  await new Promise((ok) => setTimeout(ok, 200));
  const rows = [];
  rows.push(await series('origin alone (no worker)', N, () => timed(`${origin.url}/`, {})));
  rows.push(await series('anonymous, warm caches', N, () => timed(page, {})));
  rows.push(await series('segment with generated spotlight, warm caches', N, () => timed(page, cookie('retail'))));
  for (const delayMs of [0, 50, 2000]) {
    generator.control({ delayMs, mode: 'ok' });
    const n = delayMs >= 2000 ? Math.min(N, 40) : Math.min(N, 100);
    // A new segment each request: always a cache miss, always a generator call.
    rows.push(await series(`uncached segment, generator ${delayMs} ms`, n, (i) => timed(page, cookie(`seg${delayMs}x${i}`))));
  }
  console.log(`wrangler dev on 127.0.0.1, budget 100 ms, ${new Date().toISOString()}`);
} finally {
  worker.stop();
  await origin.stop();
  await generator.stop();
}
