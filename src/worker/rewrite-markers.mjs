// Fills Tailor's marked blocks through workerd's HTMLRewriter, and keeps the
// page whole when the rewriter fails mid-stream.
//
// workerd's rewriter (lol-html, strict mode, 3 MiB memory cap) can fail
// after the response has started: a marker start tag over 3 MiB, or HTML
// whose text type strict mode cannot decide (`<noscript>` inside `<select>`).
// Piped straight to the client, the page would then end at the error (200,
// a prefix). So the origin's bytes go to the rewriter through this module,
// which holds the rewriter's output back until a checkpoint: a point where
// the output so far is known to be the whole rewrite of the input so far.
// When the rewriter fails, the output held since the last checkpoint is
// dropped and the origin's own bytes follow from there, untouched: the blocks
// already delivered stay personalized, the block being rewritten keeps the
// origin's content, and the document is whole.
//
// A checkpoint is taken when the rewriter has had all the input given and
//   - every marker the rewriter has met since the last checkpoint starts a
//     chunk of the output held (workerd sends its output so far before each
//     element handler call, so a marker's output starts a chunk; without
//     this, output that lags behind at a marker can end like the input: two
//     adjacent blocks both end in `</tailor-block>`),
//   - the output held ends like the input given since the last checkpoint
//     (after the last block, the rewriter copies bytes; output that ends
//     earlier means it still holds a token, or has not delivered it all), and
//   - no block filled since the last checkpoint is still open (while it is,
//     the output ends with its fill).
// A tag left unfinished at the end of an origin chunk waits for the next
// chunk, so a piece usually ends between tokens and the checkpoint passes at
// once: the page streams as it did.

const AS_HTML = { html: true };
/** Bytes compared at a checkpoint, and how many of them must be equal. */
const TAIL_BYTES = 64;
const MATCH_BYTES = 12;
/** Input held back from the rewriter while waiting for a `<` to cut before. */
const MAX_CARRY_BYTES = 256 * 1024;
const LESS_THAN = 0x3c;
const GREATER_THAN = 0x3e;
const SLASH = 0x2f;
const ENCODER = new TextEncoder();
const EMPTY = new Uint8Array(0);
/** Bounds of one read of the origin or the rewriter (see `bigChunkReader`). */
const MIN_READ_BYTES = 16 * 1024;
const MAX_READ_BYTES = 256 * 1024;
/** Rewriter failures in this isolate (logged at 1, 2, 4, 8…). */
let failures = 0;

/**
 * `response` (an HTML page with a body) with its marked blocks filled from
 * `fills` (a Map: block name → HTML), as workerd's `HTMLRewriter` streams it.
 * `guarded`: keep the page whole if the rewriter fails (above); without it,
 * the rewriter's output goes straight to the client, which costs less CPU
 * (docs/benchmarks.md) but cuts the page where the rewriter fails.
 * Returns `[response, filled]`: `filled` resolves, once the page has been
 * streamed, to the names of the blocks whose fill reached the client (what
 * exposures are sent for; a fill the guard replaced with the origin's bytes
 * is not among them).
 */
