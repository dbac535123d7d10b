// The differential corpus for what `@growthbook/growthbook` 1.8.0 changed in
// conditions: the top-level `$savedGroup`, condition-type saved groups (and
// how `$inGroup`/`$notInGroup` treat typed entries), and `$elemMatch` skipping
// only null elements.
//
// Each case is written here by hand (name, condition, attributes, saved
// groups, and what Tailor is expected to do); the SDK's verdict is not: it is
// `evalCondition(attributes, condition, savedGroups)` from the installed SDK,
// with `savedGroups` passed as the SDK's `GrowthBook` passes its payload's
// `savedGroups` field (core.ts: `evalCondition(attrs, cond, ctx.global.savedGroups || {})`).
//
//   node tests/growthbook/sdk-1.8.mjs          rewrites tests/growthbook/sdk-1.8.json
//   node tests/growthbook/sdk-1.8.mjs --check  fails if the file is not what the SDK says
//
// `tailor` says what Tailor must do with the case (tests/growthbook_cases.rs):
//   absent                 give the SDK's verdict;
//   {refused: "condition"} refuse the condition (`Condition::compile`);
//   {refused: "groups"}    refuse the saved groups (`SavedGroups::compile`);
//   {refused: "reference"} refuse the condition against the groups (`SavedGroups::check`);
//   {differs: "why"}       give the opposite verdict, for the documented reason.
// A refusal is Tailor's one deliberate difference: what the SDK evaluates to
// "no match" silently (or, for cycles, to whatever the cut-off happens to
// give) is refused when the catalog is published.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { evalCondition } from '@growthbook/growthbook';

const HERE = import.meta.dirname;
const OUT = join(HERE, 'sdk-1.8.json');
const SDK_VERSION = createRequire(import.meta.url)('@growthbook/growthbook/package.json').version;

const list = (attributeKey, values) => ({ type: 'list', attributeKey, values });
const cond = (condition) => ({ type: 'condition', condition });
const ref = (id, attributeKey) => ({ $savedGroup: attributeKey === undefined ? { id } : { id, attributeKey } });
const REFUSED = (stage) => ({ refused: stage });

const beta = { beta: list('id', ['u1', 'u2', 42]) };
const enterprise = {
  enterprise: cond({ company_size: { $in: ['enterprise', 'large'] } }),
  beta: list('id', ['u1', 'u2']),
};

