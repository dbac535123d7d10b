// Tests for the Node reference signer/verifier. Run: node --test examples/node/
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { deriveKey, edgeIdFromCookieHeader, encodePayload, parsePayload, setCookieHeader, sign, verify } from './profile-cookie.mjs';

const VECTORS_PATH = fileURLToPath(new URL('../../tests/vectors/profile-cookie.json', import.meta.url));
const vectors = existsSync(VECTORS_PATH) ? JSON.parse(readFileSync(VECTORS_PATH, 'utf8')) : null;
const NO_VECTORS = vectors ? false : `${VECTORS_PATH} does not exist yet`;

// A fixed key: bytes 0x00..0x1f, base64url.
const SECRET = Buffer.from(Array.from({ length: 32 }, (_, n) => n)).toString('base64url');
const SECRET2 = Buffer.alloc(32, 7).toString('base64url');
const KEYS = [
  { kid: 'k2026a', secret: SECRET },
  { kid: 'k2025b', secret: SECRET2 },
];
const NOW = 1795003600;
const FULL = {
  i: 1795000000,
  e: 1797592000,
  ind: 'fintech',
  role: 'cto',
  size: 'enterprise',
  stage: 'lead',
  bid: 'Zk3qL9xT2mVbQ0aa',
  x: [['hero-test', 1]],
  c: 'pa',
};
// Known answer shared with examples/python/test_profile_cookie.py.
const FULL_COOKIE =
  'v1.k2026a.i=1795000000&e=1797592000&ind=fintech&role=cto&size=enterprise&stage=lead' +
  '&bid=Zk3qL9xT2mVbQ0aa&x=hero-test~1&c=pa.sKjObW1EVzYv4roPZPhZVA9CC034kglXfd0uyZ3GAmU';

/** A cookie with an arbitrary payload and a valid tag (to reach the checks after the tag). */
function signRaw(payload, { kid = 'k2026a', secret = SECRET, cookieName = '__Host-tailor_profile' } = {}) {
  const tag = createHmac('sha256', deriveKey(secret))
    .update(`${cookieName}\nv1.${kid}.${payload}`)
    .digest('base64url');
  return `v1.${kid}.${payload}.${tag}`;
}

describe('shared vectors (tests/vectors/profile-cookie.json)', { skip: NO_VECTORS }, () => {
  test('the edge id is read from a Cookie header as the edge writes it', () => {
    assert.ok(vectors.edge_id.length >= 5);
    for (const v of vectors.edge_id) assert.equal(edgeIdFromCookieHeader(v.cookie_header), v.id, v.name);
  });

  test('format', () => {
    assert.equal(vectors.format, 'tailor-profile-cookie-v1-vectors');
    assert.ok(vectors.sign.length > 0 && vectors.verify.length > 0);
  });
  const keyFor = (kid) => {
    const key = vectors.keys.find((k) => k.kid === kid);
    assert.ok(key, `no key ${kid} in vectors.keys`);
    return key;
  };
  for (const v of vectors?.sign ?? []) {
    test(`sign: ${v.name}`, () => {
      const args = {
        cookieName: v.cookie_name ?? vectors.cookie_name,
        kid: v.kid,
        secret: keyFor(v.kid).secret,
        profile: v.profile,
      };
      if (v.cookie === undefined) {
        assert.throws(() => sign(args), Error);
      } else {
        assert.equal(sign(args), v.cookie);
      }
    });
  }
  for (const v of vectors?.verify ?? []) {
    test(`verify: ${v.name}`, () => {
      const result = verify(v.cookie, {
        cookieName: v.cookie_name ?? vectors.cookie_name,
        keys: v.keys ?? vectors.keys,
        now: v.now ?? vectors.now,
      });
      if (v.ok) {
        assert.deepEqual(result, { ok: true, kid: v.kid ?? result.kid, profile: v.profile });
        if (v.kid !== undefined) assert.equal(result.kid, v.kid);
      } else {
        assert.deepEqual(result, { ok: false, reason: v.reason });
      }
    });
  }
});

