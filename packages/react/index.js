'use client';
// @tailor-edge/react: <TailorBlock name="hero">{fallback}</TailorBlock>, a
// Tailor marker that survives React hydration and client-side navigation.
//
// - Server: <tailor-block name="hero"><template data-tailor-fallback></template>
//   {fallback}</tailor-block>. The empty <template> is inert; it tells the
//   client whether the edge replaced the block's content (it is gone then).
// - Hydration: if the edge replaced the content, the block keeps the DOM's
//   markup (read once, rendered as dangerouslySetInnerHTML, kept in state);
//   otherwise the fallback hydrates as usual, interactive.
// - Client mount (after a client-side navigation): the fallback, marked
//   data-tailor-pending while the worker is asked for the block's decided
//   content (GET /__tailor/fragments, one request for the blocks mounted in
//   the same tick on the same path), then the answer's html, or the fallback
//   when the answer lacks the block, fails or is late.
import { createElement, useEffect, useState, useSyncExternalStore } from 'react';

const TAG = 'tailor-block';
const SENTINEL = 'data-tailor-fallback';
/** The endpoint's limit: at most this many blocks per request. */
const MAX_BLOCKS = 16;
/** A block name the edge knows (docs/markers.md); the endpoint refuses a request naming any other. */
const BLOCK_NAME = /^[a-z0-9_-]{1,64}$/;

const settings = { endpoint: '/__tailor/fragments', timeoutMs: 1500 };

/**
 * Module-wide options: `endpoint`, the fragments endpoint's URL (default
 * `/__tailor/fragments`, same origin); `timeoutMs`, how long a block waits
 * for its answer before it keeps its fallback (default 1500).
 */
export function configureTailor({ endpoint, timeoutMs } = {}) {
  if (endpoint !== undefined) settings.endpoint = String(endpoint);
  if (timeoutMs !== undefined) settings.timeoutMs = Number(timeoutMs);
}

// useSyncExternalStore reads the server snapshot on the server and while
// hydrating, the client snapshot otherwise: `true` means "this render must
// match server HTML".
const subscribeNothing = () => () => {};
const clientSnapshot = () => false;
const serverSnapshot = () => true;

/** The block's first state: { html: string | null, pending: boolean }. */
function initialState(name, matchingServerHtml) {
  if (typeof document === 'undefined') return { html: null, pending: false };
  if (!matchingServerHtml) return { html: null, pending: true };
  const element = findBlock(name);
  // Edge left the fallback (sentinel still there), or no marker: hydrate the children.
  if (!element || element.querySelector(`:scope > template[${SENTINEL}]`)) return { html: null, pending: false };
  return { html: element.innerHTML, pending: false };
}

function findBlock(name) {
  for (const element of document.getElementsByTagName(TAG)) {
    if (element.getAttribute('name') === name) return element;
  }
  return null;
}

/**
 * A personalizable block. `name` is the block's id in the catalog; the
 * children are the fallback. `timeoutMs` and `path` (default
 * `location.pathname`) apply to a client-side mount. Other props go to the
 * `tailor-block` element.
 */
export function TailorBlock({ name, children, timeoutMs, path, className, ...rest }) {
  const matchingServerHtml = useSyncExternalStore(subscribeNothing, clientSnapshot, serverSnapshot);
  const [state, setState] = useState(() => initialState(name, matchingServerHtml));

  useEffect(() => {
    if (!state.pending) return undefined;
    return askFragment(name, path ?? location.pathname, timeoutMs ?? settings.timeoutMs, (html) => {
      setState({ html, pending: false });
    });
    // Asked once per mount: a mounted block does not change its name.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [state.pending]);

  const props = { name, ...rest, suppressHydrationWarning: true };
  // A custom element: React 18 would render `className` as is; `class` works in 18 and 19.
  if (className !== undefined) props.class = className;
  if (state.pending) props['data-tailor-pending'] = '';
  if (state.html !== null) {
    return createElement(TAG, { ...props, key: 'edge', dangerouslySetInnerHTML: { __html: state.html } });
  }
  return createElement(TAG, { ...props, key: 'fallback' }, createElement('template', { [SENTINEL]: '' }), children);
}

// ---- batching: one request per endpoint and path for the blocks asked in one tick

/** endpoint + path → { endpoint, path, waiters: [{ name, done, finish }] } */
const batches = new Map();

/**
 * Asks for `name`'s html on `path`; `onDone(html)` is called once, with the
 * html or null (absent, failed, or not there within `timeoutMs`). Returns a
 * cancel function (unmount): `onDone` is then never called.
 */
function askFragment(name, path, timeoutMs, onDone) {
  if (!BLOCK_NAME.test(name)) {
    // Never a block: keep the fallback, and keep the others' request valid.
    let cancelled = false;
    queueMicrotask(() => { if (!cancelled) onDone(null); });
    return () => { cancelled = true; };
  }
  const endpoint = settings.endpoint;
  const key = `${endpoint}\n${path}`;
  let batch = batches.get(key);
  if (!batch) {
    batch = { endpoint, path, waiters: [] };
    batches.set(key, batch);
    if (batches.size === 1) setTimeout(flush, 0);
  }
  let timer;
  const waiter = {
    name,
    timeoutMs,
    done: false,
    finish(html) {
      if (waiter.done) return;
      waiter.done = true;
      clearTimeout(timer);
      onDone(html);
    },
  };
  timer = setTimeout(() => waiter.finish(null), timeoutMs);
  batch.waiters.push(waiter);
  return () => {
    waiter.done = true;
    clearTimeout(timer);
  };
}

function flush() {
  const due = [...batches.values()];
  batches.clear();
  for (const { endpoint, path, waiters } of due) {
    const names = [...new Set(waiters.map((w) => w.name))];
    for (let i = 0; i < names.length; i += MAX_BLOCKS) {
      const chunk = new Set(names.slice(i, i + MAX_BLOCKS));
      fetchBlocks(endpoint, path, [...chunk], waiters.filter((w) => chunk.has(w.name)));
    }
  }
}

async function fetchBlocks(endpoint, path, names, waiters) {
  const live = waiters.filter((w) => !w.done);
  if (live.length === 0) return;
  const controller = typeof AbortController === 'function' ? new AbortController() : null;
  // Nobody waits longer than the longest timeout among them.
  const abort = setTimeout(() => controller?.abort(), Math.max(...live.map((w) => w.timeoutMs)));
  let blocks = {};
  try {
    const url = new URL(endpoint, location.href);
    url.searchParams.set('path', path);
    for (const name of names) url.searchParams.append('block', name);
    const response = await fetch(url, {
      credentials: 'same-origin',
      headers: { accept: 'application/json' },
      signal: controller?.signal,
    });
    if (response.ok) {
      const body = await response.json();
      if (body && typeof body.blocks === 'object' && body.blocks !== null) blocks = body.blocks;
    }
  } catch {
    // failed or aborted: every waiter keeps its fallback
  } finally {
    clearTimeout(abort);
  }
  for (const waiter of waiters) {
    const html = Object.hasOwn(blocks, waiter.name) ? blocks[waiter.name]?.html : undefined;
    waiter.finish(typeof html === 'string' ? html : null);
  }
}
