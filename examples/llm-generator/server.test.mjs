// The reference LLM generator against a local fake of the chat-completions
// API (127.0.0.1, port 0): `node --test examples/llm-generator/`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';

import { buildMessages, startLlmGenerator } from './server.mjs';
import { check, numbersIn, textOf } from './guardrails.mjs';

/** A fake chat-completions API: answers `reply` (text, or a function of the request), records every call. */
async function startFakeApi() {
  const state = { calls: [], reply: 'Hello', status: 200, delayMs: 0 };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      state.calls.push({ path: req.url, headers: req.headers, body: JSON.parse(body) });
      setTimeout(() => {
        if (res.destroyed) return;
        res.writeHead(state.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(state.status === 200
          ? { id: 'x', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: state.reply }, finish_reason: 'stop' }] }
          : { error: { message: 'overloaded' } }));
      }, state.delayMs);
    });
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    state,
    baseUrl: `http://127.0.0.1:${server.address().port}/v1`,
    stop: () => new Promise((ok) => { server.closeAllConnections?.(); server.close(ok); }),
  };
}

const BRIEF = 'A one-line call to action for the pricing page; mention the 14-day trial.';
const GUARDRAILS = { max_words: 12, refuse: ['money-back'], require: ['Terms apply'], numbers: 'source', source_numbers: ['14'] };
const REQUEST = {
  site: 'site-zzz-marker',
  block: 'block-zzz-marker',
  variant: 'variant-zzz-marker',
  catalog_version: 'v-zzzzzzzzzzzzzzzz',
  segment: { role: 'cto', industry: 'retail' },
  brief: BRIEF,
  guardrails: GUARDRAILS,
};

let api;
let generator;
before(async () => {
  api = await startFakeApi();
  generator = await startLlmGenerator({ baseUrl: api.baseUrl, model: 'test-model-1', apiKey: 'sk-test-key', timeoutMs: 300 });
});
after(async () => {
  await generator.stop();
  await api.stop();
});

const ask = async (request = REQUEST) => {
  const response = await fetch(generator.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: 'session=cookie-zzz-marker' },
    body: JSON.stringify(request),
  });
  return { status: response.status, type: response.headers.get('content-type'), body: await response.text() };
};

const reset = (opts) => Object.assign(api.state, { calls: [], reply: 'Hello', status: 200, delayMs: 0 }, opts);

test('a good draft is answered as escaped HTML', async () => {
  reset({ reply: 'Retail CTOs: start your 14-day trial <today>. Terms apply.' });
  const answer = await ask();
  assert.equal(answer.status, 200);
  assert.match(answer.type, /^text\/html/);
  assert.equal(answer.body, '<p class="tailor-generated">Retail CTOs: start your 14-day trial &#60;today&#62;. Terms apply.</p>');
});

test('the API sees the model, the key, and a prompt of the labels and the brief only', async () => {
  reset({ reply: 'Start your 14-day trial. Terms apply.' });
  await ask({ ...REQUEST, email: 'ada@example.com-zzz-marker', ip: '203.0.113.9' });
  assert.equal(api.state.calls.length, 1);
  const [call] = api.state.calls;
  assert.equal(call.path, '/v1/chat/completions');
  assert.equal(call.headers.authorization, 'Bearer sk-test-key');
  assert.equal(call.body.model, 'test-model-1');
  assert.deepEqual(call.body.messages, buildMessages(REQUEST.segment, BRIEF));
  const prompt = JSON.stringify(call.body.messages);
  assert.ok(prompt.includes('industry: retail') && prompt.includes('role: cto') && prompt.includes(BRIEF));
  for (const other of ['zzz', 'ada@', '203.0.113', 'Terms apply', 'money-back', 'source_numbers', 'max_words']) {
    assert.ok(!prompt.includes(other), `the prompt holds ${other}`);
  }
  // What the prompt is made of: a fixed system text, the brief, the labels.
  const user = call.body.messages[1].content;
  assert.equal(user, `Brief: ${BRIEF}\nAudience segment:\nindustry: retail\nrole: cto`);
});

test('an over-long draft is refused with the rule, the draft kept for review', async () => {
  reset({ reply: 'Retail CTOs, your 14-day trial is waiting with every feature unlocked today. Terms apply.' });
  const answer = await ask();
  assert.equal(answer.status, 422);
  assert.match(answer.type, /^application\/json/);
  const refusal = JSON.parse(answer.body);
  assert.deepEqual(refusal.refused, { rule: 'max_words', detail: '14 words; the limit is 12' });
  assert.match(refusal.html, /every feature unlocked/);
});

test('refused phrases, missing disclaimers and invented numbers are refused too', async () => {
  for (const [reply, rule] of [
    ['A money-back trial of 14 days. Terms apply.', 'refuse'],
    ['Start your 14-day trial today.', 'require'],
    ['Save 30% with a 14-day trial. Terms apply.', 'numbers'],
  ]) {
    reset({ reply });
    const answer = await ask();
    assert.equal(answer.status, 422, reply);
    assert.equal(JSON.parse(answer.body).refused.rule, rule, reply);
  }
});

test('the API failing or slow is a failure answer (not 200, not a refusal)', async () => {
  reset({ status: 500 });
  const failed = await ask();
  assert.equal(failed.status, 502);
  assert.match(failed.type, /^text\/plain/);
  reset({ reply: '' });
  assert.equal((await ask()).status, 502, 'no text');
  reset({ delayMs: 1000 });
  const slow = await ask();
  assert.equal(slow.status, 504);
  assert.match(slow.body, /longer than 300 ms/);
  const down = await startLlmGenerator({ baseUrl: 'http://127.0.0.1:9/v1', model: 'm', apiKey: 'k', timeoutMs: 300 });
  try {
    const res = await fetch(down.url, { method: 'POST', body: JSON.stringify(REQUEST) });
    assert.equal(res.status, 502);
  } finally {
    await down.stop();
  }
});

test('a request without a brief or segment is refused as bad, without calling the API', async () => {
  reset();
  assert.equal((await ask({ ...REQUEST, brief: undefined })).status, 400);
  assert.equal((await ask({ site: 'x' })).status, 400);
  assert.equal(api.state.calls.length, 0);
});

test('the guardrails read text as the edge does (src/catalog/guardrails.rs)', () => {
  assert.equal(textOf('<h2 class="x">Save&nbsp;<strong>time</strong></h2><p>Terms&amp;conditions</p>'), 'Save time Terms&conditions');
  assert.equal(textOf('Sm<em>all</em> <!-- hidden -->print'), 'Small print');
  assert.equal(textOf('<a title="x > y" href="/">go</a>'), 'go');
  assert.equal(textOf('1 < 2 &unknown; &#65;&#x42;'), '1 < 2 &unknown; AB');
  assert.deepEqual(numbersIn('80% of 1,000.5, in 2024. 24/7 B2B .5 x1.'), ['80', '1,000.5', '2024', '24', '7', '2', '5', '1']);
  assert.equal(check({ max_words: 3 }, '<p class="a b c d e">one two — three</p>'), null);
  assert.equal(check({ refuse: ['free  forever'] }, '<p>Free\n<b>forever</b></p>').rule, 'refuse');
  assert.equal(check({ numbers: 'source', source_numbers: ['1000'] }, '<p>1,000 seats</p>'), null);
});
