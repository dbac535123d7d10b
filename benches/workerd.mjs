// Tailor under plain workerd (Miniflare's `workerd`, no dev proxy, no
// inspector), side by side with the workers it must be judged against, in
// one run: a JS worker that only passes the request to the origin, a JS
// worker running workerd's HTMLRewriter with a no-op handler on
// `tailor-block` (the floor any rewriting worker pays; also on the pages
// without markers, their own floor), and the peer: GrowthBook's Cloudflare
// edge app (npm `@growthbook/edge-cloudflare`, benches/growthbook-worker.mjs,
// bundled here with esbuild) with a visual-editor experiment making the same
// 5 changes for every visitor. Prints Markdown: machine, CPU and latency per
// request, Tailor beside the peer, time to first byte from a slow origin,
// cold vs warm, bundle sizes, workerd's memory over many requests, and page
// latency while the origin's generator answers at once, after 50 ms or
// after 2 s (Tailor with its control worker, scripts/demo-generator.mjs).
// `make bench-workerd` (part of `make bench`); figures go to docs/benchmarks.md.
//
// CPU is workerd's own: the CPU time of all the workerd process's threads
// before and after a series of requests, divided by their number. That is why
// the origin is a separate process (benches/workerd-origin.mjs), the cases run
// one after another, and every response is checked byte for byte (a fast wrong
// answer would be a meaningless figure; the peer's answer is held to the same
// bytes as Tailor's). The time is read from each thread's
// /proc/PID/task/TID/schedstat (nanoseconds) because utime + stime in
// /proc/PID/stat count 10 ms ticks: a pass-through series of 100 requests is
// only a few ticks. Both are read; the output shows that they agree.
//
// Environment (defaults in brackets, then BENCH_QUICK=1's):
//   BENCH_QUICK=1           small counts, for a smoke run
//   BENCH_ONLY              sections to run, comma-separated (cpu, ttfb, cold,
//                           bundle, memory, generator) [all]
//   BENCH_ROUNDS            rounds of every case; medians are reported [5, 1]
//   BENCH_N_SMALL           requests per round: 10 KB page, CSS, PNG [1000, 100]
//   BENCH_N_MEDIUM          requests per round: 120 KB page [300, 50]
//   BENCH_N_LARGE           requests per round: 700 KB page [100, 20]
//   BENCH_TTFB_REQUESTS     requests per worker from the slow origin [10, 3]
//   BENCH_COLD_STARTS       fresh workerd instances per worker [5, 2]
//   BENCH_MEMORY_REQUESTS   requests before the last memory reading [10000, 3000]
//   BENCH_MEMORY_SWEEP_REQUESTS  requests per concurrency (1, 8, 16) in the
//                           memory high-water sweep [3000, 500]
//   BENCH_GEN_REQUESTS      requests per generator-delay case [200, 20]
//   BENCH_GEN_MARGIN_MS     how far past TAILOR_BUDGET_MS a page may end while
//                           the generator takes 2 s [100, 100]
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { availableParallelism, loadavg, totalmem } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { build as esbuild } from 'esbuild';
import { Miniflare } from 'miniflare';
import { version as workerdVersion } from 'workerd';
import { sign } from '../examples/node/profile-cookie.mjs';
import { startGenerator } from '../scripts/demo-generator.mjs';

const ROOT = resolve(import.meta.dirname, '..');
const DATA = join(ROOT, 'benches/data');
const QUICK = process.env.BENCH_QUICK === '1';
const count = (name, full, quick) => Number(process.env[name] ?? (QUICK ? quick : full));
const ROUNDS = count('BENCH_ROUNDS', 5, 1);
const N_SMALL = count('BENCH_N_SMALL', 1000, 100);
const N_MEDIUM = count('BENCH_N_MEDIUM', 300, 50);
const N_LARGE = count('BENCH_N_LARGE', 100, 20);
const TTFB_REQUESTS = count('BENCH_TTFB_REQUESTS', 10, 3);
const COLD_STARTS = count('BENCH_COLD_STARTS', 5, 2);
const MEMORY_REQUESTS = count('BENCH_MEMORY_REQUESTS', 10_000, 3000);
const MEMORY_FIRST = Math.min(1000, MEMORY_REQUESTS);
const MEMORY_HALF = Math.max(MEMORY_FIRST, Math.round(MEMORY_REQUESTS / 2));
const MEMORY_SWEEP_REQUESTS = count('BENCH_MEMORY_SWEEP_REQUESTS', 3000, 500);
const MEMORY_CONCURRENCIES = [1, 8, 16];
/** BENCH_ONLY=memory,cold (say) runs only those sections: cpu, ttfb, cold, bundle, memory, generator. */
const ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',')) : null;
const wanted = (section) => !ONLY || ONLY.has(section);
const GEN_REQUESTS = count('BENCH_GEN_REQUESTS', 200, 20);
const GEN_MARGIN_MS = count('BENCH_GEN_MARGIN_MS', 100, 100);
const BUDGET_MS = 100;
const CONCURRENCY = 8;
const WARMUP = 20;
const SLOW = { SLOW_FIRST_BYTES: 4096, SLOW_CHUNK_BYTES: 16384, SLOW_INTERVAL_MS: 50 };

const log = (...args) => console.error('[bench-workerd]', ...args);
const started = performance.now();

// ---------------------------------------------------------------- the catalog

const SITE = 'bench';
const KID = 'bench1';
const SECRET = Buffer.from('tailor-bench-only-profile-key-32b').toString('base64url');
// A returning visitor from an enterprise fintech: every block of the bench
// catalog has a variant for them, not always the first one evaluated.
const now = Math.floor(Date.now() / 1000);
const COOKIE = `__Host-tailor_profile=${sign({
  kid: KID, secret: SECRET,
  profile: { i: now - 60, e: now + 86_400, ind: 'fintech', role: 'cto', size: 'enterprise', stage: 'customer', c: 'pa' },
})}`;
const EXPECTED_VARIANTS = { hero: 'fintech', cta: 'enterprise', proof: 'finance', spotlight: 'reconciliation', 'footer-cta': 'enterprise' };

const ENTRIES = JSON.parse(execFileSync(join(ROOT, 'target/debug/tailor'), ['catalog', 'kv-bulk', join(DATA, 'catalog.json')]));
const kvValue = (prefix) => ENTRIES.find((e) => e.key.startsWith(`tailor/${SITE}/${prefix}`)).value;
const MANIFEST = JSON.parse(kvValue('manifest/'));
/** The published (sanitized) HTML of a block's variant, as the worker must insert it. */
function fragment(block, variant) {
  const hash = MANIFEST.blocks[block].variants.find((v) => v.id === variant).fragment;
  return kvValue(`fragment/${hash}`);
}

// The generator section's catalog, a site and KV namespace of its own so the
// cases above are untouched: one block, spotlight, whose default is written
// by the generator for every segment no variant fits (`generate.unmatched`).
const GEN_SITE = 'bench-gen';
const GEN_ENTRIES = JSON.parse(execFileSync(join(ROOT, 'target/debug/tailor'), ['catalog', 'kv-bulk', join(DATA, 'catalog-generated.json')]));
const GEN_DEFAULT = (() => {
  const manifest = JSON.parse(GEN_ENTRIES.find((e) => e.key.startsWith(`tailor/${GEN_SITE}/manifest/`)).value);
  const hash = manifest.blocks.spotlight.variants.find((v) => v.id === manifest.blocks.spotlight.default).fragment;
  return GEN_ENTRIES.find((e) => e.key === `tailor/${GEN_SITE}/fragment/${hash}`).value;
})();

// ---------------------------------------------------------------- the bodies

const file = (name) => readFileSync(join(DATA, name));
/** A marked page with every block's inner content replaced by the visitor's fragment. */
function personalized(page) {
  const seen = [];
  const out = page.toString('utf8').replace(/(<tailor-block name="([a-z0-9_-]+)">)[\s\S]*?(<\/tailor-block>)/g, (_, open, block, close) => {
    seen.push(block);
    return `${open}${fragment(block, EXPECTED_VARIANTS[block])}${close}`;
  });
  if (seen.join() !== Object.keys(EXPECTED_VARIANTS).join()) throw new Error(`page markers: ${seen.join()}`);
  return Buffer.from(out);
}
const PAGES = [
  { label: '10 KB', name: 'marketing', n: N_SMALL },
  { label: '120 KB', name: 'landing', n: N_MEDIUM },
  { label: '700 KB', name: 'docs', n: N_LARGE },
].map((p) => ({ ...p, marked: file(`${p.name}.html`), plain: file(`${p.name}-plain.html`) }));
for (const p of PAGES) p.personalized = personalized(p.marked);
// A figure counts only for a worker that made the change: the expected body
// must differ from the origin's in each of the 5 blocks (and only there), so
// a worker passing the page through fails every check.
for (const p of PAGES) {
  const inner = (page) => [...page.toString('utf8').matchAll(/<tailor-block name="[a-z0-9_-]+">([\s\S]*?)<\/tailor-block>/g)].map((m) => m[1]);
  const [before, after] = [inner(p.marked), inner(p.personalized)];
  const changed = before.filter((html, i) => html !== after[i]).length;
  if (before.length !== 5 || changed !== 5) throw new Error(`${p.name}: the expected page changes ${changed} of ${before.length} blocks, not 5 of 5`);
}