export function rewriteMarkers(response, selector, attribute, fills, guarded) {
  /** Names of the blocks filled that reached the client, and the promise of them. */
  const sent = [];
  let report;
  const filled = new Promise((resolve) => {
    report = () => resolve(sent);
  });
  if (!guarded) {
    // Unguarded, a fill is in the output as soon as it is made; a page cut by
    // a rewriter failure never ends its document, and reports nothing.
    const element = filler(attribute, fills, (html, name) => {
      if (html !== undefined) sent.push(name);
    });
    const rewritten = new HTMLRewriter()
      .on(selector, { element })
      .onDocument({ end: () => report() })
      .transform(response);
    return [rewritten, filled];
  }
  /** Markers met since the last checkpoint, and chunks of the output held that start with one. */
  let markersSince = 0;
  let markerChunks = 0;
  /** Blocks filled since the last checkpoint (their names), and the last one's HTML. */
  let filledSince = [];
  let lastFill = '';
  const element = filler(attribute, fills, (html, name) => {
    markersSince += 1;
    if (html === undefined) return;
    filledSince.push(name);
    lastFill = html;
  });
  /** The blocks filled since the last checkpoint have reached the client. */
  const commit = () => {
    sent.push(...filledSince);
    filledSince = [];
  };

  /** The marker's tag name (`tailor-block` of `tailor-block[name]`), lowercase bytes. */
  const markerTag = ENCODER.encode(/^[a-z0-9-]*/i.exec(selector)[0].toLowerCase());
  const blockStillOpen = (out) =>
    lastFill.length > 0 ? endsWith(out, ENCODER.encode(lastFill)) : !endsOutsideMarkers(out, markerTag);
  const origin = bigChunkReader(response.body);
  /** Read from the origin, not yet given to the rewriter (starts at a `<`). */
  let carry = [];
  /** Given to the rewriter since the last checkpoint. */
  let given = [];
  /** The rewriter's output since the last checkpoint. */
  let held = [];
  let failed = false;
  /** Set when reading the origin's body failed (a reset, say): `{ error }`. */
  let originError = null;
  /** Checkpoints taken (each sends the output held to the client). */
  let checkpoints = 0;
  /** The rewriter has had all input so far and waits for the origin. */
  let waitingForOrigin = false;
  /** The origin read in progress for the rewriter, if any. */
  let feeding = Promise.resolve();
  let client;

  // First: the rewriter may ask for input (and a checkpoint send output) at once.
  const body = new ReadableStream(
    {
      start(controller) {
        client = controller;
      },
      pull: deliver,
      cancel(reason) {
        output.cancel(reason).catch(() => {});
        origin.cancel(reason).catch(() => {});
        report();
      },
    },
    { highWaterMark: 0 },
  );
  const input = new ReadableStream(
    {
      pull(controller) {
        feeding = feed(controller);
        return feeding;
      },
      // The rewriter gave up: the client's side (`fail`) takes over.
      cancel() {},
    },
    { highWaterMark: 0 },
  );
  const rewritten = new HTMLRewriter()
    .on(selector, { element })
    .transform(new Response(input, { status: response.status, statusText: response.statusText, headers: response.headers }));
  const output = bigChunkReader(rewritten.body);

  async function feed(controller) {
    checkpoint();
    for (;;) {
      waitingForOrigin = true;
      const { done, value } = await origin
        .read()
        .catch((error) => {
          originError = { error };
          throw error;
        })
        .finally(() => {
          waitingForOrigin = false;
        });
      if (failed) {
        if (!done) carry.push(value);
        return;
      }
      if (done) {
        const rest = concat(carry);
        carry = [];
        if (rest.byteLength > 0 && !give(controller, rest)) return;
        try {
          controller.close();
        } catch {
          // The rewriter has given up: `fail` sends what it was given.
        }
        return;
      }
      const piece = cutBeforeUnfinishedTag(value);
      if (piece.byteLength === 0) continue;
      give(controller, piece);
      return;
    }
  }

  /**
   * What can go to the rewriter now: the chunk, less an unfinished tag at its
   * end (from its last `<` with no `>` after it), unless that is far back.
   */
  function cutBeforeUnfinishedTag(chunk) {
    const lastOpen = chunk.lastIndexOf(LESS_THAN);
    const lastClose = chunk.lastIndexOf(GREATER_THAN);
    const cut = lastOpen > lastClose ? lastOpen : -1;
    const stillInTag = lastOpen < 0 && lastClose < 0 && carry.length > 0;
    if (stillInTag && length(carry) + chunk.byteLength <= MAX_CARRY_BYTES) {
      carry.push(chunk);
      return EMPTY;
    }
    if (cut < 0) {
      const piece = concat([...carry, chunk]);
      carry = [];
      return piece;
    }
    const piece = concat([...carry, chunk.subarray(0, cut)]);
    carry = [chunk.subarray(cut)];
    return piece;
  }

  /** Gives `piece` to the rewriter; false if it has already given up. */
  function give(controller, piece) {
    given.push(piece);
    try {
      // A copy: the rewriter may take the buffer it is given.
      controller.enqueue(piece.slice());
      return true;
    } catch {
      // The rewriter has given up: `fail` sends `given`.
      return false;
    }
  }

  function checkpoint() {
    if (failed || markerChunks < markersSince || !sameTail(held, given)) return;
    const out = concat(held);
    // A block filled since the last checkpoint must have ended: the origin's
    // bytes inside it are not in the output, so the rest of the page could
    // not follow from here. While it is open the output ends with its fill
    // (the rewriter drops the origin's content up to the end tag). Looked
    // for in the output, not with an end-tag handler: each handler call
    // costs workerd ~0.1 ms (docs/benchmarks.md).
    if (filledSince.length > 0 && blockStillOpen(out)) {
      held = [out];
      return;
    }
    // One chunk: each chunk through a JS stream costs workerd tens of µs.
    client.enqueue(out);
    commit();
    checkpoints += 1;
    markersSince = 0;
    markerChunks = 0;
    held = [];
    given = [];
  }

  // A pull must enqueue before it returns: the stream does not pull again
  // for a read still waiting (Streams spec), so this reads the rewriter
  // until a checkpoint has sent something to the client.
  async function deliver(controller) {
    const before = checkpoints;
    while (checkpoints === before) {
      if (failed) return passThrough(controller);
      let result;
      try {
        result = await output.read();
      } catch (error) {
        if (originError) {
          // The origin's body broke: the client gets what the rewriter made
          // of it, then the same break, as without the guard.
          if (held.length > 0) controller.enqueue(concat(held));
          held = [];
          commit();
          report();
          controller.error(originError.error);
          return;
        }
        await fail(controller, error);
        return passThrough(controller);
      }
      if (result.done) {
        if (held.length > 0) controller.enqueue(concat(held));
        held = [];
        given = [];
        commit();
        report();
        controller.close();
        return;
      }
      held.push(result.value);
      if (result.value[0] === LESS_THAN && startsWithTag(result.value, 1, markerTag)) markerChunks += 1;
      // The rewriter may have asked for more input before this output arrived.
      if (waitingForOrigin) checkpoint();
    }
  }

  async function fail(controller, error) {
    failed = true;
    failures += 1;
    if ((failures & (failures - 1)) === 0) {
      console.error(`tailor: the HTML rewriter failed mid-page (${failures} in this isolate); the rest of the page is the origin's:`, String(error));
    }
    output.cancel().catch(() => {});
    await feeding.catch(() => {});
    held = [];
    // The blocks filled since the last checkpoint are replaced by the origin's bytes.
    filledSince = [];
    const rest = concat([...given, ...carry]);
    if (rest.byteLength > 0) controller.enqueue(rest);
    given = [];
    carry = [];
  }

  async function passThrough(controller) {
    const { done, value } = await origin.read();
    if (done) {
      report();
      controller.close();
    } else controller.enqueue(value);
  }

  return [new Response(body, rewritten), filled];
}

