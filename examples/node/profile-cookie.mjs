// Reference signer and verifier for Tailor's profile cookie, format v1.
// Specification: docs/profile-cookie.md. Node 20+, standard library only.
//
//   import { sign, setCookieHeader } from './profile-cookie.mjs';
//   const value = sign({ kid: 'k2026a', secret: process.env.TAILOR_PROFILE_SECRET,
//                        profile: { i: now, e: now + 2592000, ind: 'fintech', c: 'pa' } });
//   res.setHeader('Set-Cookie', setCookieHeader(value));
//
// CLI: node examples/node/profile-cookie.mjs --help

import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const DEFAULT_COOKIE_NAME = '__Host-tailor_profile';
export const VERSION = 'v1';
export const MAX_COOKIE_BYTES = 512;
export const CLOCK_SKEW_S = 300;
export const MAX_LIFETIME_S = 400 * 86400;

const HKDF_SALT = 'tailor-v1';
const HKDF_INFO = 'tailor profile-cookie';
const MIN_SECRET_BYTES = 32;

// Payload keys in their canonical order.
const PAYLOAD_KEYS = ['i', 'e', 'ind', 'role', 'size', 'stage', 'plan', 'd', 's', 'bid', 'x', 'c'];
const LABEL_KEYS = new Set(['ind', 'role', 'size', 'stage', 'plan']);

const KID_RE = /^[a-z0-9]{1,16}$/;
const SECONDS_RE = /^(?:0|[1-9][0-9]{0,10})$/;
const LABEL_RE = /^[a-z0-9-]{1,32}$/;
const BID_RE = /^[A-Za-z0-9_-]{8,64}$/;
const ARM_RE = /^(?:0|[1-9][0-9]?)$/;
const DIMENSION_NAME_RE = /^[a-z][a-z0-9_]{0,31}$/;
const MAX_SITE_DIMENSIONS = 8;
const MAX_SEGMENTS = 8;
const CONSENT_RE = /^(?:-|p|a|pa)$/;
const BASE64URL_RE = /^[A-Za-z0-9_-]*$/;
// RFC 6265 token: what a cookie name may be. It cannot contain "\n", which
// keeps the signed string cookie_name + "\n" + ... unambiguous.
const COOKIE_NAME_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

// Shape (verification step 2): the alphabet of each of the four parts.
// The version only needs to be alphanumeric here: "v2" or "V1" is unknown-version (step 3).
const SHAPE_VERSION_RE = /^[A-Za-z0-9]+$/;
const SHAPE_PAYLOAD_RE = /^[A-Za-z0-9_=&|~-]+$/;
const SHAPE_TAG_RE = /^[A-Za-z0-9_-]{43}$/;

/**
 * Decodes base64url without padding (trailing "=" are ignored, as the edge
 * does), strictly otherwise: no other characters, canonical trailing bits.
 */
function decodeBase64url(text, what) {
  if (typeof text === 'string') text = text.replace(/=+$/, '');
  if (typeof text !== 'string' || !BASE64URL_RE.test(text) || text.length % 4 === 1) {
    throw new Error(`${what}: not base64url without padding`);
  }
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.toString('base64url') !== text) {
    throw new Error(`${what}: not canonical base64url without padding`);
  }
  return bytes;
}

/** The 32-byte profile-cookie key derived from a secret (base64url, no padding). */
export function deriveKey(secretB64url) {
  const ikm = decodeBase64url(secretB64url, 'secret');
  if (ikm.length < MIN_SECRET_BYTES) {
    throw new Error(`secret: ${ikm.length} bytes, at least ${MIN_SECRET_BYTES} required`);
  }
  return Buffer.from(hkdfSync('sha256', ikm, HKDF_SALT, HKDF_INFO, 32));
}

function checkCookieName(cookieName) {
  if (typeof cookieName !== 'string' || !COOKIE_NAME_RE.test(cookieName)) {
    throw new Error(`cookieName: ${JSON.stringify(cookieName)} is not a cookie name token`);
  }
}

