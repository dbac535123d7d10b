// The page worker's JS fast path (src/worker/fast-path.mjs) against the Rust
// rules it repeats, case by case: tests/route-rules.json is written from
// src/route/ by tests/route_rules.rs (`cargo test` fails when it is stale).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './harness.mjs';
import { STATIC_EXTENSIONS, OWN_PREFIXES, isNeverPersonalized, pathOf, originOf, rebased } from '../../src/worker/fast-path.mjs';

const RULES = JSON.parse(readFileSync(join(ROOT, 'tests/route-rules.json'), 'utf8'));

test('the fast path knows the same static extensions and prefixes as Rust', () => {
  assert.deepEqual([...STATIC_EXTENSIONS], RULES.staticExtensions);
  assert.deepEqual(OWN_PREFIXES, RULES.ownPrefixes);
});

test('every request Rust passes through untouched, and only those, skips wasm', () => {
  assert.ok(RULES.routes.length > 500, `${RULES.routes.length} cases`);
  for (const { method, path, range, passThrough } of RULES.routes) {
    assert.equal(isNeverPersonalized(method, path, () => range), passThrough, `${JSON.stringify(method)} ${path} range=${range}`);
  }
});

test('the Range header is read only when the method and path leave it to decide', () => {
  let asked = 0;
  isNeverPersonalized('GET', '/logo.png', () => { asked += 1; return false; });
  isNeverPersonalized('POST', '/', () => { asked += 1; return false; });
  isNeverPersonalized('GET', '/__tailor/decide', () => { asked += 1; return false; });
  assert.equal(asked, 0);
});

test('paths are read from URLs as Rust reads them', () => {
  for (const { url, path } of RULES.pathOf) assert.equal(pathOf(url), path, url);
});

test('the origin is ORIGIN_URL, else the ASSETS binding, else the route, and a request keeps its path and query there', () => {
  assert.deepEqual(originOf('https://origin.example///', true), { url: 'https://origin.example' });
  assert.deepEqual(originOf('', true), { assets: true });
  assert.deepEqual(originOf(undefined, false), { route: true });
  assert.equal(rebased('https://o.example', 'https://site.example/p?q=1#f'), 'https://o.example/p?q=1');
  assert.equal(rebased('https://o.example', 'http://127.0.0.1:8787'), 'https://o.example/');
});