// ---------------------------------------------------------------- the peer

// GrowthBook's payload: one visual-editor experiment on the bench's paths
// (the catalog's `pages`), 100% coverage, weights [0, 1]: every visitor is in
// the variation whose DOM mutations set the inner HTML of each of the 5
// `tailor-block` elements to the fragment Tailor inserts for the bench
// visitor. The edge app parses the page with node-html-parser, applies them
// and serializes the tree; on these pages its output is the same bytes as
// Tailor's (checked on every response, like Tailor's).
const GB_PAYLOAD = {
  features: {},
  experiments: [{
    key: 'tailor-bench-blocks',
    changeId: 'tailor-bench-blocks-change',
    status: 'running',
    hashAttribute: 'id',
    hashVersion: 2,
    coverage: 1,
    weights: [0, 1],
    urlPatterns: [{ include: true, type: 'regex', pattern: '^/(slow/)?p/' }],
    variations: [
      {},
      {
        domMutations: Object.entries(EXPECTED_VARIANTS).map(([block, variant]) => ({
          selector: `tailor-block[name="${block}"]`, action: 'set', attribute: 'html', value: fragment(block, variant),
        })),
      },
    ],
  }],
};
const PEER_DIR = join(ROOT, 'target/bench-workerd');
const PEER_BUNDLE = join(PEER_DIR, 'growthbook.mjs');
const pkgVersion = (name) => JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'))).version;
/** Raw and gzip -9 sizes of some files, bytes (GNU gzip, as `make bundle` measures; its output is a little smaller than zlib's). */
const sizes = (buffers) => buffers.reduce(
  (sum, b) => ({ raw: sum.raw + b.length, gzip: sum.gzip + execFileSync('gzip', ['-9', '-c'], { input: b, maxBuffer: 1 << 28 }).length }),
  { raw: 0, gzip: 0 },
);

/**
 * Bundles the peer as wrangler would (esbuild, ES module, wrangler's default
 * conditions and NODE_ENV define, not minified) to target/bench-workerd, and
 * measures it minified too. Its size, and Tailor's page worker's (the wasm and
 * the JS modules worker-build and build-worker.sh put in build/).
 */
async function buildPeer() {
  const options = {
    entryPoints: [join(ROOT, 'benches/growthbook-worker.mjs')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    conditions: ['workerd', 'worker', 'browser'],
    target: 'es2022',
    define: { 'process.env.NODE_ENV': '"production"', 'global.process.env.NODE_ENV': '"production"', 'globalThis.process.env.NODE_ENV': '"production"' },
    write: false,
    logLevel: 'warning',
  };
  const plain = (await esbuild(options)).outputFiles[0].contents;
  const minified = (await esbuild({ ...options, minify: true })).outputFiles[0].contents;
  mkdirSync(PEER_DIR, { recursive: true });
  writeFileSync(PEER_BUNDLE, plain);
  // Tailor's page worker as workerd loads it: everything under build/ but the other two builds.
  const tailorFiles = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!['control', 'fault'].includes(relative(join(ROOT, 'build'), path))) walk(path);
      } else if (/\.(m?js|wasm)$/.test(entry.name)) tailorFiles.push(path);
    }
  };
  walk(join(ROOT, 'build'));
  const read = (paths) => paths.map((f) => readFileSync(f));
  return {
    tailorWasm: sizes(read(tailorFiles.filter((f) => f.endsWith('.wasm')))),
    tailorJs: sizes(read(tailorFiles.filter((f) => !f.endsWith('.wasm')))),
    tailorFiles: tailorFiles.map((f) => relative(ROOT, f)).sort(),
    peer: sizes([Buffer.from(plain)]),
    peerMinified: sizes([Buffer.from(minified)]),
  };
}

// ---------------------------------------------------------------- the workers

const COMPAT_DATE = '2026-04-01';
// Both JS workers forward the whole request, as Tailor does with ORIGIN_URL.
const FORWARD = 'const u = new URL(req.url); const res = await fetch(new Request(env.ORIGIN_URL + u.pathname + u.search, req));';
const SCRIPTS = {
  pass: `export default { async fetch(req, env) { ${FORWARD} return res; } };`,
  floor: `export default { async fetch(req, env) { ${FORWARD}
    return new HTMLRewriter().on('tailor-block', { element() {} }).transform(res); } };`,
};
const NAMES = { pass: 'JS pass-through', floor: 'HTMLRewriter floor', tailor: 'Tailor', growthbook: 'GrowthBook edge app' };
const PEER_LABEL = 'GrowthBook edge app, 5 blocks (visual-editor experiment)';
// The peer's visitor: GrowthBook's own id cookie, so the edge app need not
// make one up per request (it hashes it; the weights put everyone in the variation).
const PEER_HEADERS_COOKIE = 'gbuuid=bench-visitor-1';

// worker-build's output is ES modules in .js files and a .wasm imported as a module.
const BUILD_RULES = [{ type: 'ESModule', include: ['**/*.js', '**/*.mjs'] }, { type: 'CompiledWasm', include: ['**/*.wasm'] }];

function workerOptions(kind, originUrl, generatorUrl) {
  if (kind === 'control') {
    // The control worker (control/wrangler.toml): reached only over the page
    // worker's CONTROL service binding, so no socket of its own. It sanitizes
    // generated HTML; it has the same KV namespace as its page worker.
    return {
      name: kind,
      compatibilityDate: COMPAT_DATE,
      stripCfConnectingIp: false,
      modules: true,
      scriptPath: join(ROOT, 'build/control/worker/shim.mjs'),
      modulesRoot: join(ROOT, 'build/control'),
      modulesRules: BUILD_RULES,
      bindings: { TAILOR_SITE: GEN_SITE, TAILOR_PUBLISH_RETAIN: '10' },
      kvNamespaces: { CATALOG: 'bench-gen-catalog' },
    };
  }
  const common = {
    name: kind,
    compatibilityDate: COMPAT_DATE,
    unsafeDirectSockets: [{ host: '127.0.0.1', port: 0 }],
    // Miniflare otherwise routes each worker's fetch() through a JS worker of
    // its own that strips CF-Connecting-IP: extra CPU no deployment has.
    stripCfConnectingIp: false,
  };
  if (kind === 'pass' || kind === 'floor') return { ...common, modules: true, script: SCRIPTS[kind], bindings: { ORIGIN_URL: originUrl } };
  if (kind === 'growthbook') {
    // The edge app's own variables; the payload is a JSON binding handed to it in memory.
    // DISABLE_INJECTIONS: no SDK <script> in the page (the bench compares bytes with Tailor's);
    // RUN_VISUAL_EDITOR_EXPERIMENTS=edge: the experiment runs on the edge only.
    return {
      ...common,
      modules: true,
      scriptPath: PEER_BUNDLE,
      bindings: { PROXY_TARGET: originUrl, DISABLE_INJECTIONS: 'true', RUN_VISUAL_EDITOR_EXPERIMENTS: 'edge', GB_PAYLOAD: GB_PAYLOAD },
    };
  }
  const tailor = {
    ...common,
    modules: true,
    scriptPath: join(ROOT, 'build/worker/entry.mjs'),
    modulesRoot: join(ROOT, 'build'),
    modulesRules: BUILD_RULES,
    bindings: { ORIGIN_URL: originUrl, TAILOR_SITE: SITE, TAILOR_BUDGET_MS: String(BUDGET_MS), TAILOR_PROFILE_KEYS: `${KID}:${SECRET}` },
    kvNamespaces: { CATALOG: 'bench-catalog' },
  };
  if (kind === 'tailor') return tailor;
  // The same, streaming the rewriter's output straight out (no mid-stream failure guard).
  if (kind === 'tailor-unguarded') return { ...tailor, name: kind, bindings: { ...tailor.bindings, TAILOR_REWRITE_GUARD: 'off' } };
  // 'tailor-gen': Tailor with the generator and the control worker as CONTROL (its sanitizer).
  return {
    ...tailor,
    bindings: { ...tailor.bindings, TAILOR_SITE: GEN_SITE, TAILOR_GENERATOR_URL: generatorUrl, TAILOR_GENERATOR_TIMEOUT_MS: '5000' },
    kvNamespaces: { CATALOG: 'bench-gen-catalog' },
    serviceBindings: { CONTROL: 'control' },
  };
}

