// What the page worker decides without entering wasm, and where its origin is.
//
// Which requests Tailor never personalizes is Rust's rule (src/route/mod.rs:
// `route`, `STATIC_EXTENSIONS`; src/http/url.rs: `path_of`), written again
// here because a call into wasm costs ~0.1 ms of CPU (docs/benchmarks.md):
// tests/route-rules.json is written from the Rust rules by a Rust test, and
// tests/e2e/fast-path.test.mjs holds this module to every case in it.
//
// Where the origin is (`toOrigin`) is written only here: the entry point's
// fast path, its fallback for a trapped instance, and the Rust page path
// (src/worker/page.rs) all send requests to the origin through it.

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

/** The origin: `ORIGIN_URL` (`{ url }`, no trailing `/`), else the `ASSETS` binding, else the route's own. */
export function originOf(originUrl, assetsBound) {
  const base = (originUrl ?? '').replace(/\/+$/, '');
  if (base) return { url: base };
  return assetsBound ? { assets: true } : { route: true };
}

/** The URL a request for `url` goes to at origin `base`: the base, then the request's path and query. */
export function rebased(base, url) {
  const scheme = url.indexOf('://');
  const slash = url.indexOf('/', scheme < 0 ? 0 : scheme + 3);
  const rest = slash < 0 ? '/' : url.slice(slash).split('#')[0];
  return base + rest;
}

/** Sends `request` to the origin (redirects are passed back, not followed). */
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
