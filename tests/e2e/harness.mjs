// End-to-end harness: a local origin on 127.0.0.1, and the built worker under
// `wrangler dev` (workerd) with its own local KV state, seeded through
// `wrangler kv bulk put --local`. Used by every *.test.mjs file here.
import { spawn, execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { createServer } from 'node:net';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const ROOT = resolve(import.meta.dirname, '../..');
const WRANGLER = join(ROOT, 'node_modules/.bin/wrangler');
const TAILOR = join(ROOT, 'target/debug/tailor');
const execFileAsync = promisify(execFile);
const ENV = { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' };

// Ports for wrangler dev are picked below Linux's ephemeral range
// (32768-60999), where nothing that binds port 0 (workerd's own sockets, the
// test origins) can be given them, and never twice in one process: workers
// started side by side each ask for two (HTTP and inspector). Once, in CI, a
// worker's URL turned out to be a sibling's inspector, whose 404 also answered
// the start-up probe.
const handedOut = new Set();

async function canBind(port) {
  return new Promise((ok) => {
    const server = createServer();
    server.unref();
    server.on('error', () => ok(false));
    server.listen(port, '127.0.0.1', () => server.close(() => ok(true)));
  });
}

/** A free TCP port on 127.0.0.1, outside the ephemeral range, never one this process handed out before. */
export async function freePort() {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    if (await canBind(port)) return port;
  }
}

/** Runs the project's CLI (`target/debug/tailor`) and returns its stdout; a last object argument is spawn options. */
export function tailor(...args) {
  const options = typeof args.at(-1) === 'object' ? args.pop() : {};
  return execFileSync(TAILOR, args, { cwd: ROOT, maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'], ...options });
}

/**
 * The KV entries that publish a catalog source file. With `edit`, a function
 * that changes the parsed catalog in place, the edited copy is published
 * instead (written under target/e2e, its fragment folders linked beside it).
 */
export function kvEntries(catalogPath, { edit } = {}) {
  let file = catalogPath;
  if (edit) {
    const source = resolve(ROOT, catalogPath);
    const catalog = JSON.parse(readFileSync(source, 'utf8'));
    edit(catalog);
    const dir = mkdtempSync(join(ROOT, 'target/e2e-catalog-'));
    for (const entry of readdirSync(dirname(source), { withFileTypes: true })) {
      if (entry.isDirectory()) symlinkSync(join(dirname(source), entry.name), join(dir, entry.name));
    }
    file = join(dir, basename(source));
    writeFileSync(file, JSON.stringify(catalog));
  }
  const entries = JSON.parse(tailor('catalog', 'kv-bulk', file).toString('utf8'));
  if (edit) rmSync(dirname(file), { recursive: true, force: true });
  return entries;
}

/**
 * A catalog edit for tests that check which rule a consenting anonymous
 * visitor gets: such a visitor now has an edge id, so without this the
 * catalog's exploration share would show a random variant to ~10% of them.
 */
export const withoutExploration = (catalog) => { delete catalog.exploration; };

const KV_BINDING = ['[[kv_namespaces]]', 'binding = "CATALOG"', 'id = "00000000000000000000000000000000"'];

/**
 * Starts the built worker (build/worker/entry.mjs; with `fault: true`, the
 * fault-injection build in build/fault) under `wrangler dev` with a
 * fresh local KV seeded with `entries`, and `vars`. With `control` ({ vars }),
 * the control worker (build/control/worker/shim.mjs) runs beside it in the
 * same `wrangler dev`, on the same local KV, bound as CONTROL. `toml` (and
 * `control.toml`): more lines for the worker's wrangler.toml (bindings).
 * `logLevel`: wrangler's (`warn`; `log` keeps the workers' console.log).
 * Returns { url, stop, log, config, state }.
 */
export async function startWorker(name, { entries = [], vars = {}, control, fault = false, toml = [], logLevel = 'warn' } = {}) {
  const dir = join(ROOT, 'target/e2e', name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const config = join(dir, 'wrangler.toml');
  const controlName = `tailor-e2e-${name}-control`;
  writeFileSync(
    config,
    [
      `name = "tailor-e2e-${name}"`,
      `main = ${JSON.stringify(join(ROOT, fault ? 'build/fault/worker/entry.mjs' : 'build/worker/entry.mjs'))}`,
      'compatibility_date = "2026-04-01"',
      ...KV_BINDING,
      ...(control ? ['[[services]]', 'binding = "CONTROL"', `service = "${controlName}"`] : []),
      ...toml,
      '',
    ].join('\n'),
  );
  const configs = ['-c', config];
  if (control) {
    const controlConfig = join(dir, 'control.toml');
    writeFileSync(
      controlConfig,
      [
        `name = "${controlName}"`,
        `main = ${JSON.stringify(join(ROOT, 'build/control/worker/shim.mjs'))}`,
        'compatibility_date = "2026-04-01"',
        '[vars]',
        ...Object.entries(control.vars ?? {}).map(([k, v]) => `${k} = ${JSON.stringify(v)}`),
        ...KV_BINDING,
        ...(control.toml ?? []),
        '',
      ].join('\n'),
    );
    configs.push('-c', controlConfig);
  }
  const state = join(dir, 'state');
  if (entries.length > 0) {
    const seed = join(dir, 'seed.json');
    writeFileSync(seed, JSON.stringify(entries));
    execFileSync(
      WRANGLER,
      ['kv', 'bulk', 'put', seed, '--binding', 'CATALOG', '--local', '--persist-to', state, '-c', config],
      { cwd: dir, env: ENV, stdio: 'pipe' },
    );
  }
  const port = await freePort();
  const inspector = await freePort();
  const args = ['dev', ...configs, '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(inspector),
    '--persist-to', state, '--show-interactive-dev-session=false', '--log-level', logLevel];
  for (const [key, value] of Object.entries(vars)) args.push('--var', `${key}:${value}`);
  const child = spawn(WRANGLER, args, { cwd: dir, env: ENV, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let log = '';
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wrangler dev (${name}) exited:\n${log}`);
    try {
      await fetch(`${url}/__tailor_health_probe.css`);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`wrangler dev (${name}) did not start:\n${log}`);
      await sleep(250);
    }
  }
  return {
    url,
    config,
    state,
    log: () => log,
    stop: () => {
      try { process.kill(-child.pid, 'SIGTERM'); } catch { /* already gone */ }
    },
  };
}

/**
 * Every key in a started worker's local KV, sorted (to compare before and
 * after). Asynchronous on purpose: a blocked event loop would miss the dev
 * server closing idle keep-alive sockets, and the next fetch would reuse a
 * dead one ("fetch failed").
 */
export async function kvKeys(worker) {
  const { stdout } = await execFileAsync(
    WRANGLER,
    ['kv', 'key', 'list', '--binding', 'CATALOG', '--local', '--persist-to', worker.state, '-c', worker.config],
    { cwd: dirname(worker.config), env: ENV, maxBuffer: 16 << 20 },
  );
  return JSON.parse(stdout).map((k) => k.name).sort();
}
