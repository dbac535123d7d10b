// What the page worker's entry point decides without entering wasm: the
// requests Tailor never personalizes, and where the origin is. These are
// Rust's rules (src/route/mod.rs: `route`, `STATIC_EXTENSIONS`, `origin`,
// `rebased`; src/http/url.rs: `path_of`), written again here because a call
// into wasm costs ~0.1 ms of CPU (docs/benchmarks.md). tests/route-rules.json
// is written from the Rust rules by a Rust test, and
// tests/e2e/fast-path.test.mjs holds this module to every case in it.

/** `STATIC_EXTENSIONS` in src/route/mod.rs. */
export const STATIC_EXTENSIONS = new Set([
  'css', 'js', 'mjs', 'map', 'json', 'xml', 'txt', 'png', 'jpg', 'jpeg', 'gif', 'webp', 'avif', 'svg',
  'ico', 'woff', 'woff2', 'ttf', 'otf', 'eot', 'mp4', 'webm', 'mp3', 'pdf', 'zip', 'gz', 'wasm',
]);

/** Paths Tailor answers itself (`API_PREFIX`, `OFREP_PREFIX`): always into wasm. */
export const OWN_PREFIXES = ['/__tailor/', '/ofrep/v1/'];

/** Whether `route` in src/route/mod.rs sends this request to the origin untouched. */
export function isNeverPersonalized(method, path, hasRange) {
  if (OWN_PREFIXES.some((prefix) => path.startsWith(prefix))) return false;
  const upper = method.toUpperCase();
  if (upper !== 'GET' && upper !== 'HEAD') return true;
  const last = path.slice(path.lastIndexOf('/') + 1);
  const dot = last.lastIndexOf('.');
  if (dot >= 0 && STATIC_EXTENSIONS.has(last.slice(dot + 1).toLowerCase())) return true;
  return hasRange();
}

/** The path of an absolute URL, as `path_of` in src/http/url.rs reads it. */
export function pathOf(url) {
  const scheme = url.indexOf('://');
  const slash = url.indexOf('/', scheme < 0 ? 0 : scheme + 3);
  if (slash < 0) return '/';
  const end = url.slice(slash).search(/[?#]/);
  return end < 0 ? url.slice(slash) : url.slice(slash, slash + end);
}

/** `origin` in src/route/mod.rs: `{ url }`, `{ assets: true }` or `{ route: true }`. */
export function originOf(originUrl, assetsBound) {
  const base = (originUrl ?? '').replace(/\/+$/, '');
  if (base) return { url: base };
  return assetsBound ? { assets: true } : { route: true };
}

/** `rebased` in src/route/mod.rs: the base, then the request's path and query. */
export function rebased(base, url) {
  const scheme = url.indexOf('://');
  const slash = url.indexOf('/', scheme < 0 ? 0 : scheme + 3);
  const rest = slash < 0 ? '/' : url.slice(slash).split('#')[0];
  return base + rest;
}

/** The request sent to the origin as src/worker/origin.rs sends it. */
export function toOrigin(request, env) {
  const origin = originOf(env.ORIGIN_URL, Boolean(env.ASSETS));
  if (origin.url) {
    return fetch(
      new Request(rebased(origin.url, request.url), {
        method: request.method,
        headers: request.headers,
        body: request.body,
        redirect: 'manual',
      }),
    );
  }
  if (origin.assets) return env.ASSETS.fetch(request);
  return fetch(request);
}
