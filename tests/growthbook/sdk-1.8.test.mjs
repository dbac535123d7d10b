// The SDK-side half of the GrowthBook differential tests: the installed
// `@growthbook/growthbook` is 1.8.0, it still passes the shared cases Tailor
// runs (cases.json, evalCondition), and tests/growthbook/sdk-1.8.json holds
// exactly its verdicts. The Rust half is tests/growthbook_cases.rs.
//
// Run with `node --test tests/growthbook/` (`make growthbook`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { evalCondition } from '@growthbook/growthbook';
import { generate, OUT_FILE } from './sdk-1.8.mjs';

const HERE = import.meta.dirname;

test('the installed SDK is 1.8.0', () => {
  const pkg = JSON.parse(readFileSync(join(HERE, '../../node_modules/@growthbook/growthbook/package.json'), 'utf8'));
  assert.equal(pkg.version, '1.8.0');
});

test('sdk-1.8.json is what the installed SDK says', () => {
  assert.equal(readFileSync(OUT_FILE, 'utf8'), generate(), 'run node tests/growthbook/sdk-1.8.mjs and review the diff');
});

test('the SDK passes the evalCondition cases Tailor runs (cases.json)', () => {
  const cases = JSON.parse(readFileSync(join(HERE, 'cases.json'), 'utf8')).evalCondition;
  const error = console.error;
  console.error = () => {}; // the SDK logs unknown operators
  try {
    for (const [name, condition, attributes, expected, savedGroups] of cases) {
      assert.equal(evalCondition(attributes, condition, savedGroups), expected, name);
    }
  } finally {
    console.error = error;
  }
});
