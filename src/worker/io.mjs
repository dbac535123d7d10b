// The Workers I/O the Rust adapter performs for the core, written where it is
// native: KV, the Cache API, fetch with a deadline, service bindings, header
// edits, and reading what the core reads of a request. Each function does one
// platform call and hands plain values back; none decides anything (the
// decisions are Rust's, in the core). A failure is an exception or a
// rejected promise, which the Rust side turns into a miss or a fallback.

/** `env[name]` when bound. */
export function binding(env, name) {
  const bound = env?.[name];
  return bound && typeof bound === 'object' ? bound : undefined;
}

/** A KV value as text (`undefined` when the key does not exist). */
export async function kvGet(kv, key) {
  return (await kv.get(key, 'text')) ?? undefined;
}

/** Stores a KV value; `ttlS` (seconds) when it should expire. */
export async function kvPut(kv, key, value, ttlS) {
  await kv.put(key, value, ttlS === undefined ? undefined : { expirationTtl: ttlS });
}

/** The names of the KV keys starting with `prefix`, sorted, at most `max` (pages through KV's list). */
export async function kvList(kv, prefix, max) {
  const names = [];
  let cursor;
  do {
    const page = await kv.list({ prefix, cursor });
    for (const key of page.keys) names.push(key.name);
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor && names.length < max);
  return names.slice(0, max);
}

/** Deletes a KV key. */
export async function kvDelete(kv, key) {
  await kv.delete(key);
}

/** The location's cache text for `key`, `undefined` on a miss or without a cache. */
export async function cacheGet(key) {
  const cache = globalThis.caches?.default;
  const found = cache ? await cache.match(key) : undefined;
  return found?.status === 200 ? found.text() : undefined;
}

/** Caches `value` as HTML under `key` for `ttlS` seconds (no cache: nothing). */
export async function cachePut(key, value, ttlS) {
  const cache = globalThis.caches?.default;
  if (!cache) return;
  const headers = { 'content-type': 'text/html; charset=utf-8', 'cache-control': `max-age=${ttlS}` };
  await cache.put(key, new Response(value, { headers }));
}

/** GETs `url` through `via.fetch` (a service binding), aborted after `timeoutMs`: `[status, body]`. */
export async function getText(via, url, timeoutMs) {
  const response = await via.fetch(new Request(url, { signal: AbortSignal.timeout(timeoutMs) }));
  return [response.status, await response.text()];
}

/** Sends one message (text) to a Queue producer binding. */
export async function queueSend(queue, body) {
  await queue.send(body, { contentType: 'text' });
}

/**
 * Runs `statements` (`[sql, ...params]` each) as one D1 batch, which D1 runs
 * as one transaction; the rows of each statement, as JSON text.
 */
export async function d1Batch(db, statements) {
  const results = await db.batch(statements.map(([sql, ...params]) => db.prepare(sql).bind(...params)));
  return JSON.stringify(results.map((result) => result.results ?? []));
}

/** Whether `key` is within the rate-limiting binding `limiter`'s allowance. */
export async function rateLimit(limiter, key) {
  const { success } = await limiter.limit({ key });
  return success === true;
}

/**
 * POSTs `body` to `url` (through `via.fetch` when given: a service binding),
 * aborted after `timeoutMs` when given. The answer as `[status, contentType,
 * body]`; a body declared larger than `maxBytes` is not read (status 413).
 */
export async function post(via, url, contentType, accept, body, timeoutMs, maxBytes) {
  const request = new Request(url, {
    method: 'POST',
    headers: { 'content-type': contentType, accept },
    body,
    signal: timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs),
  });
  const response = await (via ? via.fetch(request) : fetch(request));
  const declared = Number(response.headers.get('content-length') ?? NaN);
  const type = response.headers.get('content-type') ?? undefined;
  if (maxBytes !== undefined && declared > maxBytes) {
    response.body?.cancel().catch(() => {});
    return [413, type, ''];
  }
  return [response.status, type, await response.text()];
}

/** Sends `request` unchanged (method, headers, body) through a service binding. */
export function forward(via, request) {
  return via.fetch(request);
}

/** `response` (same body stream, not read) with `edits` (`[op, name, value]`, op `set`/`append`/`remove`) applied. */
export function withHeaders(response, edits) {
  const headers = new Headers(response.headers);
  for (const [op, name, value] of edits) {
    if (op === 'set') headers.set(name, value);
    else if (op === 'append') headers.append(name, value);
    else headers.delete(name);
  }
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

/** A response of ours: `headers` as `[name, value]` pairs; an empty body is none. */
export function respond(status, headers, body) {
  return new Response(body === '' ? null : body, { status, headers: new Headers(headers) });
}

/** The request body as text, `undefined` when it is (or is declared) larger than `max` bytes. */
export async function readBody(request, max) {
  if (Number(request.headers.get('content-length') ?? 0) > max) return undefined;
  const text = await request.text();
  return new TextEncoder().encode(text).byteLength <= max ? text : undefined;
}

/** The request body as bytes. */
export async function readBytes(request) {
  return new Uint8Array(await request.arrayBuffer());
}

/** The values of the headers `names`, in order (`undefined` when absent). */
export function readHeaders(request, names) {
  return names.map((name) => request.headers.get(name) ?? undefined);
}

/** What the edge knows of the request's origin (`request.cf`). */
export function edgeContext(request) {
  const cf = request.cf ?? {};
  const text = (v) => (typeof v === 'string' ? v : undefined);
  return [text(cf.country), typeof cf.asn === 'number' ? cf.asn : undefined, text(cf.asOrganization), text(cf.timezone)];
}

// One formatter per time zone: building an Intl.DateTimeFormat costs far
// more than using one. Bounded, since time zone names come from requests.
const offsetFormats = new Map();

/** The UTC offset of IANA time zone `timeZone` at `atMs`, in minutes; `undefined` for a zone Intl does not know. */
export function utcOffsetMinutes(timeZone, atMs) {
  let format = offsetFormats.get(timeZone);
  if (format === undefined) {
    try {
      format = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' });
    } catch {
      format = null;
    }
    if (offsetFormats.size < 512) offsetFormats.set(timeZone, format);
  }
  if (!format) return undefined;
  const name = format.formatToParts(new Date(atMs)).find((p) => p.type === 'timeZoneName')?.value ?? '';
  const m = /^GMT(?:([+-])(\d{2}):(\d{2}))?$/.exec(name);
  if (!m) return undefined;
  return m[1] ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
}

/** `new RegExp(pattern, flags)`, `undefined` for a pattern JS refuses. */
export function regExp(pattern, flags) {
  try {
    return new RegExp(pattern, flags);
  } catch {
    return undefined;
  }
}

/** `RegExp.prototype.test`, false if it throws. */
export function regExpTest(re, text) {
  try {
    return re.test(text);
  } catch {
    return false;
  }
}

/** 16 bytes from `crypto.getRandomValues`. */
export function randomBytes() {
  return crypto.getRandomValues(new Uint8Array(16));
}

/** An error's message, for the log. */
export function describe(error) {
  return String(error?.message ?? error);
}
