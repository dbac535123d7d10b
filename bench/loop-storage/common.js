// Shared by both variants: the schema, the two statements of a batch, and the
// parsing a Queue consumer does (NDJSON messages -> one compact JSON array,
// events deduplicated within the batch). Same compact keys as
// src/feedback/batch.rs: i id, v catalog version, b block, n variant,
// r reason, x experiment, s segment label, d UTC day, k kind, t ts_ms.

export const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS event_ids (id TEXT PRIMARY KEY, day INTEGER NOT NULL, batch TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS counts (catalog_version TEXT NOT NULL, block TEXT NOT NULL, variant TEXT NOT NULL,
     reason TEXT NOT NULL, experiment TEXT NOT NULL, segment TEXT NOT NULL, day INTEGER NOT NULL,
     exposures INTEGER NOT NULL DEFAULT 0, conversions INTEGER NOT NULL DEFAULT 0, last_ms INTEGER NOT NULL DEFAULT 0,
     PRIMARY KEY (catalog_version, block, variant, reason, experiment, segment, day))`,
];

// Step 1 (?1 the batch's compact JSON, ?2 this delivery's id): the ids not
// seen before, tagged with this delivery. `WHERE true` resolves SQLite's
// parsing ambiguity between a join's ON and the upsert's ON CONFLICT.
export const SQL_IDS = `INSERT INTO event_ids (id, day, batch)
  SELECT value->>'i', value->>'d', ?2 FROM json_each(?1) WHERE true
  ON CONFLICT (id) DO NOTHING`;

// Step 2: adds only the events whose ids step 1 tagged with this delivery.
export const SQL_COUNTS = `INSERT INTO counts (catalog_version, block, variant, reason, experiment, segment, day,
    exposures, conversions, last_ms)
  SELECT value->>'v', value->>'b', value->>'n', value->>'r', value->>'x', value->>'s', value->>'d',
    SUM(value->>'k' = 'exposure'), SUM(value->>'k' = 'conversion'), MAX(value->>'t')
  FROM json_each(?1) JOIN event_ids ON event_ids.id = value->>'i' AND event_ids.batch = ?2
  WHERE true GROUP BY 1, 2, 3, 4, 5, 6, 7
  ON CONFLICT (catalog_version, block, variant, reason, experiment, segment, day) DO UPDATE SET
    exposures = exposures + excluded.exposures, conversions = conversions + excluded.conversions,
    last_ms = MAX(last_ms, excluded.last_ms)`;

export const SQL_TOTALS = `SELECT (SELECT COUNT(*) FROM counts) AS rows,
  (SELECT COALESCE(SUM(exposures), 0) FROM counts) AS exposures,
  (SELECT COALESCE(SUM(conversions), 0) FROM counts) AS conversions,
  (SELECT COUNT(*) FROM event_ids) AS ids`;

export const SQL_ROWS = `SELECT catalog_version, block, variant, reason, experiment, segment, day, exposures, conversions, last_ms FROM counts`;

// Seeds ?1 ids spread over the 7 days before day ?2 (a store that already
// keeps a week of ids).
export const SQL_SEED = `WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < ?1)
  INSERT INTO event_ids (id, day, batch) SELECT hex(randomblob(11)), ?2 - 1 - (x % 7), 'seed' FROM n`;

// The daily prune (a cron's job, not the consumer's): ids older than day ?1.
// No index on day: a full scan of event_ids.
export const SQL_PRUNE = `DELETE FROM event_ids WHERE day < ?1`;

// The fault for the atomicity check: fails at run time (NOT NULL), after
// step 1 and step 2 have run in the same transaction.
export const SQL_FAIL = `INSERT INTO counts (catalog_version, block, variant, reason, experiment, segment, day)
  VALUES (NULL, '', '', '', '', '', 0)`;

const DAY_MS = 86_400_000;

function segmentLabel(segment) {
  if (!segment) return '';
  return Object.keys(segment).sort().map((k) => `${k}=${segment[k]}`).join('&');
}

// messages: array of NDJSON strings (one per Queue message).
export function compactBatch(messages) {
  const seen = new Set();
  const rows = [];
  let skipped = 0;
  let duplicates = 0;
  for (const message of messages) {
    for (const raw of message.split('\n')) {
      const line = raw.trim();
      if (!line) continue;
      let e;
      try { e = JSON.parse(line); } catch { skipped++; continue; }
      if (!e.event_id || (e.kind !== 'exposure' && e.kind !== 'conversion')) { skipped++; continue; }
      if (seen.has(e.event_id)) { duplicates++; continue; }
      seen.add(e.event_id);
      rows.push({
        i: e.event_id, v: e.catalog_version, b: e.block, n: e.variant, r: e.reason,
        x: e.experiment ?? '', s: segmentLabel(e.segment), d: Math.floor(e.ts_ms / DAY_MS), k: e.kind, t: e.ts_ms,
      });
    }
  }
  return { rows, skipped, duplicates };
}