// KV is persisted on disk so fresh instances (cold starts, memory) find the
// catalog without being seeded between their start and their first request.
const KV_DIR = join(ROOT, 'target/bench-workerd/kv');

/** The workerd child processes of this Node process. */
function workerdChildren() {
  const pids = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (stat.includes('(workerd)') && Number(fields[1]) === process.pid) pids.push(Number(entry));
    } catch { /* exited while listing */ }
  }
  return pids;
}

/**
 * A Miniflare instance running `kinds`: its workerd pid and each worker's
 * base URL. Only the memory instances get an `inspector` (to force a GC).
 */
async function start(kinds, originUrl, { inspector = false, generatorUrl } = {}) {
  const before = new Set(workerdChildren());
  const t = performance.now();
  const mf = new Miniflare({
    host: '127.0.0.1',
    port: 0,
    ...(inspector ? { inspectorPort: 0 } : {}),
    kvPersist: KV_DIR,
    // workerd's stdout would land in the Markdown; Tailor's warnings belong on stderr.
    handleRuntimeStdio(stdout, stderr) {
      for (const stream of [stdout, stderr]) stream.on('data', (d) => process.stderr.write(d));
    },
    workers: kinds.map((kind) => workerOptions(kind, originUrl, generatorUrl)),
  });
  await mf.ready;
  const startupMs = performance.now() - t;
  const pids = workerdChildren().filter((pid) => !before.has(pid));
  if (pids.length !== 1) throw new Error(`expected one new workerd process, found ${pids.length}`);
  const urls = {};
  for (const kind of kinds.filter((k) => k !== 'control')) urls[kind] = (await mf.unsafeGetDirectURL(kind)).href.replace(/\/$/, '');
  return { mf, pid: pids[0], urls, startupMs };
}

// ---------------------------------------------------------------- measuring

const TICKS_PER_S = Number(execFileSync('getconf', ['CLK_TCK']).toString());
/** workerd's CPU time so far, ms: { sched } from its threads' schedstat, { ticks } from utime + stime. */
function cpuNow(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const sched = threadsCpu(pid).reduce((sum, { ms }) => sum + ms, 0);
  return { sched, ticks: ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_S };
}

/** Each thread of `pid`: its CPU so far (schedstat, ms) and, with `named`, its name (`comm`). */
function threadsCpu(pid, named = false) {
  const threads = [];
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const ms = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'latin1').split(' ')[0]) / 1e6;
      threads.push({ ms, name: named ? readFileSync(`/proc/${pid}/task/${tid}/comm`, 'latin1').trim() : undefined });
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return threads;
}
// Every CPU measurement of the run, both ways, to show the two sources agree.
const cpuTotals = { sched: 0, ticks: 0 };
/** The CPU workerd spent while `work` ran, ms (schedstat). */
async function cpuDuring(pid, work) {
  const before = cpuNow(pid);
  const result = await work();
  const after = cpuNow(pid);
  cpuTotals.sched += after.sched - before.sched;
  cpuTotals.ticks += after.ticks - before.ticks;
  return { cpu: after.sched - before.sched, result };
}
/** Each thread's CPU so far, ms, by thread name (`comm`): workerd's request thread vs V8's background threads. */
function cpuByThreadName(pid) {
  const byName = {};
  for (const { name, ms } of threadsCpu(pid, true)) byName[name] = (byName[name] ?? 0) + ms;
  return byName;
}
const rssMiB = (pid) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'))[1]) / 1024;

/**
 * A DevTools protocol session with one worker's isolate: `call(method, params)`
 * resolves with the result. A minimal WebSocket client (text frames under
 * 64 KiB out, unfragmented frames in), since Node 20 has no WebSocket
 * without a flag and the project adds no dependency for a benchmark.
 */
function openInspector(inspectorUrl, worker) {
  return new Promise((ok, fail) => {
    const pending = new Map();
    /** Execution contexts announced after Runtime.enable. */
    const contexts = [];
    let nextId = 0;
    const req = http.request({
      host: inspectorUrl.hostname, port: inspectorUrl.port, path: `/core:user:${worker}`,
      headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': randomBytes(16).toString('base64') },
    });
    req.on('error', fail);
    req.on('response', (res) => fail(new Error(`inspector: HTTP ${res.statusCode}`)));
    req.on('upgrade', (_, socket, head) => {
      let buffer = head;
      socket.on('data', (data) => {
        buffer = Buffer.concat([buffer, data]);
        for (;;) {
          if (buffer.length < 2) return;
          const short = buffer[1] & 0x7f;
          const offset = short === 126 ? 4 : short === 127 ? 10 : 2;
          if (buffer.length < offset) return;
          const length = short === 126 ? buffer.readUInt16BE(2) : short === 127 ? Number(buffer.readBigUInt64BE(2)) : short;
          if (buffer.length < offset + length) return;
          if ((buffer[0] & 0x0f) === 1) {
            const message = JSON.parse(buffer.subarray(offset, offset + length).toString('utf8'));
            if (message.method === 'Runtime.executionContextCreated') contexts.push(message.params.context);
            pending.get(message.id)?.(message);
            pending.delete(message.id);
          }
          buffer = buffer.subarray(offset + length);
        }
      });
      ok({
        call(method, params) {
          nextId += 1;
          const payload = Buffer.from(JSON.stringify({ id: nextId, method, ...(params ? { params } : {}) }));
          if (payload.length >= 65536) throw new Error('inspector: message too long for this client');
          const mask = randomBytes(4);
          // A masked text frame; lengths of 126 and more take 16 bits after the marker 126.
          const head = payload.length < 126
            ? Buffer.from([0x81, 0x80 | payload.length])
            : Buffer.from([0x81, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
          socket.write(Buffer.concat([head, mask, payload.map((b, i) => b ^ mask[i % 4])]));
          return new Promise((resolve) => pending.set(nextId, resolve));
        },
        contexts,
        close: () => socket.destroy(),
      });
    });
    req.end();
  });
}

// node:http rather than fetch(): cheaper on the client, which shares the two
// cores with workerd, and it reports the first body byte.
const agent = new http.Agent({ keepAlive: true, maxSockets: Math.max(CONCURRENCY, ...MEMORY_CONCURRENCIES) });
const HEADERS = {
  'accept-encoding': 'identity',
  accept: 'text/html,application/xhtml+xml,*/*;q=0.8',
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
  cookie: COOKIE,
};
/** The request headers for a worker: the peer's carry its own visitor id cookie as well. */
const requestHeaders = (kind) => (kind === 'growthbook' ? { ...HEADERS, cookie: `${COOKIE}; ${PEER_HEADERS_COOKIE}` } : HEADERS);
function get(url, headers = HEADERS) {
  return new Promise((ok, fail) => {
    const t0 = performance.now();
    http.get(url, { agent, headers }, (res) => {
      const headersMs = performance.now() - t0;
      const chunks = [];
      let firstByteMs;
      res.on('data', (chunk) => { firstByteMs ??= performance.now() - t0; chunks.push(chunk); });
      res.on('end', () => ok({
        status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks), headersMs, firstByteMs, totalMs: performance.now() - t0,
      }));
      res.on('error', fail);
    }).on('error', fail);
  });
}
/** Fails the run unless `res` is a 200 with exactly `expected`. */
function expectBody(url, res, expected) {
  if (res.status !== 200 || !res.body.equals(expected)) {
    const at = [...expected].findIndex((b, i) => res.body[i] !== b);
    throw new Error(`${url}: status ${res.status}, ${res.body.length} bytes (expected ${expected.length}), first difference at byte ${at}: ` +
      `${JSON.stringify(res.body.subarray(Math.max(0, at - 40), at + 80).toString())}\nserver-timing: ${res.headers['server-timing']}`);
  }
}
/** GET that must answer 200 with exactly `expected`; fails the run otherwise. */
async function check(url, expected, headers = HEADERS) {
  const res = await get(url, headers);
  expectBody(url, res, expected);
  return res;
}
/** n checked requests, `concurrency` at a time; their latencies, sorted. */
async function series(url, expected, n, concurrency = 1, headers = HEADERS) {
  const times = [];
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) {
      next += 1;
      times.push((await check(url, expected, headers)).totalMs);
    }
  }));
  return times.sort((a, b) => a - b);
}
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const median = (values) => {
  const s = values.filter((v) => v !== undefined).sort((a, b) => a - b);
  return s.length === 0 ? undefined : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (v, digits = 2) => (v === undefined ? '–' : `${v.toFixed(digits)} ms`);
const ratio = (v) => (v === undefined ? '–' : `${v.toFixed(2)}×`);

// ---------------------------------------------------------------- the run

const origin = spawn(process.execPath, [join(ROOT, 'benches/workerd-origin.mjs')], {
  stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...Object.fromEntries(Object.entries(SLOW).map(([k, v]) => [k, String(v)])) },
});
const originUrl = await new Promise((ok, fail) => {
  origin.once('exit', (code) => fail(new Error(`origin exited (${code})`)));
  origin.stdout.once('data', (d) => ok(`http://127.0.0.1:${/listening (\d+)/.exec(String(d))[1]}`));
});
const stopOrigin = () => origin.kill('SIGTERM');
process.on('exit', stopOrigin);