function checkKid(kid) {
  if (typeof kid !== 'string' || !KID_RE.test(kid)) {
    throw new Error(`kid: ${JSON.stringify(kid)} does not match [a-z0-9]{1,16}`);
  }
}

/** base64url(HMAC-SHA256(key, cookie_name + "\n" + "v1." + kid + "." + payload)), no padding. */
function computeTag(key, cookieName, kid, payload) {
  return createHmac('sha256', key)
    .update(`${cookieName}\n${VERSION}.${kid}.${payload}`, 'utf8')
    .digest('base64url');
}

function isAbsent(value) {
  return value === undefined || value === null;
}

function encodeSeconds(field, value) {
  if (!Number.isSafeInteger(value) || !SECONDS_RE.test(String(value))) {
    throw new Error(`${field}: ${JSON.stringify(value)} is not unix seconds (an integer 0..99999999999)`);
  }
  return String(value);
}

function encodeExperiments(x) {
  if (!Array.isArray(x) || x.length < 1 || x.length > 4) {
    throw new Error('x: must be an array of 1-4 [label, arm] pairs (omit x for none)');
  }
  const seen = new Set();
  return x
    .map((pair, n) => {
      if (!Array.isArray(pair) || pair.length !== 2) {
        throw new Error(`x[${n}]: must be a [label, arm] pair`);
      }
      const [label, arm] = pair;
      if (typeof label !== 'string' || !LABEL_RE.test(label)) {
        throw new Error(`x[${n}]: label ${JSON.stringify(label)} does not match [a-z0-9-]{1,32}`);
      }
      if (seen.has(label)) throw new Error(`x[${n}]: label ${JSON.stringify(label)} is repeated`);
      seen.add(label);
      if (!Number.isInteger(arm) || !ARM_RE.test(String(arm))) {
        throw new Error(`x[${n}]: arm ${JSON.stringify(arm)} is not an integer 0-99`);
      }
      return `${label}~${arm}`;
    })
    .join('|');
}

/**
 * The site's own dimensions (`d`): an object { name: label or integer } or
 * [name, label] pairs; written in ascending name order.
 */
function encodeDimensions(d) {
  const pairs = Array.isArray(d) ? d : (typeof d === 'object' && d !== null ? Object.entries(d) : null);
  if (!pairs || pairs.length < 1 || pairs.length > MAX_SITE_DIMENSIONS) {
    throw new Error(`d: must be 1-${MAX_SITE_DIMENSIONS} site dimensions, { name: label } (omit d for none)`);
  }
  const seen = new Set();
  const texts = pairs.map((pair, n) => {
    if (!Array.isArray(pair) || pair.length !== 2) throw new Error(`d[${n}]: must be a [name, label] pair`);
    const [name, raw] = pair;
    if (typeof name !== 'string' || !DIMENSION_NAME_RE.test(name)) {
      throw new Error(`d: name ${JSON.stringify(name)} does not match [a-z][a-z0-9_]{0,31}`);
    }
    if (seen.has(name)) throw new Error(`d: name ${JSON.stringify(name)} is repeated`);
    seen.add(name);
    const label = Number.isSafeInteger(raw) ? String(raw) : raw;
    if (typeof label !== 'string' || !LABEL_RE.test(label)) {
      throw new Error(`d.${name}: ${JSON.stringify(raw)} is not a label [a-z0-9-]{1,32} or an integer`);
    }
    return [name, label];
  });
  texts.sort(([a], [b]) => (a < b ? -1 : 1));
  return texts.map(([name, label]) => `${name}~${label}`).join('|');
}