describe('sign and verify', () => {
  test('known answer (same as the Python tests)', () => {
    assert.equal(sign({ kid: 'k2026a', secret: SECRET, profile: FULL }), FULL_COOKIE);
    assert.ok(Buffer.byteLength(FULL_COOKIE) <= 170);
    // Trailing "=" padding on a secret is tolerated, as the edge does.
    assert.equal(sign({ kid: 'k2026a', secret: `${SECRET}=`, profile: FULL }), FULL_COOKIE);
  });

  test('round trip', () => {
    const profiles = [
      FULL,
      { i: 0, e: 1, c: '-' },
      { i: NOW, e: NOW + 400 * 86400, plan: 'pro', c: 'p' },
      {
        i: NOW - 10,
        e: NOW + 60,
        x: [
          ['a', 0],
          ['b-2', 99],
          ['c', 5],
          ['d', 10],
        ],
        c: 'a',
      },
    ];
    for (const profile of profiles) {
      for (const { kid, secret } of KEYS) {
        const cookie = sign({ kid, secret, profile });
        const now = profile.i === 0 ? 0 : NOW;
        assert.deepEqual(verify(cookie, { keys: KEYS, now }), { ok: true, kid, profile });
      }
    }
  });

  test('key order and rotation: any listed key verifies, an unlisted one is unknown-key', () => {
    const cookie = sign({ kid: 'k2025b', secret: SECRET2, profile: FULL });
    assert.equal(verify(cookie, { keys: KEYS, now: NOW }).kid, 'k2025b');
    assert.deepEqual(verify(cookie, { keys: KEYS.slice(0, 1), now: NOW }), { ok: false, reason: 'unknown-key' });
    // Same kid, other secret.
    assert.deepEqual(verify(cookie, { keys: [{ kid: 'k2025b', secret: SECRET }], now: NOW }), {
      ok: false,
      reason: 'bad-signature',
    });
  });

  test('the cookie name is signed', () => {
    const cookie = sign({ cookieName: 'tailor_profile', kid: 'k2026a', secret: SECRET, profile: FULL });
    assert.equal(verify(cookie, { cookieName: 'tailor_profile', keys: KEYS, now: NOW }).ok, true);
    assert.deepEqual(verify(cookie, { keys: KEYS, now: NOW }), { ok: false, reason: 'bad-signature' });
  });

  test('any single-character change of a valid cookie is refused', () => {
    const cookie = sign({ kid: 'k2026a', secret: SECRET, profile: FULL });
    const alphabet =
      'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=&|~+/ %"é';
    let checked = 0;
    for (let n = 0; n < cookie.length; n++) {
      const variants = [cookie.slice(0, n) + cookie.slice(n + 1)]; // deletion
      for (const ch of alphabet) {
        if (ch !== cookie[n]) variants.push(cookie.slice(0, n) + ch + cookie.slice(n + 1)); // substitution
        variants.push(cookie.slice(0, n) + ch + cookie.slice(n)); // insertion
      }
      for (const changed of variants) {
        if (changed === cookie) continue;
        const result = verify(changed, { keys: KEYS, now: NOW });
        assert.equal(result.ok, false, `accepted a changed cookie: ${changed}`);
        checked++;
      }
    }
    assert.ok(checked > 10000);
  });

  test('refusal reasons, in order', () => {
    const reason = (cookie, now = NOW) => {
      const result = verify(cookie, { keys: KEYS, now });
      assert.equal(result.ok, false, cookie);
      return result.reason;
    };
    const valid = sign({ kid: 'k2026a', secret: SECRET, profile: FULL });
    const tag = valid.split('.')[3];
    // 1. size cap first, even for garbage
    assert.equal(reason('x'.repeat(513)), 'oversized');
    assert.equal(reason(`v1.k2026a.i=1&e=2&c=pa&ind=${'a'.repeat(500)}.${tag}`), 'oversized');
    assert.equal(reason('x'.repeat(512)), 'malformed');
    // 2. shape
    for (const bad of [
      '',
      'v1',
      'v1.k2026a.c=pa',
      `v1.k2026a.i=1.e=2.${tag}`,
      `v1.K2026A.c=pa.${tag}`,
      `v1.k2026a..${tag}`,
      `v1.k2026a.c=pa.${tag}=`,
      `v1.k2026a.c=pa.${tag.slice(1)}`,
      `v1.k2026a.ind=fin tech.${tag}`,
      `v1.k2026a.c=p%61.${tag}`,
      `v1.${'k'.repeat(17)}.c=pa.${tag}`,
      ` ${valid}`,
      `${valid}\n`,
    ]) {
      assert.equal(reason(bad), 'malformed', bad);
    }
    // 3. version, before the key id
    assert.equal(reason(`v2.k2026a.c=pa.${tag}`), 'unknown-version');
    assert.equal(reason(`v2.nokey.c=pa.${tag}`), 'unknown-version');
    assert.equal(reason(`V1.k2026a.c=pa.${tag}`), 'unknown-version');
    assert.equal(reason(`v-1.k2026a.c=pa.${tag}`), 'malformed');
    // 4. key id, before the tag
    assert.equal(reason(`v1.k2027a.c=pa.${tag}`), 'unknown-key');
    // 5. tag, before the payload
    assert.equal(reason(`v1.k2026a.garbage.${tag}`), 'bad-signature');
    assert.equal(reason(valid.replace('ind=fintech', 'ind=retail')), 'bad-signature');
    // 6. payload, only with a valid tag
    for (const payload of [
      'i=1&e=2', // c missing
      'e=2&i=1&c=pa', // order
      'i=1&i=1&e=2&c=pa', // repeated
      'i=1&e=2&foo=bar&c=pa', // unknown key
      'i=1&e=2&ind=&c=pa', // empty value
      'i=01&e=2&c=pa', // leading zero
      'i=1&e=2&c=ap', // consent spelling
      'i=1&e=2&ind=Fintech&c=pa', // uppercase label
      'i=1&e=2&bid=short&c=pa', // bid too short
      'i=1&e=2&x=a~1|b~2|c~3|d~4|e~5&c=pa', // 5 experiments
      'i=1&e=2&x=a~100&c=pa', // arm out of range
      'i=1&e=2&x=a~01&c=pa', // arm leading zero
      'i=1&e=2&x=a~1|a~2&c=pa', // repeated experiment label
      'i=1&e=2&x=&c=pa',
      'i=1&e=2&c=pa&',
      'i=123456789012&e=123456789013&c=pa', // 12 digits
      'i==1&e=2&c=pa',
    ]) {
      assert.equal(reason(signRaw(payload)), 'bad-payload', payload);
    }
    // 7. time, with 300 s skew
    const at = (i, e) => signRaw(`i=${i}&e=${e}&c=pa`);
    assert.equal(reason(at(NOW + 301, NOW + 1000)), 'not-yet-valid');
    assert.equal(verify(at(NOW + 300, NOW + 1000), { keys: KEYS, now: NOW }).ok, true);
    assert.equal(reason(at(NOW - 1000, NOW - 301)), 'expired');
    assert.equal(verify(at(NOW - 1000, NOW - 300), { keys: KEYS, now: NOW }).ok, true);
    assert.equal(reason(at(NOW, NOW)), 'bad-lifetime');
    assert.equal(reason(at(NOW + 100, NOW)), 'bad-lifetime');
    assert.equal(reason(at(NOW - 10, NOW - 10 + 400 * 86400 + 1)), 'bad-lifetime');
    assert.equal(verify(at(NOW - 10, NOW - 10 + 400 * 86400), { keys: KEYS, now: NOW }).ok, true);
    // not-yet-valid and expired are checked before the lifetime
    assert.equal(reason(at(NOW + 1000, NOW + 500)), 'not-yet-valid');
    assert.equal(reason(at(NOW - 400, NOW - 500)), 'expired');
  });

  test('the largest valid profile fits in 512 bytes', () => {
    const label = 'a'.repeat(32);
    const profile = {
      i: 99999999999 - 400 * 86400,
      e: 99999999999,
      ind: label,
      role: label,
      size: label,
      stage: label,
      plan: label,
      bid: 'B'.repeat(64),
      x: ['a', 'b', 'c', 'd'].map((l) => [l.repeat(32), 99]),
      c: 'pa',
    };
    const cookie = sign({ kid: 'k'.repeat(16), secret: SECRET, profile });
    assert.ok(Buffer.byteLength(cookie) <= 512, `${Buffer.byteLength(cookie)} bytes`);
    assert.equal(verify(cookie, { keys: [{ kid: 'k'.repeat(16), secret: SECRET }], now: profile.i }).ok, true);
  });
});

