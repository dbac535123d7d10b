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

test('the origin and the URL a request is sent to there are chosen as in Rust', () => {
  for (const { originUrl, assets, target, rebases = [] } of RULES.origins) {
    const chosen = originOf(originUrl ?? undefined, assets);
    assert.deepEqual(chosen, target, JSON.stringify({ originUrl, assets }));
    for (const { url, rebased: expected } of rebases) assert.equal(rebased(chosen.url, url), expected, url);
  }
});