/** Segment memberships (`s`): labels, written in ascending order. */
function encodeSegments(s) {
  if (!Array.isArray(s) || s.length < 1 || s.length > MAX_SEGMENTS) {
    throw new Error(`s: must be an array of 1-${MAX_SEGMENTS} segment labels (omit s for none)`);
  }
  const seen = new Set();
  for (const label of s) {
    if (typeof label !== 'string' || !LABEL_RE.test(label)) {
      throw new Error(`s: ${JSON.stringify(label)} is not a label [a-z0-9-]{1,32}`);
    }
    if (seen.has(label)) throw new Error(`s: ${JSON.stringify(label)} is repeated`);
    seen.add(label);
  }
  return [...s].sort().join('|');
}

/** The canonical payload for a profile object; throws an Error naming the first invalid field. */
export function encodePayload(profile) {
  if (typeof profile !== 'object' || profile === null || Array.isArray(profile)) {
    throw new Error('profile: must be an object');
  }
  for (const key of Object.keys(profile)) {
    if (!PAYLOAD_KEYS.includes(key)) {
      throw new Error(`profile.${key}: unknown field (allowed: ${PAYLOAD_KEYS.join(', ')})`);
    }
  }
  const pairs = [];
  for (const key of PAYLOAD_KEYS) {
    const value = profile[key];
    if (isAbsent(value)) {
      if (key === 'i' || key === 'e' || key === 'c') throw new Error(`${key}: required`);
      continue;
    }
    let text;
    if (key === 'i' || key === 'e') {
      text = encodeSeconds(key, value);
    } else if (LABEL_KEYS.has(key)) {
      if (typeof value !== 'string' || !LABEL_RE.test(value)) {
        throw new Error(`${key}: ${JSON.stringify(value)} is not a label [a-z0-9-]{1,32}`);
      }
      text = value;
    } else if (key === 'bid') {
      if (typeof value !== 'string' || !BID_RE.test(value)) {
        throw new Error(`bid: ${JSON.stringify(value)} does not match [A-Za-z0-9_-]{8,64}`);
      }
      text = value;
    } else if (key === 'x') {
      text = encodeExperiments(value);
    } else if (key === 'd') {
      text = encodeDimensions(value);
    } else if (key === 's') {
      text = encodeSegments(value);
    } else {
      if (typeof value !== 'string' || !CONSENT_RE.test(value)) {
        throw new Error(`c: ${JSON.stringify(value)} is not one of "-", "p", "a", "pa"`);
      }
      text = value;
    }
    pairs.push(`${key}=${text}`);
  }
  if (profile.e <= profile.i) throw new Error(`e: ${profile.e} is not after i (${profile.i})`);
  if (profile.e - profile.i > MAX_LIFETIME_S) {
    throw new Error(`e: lifetime e - i = ${profile.e - profile.i} s is over 400 days (${MAX_LIFETIME_S} s)`);
  }
  return pairs.join('&');
}

/**
 * Parses a payload by the grammar (canonical order, each key at most once,
 * i/e/c required). Returns the profile object, or null if invalid.
 */
