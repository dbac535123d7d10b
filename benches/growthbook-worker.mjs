// The peer in `benches/workerd.mjs`: GrowthBook's Cloudflare edge app
// (npm `@growthbook/edge-cloudflare`, pinned in package-lock.json), as its
// README deploys it, except that the SDK payload comes from memory: the bench
// passes it as a JSON binding (parsed once per isolate by workerd) and it goes
// to the app through `handleRequest`'s config override, so nothing is fetched
// from GrowthBook's API and no KV is read. The rest of the configuration is
// the app's own environment variables (PROXY_TARGET, DISABLE_INJECTIONS,
// RUN_VISUAL_EDITOR_EXPERIMENTS), set by the bench.
//
// The bench bundles this file with esbuild to target/bench-workerd/growthbook.mjs.
import { handleRequest } from '@growthbook/edge-cloudflare';

export default {
  async fetch(request, env) {
    return handleRequest(request, env, { payload: env.GB_PAYLOAD });
  },
};
