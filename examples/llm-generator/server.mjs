// A reference generator for Tailor (docs/generator.md) that asks a language
// model through an OpenAI-compatible chat-completions API. Node 20+, no
// dependencies.
//
//   OPENAI_BASE_URL=https://api.openai.com/v1 OPENAI_MODEL=… OPENAI_API_KEY=… \
//     node examples/llm-generator/server.mjs [--port 8788]
//
// POST /generate with Tailor's request ({site, block, variant,
// catalog_version, segment, brief?, guardrails?}) answers:
//   200 text/html          the draft, as escaped text in a fixed <p>
//   422 application/json   {"refused": {"rule", "detail"}, "html"}: the draft broke a guardrail
//   400 / 502 / 504 text/plain   a failure (bad request, the API failed, the API was too slow)
// The prompt holds the segment's labels and the block's brief, nothing else.
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';

import { check } from './guardrails.mjs';

/** Longest request body read. */
const MAX_BODY = 256 * 1024;
/** Longest label value and brief put in a prompt. */
const MAX_LABEL = 64;
const MAX_BRIEF = 2000;

const SYSTEM = [
  'You write short marketing copy for one block of a company website.',
  'Write for the audience segment described by the labels, following the brief.',
  'Answer with the copy only, as plain text: no markup, no quotes, no preamble.',
  'Do not invent figures, prices, guarantees, customer names or claims the brief does not make.',
].join(' ');

/**
 * The chat messages for a segment and a brief: the only inputs of a prompt.
 * Labels are sorted `name: value` lines; anything that is not a short string is left out.
 */
export function buildMessages(segment, brief) {
  const labels = Object.entries(segment ?? {})
    .filter(([name, value]) => typeof value === 'string' && /^[a-z_]{1,32}$/.test(name) && value.length <= MAX_LABEL)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}: ${value}`);
  return [
    { role: 'system', content: SYSTEM },
    { role: 'user', content: `Brief: ${String(brief).slice(0, MAX_BRIEF)}\nAudience segment:\n${labels.join('\n')}` },
  ];
}

const esc = (s) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The model's text as a fragment: escaped, one <p> per paragraph (the model writes no markup). */
export function toHtml(text) {
  const paragraphs = text.trim().split(/\n\s*\n/).map((p) => p.trim()).filter(Boolean);
  return paragraphs.map((p) => `<p class="tailor-generated">${esc(p)}</p>`).join('\n');
}

class Failure extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** Asks the chat-completions API; the draft's text, or a Failure (502 failed, 504 too slow). */
async function complete({ baseUrl, model, apiKey, timeoutMs, fetchImpl = fetch }, messages) {
  let response;
  try {
    response = await fetchImpl(`${baseUrl.replace(/\/+$/, '')}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body: JSON.stringify({ model, messages, temperature: 0.7, max_tokens: 400 }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    const slow = e?.name === 'TimeoutError' || e?.name === 'AbortError';
    throw new Failure(slow ? 504 : 502, slow ? `the model API took longer than ${timeoutMs} ms` : `the model API is unreachable: ${e?.message}`);
  }
  let answer;
  try {
    answer = await response.json();
  } catch (e) {
    const slow = e?.name === 'TimeoutError' || e?.name === 'AbortError';
    throw new Failure(slow ? 504 : 502, slow ? `the model API took longer than ${timeoutMs} ms` : `the model API answered ${response.status}, not JSON`);
  }
  if (!response.ok) throw new Failure(502, `the model API answered ${response.status}`);
  const text = answer?.choices?.[0]?.message?.content;
  if (typeof text !== 'string' || !text.trim()) throw new Failure(502, 'the model API answered no text');
  return text;
}

function send(res, status, type, body) {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

/** Handles one protocol request (already parsed); resolves to [status, type, body]. */
export async function generate(request, api) {
  if (!request || typeof request !== 'object' || !request.segment || typeof request.segment !== 'object') {
    return [400, 'text/plain', 'expected Tailor\'s generator request: {site, block, variant, catalog_version, segment, brief?, guardrails?}'];
  }
  if (typeof request.brief !== 'string' || !request.brief.trim()) {
    return [400, 'text/plain', `block ${String(request.block)} has no generate.brief in the catalog`];
  }
  let text;
  try {
    text = await complete(api, buildMessages(request.segment, request.brief));
  } catch (e) {
    if (e instanceof Failure) return [e.status, 'text/plain', e.message];
    return [502, 'text/plain', 'the model API call failed'];
  }
  const html = toHtml(text);
  const broken = check(request.guardrails, html);
  if (broken) return [422, 'application/json', JSON.stringify({ refused: broken, html })];
  return [200, 'text/html; charset=utf-8', html];
}

/**
 * Starts the generator on 127.0.0.1. `api`: { baseUrl, model, apiKey, timeoutMs }.
 * Returns { url, port, stop() }.
 */
export async function startLlmGenerator({ port = 0, host = '127.0.0.1', ...api }) {
  const settings = { timeoutMs: 8000, ...api };
  const server = createServer((req, res) => {
    const { pathname } = new URL(req.url, 'http://generator');
    if (req.method !== 'POST' || pathname !== '/generate') return send(res, 404, 'text/plain', 'POST /generate');
    const chunks = [];
    let size = 0;
    req.on('data', (d) => {
      size += d.length;
      if (size > MAX_BODY) req.destroy();
      else chunks.push(d);
    });
    req.on('end', async () => {
      let request;
      try {
        request = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return send(res, 400, 'text/plain', 'the body is not JSON');
      }
      const [status, type, body] = await generate(request, settings);
      if (status !== 200) console.log(`llm-generator: ${request.block}/${request.variant} → ${status} ${status === 422 ? JSON.parse(body).refused.rule : body}`);
      send(res, status, type, body);
    });
  });
  await new Promise((ok) => server.listen(port, host, ok));
  const actual = server.address().port;
  return {
    port: actual,
    url: `http://${host}:${actual}/generate`,
    stop: () => new Promise((ok) => { server.closeAllConnections?.(); server.close(ok); }),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { OPENAI_BASE_URL = 'https://api.openai.com/v1', OPENAI_MODEL, OPENAI_API_KEY, LLM_TIMEOUT_MS } = process.env;
  if (!OPENAI_MODEL || !OPENAI_API_KEY) {
    console.error('set OPENAI_MODEL and OPENAI_API_KEY (and OPENAI_BASE_URL for another OpenAI-compatible API)');
    process.exit(2);
  }
  const i = process.argv.indexOf('--port');
  const generator = await startLlmGenerator({
    port: i > 0 ? Number(process.argv[i + 1]) : 8788,
    baseUrl: OPENAI_BASE_URL,
    model: OPENAI_MODEL,
    apiKey: OPENAI_API_KEY,
    timeoutMs: Number(LLM_TIMEOUT_MS ?? 8000),
  });
  console.log(`llm generator on ${generator.url} (model ${OPENAI_MODEL} at ${OPENAI_BASE_URL})`);
}
