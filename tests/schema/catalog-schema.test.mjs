// The catalog source schema (catalog/catalog.schema.json) against the real
// validator. Every document here is checked twice: by the schema (Ajv, draft
// 2020-12, strict mode) and by `tailor catalog validate` (the Rust rules the
// control worker applies to a push). They must agree, except for the rules
// only the Rust validator can check (references between fields, uniqueness,
// conditions, HTML safety, files), which the schema's descriptions name and
// the RUST_ONLY table below pins down.
//
// Run with `node --test tests/schema/`. The CLI is built first with
// `cargo build --features cli`, as `make build` does; set TAILOR_BIN to use
// another binary (then nothing is built).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';

const ROOT = resolve(import.meta.dirname, '../..');
const SCHEMA_FILE = join(ROOT, 'catalog/catalog.schema.json');
const TAILOR = process.env.TAILOR_BIN ?? join(ROOT, 'target/debug/tailor');
const WORK = join(ROOT, 'target/schema-test');

const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8'));
const ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true });
const validate = ajv.compile(schema);

before(
  () => {
    if (!process.env.TAILOR_BIN) {
      execFileSync('cargo', ['build', '--quiet', '--features', 'cli'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    }
    rmSync(WORK, { recursive: true, force: true });
    mkdirSync(join(WORK, 'fragments'), { recursive: true });
    writeFileSync(join(WORK, 'fragments/hero-default.html'), '<h1 class="hero">Made for you</h1>\n');
  },
  { timeout: 900_000 },
);

/** The schema's verdict: null when valid, else Ajv's errors as text. */
function schemaErrors(doc) {
  return validate(doc) ? null : ajv.errorsText(validate.errors, { separator: '\n' });
}

/** `tailor catalog validate FILE`: { ok, output }. */
function cli(file) {
  const run = spawnSync(TAILOR, ['catalog', 'validate', file], { cwd: ROOT, encoding: 'utf8' });
  if (run.error) throw run.error;
  return { ok: run.status === 0, output: `${run.stdout}${run.stderr}`.trim() };
}

/** Writes `doc` under target/schema-test/ (beside its fragment files) and runs the CLI on it. */
function cliOn(name, doc) {
  const file = join(WORK, `${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.json`);
  writeFileSync(file, JSON.stringify(doc, null, 2));
  return cli(file);
}

// A small catalog using both a fragment file and inline HTML; every invalid
// document below is this one with a single change.
const BASE = {
  site: 'schema-test',
  blocks: {
    hero: {
      description: 'The landing page hero',
      default: 'default',
      variants: [
        { id: 'default', file: 'fragments/hero-default.html' },
        { id: 'fintech', html: '<h1 class="hero">For fintech</h1>', when: { industry: 'fintech' } },
      ],
    },
  },
};

/** BASE, changed by `edit`. */
function base(edit = () => {}) {
  const doc = structuredClone(BASE);
  edit(doc);
  return doc;
}

const hero = (doc) => doc.blocks.hero;
const signal = (when, extra = {}) => ({ id: 'pricing_interest', when, score: 1, cap: 5, lifetime: 'permanent', ...extra });
const experiment = (extra = {}) => ({ key: 'hero-test', variations: ['default', 'fintech'], ...extra });

// Valid for the schema and for Rust.
const VALID = [
  ['the base document', base()],
  ['an editor $schema reference', base((d) => { d.$schema = './catalog.schema.json'; })],
  ['no blocks at all', { site: 'empty', blocks: {} }],
  ['explicit nulls for optional fields (serde reads them as absent)', base((d) => {
    Object.assign(d, { $schema: null, pages: null, holdout: null, exploration: null, signal_settings: null, firmographics: null });
    Object.assign(hero(d), { description: null, experiment: null, bandit: null });
    Object.assign(hero(d).variants[0], { html: null, when: null });
    Object.assign(hero(d).variants[1], { file: null });
  })],
  ['boundary values', base((d) => {
    d.pages = ['/', '/pricing', '/docs/*', '/a**'];
    d.holdout = 0.5;
    d.exploration = { share: 0.5, period_hours: 1 };
    d.signal_settings = { half_life_hours: 1, visit_idle_minutes: 1 };
    d.signals = [signal({ all: [{ visit_page_views_at_least: 1000 }] }, { score: 0.1, cap: 100, lifetime: 'visit' })];
  })],
  ['defaults omitted', base((d) => {
    d.exploration = { share: 0 };
    d.signal_settings = {};
    hero(d).bandit = { arms: { default: [12, 88], fintech: [31, 69] } };
  })],
  ['every signal criterion', base((d) => {
    d.signals = [
      signal({ any: [
        { path: '/pricing*' },
        { query: { name: 'utm_campaign', value: 'dev-*' } },
        { query: { name: 'utm_source' } },
        { referrer_host: 'github.com' },
        { cookie: { name: 'plan_seen', value: 'yes' } },
        { visit_page_views_at_least: 3 },
      ] }),
      signal({ all: [{ path: '/docs/*' }] }, { id: 'developer_interest', lifetime: 'visit' }),
    ];
  })],
  ['a full experiment', base((d) => {
    hero(d).experiment = experiment({
      weights: [0.25, 0.75], coverage: 0.5, hashVersion: 2, seed: 'seed', namespace: ['ns', 0, 0.5],
      hashAttribute: 'id', when: { industry: { $exists: false } },
    });
  })],
  ['an experiment GrowthBook would run leniently (hashVersion 0, coverage clamped, arm repeated)', base((d) => {
    hero(d).experiment = experiment({ variations: ['default', 'default', 'fintech'], hashVersion: 0, coverage: 5, weights: [1, 2] });
  })],
  ['generation with a brief and every guardrail', base((d) => {
    hero(d).generate = { unmatched: true, approval: false, brief: 'A hero headline.', guardrails: {
      max_words: 40, max_chars: 280, refuse: ['guarantee', 'free forever'], require: ['Terms apply'], numbers: 'source' } };
  })],
  ['saved groups and firmographics', base((d) => {
    d.saved_groups = { beta: ['acme', 42] };
    hero(d).variants[1].when = { id: { $inGroup: 'beta' } };
    d.firmographics = {
      asn: { 64500: { industry: 'fintech', company_size: 'enterprise' }, 4294967295: {} },
      as_organization: { 'example health systems': { industry: 'healthcare' }, 'société générale': { company_size: null } },
    };
  })],
  ['GrowthBook 1.8 saved groups: typed lists, conditions, $savedGroup', base((d) => {
    d.saved_groups = {
      beta: { type: 'list', attributeKey: 'id', values: ['acme', 42] },
      fintech: { type: 'condition', condition: { industry: 'fintech' } },
      'beta-fintech': { type: 'condition', condition: { $and: [{ $savedGroup: { id: 'beta' } }, { $savedGroup: { id: 'fintech' } }] } },
    };
    hero(d).variants[1].when = { $savedGroup: { id: 'beta-fintech' } };
  })],
];

// Invalid for the schema and for Rust.
const INVALID = [
  ['an unknown top-level field', base((d) => { d.colour = 'blue'; })],
  ['a guardrail word limit of 0', base((d) => { hero(d).generate = { guardrails: { max_words: 0 } }; })],
  ['an unknown guardrail', base((d) => { hero(d).generate = { guardrails: { max_word: 10 } }; })],
  ['a blank refused phrase', base((d) => { hero(d).generate = { guardrails: { refuse: ['  '] } }; })],
  ['numbers other than source', base((d) => { hero(d).generate = { guardrails: { numbers: 'any' } }; })],
  ['hand-written source numbers', base((d) => { hero(d).generate = { guardrails: { numbers: 'source', source_numbers: ['1'] } }; })],
  ['an empty brief', base((d) => { hero(d).generate = { brief: '' }; })],
  ['an unknown variant field', base((d) => { hero(d).variants[1].wen = { industry: 'fintech' }; })],
  ['a variant with both html and file', base((d) => { hero(d).variants[0].html = '<p>Hi</p>'; })],
  ['a variant with neither html nor file', base((d) => { delete hero(d).variants[1].html; })],
  ['a variant with html and file both null', base((d) => { Object.assign(hero(d).variants[1], { html: null, file: null }); })],
  ['a bad block name', base((d) => { d.blocks.Hero = hero(d); delete d.blocks.hero; })],
  ['holdout 0.9', base((d) => { d.holdout = 0.9; })],
  ['a missing site', base((d) => { delete d.site; })],
  ['a missing default', base((d) => { delete hero(d).default; })],
  ['missing blocks', base((d) => { delete d.blocks; })],
  ['a bad site id', base((d) => { d.site = 'Schema Test'; })],
  ['an unknown block field', base((d) => { hero(d).name = 'hero'; })],
  ['a block without variants', base((d) => { hero(d).variants = []; })],
  ['a variant without id', base((d) => { delete hero(d).variants[1].id; })],
  ['a bad variant id', base((d) => { hero(d).variants[1].id = 'fin.tech'; })],
  ['a condition that is not an object', base((d) => { hero(d).variants[1].when = ['industry', 'fintech']; })],
  ['a fragment over 64 KiB', base((d) => { hero(d).variants[1].html = `<p>${'x'.repeat(64 * 1024)}</p>`; })],
  ['a page pattern with an inner *', base((d) => { d.pages = ['/docs/*/api']; })],
  ['a relative page', base((d) => { d.pages = ['pricing']; })],
  ['explicit null where serde has no Option', base((d) => { d.saved_groups = null; })],
  ['a saved group of an unknown type', base((d) => { d.saved_groups = { beta: { type: 'segment', values: [] } }; })],
  ['an exploration share over 0.5', base((d) => { d.exploration = { share: 0.6 }; })],
  ['an exploration period of 0', base((d) => { d.exploration = { share: 0.1, period_hours: 0 }; })],
  ['an experiment with one variation', base((d) => { hero(d).experiment = experiment({ variations: ['default'] }); })],
  ['an experiment with an empty key', base((d) => { hero(d).experiment = experiment({ key: '' }); })],
  ['an experiment with hashVersion 3', base((d) => { hero(d).experiment = experiment({ hashVersion: 3 }); })],
  ['a snake_case experiment field', base((d) => { hero(d).experiment = experiment({ hash_version: 2 }); })],
  ['a namespace of two items', base((d) => { hero(d).experiment = experiment({ namespace: ['ns', 0] }); })],
  ['a bandit arm with alpha 0', base((d) => { hero(d).bandit = { arms: { default: [0, 1] } }; })],
  ['a bandit arm of three numbers', base((d) => { hero(d).bandit = { arms: { default: [1, 2, 3] } }; })],
  ['a bandit period of 0', base((d) => { hero(d).bandit = { arms: { default: [1, 2] }, period_hours: 0 }; })],
  ['a signal id with a dash', base((d) => { d.signals = [signal({ any: [{ path: '/' }] }, { id: 'pricing-interest' })]; })],
  ['a signal without cap', base((d) => { d.signals = [signal({ any: [{ path: '/' }] })]; delete d.signals[0].cap; })],
  ['a signal score under 0.1', base((d) => { d.signals = [signal({ any: [{ path: '/' }] }, { score: 0.05 })]; })],
  ['an unknown lifetime', base((d) => { d.signals = [signal({ any: [{ path: '/' }] }, { lifetime: 'forever' })]; })],
  ['both all and any', base((d) => { d.signals = [signal({ all: [{ path: '/' }], any: [{ path: '/' }] })]; })],
  ['no criteria', base((d) => { d.signals = [signal({ any: [] })]; })],
  ['17 criteria', base((d) => { d.signals = [signal({ any: Array(17).fill({ path: '/' }) })]; })],
  ['a criterion with two tests', base((d) => { d.signals = [signal({ any: [{ path: '/', referrer_host: 'github.com' }] })]; })],
  ['an unknown criterion', base((d) => { d.signals = [signal({ any: [{ url: '/' }] })]; })],
  ['a path criterion without /', base((d) => { d.signals = [signal({ any: [{ path: 'pricing*' }] })]; })],
  ['an uppercase referrer host', base((d) => { d.signals = [signal({ any: [{ referrer_host: 'GitHub.com' }] })]; })],
  ['a referrer host with a scheme', base((d) => { d.signals = [signal({ any: [{ referrer_host: 'https://github.com' }] })]; })],
  ['an empty query name', base((d) => { d.signals = [signal({ any: [{ query: { name: '' } }] })]; })],
  ['visit page views 0', base((d) => { d.signals = [signal({ any: [{ visit_page_views_at_least: 0 }] })]; })],
  ['visit page views 2.5', base((d) => { d.signals = [signal({ any: [{ visit_page_views_at_least: 2.5 }] })]; })],
  ['a half-life under 1 hour', base((d) => { d.signal_settings = { half_life_hours: 0.5 }; })],
  ['an unknown signal setting', base((d) => { d.signal_settings = { visit_idle_hours: 1 }; })],
  ['an ASN over u32', base((d) => { d.firmographics = { asn: { 4294967296: { industry: 'fintech' } } }; })],
  ['a named ASN', base((d) => { d.firmographics = { asn: { AS64500: { industry: 'fintech' } } }; })],
  ['an ASN with a sign', base((d) => { d.firmographics = { asn: { '+64500': { industry: 'fintech' } } }; })],
  ['an ASN with leading zeros', base((d) => { d.firmographics = { asn: { '064500': { industry: 'fintech' } } }; })],
  ['an uppercase organization', base((d) => { d.firmographics = { as_organization: { 'Example Health': { industry: 'healthcare' } } }; })],
  ['an organization with a non-ASCII capital', base((d) => { d.firmographics = { as_organization: { 'société Générale': { industry: 'banking' } } }; })],
  ['a label with a space', base((d) => { d.firmographics = { asn: { 64500: { industry: 'fin tech' } } }; })],
  ['an unknown label', base((d) => { d.firmographics = { asn: { 64500: { country: 'fr' } } }; })],
];

// Valid for the schema, refused by Rust: what only `tailor catalog validate`
// checks. [name, document, a piece of the CLI's message].
const RUST_ONLY = [
  ['a default that names no variant', base((d) => { hero(d).default = 'nope'; }), 'blocks.hero.default'],
  ['duplicate variant ids', base((d) => { hero(d).variants[1].id = 'default'; }), 'duplicate variant id'],
  ['an experiment arm that names no variant', base((d) => { hero(d).experiment = experiment({ variations: ['default', 'nope'] }); }), 'blocks.hero.experiment'],
  ['a bandit arm that names no variant', base((d) => { hero(d).bandit = { arms: { nope: [1, 1] } }; }), 'blocks.hero.bandit.arms.nope'],
  ['duplicate signal ids', base((d) => { d.signals = [signal({ any: [{ path: '/' }] }), signal({ any: [{ path: '/' }] })]; }), 'signals.1.id'],
  ['a condition that does not compile', base((d) => { hero(d).variants[1].when = { industry: { $like: 'fin*' } }; }), 'blocks.hero.variants.1.when'],
  ['an invalid regex', base((d) => { hero(d).variants[1].when = { industry: { $regex: '(' } }; }), 'blocks.hero.variants.1.when'],
  ['a $savedGroup naming an undeclared group', base((d) => { hero(d).variants[1].when = { $savedGroup: { id: 'nope' } }; }), 'blocks.hero.variants.1.when'],
  ['condition groups in a cycle', base((d) => {
    d.saved_groups = { a: { type: 'condition', condition: { $savedGroup: { id: 'b' } } }, b: { type: 'condition', condition: { $not: { $savedGroup: { id: 'a' } } } } };
  }), 'cycle: a → b → a'],
  ['a phrase both refused and required', base((d) => { hero(d).generate = { guardrails: { refuse: ['Terms'], require: ['terms'] } }; }), 'both refused and required'],
  ['unsafe HTML', base((d) => { hero(d).variants[1].html = '<img src="x.png" onerror="alert(1)">'; }), 'unsafe HTML'],
  ['a missing fragment file', base((d) => { hero(d).variants[0].file = 'fragments/nope.html'; }), 'blocks.hero.variants.0.file'],
];

test('the schema is draft 2020-12 and compiles in Ajv strict mode', () => {
  assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
  assert.equal(schema.$id, 'https://tailor.dev/schemas/catalog-source-v1.json');
  assert.equal(typeof schema.title, 'string');
  assert.equal(typeof validate, 'function');
});

test('every property and definition has a description', () => {
  const missing = [];
  const visit = (node, path, restating = false) => {
    if (Array.isArray(node)) {
      node.forEach((item, i) => visit(item, `${path}/${i}`, restating));
      return;
    }
    if (node === null || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      if ((key === 'properties' && !restating) || key === '$defs') {
        for (const [name, sub] of Object.entries(value)) {
          if (typeof sub?.description !== 'string' || sub.description.length < 10) missing.push(`${path}/${key}/${name}`);
          visit(sub, `${path}/${key}/${name}`);
        }
      } else if (key === 'oneOf' || key === 'anyOf') {
        // Branches restate properties the parent declares and describes.
        visit(value, `${path}/${key}`, true);
      } else if (key !== 'properties' && key !== 'examples' && key !== 'enum') {
        visit(value, `${path}/${key}`, restating);
      }
    }
  };
  visit(schema, '#');
  assert.deepEqual(missing, []);
});

for (const file of ['catalog/demo.json', 'tests/fixtures/catalog.json']) {
  test(`${file} is valid for the schema and for the CLI`, () => {
    const doc = JSON.parse(readFileSync(join(ROOT, file), 'utf8'));
    assert.equal(schemaErrors(doc), null);
    const rust = cli(join(ROOT, file));
    assert.ok(rust.ok, rust.output);
  });
}

for (const [name, doc] of VALID) {
  test(`valid: ${name}`, () => {
    assert.equal(schemaErrors(doc), null);
    const rust = cliOn(`valid ${name}`, doc);
    assert.ok(rust.ok, `the CLI refuses what the schema accepts:\n${rust.output}`);
  });
}

for (const [name, doc] of INVALID) {
  test(`invalid: ${name}`, () => {
    assert.notEqual(schemaErrors(doc), null, 'the schema accepts it');
    const rust = cliOn(`invalid ${name}`, doc);
    assert.ok(!rust.ok, `the CLI accepts what the schema refuses:\n${rust.output}`);
  });
}

for (const [name, doc, message] of RUST_ONLY) {
  test(`beyond the schema, refused by the CLI: ${name}`, () => {
    assert.equal(schemaErrors(doc), null);
    const rust = cliOn(`rust-only ${name}`, doc);
    assert.ok(!rust.ok, `the CLI accepts it:\n${rust.output}`);
    assert.ok(rust.output.includes(message), `expected \`${message}\` in:\n${rust.output}`);
  });
}
