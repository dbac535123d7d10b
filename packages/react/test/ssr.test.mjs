// Server rendering with react-dom/server: the marker the edge looks for, with
// the fallback inside (and the inert sentinel the client checks on hydration).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createElement as h } from 'react';
import { renderToString, renderToStaticMarkup } from 'react-dom/server';
import { TailorBlock, configureTailor } from '../index.js';

test('renders <tailor-block name> with the fallback inside', () => {
  const html = renderToString(h('main', null, h(TailorBlock, { name: 'hero' }, h('h1', null, 'Default hero'))));
  assert.equal(html, '<main><tailor-block name="hero"><template data-tailor-fallback=""></template><h1>Default hero</h1></tailor-block></main>');
});

test('other props reach the element; nothing client-only is rendered on the server', () => {
  const html = renderToStaticMarkup(h(TailorBlock, { name: 'plan-cta', id: 'cta', className: 'cta', timeoutMs: 10, path: '/x' }, 'Start'));
  assert.match(html, /^<tailor-block [^>]*name="plan-cta"/);
  assert.match(html, / id="cta"/);
  assert.match(html, / class="cta"/);
  assert.doesNotMatch(html, /data-tailor-pending|timeoutMs|timeout|path=/i);
  assert.match(html, />Start<\/tailor-block>$/);
});

test('the edge-style marker regex of the repository finds the block', () => {
  const html = renderToString(h(TailorBlock, { name: 'hero' }, h('p', null, 'x')));
  assert.match(html, /<tailor-block name="hero">[\s\S]*?<\/tailor-block>/);
});

test('configureTailor accepts the documented options', () => {
  configureTailor({ endpoint: '/__tailor/fragments', timeoutMs: 1500 });
  configureTailor({});
});
