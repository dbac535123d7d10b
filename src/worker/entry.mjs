// The page worker's entry point: worker-build's module (./shim.mjs, copied
// beside it by scripts/build-worker.sh) behind one guard.
//
// Tailor answers every request itself, with the origin's own page whenever
// something of ours fails. What Rust cannot catch is a trap of the wasm
// instance (a panic, under `panic = "abort"`). It happens inside a microtask
// of the async handler, so the handler's promise would never settle and
// workerd would answer 500 ("hung"). This guard hears the trap (the global
// `error` event worker-build's shim listens to as well) and sends each
// request still in flight on this instance to the origin, as if Tailor were
// not there (GET and HEAD; other methods get a 503 to retry). The shim starts
// a fresh instance for the next request. A trap after a response has started
// cannot be undone here: that page is cut (docs/security.md).
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
    let escape;
    const trapped = new Promise((_, reject) => {
      escape = reject;
    });
    inFlight.add(escape);
    try {
      return await Promise.race([new Tailor(ctx, env).fetch(request), trapped]);
    } catch (error) {
      console.error('tailor: the worker failed; passing the request to the origin:', String(error));
      return passThrough(request, env);
    } finally {
      inFlight.delete(escape);
    }
  },
};

/** The origin's response, as `src/worker/origin.rs` would have asked for it. */
function passThrough(request, env) {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    // The body may have been read: it cannot be sent on.
    return new Response('Tailor failed on this request; please retry.\n', {
      status: 503,
      headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'retry-after': '1' },
    });
  }
  const base = env.ORIGIN_URL?.replace(/\/+$/, '');
  if (base) {
    const url = new URL(request.url);
    return fetch(new Request(base + url.pathname + url.search, { method: request.method, headers: request.headers, redirect: 'manual' }));
  }
  if (env.ASSETS) return env.ASSETS.fetch(request);
  return fetch(request);
}