export function parsePayload(payload) {
  const profile = {};
  let last = -1;
  for (const pair of payload.split('&')) {
    const eq = pair.indexOf('=');
    if (eq < 0) return null;
    const key = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    const index = PAYLOAD_KEYS.indexOf(key);
    if (index <= last) return null; // unknown (-1), repeated or out of order
    last = index;
    if (key === 'i' || key === 'e') {
      if (!SECONDS_RE.test(value)) return null;
      profile[key] = Number(value);
    } else if (LABEL_KEYS.has(key)) {
      if (!LABEL_RE.test(value)) return null;
      profile[key] = value;
    } else if (key === 'bid') {
      if (!BID_RE.test(value)) return null;
      profile[key] = value;
    } else if (key === 'd') {
      const items = value.split('|');
      if (items.length > MAX_SITE_DIMENSIONS) return null;
      const d = [];
      for (const item of items) {
        const tilde = item.indexOf('~');
        if (tilde < 0) return null;
        const name = item.slice(0, tilde);
        const label = item.slice(tilde + 1);
        if (!DIMENSION_NAME_RE.test(name) || !LABEL_RE.test(label)) return null;
        if (d.length > 0 && d[d.length - 1][0] >= name) return null; // ascending, each once
        d.push([name, label]);
      }
      profile.d = d;
    } else if (key === 's') {
      const items = value.split('|');
      if (items.length > MAX_SEGMENTS) return null;
      for (let n = 0; n < items.length; n += 1) {
        if (!LABEL_RE.test(items[n]) || (n > 0 && items[n - 1] >= items[n])) return null;
      }
      profile.s = items;
    } else if (key === 'x') {
      const items = value.split('|');
      if (items.length > 4) return null;
      const seen = new Set();
      const x = [];
      for (const item of items) {
        const tilde = item.indexOf('~');
        if (tilde < 0) return null;
        const label = item.slice(0, tilde);
        const arm = item.slice(tilde + 1);
        if (!LABEL_RE.test(label) || !ARM_RE.test(arm) || seen.has(label)) return null;
        seen.add(label);
        x.push([label, Number(arm)]);
      }
      profile.x = x;
    } else {
      if (!CONSENT_RE.test(value)) return null;
      profile.c = value;
    }
  }
  if (!('i' in profile) || !('e' in profile) || !('c' in profile)) return null;
  return profile;
}

/** Signs a profile; returns the cookie value "v1.<kid>.<payload>.<tag>". */
export function sign({ cookieName = DEFAULT_COOKIE_NAME, kid, secret, profile } = {}) {
  checkCookieName(cookieName);
  checkKid(kid);
  const key = deriveKey(secret);
  const payload = encodePayload(profile);
  const value = `${VERSION}.${kid}.${payload}.${computeTag(key, cookieName, kid, payload)}`;
  const size = Buffer.byteLength(value, 'utf8');
  if (size > MAX_COOKIE_BYTES) {
    throw new Error(`cookie: ${size} bytes, over the ${MAX_COOKIE_BYTES}-byte cap`);
  }
  return value;
}

/**
 * Verifies a cookie value, in the specification's order.
 * keys: [{ kid, secret }], every key the verifier accepts. now: unix seconds.
 * Returns { ok: true, kid, profile } or { ok: false, reason }.
 * Throws only for a bad configuration (cookieName, keys, now), never for a bad cookie.
 */
export function verify(
  cookie,
  { cookieName = DEFAULT_COOKIE_NAME, keys, now = Math.floor(Date.now() / 1000) } = {},
) {
  checkCookieName(cookieName);
  if (!Array.isArray(keys)) throw new Error('keys: must be an array of { kid, secret }');
  if (!Number.isSafeInteger(now)) throw new Error('now: must be integer unix seconds');

  // 1. Size cap, before anything else.
  if (typeof cookie !== 'string') return { ok: false, reason: 'malformed' };
  if (Buffer.byteLength(cookie, 'utf8') > MAX_COOKIE_BYTES) return { ok: false, reason: 'oversized' };

  // 2. Shape: four "."-separated parts, each from its alphabet.
  const parts = cookie.split('.');
  if (parts.length !== 4) return { ok: false, reason: 'malformed' };
  const [version, kid, payload, tag] = parts;
  if (
    !SHAPE_VERSION_RE.test(version) ||
    !KID_RE.test(kid) ||
    !SHAPE_PAYLOAD_RE.test(payload) ||
    !SHAPE_TAG_RE.test(tag)
  ) {
    return { ok: false, reason: 'malformed' };
  }

  // 3. Version.
  if (version !== VERSION) return { ok: false, reason: 'unknown-version' };

  // 4. Key id.
  const entry = keys.find((k) => k && k.kid === kid);
  if (!entry) return { ok: false, reason: 'unknown-key' };

  // 5. Tag, compared in constant time. The base64url text is compared (both
  // are 43 ASCII characters), so a non-canonical spelling of the right tag
  // (other low bits in the last character) is refused too.
  const expected = Buffer.from(computeTag(deriveKey(entry.secret), cookieName, kid, payload), 'ascii');
  if (!timingSafeEqual(expected, Buffer.from(tag, 'ascii'))) {
    return { ok: false, reason: 'bad-signature' };
  }

  // 6. Only then parse the payload.
  const profile = parsePayload(payload);
  if (!profile) return { ok: false, reason: 'bad-payload' };

  // 7. Time, with clock skew allowance.
  if (profile.i > now + CLOCK_SKEW_S) return { ok: false, reason: 'not-yet-valid' };
  if (profile.e < now - CLOCK_SKEW_S) return { ok: false, reason: 'expired' };
  if (profile.e <= profile.i || profile.e - profile.i > MAX_LIFETIME_S) {
    return { ok: false, reason: 'bad-lifetime' };
  }
  return { ok: true, kid, profile };
}