const out = [];
const print = (line = '') => out.push(line);

function machine() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'latin1');
  const model = /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? 'unknown';
  const miniflare = JSON.parse(readFileSync(join(ROOT, 'node_modules/miniflare/package.json'))).version;
  const wasm = readFileSync(join(ROOT, 'build/index_bg.wasm')).length;
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).toString().trim();
  print('# Tailor in workerd: CPU, latency, streaming, cold start, memory, generator delays; beside GrowthBook\'s edge app');
  print();
  print(`- date: ${new Date().toISOString()}; ${QUICK ? '**QUICK mode** (small counts: smoke figures only)' : 'full run'}`);
  print(`- machine: ${availableParallelism()} CPUs (nproc), ${model}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB; load average at start ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  print(`- node ${process.version}, miniflare ${miniflare}, workerd ${workerdVersion}, compatibility date ${COMPAT_DATE}`);
  print(`- Tailor: build/worker/entry.mjs at ${commit} (index_bg.wasm ${wasm.toLocaleString('en')} B); TAILOR_BUDGET_MS=${BUDGET_MS}, KV seeded with \`tailor catalog kv-bulk benches/data/catalog.json\` (Miniflare's local KV)`);
  print(`- visitor: a signed profile cookie (fintech, CTO, enterprise): every block of the 5 gets a non-default variant`);
  print(`- origin: benches/workerd-origin.mjs, a separate Node process on 127.0.0.1; requests carry \`accept-encoding: identity\`, whole bodies are read and compared byte for byte with the expected body`);
  print(`- the peer: GrowthBook's Cloudflare edge app, @growthbook/edge-cloudflare ${pkgVersion('@growthbook/edge-cloudflare')} ` +
    `(@growthbook/edge-utils ${pkgVersion('@growthbook/edge-utils')}, @growthbook/growthbook ${pkgVersion('@growthbook/growthbook')}, node-html-parser ${pkgVersion('node-html-parser')}), ` +
    `benches/growthbook-worker.mjs bundled by esbuild to ${relative(ROOT, PEER_BUNDLE)}; its payload in memory (a JSON binding passed to \`handleRequest\`, nothing fetched), ` +
    `one visual-editor experiment (100% coverage, weights [0, 1]) whose DOM mutations set the inner HTML of the 5 \`tailor-block[name=…]\` to Tailor's fragments for the bench visitor; ` +
    `DISABLE_INJECTIONS=true (no SDK script in the page), RUN_VISUAL_EDITOR_EXPERIMENTS=edge; its requests also carry GrowthBook's id cookie (\`${PEER_HEADERS_COOKIE}\`). ` +
    `Its responses are held to the same bytes as Tailor's: every 5-block response of either worker must be the page with the 5 blocks changed`);
}

/** The CPU and latency cases: every worker on every page, the same request. */
function cases() {
  const list = [];
  for (const p of PAGES) {
    const path = `/p/${p.name}.html`;
    list.push({ group: p.label, kind: 'pass', label: NAMES.pass, path, expected: p.marked, n: p.n });
    list.push({ group: p.label, kind: 'floor', label: NAMES.floor, path, expected: p.marked, n: p.n });
    list.push({ group: p.label, kind: 'floor', plain: true, label: `${NAMES.floor}, page without markers`, path: `/p/${p.name}-plain.html`, expected: p.plain, n: p.n });
    list.push({ group: p.label, kind: 'tailor', plain: true, label: 'Tailor, page without markers', path: `/p/${p.name}-plain.html`, expected: p.plain, n: p.n });
    list.push({ group: p.label, kind: 'tailor', label: 'Tailor, 5 blocks personalized', path, expected: p.personalized, n: p.n });
    list.push({ group: p.label, kind: 'tailor-unguarded', label: 'Tailor, 5 blocks, `TAILOR_REWRITE_GUARD=off`', path, expected: p.personalized, n: p.n });
    list.push({ group: p.label, kind: 'growthbook', plain: true, label: `${NAMES.growthbook}, page without markers`, path: `/p/${p.name}-plain.html`, expected: p.plain, n: p.n });
    list.push({ group: p.label, kind: 'growthbook', label: PEER_LABEL, path, expected: p.personalized, n: p.n });
  }
  for (const [group, path, name] of [['CSS', '/assets/site.css', 'site.css'], ['PNG', '/assets/logo.png', 'logo.png']]) {
    const expected = file(name);
    list.push({ group, kind: 'pass', label: NAMES.pass, path, expected, n: N_SMALL });
    list.push({ group, kind: 'tailor', label: 'Tailor (not HTML: passed through)', path, expected, n: N_SMALL });
  }
  return list;
}

/** Seeds the persisted KV with the bench catalog (what `cpuAndLatency` does first), for runs without it. */
async function seedCatalog() {
  const { mf } = await start(['tailor'], originUrl);
  try {
    const kv = await mf.getKVNamespace('CATALOG', 'tailor');
    for (const { key, value } of ENTRIES) await kv.put(key, value);
  } finally {
    await mf.dispose();
  }
}