/** [name, condition, attributes, savedGroups, tailor?] */
const CASES = [
  // ---- $savedGroup with list groups --------------------------------------
  ['$savedGroup list - member', ref('beta'), { id: 'u1' }, beta],
  ['$savedGroup list - non-member', ref('beta'), { id: 'u9' }, beta],
  ['$savedGroup list - numbers are strict', ref('beta'), { id: '42' }, beta],
  ['$savedGroup list - number member', ref('beta'), { id: 42 }, beta],
  ['$savedGroup list - attribute missing', ref('beta'), { plan: 'pro' }, beta],
  ['$savedGroup list - array attribute intersects', ref('beta'), { id: ['x', 'u2'] }, beta],
  ['$savedGroup list - array attribute disjoint', ref('beta'), { id: ['x', 'y'] }, beta],
  ['$savedGroup list - attributeKey override wins', ref('beta', 'account'), { id: 'u9', account: 'u1' }, beta],
  ['$savedGroup list - attributeKey override, entry attribute ignored', ref('beta', 'account'), { id: 'u1', account: 'u9' }, beta],
  ['$savedGroup list - dotted attributeKey', ref('accounts', 'company.id'), { company: { id: 'c7' } }, { accounts: list('account', ['c7']) }],
  ['$savedGroup list - empty values', ref('none'), { id: 'u1' }, { none: list('id', []) }],
  ['$not $savedGroup list - empty values', { $not: ref('none') }, { id: 'u1' }, { none: list('id', []) }],
  ['$savedGroup list - entry without attributeKey, reference gives it', ref('ids', 'id'), { id: 'u1' }, { ids: { type: 'list', values: ['u1'] } }],
  ['$savedGroup list - neither entry nor reference gives an attribute', ref('ids'), { id: 'u1' }, { ids: { type: 'list', values: ['u1'] } }, REFUSED('reference')],
  ['$savedGroup and an attribute in one condition - both hold', { ...ref('beta'), plan: 'pro' }, { id: 'u1', plan: 'pro' }, beta],
  ['$savedGroup and an attribute in one condition - one fails', { ...ref('beta'), plan: 'pro' }, { id: 'u1', plan: 'free' }, beta],
  ['$savedGroup in $or', { $or: [ref('beta'), { plan: 'pro' }] }, { id: 'u9', plan: 'pro' }, beta],
  ['$savedGroup in $and', { $and: [ref('beta'), { plan: 'pro' }] }, { id: 'u9', plan: 'pro' }, beta],
  ['$savedGroup in $nor', { $nor: [ref('beta')] }, { id: 'u9' }, beta],
  ['$savedGroup in $not', { $not: ref('beta') }, { id: 'u1' }, beta],
  // `{"$elemMatch": {"$savedGroup": …}}` is an operator object (every key
  // starts with `$`), so the SDK reads `$savedGroup` as an unknown operator.
  ['$savedGroup alone in $elemMatch is an unknown operator', { members: { $elemMatch: ref('beta') } }, { members: [{ id: 'u9' }, { id: 'u2' }] }, beta, REFUSED('condition')],
  ['$savedGroup beside a field in $elemMatch tests each element', { members: { $elemMatch: { ...ref('beta'), active: true } } },
    { members: [{ id: 'u1', active: false }, { id: 'u2', active: true }] }, beta],
  ['$savedGroup beside a field in $elemMatch - no element passes both', { members: { $elemMatch: { ...ref('beta'), active: true } } },
    { members: [{ id: 'u1', active: false }, { id: 'u9', active: true }], id: 'u1' }, beta],
  ['$savedGroup is no longer an attribute name', ref('beta'), { $savedGroup: { id: 'beta' }, id: 'u9' }, beta],
  ['$savedGroup unknown id', ref('nope'), { id: 'u1' }, beta, REFUSED('reference')],
  ['$not $savedGroup unknown id', { $not: ref('nope') }, { id: 'u1' }, beta, REFUSED('reference')],
  ['$savedGroup on a v1 bare array', ref('legacy'), { id: 'u1' }, { legacy: ['u1'] }, REFUSED('reference')],
  ['$savedGroup on a v1 bare array with attributeKey', ref('legacy', 'id'), { id: 'u1' }, { legacy: ['u1'] }, REFUSED('reference')],
  ['$savedGroup reference is a string', { $savedGroup: 'beta' }, { id: 'u1' }, beta, REFUSED('condition')],
  ['$savedGroup reference is an array', { $savedGroup: ['beta'] }, { id: 'u1' }, beta, REFUSED('condition')],
  ['$savedGroup reference id is a number', { $savedGroup: { id: 1 } }, { id: 'u1' }, { 1: list('id', ['u1']) }, REFUSED('condition')],
  ['$savedGroup reference without id', { $savedGroup: { attributeKey: 'id' } }, { id: 'u1' }, beta, REFUSED('condition')],
  ['$savedGroup attributeKey null', { $savedGroup: { id: 'beta', attributeKey: null } }, { id: 'u1' }, beta, REFUSED('condition')],
  ['$savedGroup attributeKey a number', { $savedGroup: { id: 'beta', attributeKey: 5 } }, { id: 'u1' }, beta, REFUSED('condition')],
  ['$savedGroup reference with an unknown key (the SDK ignores it)', { $savedGroup: { id: 'beta', attributekey: 'account' } }, { id: 'u1' }, beta, REFUSED('condition')],
  ['$savedGroup as an attribute operator', { id: { $savedGroup: { id: 'beta' } } }, { id: 'u1' }, beta, REFUSED('condition')],
  ['$savedGroups (plural, authoring only) is an attribute path to the SDK', { $savedGroups: ['beta'] }, { id: 'u1' }, beta, REFUSED('condition')],

  // ---- condition groups ---------------------------------------------------
  ['condition group - matches', ref('enterprise'), { company_size: 'large' }, enterprise],
  ['condition group - does not match', ref('enterprise'), { company_size: 'smb' }, enterprise],
  ['condition group - attribute missing', ref('enterprise'), {}, enterprise],
  ['condition group - attributeKey override is ignored', ref('enterprise', 'plan'), { company_size: 'large', plan: 'x' }, enterprise],
  ['condition group - empty condition matches everyone', ref('all'), {}, { all: cond({}) }],
  ['condition group - in $not', { $not: ref('enterprise') }, { company_size: 'smb' }, enterprise],
  ['condition group - beside other clauses', { ...ref('enterprise'), plan: 'pro' }, { company_size: 'enterprise', plan: 'pro' }, enterprise],
  ['condition group - nested $savedGroup list', ref('beta-enterprise'), { id: 'u1', company_size: 'large' },
    { ...enterprise, 'beta-enterprise': cond({ $and: [ref('beta'), ref('enterprise')] }) }],
  ['condition group - nested, inner fails', ref('beta-enterprise'), { id: 'u9', company_size: 'large' },
    { ...enterprise, 'beta-enterprise': cond({ $and: [ref('beta'), ref('enterprise')] }) }],
  ['condition group - nested $inGroup on a v1 list', ref('vip'), { account: 'a1' },
    { vip: cond({ account: { $inGroup: 'accounts' } }), accounts: ['a1'] }],
  ['condition group - nested $notInGroup on a typed list', ref('not-beta'), { id: 'u9' },
    { 'not-beta': cond({ id: { $notInGroup: 'beta' } }), beta: list('id', ['u1']) }],
  ['condition group - diamond (two paths to one group)', ref('a'), { plan: 'pro' },
    { a: cond({ $and: [ref('b'), ref('c')] }), b: cond(ref('d')), c: cond(ref('d')), d: cond({ plan: 'pro' }) }],
  ['condition group - the same group twice in one condition', { $and: [ref('d'), { $not: { $not: ref('d') } }] }, { plan: 'pro' }, { d: cond({ plan: 'pro' }) }],
  ['condition group - in $elemMatch, evaluated on the element', { seats: { $elemMatch: { ...ref('admin'), active: true } } },
    { seats: [{ role: 'viewer', active: true }, { role: 'admin', active: true }] }, { admin: cond({ role: 'admin' }) }],
  ['condition group - with $elemMatch inside', ref('tagged'), { tags: ['a', 0] }, { tagged: cond({ tags: { $elemMatch: { $eq: 0 } } }) }],
  ['condition group - with a regex', ref('docs'), { url: '/docs/intro' }, { docs: cond({ url: { $regex: '^/docs/' } }) }],
  ['condition group - self cycle', ref('a'), { plan: 'pro' }, { a: cond(ref('a')) }, REFUSED('groups')],
  ['condition group - self cycle under $not matches', ref('a'), { plan: 'pro' }, { a: cond({ $not: ref('a') }) }, REFUSED('groups')],
  ['condition group - cycle in one $or branch', ref('a'), { plan: 'pro' }, { a: cond({ $or: [ref('a'), { plan: 'pro' }] }) }, REFUSED('groups')],
  ['condition group - two-group cycle', ref('a'), { plan: 'pro' }, { a: cond({ ...ref('b'), plan: 'pro' }), b: cond(ref('a')) }, REFUSED('groups')],
  ['condition group - a cycle among groups the condition never names', ref('ok'), { plan: 'pro' },
    { ok: cond({ plan: 'pro' }), c: cond(ref('d')), d: cond(ref('c')) }, REFUSED('groups')],
  ['condition group - names an unknown group', ref('a'), { plan: 'pro' }, { a: cond(ref('missing')) }, REFUSED('groups')],
  ['condition group - condition is null', ref('a'), {}, { a: { type: 'condition', condition: null } }, REFUSED('groups')],
  ['condition group - condition missing', ref('a'), {}, { a: { type: 'condition' } }, REFUSED('groups')],
  ['condition group - condition is an empty array (an object to JS)', ref('a'), {}, { a: { type: 'condition', condition: [] } }, REFUSED('groups')],
  ['condition group - condition is a string', ref('a'), {}, { a: { type: 'condition', condition: 'plan' } }, REFUSED('groups')],
  ['condition group - condition with an unknown operator', ref('a'), { plan: 'pro' }, { a: cond({ plan: { $equals: 'pro' } }) }, REFUSED('groups')],
  ['group of an unknown type', ref('a'), { id: 'u1' }, { a: { type: 'segment', attributeKey: 'id', values: ['u1'] } }, REFUSED('groups')],
  ['group without a type', ref('a'), { id: 'u1' }, { a: { attributeKey: 'id', values: ['u1'] } }, REFUSED('groups')],
  ['list group whose values are not an array', ref('a'), { id: 'u1' }, { a: list('id', 'u1') }, REFUSED('groups')],
  ['list group whose attributeKey is a number', ref('a'), { id: 'u1' }, { a: list(7, ['u1']) }, REFUSED('groups')],
  ['group entry null', ref('a'), { id: 'u1' }, { a: null }, REFUSED('groups')],

  // ---- $inGroup / $notInGroup and typed entries -------------------------
  ['$inGroup typed list - member', { id: { $inGroup: 'beta' } }, { id: 'u1' }, beta],
  ['$inGroup typed list - uses its own attribute, not the entry\'s', { account: { $inGroup: 'beta' } }, { id: 'u9', account: 'u1' }, beta],
  ['$notInGroup typed list - non-member', { id: { $notInGroup: 'beta' } }, { id: 'u9' }, beta],
  ['$notInGroup typed list - member', { id: { $notInGroup: 'beta' } }, { id: 'u1' }, beta],
  ['$inGroup v1 list still works', { id: { $inGroup: 'legacy' } }, { id: 'u1' }, { legacy: ['u1'] }],
  ['$notInGroup unknown id is an empty list', { id: { $notInGroup: 'nope' } }, { id: 'u1' }, beta],
  ['$inGroup unknown id is an empty list', { id: { $inGroup: 'nope' } }, { id: 'u1' }, beta],
  ['$inGroup on a condition group', { company_size: { $inGroup: 'enterprise' } }, { company_size: 'large' }, enterprise, REFUSED('reference')],
  ['$notInGroup on a condition group', { company_size: { $notInGroup: 'enterprise' } }, { company_size: 'smb' }, enterprise, REFUSED('reference')],
  ['$inGroup on a list group whose values are not an array', { id: { $inGroup: 'a' } }, { id: 'u1' }, { a: list('id', {}) }, REFUSED('groups')],
  ['$notInGroup on a malformed entry', { id: { $notInGroup: 'a' } }, { id: 'u9' }, { a: 5 }, REFUSED('groups')],
  ['$notInGroup on an entry of an unknown type', { id: { $notInGroup: 'a' } }, { id: 'u9' }, { a: { type: 'segment' } }, REFUSED('groups')],
  ['$notInGroup on an unknown id named like an Object.prototype member', { id: { $notInGroup: 'constructor' } }, { id: 'u1' }, beta,
    { differs: 'the SDK finds Object.prototype.constructor (a function, so a malformed entry: no match); Tailor sees only declared groups, so the id is unknown and the list empty' }],

  // ---- $elemMatch skips only null ----------------------------------------
  ['$elemMatch tests 0', { n: { $elemMatch: { $eq: 0 } } }, { n: [0] }, {}],
  ['$elemMatch tests ""', { n: { $elemMatch: { $eq: '' } } }, { n: [''] }, {}],
  ['$elemMatch tests false', { n: { $elemMatch: { $eq: false } } }, { n: [false] }, {}],
  ['$elemMatch tests false with a boolean value', { n: { $elemMatch: { $type: 'boolean' } } }, { n: [false] }, {}],
  ['$elemMatch skips null', { n: { $elemMatch: { $eq: null } } }, { n: [null] }, {}],
  ['$elemMatch skips null even for $exists false', { n: { $elemMatch: { $exists: false } } }, { n: [null, 1] }, {}],
  ['$elemMatch $lt 1 finds 0', { n: { $elemMatch: { $lt: 1 } } }, { n: [0, 5] }, {}],
  ['$elemMatch $ne true finds false', { n: { $elemMatch: { $ne: true } } }, { n: [true, false, null] }, {}],
  ['$elemMatch $not $gt 0 finds 0', { n: { $elemMatch: { $not: { $gt: 0 } } } }, { n: [3, 0] }, {}],
  ['$elemMatch $in with ""', { n: { $elemMatch: { $in: ['', 'a'] } } }, { n: [''] }, {}],
  ['$elemMatch given a number (an empty condition to the SDK)', { n: { $elemMatch: 0 } }, { n: [''] }, {}, REFUSED('condition')],
  ['$elemMatch string value on 0', { n: { $elemMatch: { $regex: '^0$' } } }, { n: [0] }, {}],
  ['$not $elemMatch with 0', { n: { $not: { $elemMatch: { $eq: 0 } } } }, { n: [0] }, {}],
  ['$elemMatch condition on 0 (paths of a number are null)', { n: { $elemMatch: { x: null } } }, { n: [0] }, {}],
  ['$elemMatch condition on null is skipped', { n: { $elemMatch: { x: null } } }, { n: [null] }, {}],
  ['$elemMatch condition on "" (length of a falsy string is null)', { n: { $elemMatch: { length: 0 } } }, { n: [''] }, {}],
  ['$elemMatch nested on [0]', { n: { $elemMatch: { $elemMatch: { $eq: 0 } } } }, { n: [[0]] }, {}],
  ['$elemMatch empty operator object on [0]', { n: { $elemMatch: {} } }, { n: [0] }, {}],
  ['$elemMatch empty operator object on [null]', { n: { $elemMatch: {} } }, { n: [null] }, {}],
  ['$elemMatch $size 0 on [[]]', { n: { $elemMatch: { $size: 0 } } }, { n: [[]] }, {}],
];