describe('sign refuses invalid input, naming the field', () => {
  const cases = [
    ['kid', { kid: 'K1' }],
    ['kid', { kid: 'k'.repeat(17) }],
    ['kid', { kid: undefined }],
    ['secret', { secret: 'c2hvcnQ' }], // too short
    ['secret', { secret: `${SECRET.slice(0, -1)}B` }], // non-canonical trailing bits
    ['secret', { secret: SECRET.replace(/./, '+') }], // not base64url
    ['cookieName', { cookieName: 'bad\nname' }],
    ['i', { profile: { ...FULL, i: undefined } }],
    ['i', { profile: { ...FULL, i: -1 } }],
    ['i', { profile: { ...FULL, i: 1.5 } }],
    ['i', { profile: { ...FULL, i: '1795000000' } }],
    ['e', { profile: { ...FULL, e: 1e12 } }],
    ['e', { profile: { ...FULL, e: FULL.i } }],
    ['e', { profile: { ...FULL, e: FULL.i + 400 * 86400 + 1 } }],
    ['ind', { profile: { ...FULL, ind: 'Fin Tech' } }],
    ['ind', { profile: { ...FULL, ind: '' } }],
    ['role', { profile: { ...FULL, role: 'a'.repeat(33) } }],
    ['size', { profile: { ...FULL, size: 'jane@example.com' } }],
    ['stage', { profile: { ...FULL, stage: 3 } }],
    ['plan', { profile: { ...FULL, plan: 'pro&c=-' } }],
    ['bid', { profile: { ...FULL, bid: 'short' } }],
    ['bid', { profile: { ...FULL, bid: 'has.dot.in.it' } }],
    ['x', { profile: { ...FULL, x: [] } }],
    ['x', { profile: { ...FULL, x: [['a', 1], ['b', 1], ['c', 1], ['d', 1], ['e', 1]] } }],
    ['x[0]', { profile: { ...FULL, x: [['Hero', 1]] } }],
    ['x[0]', { profile: { ...FULL, x: [['hero', 100]] } }],
    ['x[0]', { profile: { ...FULL, x: [['hero', -1]] } }],
    ['x[0]', { profile: { ...FULL, x: [['hero', '1']] } }],
    ['x[1]', { profile: { ...FULL, x: [['hero', 1], ['hero', 2]] } }],
    ['c', { profile: { ...FULL, c: undefined } }],
    ['c', { profile: { ...FULL, c: 'ap' } }],
    ['industry', { profile: { ...FULL, industry: 'fintech' } }],
    ['profile', { profile: null }],
  ];
  for (const [field, override] of cases) {
    const shown = override.profile
      ? Object.fromEntries(Object.entries(override.profile ?? {}).filter(([k, v]) => v !== FULL[k]))
      : override;
    const label = JSON.stringify(override.profile === null ? override : shown, (k, v) => v ?? '<absent>');
    test(`${field}: ${label}`, () => {
      const args = { kid: 'k2026a', secret: SECRET, profile: FULL, ...override };
      assert.throws(() => sign(args), (error) => error instanceof Error && error.message.includes(field));
    });
  }
});

