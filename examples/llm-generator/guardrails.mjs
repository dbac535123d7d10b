// A block's guardrails (docs/catalog.md, "Guardrails"), the same rules the
// control worker applies (src/catalog/guardrails.rs): judged on the draft's
// text, not its markup. The generator applies them to refuse early; the
// edge applies them again whatever the generator does.

const INLINE = new Set([
  'a', 'abbr', 'b', 'bdi', 'bdo', 'cite', 'code', 'data', 'del', 'dfn', 'em', 'i', 'ins', 'kbd', 'mark',
  'q', 's', 'samp', 'small', 'span', 'strong', 'u',
]);
const NAMED = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

const collapse = (s) => s.split(/\s+/u).filter(Boolean).join(' ');

/** The text of an HTML fragment as a reader sees it (tags and comments out, entities decoded, whitespace collapsed). */
export function textOf(html) {
  let out = '';
  let i = 0;
  while (i < html.length) {
    const c = html[i];
    if (c === '&') {
      const semi = html.slice(i + 1, i + 13).indexOf(';');
      const name = semi >= 0 ? html.slice(i + 1, i + 1 + semi) : null;
      let decoded = name !== null ? NAMED[name] : undefined;
      if (decoded === undefined && name?.startsWith('#')) {
        const code = /^[xX][0-9a-fA-F]+$/.test(name.slice(1)) ? parseInt(name.slice(2), 16)
          : /^[0-9]+$/.test(name.slice(1)) ? parseInt(name.slice(1), 10) : NaN;
        const surrogate = code >= 0xd800 && code <= 0xdfff;
        if (Number.isInteger(code) && code <= 0x10ffff && !surrogate) decoded = String.fromCodePoint(code);
      }
      if (decoded === undefined) { out += '&'; i += 1; } else { out += decoded; i += semi + 2; }
    } else if (c === '<' && html.startsWith('<!--', i)) {
      const end = html.indexOf('-->', i + 4);
      i = end < 0 ? html.length : end + 3;
      out += ' ';
    } else if (c === '<' && /^[A-Za-z/!?]$/.test(html[i + 1] ?? '')) {
      const name = (/^\/*([A-Za-z0-9]*)/.exec(html.slice(i + 1))?.[1] ?? '').toLowerCase();
      let quote = null;
      let j = i + 1;
      for (; j < html.length; j += 1) {
        const d = html[j];
        if (quote === null && (d === '"' || d === "'")) quote = d;
        else if (quote !== null && d === quote) quote = null;
        else if (quote === null && d === '>') break;
      }
      i = j + 1;
      if (!INLINE.has(name)) out += ' ';
    } else {
      out += c;
      i += 1;
    }
  }
  return collapse(out);
}

/** Words: runs between whitespace holding a letter or a digit. */
export const wordCount = (text) => text.split(/\s+/u).filter((w) => /[\p{L}\p{N}]/u.test(w)).length;

/** Numbers as written: runs of digits with `.` or `,` between digits. */
export const numbersIn = (text) => text.match(/[0-9]+(?:[.,][0-9]+)*/g) ?? [];

/** A number as compared: thousands commas dropped. */
export const canonicalNumber = (n) => n.replaceAll(',', '');

const phrase = (p) => collapse(p.toLowerCase());

/**
 * The first rule `html` breaks, as `{ rule, detail }`, or null. Checked in
 * the edge's order: max_chars, max_words, refuse, require, numbers.
 */
export function check(guardrails, html) {
  if (!guardrails) return null;
  const text = textOf(html);
  const { max_words: maxWords, max_chars: maxChars, refuse = [], require = [], numbers, source_numbers: source = [] } = guardrails;
  const chars = [...text].length;
  if (maxChars !== undefined && chars > maxChars) return { rule: 'max_chars', detail: `${chars} characters; the limit is ${maxChars}` };
  const words = wordCount(text);
  if (maxWords !== undefined && words > maxWords) return { rule: 'max_words', detail: `${words} words; the limit is ${maxWords}` };
  const lower = text.toLowerCase();
  const refused = refuse.find((p) => lower.includes(phrase(p)));
  if (refused !== undefined) return { rule: 'refuse', detail: `contains the refused phrase "${refused}"` };
  const missing = require.find((p) => !lower.includes(phrase(p)));
  if (missing !== undefined) return { rule: 'require', detail: `lacks the required phrase "${missing}"` };
  if (numbers === 'source') {
    const allowed = new Set(source);
    const stray = numbersIn(text).find((n) => !allowed.has(canonicalNumber(n)));
    if (stray !== undefined) return { rule: 'numbers', detail: `states ${stray}, which is not in the block's source content` };
  }
  return null;
}