async function cpuAndLatency() {
  const { mf, pid, urls } = await start(['pass', 'floor', 'tailor', 'tailor-unguarded', 'growthbook'], originUrl);
  try {
    const kv = await mf.getKVNamespace('CATALOG', 'tailor');
    // In the order kv-bulk gives: fragments, manifest, then the pointer.
    for (const { key, value } of ENTRIES) await kv.put(key, value);
    const all = cases();
    log('checking and warming every case');
    for (const c of all) for (let i = 0; i < WARMUP; i += 1) await check(urls[c.kind] + c.path, c.expected, requestHeaders(c.kind));
    // Warm means the isolate serves every fragment from memory.
    const timing = (await check(`${urls.tailor}/p/landing.html`, PAGES[1].personalized)).headers['server-timing'];
    if (!/fragments;[^,]*desc="5 memory 0 cache 0 kv"/.test(timing)) throw new Error(`not warm: server-timing ${timing}`);
    // Not a figure, but part of the comparison: which of the origin's response
    // headers (benches/workerd-origin.mjs sends these three) each worker passes on.
    const originHeaders = ['cache-control', 'etag', 'x-origin'];
    const passedOn = {};
    for (const kind of ['pass', 'tailor', 'growthbook']) {
      const res = await check(`${urls[kind]}/p/landing.html`, kind === 'pass' ? PAGES[1].marked : PAGES[1].personalized, requestHeaders(kind));
      passedOn[kind] = [...originHeaders, 'content-type']
        .map((h) => `${h} ${res.headers[h] === undefined ? 'absent' : `\`${res.headers[h]}\``}`).join(', ');
    }

    const rounds = all.map(() => []);
    for (let r = 0; r < ROUNDS; r += 1) {
      // Alternate the order so no case always runs first or last after a pause.
      const order = all.map((_, i) => i);
      if (r % 2 === 1) order.reverse();
      for (const i of order) {
        const c = all[i];
        log(`round ${r + 1}/${ROUNDS}: ${c.group} ${c.label}`);
        const url = urls[c.kind] + c.path;
        const headers = requestHeaders(c.kind);
        const { cpu, result: c1 } = await cpuDuring(pid, () => series(url, c.expected, c.n, 1, headers));
        const c8 = await series(url, c.expected, c.n, CONCURRENCY, headers);
        rounds[i].push({ cpu: cpu / c.n, p50: pct(c1, 50), p99: pct(c1, 99), p50c8: pct(c8, 50), p99c8: pct(c8, 99) });
      }
    }

    print();
    print(`## CPU and latency per request (median of ${ROUNDS} round${ROUNDS > 1 ? 's' : ''})`);
    print();
    print(`One workerd process runs the five workers (Tailor twice: with the default mid-stream failure guard, and with \`TAILOR_REWRITE_GUARD=off\`; and GrowthBook's edge app, the peer), each on its own socket (Miniflare \`unsafeDirectSockets\`: no entry worker, no proxy). ` +
      `Per round every case runs n requests one at a time (workerd CPU measured over them), then n requests ${CONCURRENCY} at a time; ` +
      `rounds alternate the order of the cases. CPU is the CPU time of workerd's threads (schedstat) divided by n; ` +
      `it includes workerd's HTTP server and its fetch to the origin, which every worker pays. ` +
      `Ratios are taken within each round, then the median. The page without markers is the same page minus its 5 marker tags ` +
      `(${PAGES[0].marked.length - PAGES[0].plain.length} bytes), on a path the catalog covers, so Tailor does all its per-request work and changes nothing; ` +
      `its rows' "× JS pass-through" is against the marked page's pass-through, their "× HTMLRewriter floor" against the floor on the page without markers (its own floor). ` +
      `GrowthBook's edge app runs its experiment on both pages (the URL matches; without markers no selector matches and it serializes the page unchanged). ` +
      `Warm: ${WARMUP} requests per case first, fragments from isolate memory. ` +
      `Latencies are measured by the client (this Node process), which shares the machine's cores with workerd and the origin.`);
    print();
    print(`| page | worker | n | CPU / req | rounds' CPU range | × JS pass-through | × HTMLRewriter floor | p50 (c=1) | p99 (c=1) | p50 (c=${CONCURRENCY}) | p99 (c=${CONCURRENCY}) |`);
    print('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    all.forEach((c, i) => {
      // The floor of a page without markers is the floor on that page; the pass-through is the marked page's.
      const ref = (kind) => all.findIndex((o) => o.group === c.group && o.kind === kind && (kind === 'floor' ? !o.plain === !c.plain : !o.plain));
      const vs = (kind) => {
        const j = ref(kind);
        return j < 0 || j === i || c.kind === 'pass' || (kind === 'floor' && c.kind === 'floor')
          ? undefined
          : median(rounds[i].map((m, r) => m.cpu / rounds[j][r].cpu));
      };
      const m = (key) => median(rounds[i].map((x) => x[key]));
      const cpus = rounds[i].map((x) => x.cpu);
      const range = `${Math.min(...cpus).toFixed(3)}–${Math.max(...cpus).toFixed(3)}`;
      print(`| ${c.group} | ${c.label} | ${c.n} | ${ms(m('cpu'), 3)} | ${range} | ${ratio(vs('pass'))} | ${ratio(vs('floor'))} | ` +
        `${ms(m('p50'))} | ${ms(m('p99'))} | ${ms(m('p50c8'))} | ${ms(m('p99c8'))} |`);
    });

    // Tailor beside the peer: the same rounds, the ratio taken within each round.
    const find = (group, kind, plain) => all.findIndex((c) => c.group === group && c.kind === kind && !c.plain === !plain);
    print();
    print(`## Tailor beside GrowthBook's edge app (the rows above, median of ${ROUNDS} round${ROUNDS > 1 ? 's' : ''})`);
    print();
    print('Both workers change the same 5 blocks to the same bytes (every response checked). "Tailor ÷ GrowthBook" is the ratio of CPU per request within each round, then the median. ' +
      'Tailor here is its default (with the rewriter guard); the last column is Tailor with `TAILOR_REWRITE_GUARD=off` (the marked page only). Latencies: client-side, requests one at a time (c=1) and 8 at a time.');
    print();
    print(`| page | Tailor CPU / req | GrowthBook CPU / req | Tailor ÷ GrowthBook | Tailor p50 / p99 (c=1) | GrowthBook p50 / p99 (c=1) | Tailor p50 / p99 (c=${CONCURRENCY}) | GrowthBook p50 / p99 (c=${CONCURRENCY}) | Tailor, guard off, ÷ GrowthBook |`);
    print('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const p of PAGES) {
      for (const plain of [false, true]) {
        const [t, g, u] = [find(p.label, 'tailor', plain), find(p.label, 'growthbook', plain), find(p.label, 'tailor-unguarded', plain)];
        const vs = (i) => (i < 0 ? undefined : median(rounds[i].map((x, r) => x.cpu / rounds[g][r].cpu)));
        const m = (i, key) => median(rounds[i].map((x) => x[key]));
        const both = (i, a, b) => `${ms(m(i, a))} / ${ms(m(i, b))}`;
        print(`| ${p.label}${plain ? ', page without markers' : ', 5 blocks'} | ${ms(m(t, 'cpu'), 3)} | ${ms(m(g, 'cpu'), 3)} | ` +
          `${ratio(vs(t))} | ${both(t, 'p50', 'p99')} | ${both(g, 'p50', 'p99')} | ` +
          `${both(t, 'p50c8', 'p99c8')} | ${both(g, 'p50c8', 'p99c8')} | ${ratio(vs(u))} |`);
      }
    }
    print();
    print(`Response headers on the 120 KB page, of those the origin sends (not a figure; the bench compares bodies only): ` +
      `${NAMES.pass}: ${passedOn.pass}; Tailor, 5 blocks personalized: ${passedOn.tailor}; ${PEER_LABEL}: ${passedOn.growthbook}.`);
    return { timing };
  } finally {
    await mf.dispose();
  }
}

async function timeToFirstByte() {
  const { mf, urls } = await start(['pass', 'tailor', 'growthbook'], originUrl);
  try {
    const page = PAGES[1];
    const rows = [
      ['origin alone (no worker)', originUrl, page.marked, HEADERS],
      [NAMES.pass, urls.pass, page.marked, HEADERS],
      ['Tailor, 5 blocks personalized', urls.tailor, page.personalized, HEADERS],
      [PEER_LABEL, urls.growthbook, page.personalized, requestHeaders('growthbook')],
    ];
    for (const [, base, expected, headers] of rows) for (let i = 0; i < 3; i += 1) await check(`${base}/slow/p/${page.name}.html`, expected, headers);
    const results = rows.map(() => []);
    for (let i = 0; i < TTFB_REQUESTS; i += 1) {
      for (const [j, [, base, expected, headers]] of rows.entries()) results[j].push(await check(`${base}/slow/p/${page.name}.html`, expected, headers));
    }
    print();
    print(`## Time to first byte from a slow origin (${page.label} page, median of ${TTFB_REQUESTS})`);
    print();
    print(`The origin sends the first ${SLOW.SLOW_FIRST_BYTES} bytes at once, then ${SLOW.SLOW_CHUNK_BYTES} bytes every ${SLOW.SLOW_INTERVAL_MS} ms ` +
      `(${Math.ceil((page.marked.length - SLOW.SLOW_FIRST_BYTES) / SLOW.SLOW_CHUNK_BYTES)} more chunks). A worker that buffered the page would ` +
      `send its first byte after the last chunk (GrowthBook's edge app reads the whole page, \`await response.text()\`, before it parses it). Warm isolates (3 requests each first).`);
    print();
    print('| worker | response headers | first body byte | whole body |');
    print('| --- | --- | --- | --- |');
    rows.forEach(([label], j) => {
      const m = (key) => median(results[j].map((r) => r[key]));
      print(`| ${label} | ${ms(m('headersMs'))} | ${ms(m('firstByteMs'))} | ${ms(m('totalMs'))} |`);
    });
  } finally {
    await mf.dispose();
  }
}

/**
 * Where a fresh isolate's first personalized request spends its time: V8's
 * sampling profiler (through the inspector, 100 µs) over that request.
 * Inspector commands run while the isolate runs, so PNG requests (answered
 * in the entry point's JS, without entering wasm or reading the catalog)
 * carry them before and after; their few samples are in the profile too.
 */
async function coldProfile() {
  const page = PAGES[1];
  const pageUrl = (urls) => `${urls.tailor}/p/${page.name}.html`;
  const png = file('logo.png');
  const runs = [];
  for (let s = 0; s < COLD_STARTS; s += 1) {
    log(`cold profile ${s + 1}/${COLD_STARTS}`);
    const { mf, urls } = await start(['tailor'], originUrl, { inspector: true });
    const inspector = await openInspector(await mf.getInspectorURL(), 'tailor');
    try {
      const kv = await mf.getKVNamespace('CATALOG', 'tailor');
      for (const { key } of ENTRIES) await kv.get(key);
      const pngUrl = `${urls.tailor}/assets/logo.png`;
      const inIsolate = inIsolateDriven(inspector, () => check(pngUrl, png));
      await inIsolate('Profiler.enable');
      await inIsolate('Profiler.setSamplingInterval', { interval: 100 });
      await inIsolate('Profiler.start');
      const first = await check(pageUrl(urls), page.personalized, requestHeaders('tailor'));
      const { profile } = (await inIsolate('Profiler.stop')).result;
      runs.push({ ...profileBreakdown(profile), firstMs: first.totalMs });
    } finally {
      inspector.close();
      await mf.dispose();
    }
  }
  const categories = [...new Set(runs.flatMap((r) => Object.keys(r.byCategory)))];
  const median1 = (values) => median(values).toFixed(1);
  print();
  print(`### Where the first request's time goes (V8's sampling profiler, median of ${COLD_STARTS} fresh instances)`);
  print();
  print("A fresh Tailor isolate with an inspector, the catalog's keys read once from Node first; the profiler (100 µs) " +
    "runs over the first personalized request of the 120 KB page (and the few PNG requests that carry the inspector's commands). " +
    'Self time by kind of code: wasm is Tailor\'s compiled Rust (names stripped in the release build: `CARGO_PROFILE_RELEASE_STRIP=none` and a `WASM_OPT_BIN` that adds `-g` keep them), JS by module, ' +
    "V8's own time as it labels it (`(program)` includes compiling wasm functions on their first call).");
  print();
  print('| code | self time (ms) |');
  print('| --- | --- |');
  for (const c of categories.sort((a, b) => median(runs.map((r) => r.byCategory[b] ?? 0)) - median(runs.map((r) => r.byCategory[a] ?? 0)))) {
    print(`| ${c} | ${median1(runs.map((r) => r.byCategory[c] ?? 0))} |`);
  }
  print(`| all samples | ${median1(runs.map((r) => r.totalMs))} |`);
  print();
  print(`Top functions by self time, first instance: ${runs[0].top.map(([name, ms]) => `${name} ${ms.toFixed(1)} ms`).join('; ')}.`);
}