describe('setCookieHeader', () => {
  test('attributes, Max-Age defaulting to and capped at e - i', () => {
    const value = sign({ kid: 'k2026a', secret: SECRET, profile: FULL });
    assert.equal(
      setCookieHeader(value, { maxAge: 2592000 }),
      `__Host-tailor_profile=${value}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=2592000`,
    );
    assert.equal(setCookieHeader(value), setCookieHeader(value, { maxAge: FULL.e - FULL.i }));
    assert.match(setCookieHeader(value, { cookieName: 'p', maxAge: 60 }), /^p=v1\..*; Max-Age=60$/);
    assert.throws(() => setCookieHeader(value, { maxAge: FULL.e - FULL.i + 1 }), /maxAge/);
    assert.throws(() => setCookieHeader('nonsense'), /value/);
  });
});

test('site dimensions are given as an object (integers allowed) and written in ascending order; segments sorted', () => {
  const payload = encodePayload({
    i: 1795000000, e: 1795086400, d: { usage_pct: 80, renewal: 'due-14d' }, s: ['power-users', 'expansion-ready'], c: 'pa',
  });
  assert.equal(payload, 'i=1795000000&e=1795086400&d=renewal~due-14d|usage_pct~80&s=expansion-ready|power-users&c=pa');
  assert.deepEqual(parsePayload(payload).d, [['renewal', 'due-14d'], ['usage_pct', '80']]);
  assert.throws(() => encodePayload({ i: 1, e: 2, d: { Usage: 1 }, c: 'p' }), /d: name "Usage"/);
  assert.throws(() => encodePayload({ i: 1, e: 2, s: ['a', 'a'], c: 'p' }), /s: "a" is repeated/);
  assert.throws(() => encodePayload({ i: 1, e: 2, d: { usage: 1.5 }, c: 'p' }), /d.usage: 1.5/);
});