/**
 * The Set-Cookie header value for a signed cookie value. maxAge defaults to
 * the cookie's lifetime e - i and may not exceed it.
 */
export function setCookieHeader(value, { cookieName = DEFAULT_COOKIE_NAME, maxAge } = {}) {
  checkCookieName(cookieName);
  const parts = typeof value === 'string' ? value.split('.') : [];
  const profile = parts.length === 4 && SHAPE_PAYLOAD_RE.test(parts[2]) ? parsePayload(parts[2]) : null;
  if (!profile) throw new Error('value: not a signed profile cookie value');
  const lifetime = profile.e - profile.i;
  if (maxAge === undefined) maxAge = lifetime;
  if (!Number.isSafeInteger(maxAge) || maxAge < 0) {
    throw new Error(`maxAge: ${JSON.stringify(maxAge)} is not a non-negative integer`);
  }
  if (maxAge > lifetime) throw new Error(`maxAge: ${maxAge} is longer than the cookie's lifetime e - i = ${lifetime}`);
  return `${cookieName}=${value}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=${maxAge}`;
}

/** The edge's id cookie (`docs/profile-cookie.md#the-edges-id`). */
export const EDGE_ID_COOKIE = '__Host-tailor_id';
const EDGE_ID_RE = /^v1\.([A-Za-z0-9_-]{22})\.[A-Za-z0-9_-]{43}$/;

/**
 * The edge's pseudonymous id from a request's Cookie header, to carry over
 * as the profile's `bid` when the origin mints a profile (so a visitor keeps
 * their experiment arms), or null. The tag is the edge's and cannot be
 * checked here; a cookie sent twice is no id.
 */
export function edgeIdFromCookieHeader(cookieHeader) {
  if (typeof cookieHeader !== 'string') return null;
  const values = cookieHeader
    .split(';')
    .map((pair) => pair.trim())
    .filter((pair) => pair.startsWith(`${EDGE_ID_COOKIE}=`))
    .map((pair) => pair.slice(EDGE_ID_COOKIE.length + 1));
  if (values.length !== 1) return null;
  return EDGE_ID_RE.exec(values[0])?.[1] ?? null;
}

/** A new random secret: 32 bytes, base64url without padding. */
export function generateSecret() {
  return randomBytes(32).toString('base64url');
}

// ---------------------------------------------------------------------------
// CLI

const FRIENDLY = {
  industry: 'ind',
  role: 'role',
  company_size: 'size',
  lifecycle: 'stage',
  plan: 'plan',
  bucketing_id: 'bid',
  consent: 'c',
};

const USAGE = `usage:
  profile-cookie.mjs sign --kid KID [--secret B64URL] [--set NAME=VALUE]... [--ttl SECONDS]
                          [--now UNIX] [--cookie-name NAME] [--header]
      NAME: industry, role, company_size, lifecycle, plan, bucketing_id, consent
            (or ind, size, stage, bid, c), or experiments.LABEL=ARM (repeatable, 1-4).
      consent defaults to "pa"; --ttl defaults to 2592000 (30 days);
      the secret comes from --secret or the TAILOR_PROFILE_SECRET environment variable.
      Prints the cookie value (with --header: the Set-Cookie header value).
  profile-cookie.mjs verify --key KID:SECRET [--key ...] [--now UNIX] [--cookie-name NAME] COOKIE
      Prints the result as JSON; exit status 1 if refused.
  profile-cookie.mjs keygen
      Prints a new random secret (32 bytes, base64url).`;