/** Self time of a V8 CPU profile by kind of code, its total, and the top functions. */
function profileBreakdown(profile) {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
  const byCategory = {};
  const byFunction = {};
  let totalMs = 0;
  for (const [id, ms] of self) {
    const { functionName, url } = nodes.get(id).callFrame;
    const wasm = url.startsWith('wasm://') || url.endsWith('.wasm') || /^(\$|wasm-function)/.test(functionName);
    const category = wasm ? 'wasm (Tailor)' : functionName.startsWith('(') ? functionName : `JS ${url.split('/').pop() || '(no module)'}`;
    if (category === '(idle)' || category === '(root)') continue;
    byCategory[category] = (byCategory[category] ?? 0) + ms;
    const name = `${functionName || '(anonymous)'}${wasm || functionName.startsWith('(') ? '' : ` (${url.split('/').pop()})`}`;
    byFunction[name] = (byFunction[name] ?? 0) + ms;
    totalMs += ms;
  }
  const top = Object.entries(byFunction).sort((a, b) => b[1] - a[1]).slice(0, 10);
  return { byCategory, totalMs, top };
}

async function coldAndWarm() {
  const page = PAGES[1];
  const pagePath = `/p/${page.name}.html`;
  // The PNG row separates Tailor's cold cost in general (isolate, wasm, config)
  // from that of a page's catalog, profile and fragment work.
  const configs = [
    { kind: 'pass', label: NAMES.pass, path: pagePath, expected: page.marked },
    { kind: 'tailor', label: 'Tailor, 5 blocks personalized', path: pagePath, expected: page.personalized },
    { kind: 'tailor', label: 'Tailor, the PNG (no catalog work)', path: '/assets/logo.png', expected: file('logo.png') },
    { kind: 'growthbook', label: PEER_LABEL, path: pagePath, expected: page.personalized },
  ];
  const rows = [];
  for (const { kind, label, path, expected } of configs) {
    const runs = [];
    for (let s = 0; s < COLD_STARTS; s += 1) {
      log(`cold start ${s + 1}/${COLD_STARTS}: ${label}`);
      const { mf, pid, urls, startupMs } = await start([kind], originUrl);
      try {
        const url = urls[kind] + path;
        if (kind === 'tailor') {
          // Miniflare's KV is a JS service inside the same workerd: read every
          // key once first, so the first request's CPU is the worker's, not the
          // simulator's start (Cloudflare's KV costs the isolate latency, not CPU).
          const kv = await mf.getKVNamespace('CATALOG', kind);
          for (const { key } of ENTRIES) await kv.get(key);
        }
        const threadsBefore = cpuByThreadName(pid);
        const headers = requestHeaders(kind);
        const { cpu: firstCpu, result: first } = await cpuDuring(pid, () => check(url, expected, headers));
        const threadsAfter = cpuByThreadName(pid);
        const firstByThread = Object.fromEntries(
          Object.entries(threadsAfter).map(([name, ms]) => [name, ms - (threadsBefore[name] ?? 0)]).filter(([, ms]) => ms >= 0.05),
        );
        const second = await check(url, expected, headers);
        const warm = await series(url, expected, 50, 1, headers);
        runs.push({ startupMs, first: first.totalMs, firstCpu, firstByThread, second: second.totalMs, warm: pct(warm, 50), timing: first.headers['server-timing'] });
      } finally {
        await mf.dispose();
      }
    }
    rows.push({ label, runs });
  }
  print();
  print(`## Cold vs warm (${page.label} page, median of ${COLD_STARTS} fresh workerd instances each)`);
  print();
  print('Each instance runs one worker. "start" is `new Miniflare()` until ready (workerd started, scripts and wasm compiled). ' +
    "The first request's CPU is workerd's CPU during that request. " +
    "Tailor's first page request also reads the live pointer, the manifest and the 5 fragments from Miniflare's local KV " +
    "(on disk, not Cloudflare's KV latency; every key is read once from Node before the request, so the KV simulator's own start and first runs are not counted).");
  print();
  print('| worker | start | 1st request | CPU of 1st request | 2nd request | warm p50 (next 50) |');
  print('| --- | --- | --- | --- | --- | --- |');
  for (const { label, runs } of rows) {
    const m = (key) => median(runs.map((r) => r[key]));
    print(`| ${label} | ${ms(m('startupMs'), 0)} | ${ms(m('first'))} | ${ms(m('firstCpu'), 1)} | ${ms(m('second'))} | ${ms(m('warm'))} |`);
  }
  print();
  print(`Tailor's Server-Timing on a first page request: \`${rows[1].runs[0].timing}\``);
  print();
  // Which threads the first request's CPU ran on (median per thread name over the instances).
  print('CPU of the 1st request by workerd thread (median over the instances; V8 compiles wasm and hot JS on background threads, which a deployed worker\'s CPU limit does not count as the request\'s):');
  print();
  for (const { label, runs } of rows) {
    const names = [...new Set(runs.flatMap((r) => Object.keys(r.firstByThread)))];
    const parts = names
      .map((name) => [name, median(runs.map((r) => r.firstByThread[name] ?? 0))])
      .filter(([, ms]) => ms >= 0.1)
      .sort((a, b) => b[1] - a[1])
      .map(([name, ms]) => `${name} ${ms.toFixed(1)} ms`);
    print(`- ${label}: ${parts.join(', ')}`);
  }
}

/** The bundles: what a deployment uploads and every cold isolate loads. */
function bundles(b) {
  const kib = (v) => `${v.toLocaleString('en')} B (${(v / 1024).toFixed(1)} KiB)`;
  const row = (label, x) => `| ${label} | ${kib(x.raw)} | ${kib(x.gzip)} |`;
  const total = { raw: b.tailorWasm.raw + b.tailorJs.raw, gzip: b.tailorWasm.gzip + b.tailorJs.gzip };
  print();
  print('## Bundle size: Tailor\'s page worker beside GrowthBook\'s edge app');
  print();
  print(`Tailor: the files under build/ that workerd loads for the page worker (${b.tailorFiles.join(', ')}), each gzipped (-9) and summed. ` +
    'GrowthBook: benches/growthbook-worker.mjs bundled by esbuild as wrangler bundles a worker (ES module, its default conditions, NODE_ENV defined, not minified), ' +
    'and the same minified (wrangler\'s `--minify`); gzip -9. `make bundle` measures Tailor\'s deployable wasm through `wrangler deploy --dry-run`.');
  print();
  print('| bundle | raw | gzip -9 |');
  print('| --- | --- | --- |');
  print(row('Tailor, the page worker\'s wasm', b.tailorWasm));
  print(row('Tailor, the page worker\'s JS modules', b.tailorJs));
  print(row('Tailor, the page worker in all', total));
  print(row('GrowthBook edge app (esbuild, as wrangler)', b.peer));
  print(row('GrowthBook edge app, minified', b.peerMinified));
  print();
  print(`Tailor's page worker is ${(total.gzip / b.peer.gzip).toFixed(2)}× GrowthBook's edge app gzipped (${(total.gzip / b.peerMinified.gzip).toFixed(2)}× the minified one).`);
}

/**
 * `(method, params)` → the inspector's answer, run in the isolate: workerd
 * serves the inspector while the isolate runs, so `drive()` (a request)
 * is sent until the command is answered.
 */
function inIsolateDriven(inspector, drive) {
  return async (method, params) => {
    const reply = inspector.call(method, params);
    let answered = false;
    reply.then(() => { answered = true; });
    while (!answered) await drive();
    return reply;
  };
}

/**
 * The bytes of every WebAssembly memory in the isolate (Tailor's linear
 * memory), found through the inspector: the objects whose prototype is
 * `WebAssembly.Memory.prototype`, their buffers' sizes summed. 0 for a JS worker.
 */
