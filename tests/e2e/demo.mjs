// What several end-to-end files share about the demo: its profile key, the
// four demo profiles, minting their cookies with the Node reference signer,
// reading which variant a block rendered, and starting the demo site as origin.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { sign } from '../../examples/node/profile-cookie.mjs';
import { ROOT } from './harness.mjs';
import { startStaticOrigin } from './origin.mjs';

export const KID = 'e2e1';
export const SECRET = 'ZTJlLW9ubHktcHJvZmlsZS1rZXktMzItYnl0ZXMtbG9uZyEh';
export const PROFILE_KEYS = `${KID}:${SECRET}`;
export const COOKIE = '__Host-tailor_profile';

/** The four demo profiles (payload fields) and the hero/CTA variant each sees. */
export const DEMO_PROFILES = {
  'fintech CTO, enterprise': { fields: { ind: 'fintech', role: 'cto', size: 'enterprise', stage: 'lead' }, expected: 'fintech-enterprise' },
  'SMB marketer': { fields: { ind: 'retail', role: 'marketer', size: 'smb', stage: 'trial' }, expected: 'smb-marketer' },
  developer: { fields: { ind: 'software', role: 'engineer', size: 'mid' }, expected: 'developer' },
  'lapsed customer': { fields: { ind: 'healthcare', role: 'finance', size: 'mid', stage: 'lapsed' }, expected: 'lapsed-winback' },
};

const now = () => Math.floor(Date.now() / 1000);

/** A profile cookie value for `fields`, minted by the Node reference signer. */
/** A state key for tests (TAILOR_STATE_KEY: signals and the edge's id). */
export const STATE_KEY = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8';

export function mint(fields) {
  return sign({ kid: KID, secret: SECRET, profile: { i: now() - 60, e: now() + 86_400, c: 'pa', ...fields } });
}

/** The variant a block rendered, from the fragment's data-variant. */
export function variantOf(html, block) {
  const start = html.indexOf(`<tailor-block name="${block}">`);
  assert.ok(start >= 0, `block ${block} missing`);
  return /data-variant="([a-z0-9-]+)"/.exec(html.slice(start))?.[1];
}

/** The document with every marked block's inner content replaced by `…`: what must match outside blocks. */
export const outsideBlocks = (html) => html.replace(/(<tailor-block\b[^>]*>)[\s\S]*?(<\/tailor-block>)/gi, '$1…$2');

/** The inner content of the first block named `name`. */
export const blockContent = (html, name) => new RegExp(`<tailor-block name="${name}"[^>]*>([\\s\\S]*?)</tailor-block>`).exec(html)?.[1];

/** The demo site in www/ as a local origin. */
export const startDemoOrigin = () => startStaticOrigin(join(ROOT, 'www'));