/**
 * The element handler: fills a marker from `fills` by its `attribute`, then
 * tells `met(html, name)`, `html` undefined when the marker keeps its content. It
 * never throws: workerd cuts the page at an element whose handler throws. A
 * failed lookup or fill leaves the origin's content.
 */
function filler(attribute, fills, met) {
  return (el) => {
    let filled;
    let name = null;
    try {
      name = el.getAttribute(attribute);
      const html = name === null ? undefined : fills.get(name);
      if (typeof html === 'string') {
        el.setInnerContent(html, AS_HTML);
        filled = html;
      }
    } catch {
      // The element keeps the origin's content.
    }
    met(filled, name);
  };
}

/**
 * A reader of `stream` whose `read()` returns as much as the stream has, up to
 * a buffer that starts at MIN_READ_BYTES and doubles, up to MAX_READ_BYTES,
 * each time a read fills it (a byte stream; otherwise the default reader).
 * workerd's default reader returns 4 KiB chunks, and each chunk through JS
 * costs it tens of µs; a large buffer for every read costs its zeroing.
 */
function bigChunkReader(stream) {
  let reader;
  try {
    reader = stream.getReader({ mode: 'byob' });
  } catch {
    return stream.getReader();
  }
  let size = MIN_READ_BYTES;
  return {
    async read() {
      const result = await reader.read(new Uint8Array(size));
      if (result.done) return result;
      const got = result.value.byteLength;
      if (got === size) size = Math.min(size * 2, MAX_READ_BYTES);
      // A short read keeps only its bytes, not the whole buffer.
      return got < size / 4 ? { done: false, value: result.value.slice() } : result;
    },
    cancel: (reason) => reader.cancel(reason),
  };
}

/**
 * Whether two chunk lists end alike: in their last TAIL_BYTES, or in the
 * MATCH_BYTES just after a filled block ended near the end (the fill differs
 * from the origin's content before it).
 */
function sameTail(a, b) {
  const n = Math.min(TAIL_BYTES, length(a), length(b));
  let same = 0;
  while (same < n && byteFromEnd(a, same + 1) === byteFromEnd(b, same + 1)) same += 1;
  return same >= Math.min(MATCH_BYTES, n) && n > 0;
}

/**
 * Whether `out` ends outside any `tag` element: its last `<tag` or `</tag`
 * (ASCII case-insensitive) is an end tag. Neither: outside (fills never hold
 * the marker tag, the sanitizer does not allow it). For an empty fill only.
 */
function endsOutsideMarkers(out, tag) {
  for (let at = out.lastIndexOf(LESS_THAN); at >= 0; at = at === 0 ? -1 : out.lastIndexOf(LESS_THAN, at - 1)) {
    const end = out[at + 1] === SLASH;
    if (startsWithTag(out, at + (end ? 2 : 1), tag)) return end;
  }
  return true;
}

function endsWith(bytes, suffix) {
  if (suffix.length > bytes.length) return false;
  const from = bytes.length - suffix.length;
  for (let i = 0; i < suffix.length; i += 1) {
    if (bytes[from + i] !== suffix[i]) return false;
  }
  return true;
}

function startsWithTag(bytes, at, tag) {
  if (at + tag.length > bytes.length) return false;
  for (let i = 0; i < tag.length; i += 1) {
    if ((bytes[at + i] | 0x20) !== tag[i]) return false;
  }
  const next = bytes[at + tag.length];
  return next === undefined || next === GREATER_THAN || next === SLASH || next <= 0x20;
}

function length(chunks) {
  return chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
}

/** The i-th byte from the end (1 = last) of a chunk list. */
function byteFromEnd(chunks, i) {
  for (let c = chunks.length - 1; c >= 0; c -= 1) {
    const chunk = chunks[c];
    if (i <= chunk.byteLength) return chunk[chunk.byteLength - i];
    i -= chunk.byteLength;
  }
  return -1;
}

function concat(chunks) {
  if (chunks.length === 1) return chunks[0];
  const all = new Uint8Array(length(chunks));
  let at = 0;
  for (const chunk of chunks) {
    all.set(chunk, at);
    at += chunk.byteLength;
  }
  return all;
}