async function wasmMemoryMiB(inIsolate, contexts) {
  // Evaluating needs the isolate's execution context, which Runtime.enable announces.
  if (contexts.length === 0) await inIsolate('Runtime.enable');
  const contextId = contexts[0]?.id;
  const asked = await inIsolate('Runtime.evaluate', { expression: 'WebAssembly.Memory.prototype', ...(contextId ? { contextId } : {}) });
  if (!asked.result) throw new Error(`inspector: ${JSON.stringify(asked)}`);
  const proto = asked.result.result.objectId;
  const found = (await inIsolate('Runtime.queryObjects', { prototypeObjectId: proto })).result.objects.objectId;
  const sum = await inIsolate('Runtime.callFunctionOn', {
    objectId: found,
    functionDeclaration: 'function () { return this.reduce((sum, memory) => sum + memory.buffer.byteLength, 0); }',
    returnByValue: true,
  });
  return sum.result.result.value / 2 ** 20;
}

/**
 * A fresh instance of `kind` with an inspector; `measure(at)` after each of
 * `checkpoints` requests (`concurrency` at a time) reads RSS, then forces a
 * GC and reads RSS, the V8 heap in use and the wasm linear memory.
 */
async function memoryRun(kind, label, page, checkpoints, concurrency) {
  const expected = kind === 'tailor' ? page.personalized : page.marked;
  const { mf, pid, urls } = await start([kind], originUrl, { inspector: true });
  const inspector = await openInspector(await mf.getInspectorURL(), kind);
  const url = `${urls[kind]}/p/${page.name}.html`;
  const inIsolate = inIsolateDriven(inspector, () => check(url, expected));
  const rows = [];
  try {
    log(`memory: ${label}, ${checkpoints.at(-1)} requests, ${concurrency} at a time`);
    let done = 0;
    for (const at of checkpoints) {
      await series(url, expected, at - done, concurrency);
      done = at;
      const rss = rssMiB(pid);
      await inIsolate('HeapProfiler.collectGarbage');
      const heap = (await inIsolate('Runtime.getHeapUsage')).result;
      const wasm = kind === 'tailor' ? await wasmMemoryMiB(inIsolate, inspector.contexts) : 0;
      rows.push({ label, at, concurrency, rss, rssAfterGc: rssMiB(pid), heapMiB: heap.usedSize / 2 ** 20, wasmMiB: wasm });
    }
  } finally {
    inspector.close();
    await mf.dispose();
  }
  return rows;
}

async function memory() {
  const page = PAGES[1];
  const checkpoints = [...new Set([WARMUP, MEMORY_FIRST, MEMORY_HALF, MEMORY_REQUESTS])];
  const rows = [];
  for (const kind of ['pass', 'tailor']) {
    const label = kind === 'tailor' ? 'Tailor, 5 blocks personalized' : NAMES[kind];
    rows.push(...(await memoryRun(kind, label, page, checkpoints, CONCURRENCY)));
  }
  const n = (v) => v.toLocaleString('en');
  const mib = (v) => `${v.toFixed(1)} MiB`;
  print();
  print(`## Memory: workerd over ${n(MEMORY_REQUESTS)} requests (${page.label} page, ${CONCURRENCY} at a time)`);
  print();
  print('A fresh instance per worker, with an inspector (only here). At each count: VmRSS of the workerd process ' +
    "(/proc/PID/status, which also holds Miniflare's own services), then a full GC of the worker's isolate " +
    '(`HeapProfiler.collectGarbage`), RSS again, the V8 heap in use (`Runtime.getHeapUsage`) and the wasm ' +
    "linear memory (the WebAssembly.Memory objects' buffers, found with `Runtime.queryObjects`). " +
    'The inspector is served while the isolate runs, so a few more requests run during each GC. ' +
    'A per-request leak shows as growth after GC; garbage V8 has not collected yet shows only before it.');
  print();
  print('| worker | requests | RSS | RSS after a full GC | V8 heap used after GC | wasm linear memory |');
  print('| --- | --- | --- | --- | --- | --- |');
  for (const r of rows) print(`| ${r.label} | ${n(r.at)} | ${mib(r.rss)} | ${mib(r.rssAfterGc)} | ${mib(r.heapMiB)} | ${r.label === 'Tailor, 5 blocks personalized' ? mib(r.wasmMiB) : '–'} |`);
  print();
  const growth = (label) => {
    const of = (at) => rows.find((r) => r.label === label && r.at === at).rssAfterGc;
    const d = of(MEMORY_REQUESTS) - of(MEMORY_FIRST);
    return `${label} ${d >= 0 ? '+' : ''}${mib(d)}`;
  };
  print(`RSS after GC from ${n(MEMORY_FIRST)} to ${n(MEMORY_REQUESTS)} requests: ${growth(NAMES.pass)}, ${growth('Tailor, 5 blocks personalized')}.`);

  // The high-water mark by concurrency: a fresh instance each, the same page.
  const sweep = [];
  for (const concurrency of MEMORY_CONCURRENCIES) {
    // The floor too: what workerd's HTMLRewriter itself holds, outside the isolate.
    for (const kind of ['pass', 'floor', 'tailor']) {
      const label = kind === 'tailor' ? 'Tailor, 5 blocks personalized' : NAMES[kind];
      const [, last] = await memoryRun(kind, label, page, [WARMUP, MEMORY_SWEEP_REQUESTS], concurrency);
      sweep.push(last);
    }
  }
  print();
  print(`### By concurrency (${n(MEMORY_SWEEP_REQUESTS)} requests, ${page.label} page, a fresh instance each)`);
  print();
  print('| worker | concurrency | RSS | RSS after a full GC | V8 heap used after GC | wasm linear memory |');
  print('| --- | --- | --- | --- | --- | --- |');
  for (const r of sweep) print(`| ${r.label} | ${r.concurrency} | ${mib(r.rss)} | ${mib(r.rssAfterGc)} | ${mib(r.heapMiB)} | ${r.label === 'Tailor, 5 blocks personalized' ? mib(r.wasmMiB) : '–'} |`);
}

/**
 * Page latency while the origin's generator is fast, slow or too slow: Tailor
 * with its control worker (the sanitizer, over the CONTROL service binding)
 * in one workerd, the demo generator in this process, and the JS pass-through
 * to the same page in the same instance as the baseline.
 */