function parseInteger(flag, text) {
  if (!/^(?:0|[1-9][0-9]*)$/.test(text ?? '')) throw new Error(`${flag}: ${JSON.stringify(text)} is not an integer`);
  return Number(text);
}

function cli(argv) {
  const [command, ...rest] = argv;
  const opts = { set: [], key: [], positional: [] };
  for (let n = 0; n < rest.length; n++) {
    const arg = rest[n];
    const takes = ['--kid', '--secret', '--set', '--ttl', '--now', '--cookie-name', '--key'];
    if (takes.includes(arg)) {
      if (n + 1 >= rest.length) throw new Error(`${arg}: missing value`);
      const value = rest[++n];
      const name = arg.slice(2);
      if (name === 'set' || name === 'key') opts[name].push(value);
      else opts[name] = value;
    } else if (arg === '--header') {
      opts.header = true;
    } else if (arg.startsWith('--')) {
      throw new Error(`unknown option ${arg}`);
    } else {
      opts.positional.push(arg);
    }
  }
  const cookieName = opts['cookie-name'] ?? DEFAULT_COOKIE_NAME;
  const now = opts.now === undefined ? Math.floor(Date.now() / 1000) : parseInteger('--now', opts.now);

  if (command === 'sign') {
    const ttl = opts.ttl === undefined ? 2592000 : parseInteger('--ttl', opts.ttl);
    const profile = { i: now, e: now + ttl, c: 'pa' };
    const x = [];
    for (const assignment of opts.set) {
      const eq = assignment.indexOf('=');
      if (eq < 1) throw new Error(`--set ${assignment}: expected NAME=VALUE`);
      const name = assignment.slice(0, eq);
      const value = assignment.slice(eq + 1);
      if (name.startsWith('experiments.')) {
        x.push([name.slice('experiments.'.length), parseInteger(`--set ${name}`, value)]);
      } else if (Object.hasOwn(FRIENDLY, name) || Object.values(FRIENDLY).includes(name)) {
        profile[FRIENDLY[name] ?? name] = value;
      } else {
        throw new Error(`--set ${name}: unknown attribute`);
      }
    }
    if (x.length) profile.x = x;
    const secret = opts.secret ?? process.env.TAILOR_PROFILE_SECRET;
    if (!secret) throw new Error('--secret (or TAILOR_PROFILE_SECRET) is required');
    const value = sign({ cookieName, kid: opts.kid, secret, profile });
    console.log(opts.header ? setCookieHeader(value, { cookieName, maxAge: ttl }) : value);
    return 0;
  }
  if (command === 'verify') {
    if (opts.positional.length !== 1) throw new Error('verify: exactly one cookie value expected');
    const keys = opts.key.map((pair) => {
      const colon = pair.indexOf(':');
      if (colon < 1) throw new Error(`--key ${pair}: expected KID:SECRET`);
      return { kid: pair.slice(0, colon), secret: pair.slice(colon + 1) };
    });
    const result = verify(opts.positional[0], { cookieName, keys, now });
    console.log(JSON.stringify(result));
    return result.ok ? 0 : 1;
  }
  if (command === 'keygen') {
    console.log(generateSecret());
    return 0;
  }
  console.error(USAGE);
  return command === '--help' || command === '-h' || command === 'help' ? 0 : 2;
}

function isMain() {
  if (!process.argv[1]) return false;
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  try {
    process.exitCode = cli(process.argv.slice(2));
  } catch (error) {
    console.error(`profile-cookie: ${error.message}`);
    process.exitCode = 2;
  }
}