function build() {
  const seen = new Set();
  const cases = CASES.map(([name, condition, attributes, savedGroups, tailor]) => {
    if (seen.has(name)) throw new Error(`duplicate case name: ${name}`);
    seen.add(name);
    // The SDK may not mutate its inputs, but the corpus must record them as written.
    const args = structuredClone({ condition, attributes, savedGroups });
    const sdk = evalCondition(args.attributes, args.condition, args.savedGroups);
    if (typeof sdk !== 'boolean') throw new Error(`${name}: the SDK answered ${sdk}`);
    const c = { name, condition, attributes, savedGroups, sdk };
    if (tailor) c.tailor = tailor;
    return c;
  });
  return { sdk: '@growthbook/growthbook', version: SDK_VERSION, generator: 'tests/growthbook/sdk-1.8.mjs', cases };
}

/** One case per line, so a changed verdict is a one-line diff. */
export function render(corpus) {
  const { cases, ...head } = corpus;
  const lines = cases.map((c) => '    ' + JSON.stringify(c));
  const top = JSON.stringify(head).slice(1, -1);
  return `{${top},\n  "cases": [\n${lines.join(',\n')}\n  ]\n}\n`;
}

export function generate() {
  return render(build());
}

export const OUT_FILE = OUT;

if (import.meta.url === `file://${process.argv[1]}`) {
  if (SDK_VERSION !== '1.8.0') throw new Error(`expected @growthbook/growthbook 1.8.0, found ${SDK_VERSION}`);
  const text = generate();
  if (process.argv.includes('--check')) {
    if (readFileSync(OUT, 'utf8') !== text) {
      console.error('tests/growthbook/sdk-1.8.json is not what the installed SDK says; run node tests/growthbook/sdk-1.8.mjs');
      process.exit(1);
    }
    console.log('sdk-1.8.json matches the SDK');
  } else {
    writeFileSync(OUT, text);
    console.log(`wrote ${OUT}: ${CASES.length} cases`);
  }
}