async function generatorDelays() {
  const page = PAGES[1];
  const path = `/p/${page.name}.html`;
  // Tailor may change only the spotlight block's inner HTML.
  const open = '<tailor-block name="spotlight">';
  const innerAt = page.marked.indexOf(open) + Buffer.byteLength(open);
  const innerEnd = page.marked.indexOf('</tailor-block>', innerAt);
  const prefix = page.marked.subarray(0, innerAt);
  const suffix = page.marked.subarray(innerEnd);
  const withSpotlight = (inner) => Buffer.concat([prefix, Buffer.from(inner), suffix]);
  // Outcomes that serve the generated fragment; any other keeps the default.
  const SERVED = new Set(['generator', 'memory', 'cache']);
  const tag = Date.now().toString(36);
  const headersFor = (industry) => ({
    ...HEADERS,
    cookie: `__Host-tailor_profile=${sign({
      kid: KID, secret: SECRET, profile: { i: now - 60, e: now + 86_400, ind: industry, role: 'founder', size: 'mid', c: 'pa' },
    })}`,
  });
  // The generator writes "Written for {industry} {role}" (labels' hyphens as spaces).
  const who = (industry) => `${industry.replace(/-/g, ' ')} founder`;
  const WARM = 'warmseg';
  let generatedFor; // the generated fragment for a segment, as the sanitizer returns it

  const generator = await startGenerator();
  const { mf, urls } = await start(['pass', 'tailor-gen', 'control'], originUrl, { generatorUrl: generator.url });
  try {
    const kv = await mf.getKVNamespace('CATALOG', 'tailor-gen');
    for (const { key, value } of GEN_ENTRIES) await kv.put(key, value);
    const url = urls['tailor-gen'] + path;

    /** One Tailor request for `industry`'s segment: checked, its time and the spotlight's outcome. */
    async function visit(industry, accept) {
      const res = await get(url, headersFor(industry));
      const timing = res.headers['server-timing'] ?? '';
      const outcome = /generated: spotlight:([a-z-]+)/.exec(timing)?.[1];
      if (res.status !== 200 || !res.body.toString('latin1').trimEnd().endsWith('</html>')) {
        throw new Error(`${industry}: status ${res.status}, ${res.body.length} bytes, not the complete page; server-timing: ${timing}`);
      }
      if (!accept.includes(outcome)) throw new Error(`${industry}: spotlight outcome ${outcome} (expected ${accept.join(' or ')}); server-timing: ${timing}`);
      if (SERVED.has(outcome) && !generatedFor) {
        // The first generated fragment: learn how the sanitizer returns the generator's section.
        const inner = res.body.subarray(innerAt, res.body.length - suffix.length).toString('utf8');
        if (!res.body.subarray(0, innerAt).equals(prefix) || !inner.includes(`Written for ${who(industry)}<`) || !inner.includes('data-variant="generated"')) {
          throw new Error(`${industry}: not the generated spotlight: ${JSON.stringify(inner.slice(0, 300))}`);
        }
        generatedFor = (other) => inner.replaceAll(who(industry), who(other));
      }
      expectBody(url, res, withSpotlight(SERVED.has(outcome) ? generatedFor(industry) : GEN_DEFAULT));
      return { ms: res.totalMs, outcome };
    }

    // Warm up: both isolates, the control worker, the generator's path, and the warm segment's fragment.
    log(`generator delays: warming up`);
    generator.control({ delayMs: 0, mode: 'ok' });
    for (let i = 0; ; i += 1) {
      if ((await visit(WARM, ['generator', 'generator-late', 'generator-in-flight', 'memory', 'cache'])).outcome === 'memory') break;
      if (i > 50) throw new Error('the warm segment never came from memory');
      await new Promise((ok) => setTimeout(ok, 20));
    }
    for (let i = 0; i < WARMUP; i += 1) {
      await check(`${urls.pass}${path}`, page.marked);
      await check(`${originUrl}${path}`, page.marked);
      await visit(WARM, ['memory']);
      await visit(`warm-up-${tag}-${i}`, ['generator', 'generator-late']);
    }
    await new Promise((ok) => setTimeout(ok, 200));

    const rows = [];
    /** n requests one at a time; `next(i)` resolves with { ms, outcome }. */
    async function run(label, n, next, { delayMs, settleMs = 0 } = {}) {
      log(`generator delays: ${label}, ${n} requests`);
      if (delayMs !== undefined) generator.control({ delayMs, mode: 'ok' });
      const calls = generator.calls().length;
      const times = [];
      const outcomes = {};
      for (let i = 0; i < n; i += 1) {
        const { ms: t, outcome } = await next(i);
        times.push(t);
        if (outcome) outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      }
      // Late calls finish in the background (waitUntil): count them once they have.
      if (settleMs > 0) await new Promise((ok) => setTimeout(ok, settleMs));
      times.sort((a, b) => a - b);
      const row = { label, n, p50: pct(times, 50), p99: pct(times, 99), max: times.at(-1), outcomes, calls: generator.calls().length - calls, delayMs };
      rows.push(row);
      return row;
    }
    const timed = async (target) => ({ ms: (await check(target, page.marked)).totalMs });
    await run('origin alone (no worker)', GEN_REQUESTS, () => timed(`${originUrl}${path}`));
    const pass = await run(`${NAMES.pass} (the origin's own time through workerd)`, GEN_REQUESTS, () => timed(`${urls.pass}${path}`));
    await run('Tailor, warm segment (generated fragment cached)', GEN_REQUESTS, () => visit(WARM, ['memory', 'cache']));
    const segment = (delayMs, i) => `d${delayMs}-${tag}-${i}`;
    for (const delayMs of [0, 50]) {
      await run(`Tailor, new segment, generator answers after ${delayMs} ms`, GEN_REQUESTS,
        (i) => visit(segment(delayMs, i), ['generator', 'generator-late']), { delayMs });
    }
    const SLOW_MS = 2000;
    const late = await run(`Tailor, new segment, generator answers after ${SLOW_MS / 1000} s`, GEN_REQUESTS,
      (i) => visit(segment(SLOW_MS, i), ['generator-late']), { delayMs: SLOW_MS, settleMs: SLOW_MS + 500 });
    // The late calls went on after their responses and filled the caches for the segment's next visitor.
    const next = await visit(segment(SLOW_MS, 0), ['memory', 'cache']);
    for (const r of rows) {
      if (r.delayMs !== undefined && r.calls !== r.n) throw new Error(`${r.label}: ${r.calls} generator calls for ${r.n} new segments`);
      if (r.label.includes('warm segment') && r.calls !== 0) throw new Error(`${r.label}: ${r.calls} generator calls`);
    }

    print();
    print(`## Generator delays under plain workerd (${page.label} page, ${GEN_REQUESTS} requests one at a time per case)`);
    print();
    print(`One workerd process runs the JS pass-through and Tailor, with Tailor's control worker beside it as its \`CONTROL\` service binding ` +
      `(the sanitizer every generated fragment goes through), and TAILOR_BUDGET_MS=${BUDGET_MS}. The generator is scripts/demo-generator.mjs ` +
      `in this Node process on 127.0.0.1 (TAILOR_GENERATOR_URL; TAILOR_GENERATOR_TIMEOUT_MS=5000). The catalog is benches/data/catalog-generated.json ` +
      `in a KV namespace of its own: one block, spotlight, whose default is generated for segments no variant fits (\`generate.unmatched\`); ` +
      `the page's 4 other markers are not in that catalog and pass unchanged. Visitors carry a signed profile cookie (role founder, size mid); ` +
      `in the "new segment" cases every request has an industry label not seen before, so every request is a cache miss and a generator call. ` +
      `Every response is checked byte for byte: the origin's page (ending in \`</html>\`) with only the spotlight's inner HTML replaced, ` +
      `by the generated fragment or, if Server-Timing says it was not served, the default; Server-Timing must name the spotlight's outcome ` +
      `(\`fragments;…;desc="… generated: spotlight:OUTCOME"\`). Warm-up: ${WARMUP} requests per worker and ${WARMUP} new segments first.`);
    print();
    print(`| case | n | p50 | p99 | max | max − budget | spotlight outcome (Server-Timing) | generator calls |`);
    print('| --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const r of rows) {
      const outcomes = Object.entries(r.outcomes).map(([o, k]) => `${o} ×${k}`).join(', ') || '–';
      const over = r === late ? `${r.max - BUDGET_MS >= 0 ? '+' : ''}${ms(r.max - BUDGET_MS)}` : '–';
      print(`| ${r.label} | ${r.n} | ${ms(r.p50)} | ${ms(r.p99)} | ${ms(r.max)} | ${over} | ${outcomes} | ${r.label.startsWith('Tailor') ? r.calls : '–'} |`);
    }
    print();
    const limit = BUDGET_MS + GEN_MARGIN_MS;
    const verdict = late.max <= limit ? 'within' : '**over**';
    print(`With the generator taking ${SLOW_MS / 1000} s, the slowest of ${late.n} pages took ${ms(late.max)}: ${ms(late.max - BUDGET_MS)} past the ` +
      `${BUDGET_MS} ms budget, ${verdict} the allowed budget + ${GEN_MARGIN_MS} ms (p50 ${ms(late.p50)} against the pass-through's ${ms(pass.p50)}). ` +
      `${SLOW_MS / 1000 + 0.5} s later the first of those segments' next visitor got the generated fragment from \`${next.outcome}\` in ${ms(next.ms)}.`);
    if (late.max > limit) {
      process.exitCode = 1;
      log(`FAILED: with a ${SLOW_MS} ms generator a page took ${late.max.toFixed(1)} ms, over budget + margin (${limit} ms)`);
    }
  } finally {
    await mf.dispose();
    await generator.stop();
  }
}

try {
  rmSync(KV_DIR, { recursive: true, force: true });
  const bundleSizes = await buildPeer();
  machine();
  if (!wanted('cpu')) await seedCatalog();
  if (wanted('cpu')) {
    const { timing } = await cpuAndLatency();
    print();
    print(`Tailor's Server-Timing on a warm personalized request: \`${timing}\``);
    print();
    print(`CPU sources: over every CPU measurement of these cases, the threads' schedstat sum to ${cpuTotals.sched.toFixed(0)} ms ` +
      `and workerd's utime+stime (/proc/PID/stat, ${1000 / TICKS_PER_S} ms ticks) to ${cpuTotals.ticks.toFixed(0)} ms.`);
  }
  if (wanted('ttfb')) await timeToFirstByte();
  if (wanted('cold')) await coldAndWarm();
  if (wanted('cold')) await coldProfile();
  if (wanted('bundle')) bundles(bundleSizes);
  if (wanted('memory')) await memory();
  if (wanted('generator')) await generatorDelays();
  print();
  print(`Run took ${((performance.now() - started) / 1000).toFixed(0)} s (\`${QUICK ? 'BENCH_QUICK=1 ' : ''}node benches/workerd.mjs\`); ` +
    `load average at the end ${loadavg().map((l) => l.toFixed(2)).join(' ')}.`);
  console.log(out.join('\n'));
} finally {
  agent.destroy();
  stopOrigin();
}
