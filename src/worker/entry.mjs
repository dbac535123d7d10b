// The page worker's entry point: worker-build's module (./shim.mjs, copied
// beside it by scripts/build-worker.sh) behind two things JS does better.
//
// 1. Requests Tailor never personalizes (static assets by extension, Range
//    requests, methods other than GET and HEAD, outside `/__tailor/` and
//    `/ofrep/v1/`) go to the origin from here, without entering the wasm
//    instance: that cost ~0.1 ms of CPU per request (docs/benchmarks.md).
//    ./fast-path.mjs holds these rules, tested against Rust's own.
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
import { isNeverPersonalized, pathOf, toOrigin } from './fast-path.mjs';

/** Requests in flight on this instance: each one's way out when it traps. */
const inFlight = new Set();

addEventListener('error', (event) => {
  if (event.error instanceof WebAssembly.RuntimeError) {
    for (const escape of inFlight) escape(event.error);
  }
});

export default {
  async fetch(request, env, ctx) {
    if (isNeverPersonalized(request.method, pathOf(request.url), () => request.headers.has('range'))) {
      return toOrigin(request, env);
    }
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

  /** The cron trigger: the Rust handler asks the control worker to publish the loop's posteriors. */
  async scheduled(controller, env, ctx) {
    await new Tailor(ctx, env).scheduled(controller);
  },
};
