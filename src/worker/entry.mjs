// The page worker's entry point: worker-build's module (./shim.mjs, copied
// beside it by scripts/build-worker.sh) behind two things JS does better.
//
// 1. Requests Tailor never personalizes (static assets by extension, Range
//    requests, methods other than GET and HEAD, outside `/__tailor/` and
//    `/ofrep/`) go to the origin from here, without entering the wasm
//    instance: that cost ~0.1 ms of CPU per request (docs/benchmarks.md).
//    `src/page.rs` (`should_personalize`) makes the same decision for what
//    reaches Rust; a unit test there keeps the two extension lists equal.
//
// 2. A trap of the wasm instance (a panic, under `panic = "abort"`) is the
//    one failure Rust cannot turn into the origin's page. It happens inside a
//    microtask of the async handler, so the handler's promise would never
//    settle and workerd would answer 500 ("hung"). This guard hears the trap
//    (the global `error` event, which worker-build's shim listens to as well)
//    and sends each request still in flight on this instance to the origin,
//    as if Tailor were not there (GET and HEAD; other methods get a 503 to
//    retry). The shim starts a fresh instance for the next request. A trap
//    after a response has started cannot be undone: that page is cut
//    (docs/security.md).
import Tailor from './shim.mjs';

/** Requests in flight on this instance: each one's way out when it traps. */
const inFlight = new Set();

addEventListener('error', (event) => {
  if (event.error instanceof WebAssembly.RuntimeError) {
    for (const escape of inFlight) escape(event.error);
  }
});

export default {
  async fetch(request, env, ctx) {
    if (isNeverPersonalized(request)) return toOrigin(request, env);
    let escape;
    const trapped = new Promise((_, reject) => {
      escape = reject;
    });
    inFlight.add(escape);
    try {
      return await Promise.race([new Tailor(ctx, env).fetch(request), trapped]);
    } catch (error) {
      console.error('tailor: the worker failed; passing the request to the origin:', String(error));
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        // The body may have been read: it cannot be sent on.
        return new Response('Tailor failed on this request; please retry.\n', {
          status: 503,
          headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'retry-after': '1' },
        });
      }
      return toOrigin(request, env);
    } finally {
      inFlight.delete(escape);
    }
  },
};

// Equal to STATIC_EXTENSIONS in src/page.rs (checked by a unit test there).
const STATIC_EXTENSIONS = new Set([
  'css', 'js', 'mjs', 'map', 'json', 'xml', 'txt', 'png', 'jpg', 'jpeg', 'gif', 'webp', 'avif', 'svg',
  'ico', 'woff', 'woff2', 'ttf', 'otf', 'eot', 'mp4', 'webm', 'mp3', 'pdf', 'zip', 'gz', 'wasm',
]);

/** What `should_personalize` in src/page.rs refuses, outside Tailor's own routes. */
function isNeverPersonalized(request) {
  const path = pathOf(request.url);
  if (path.startsWith('/__tailor/') || path.startsWith('/ofrep/')) return false;
  if (request.method !== 'GET' && request.method !== 'HEAD') return true;
  if (request.headers.has('range')) return true;
  const last = path.slice(path.lastIndexOf('/') + 1);
  const dot = last.lastIndexOf('.');
  return dot >= 0 && STATIC_EXTENSIONS.has(last.slice(dot + 1).toLowerCase());
}

/** The path of an absolute URL, as `path_of` in src/page.rs reads it. */
function pathOf(url) {
  const scheme = url.indexOf('://');
  const slash = url.indexOf('/', scheme < 0 ? 0 : scheme + 3);
  if (slash < 0) return '/';
  const end = url.slice(slash).search(/[?#]/);
  return end < 0 ? url.slice(slash) : url.slice(slash, slash + end);
}

/** The request sent to the origin as `src/worker/origin.rs` sends it. */
function toOrigin(request, env) {
  const base = env.ORIGIN_URL?.replace(/\/+$/, '');
  if (base) {
    const url = new URL(request.url);
    return fetch(
      new Request(base + url.pathname + url.search, {
        method: request.method,
        headers: request.headers,
        body: request.body,
        redirect: 'manual',
      }),
    );
  }
  if (env.ASSETS) return env.ASSETS.fetch(request);
  return fetch(request);
}
