// D1 variant: one batch = one env.DB.batch([...]) of two statements (one
// transaction). POST /apply {batch, messages}; GET /totals.
import { SCHEMA, SQL_IDS, SQL_COUNTS, SQL_TOTALS, SQL_ROWS, SQL_SEED, SQL_PRUNE, SQL_FAIL, compactBatch } from './common.js';

let ready = null;
function ensureSchema(db) {
  ready ??= db.batch(SCHEMA.map((s) => db.prepare(s))).catch((e) => { ready = null; throw e; });
  return ready;
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    await ensureSchema(env.DB);
    if (url.pathname === '/apply' && request.method === 'POST') {
      const { batch, messages } = await request.json();
      const { rows, duplicates } = compactBatch(messages);
      const json = JSON.stringify(rows);
      const t0 = Date.now();
      const statements = [env.DB.prepare(SQL_IDS).bind(json, batch), env.DB.prepare(SQL_COUNTS).bind(json, batch)];
      // ?fail=1 (the atomicity check): a third statement that fails at run
      // time (a NOT NULL constraint), after both steps ran.
      if (url.searchParams.get('fail')) statements.push(env.DB.prepare(SQL_FAIL));
      let ids, counts;
      try {
        [ids, counts] = await env.DB.batch(statements);
      } catch (e) {
        return Response.json({ failed: true, error: String(e) });
      }
      return Response.json({
        events: rows.length, duplicates, new_ids: ids.meta.changes, count_rows: counts.meta.changes,
        statements: 2, ms: Date.now() - t0, json_bytes: json.length,
        rows_read: ids.meta.rows_read + counts.meta.rows_read,
        rows_written: ids.meta.rows_written + counts.meta.rows_written,
      });
    }
    if (url.pathname === '/totals') {
      return Response.json(await env.DB.prepare(SQL_TOTALS).first());
    }
    if (url.pathname === '/rows') {
      return Response.json((await env.DB.prepare(SQL_ROWS).all()).results);
    }
    if (url.pathname === '/seed' && request.method === 'POST') {
      const n = Number(url.searchParams.get('n') ?? 0);
      const r = await env.DB.prepare(SQL_SEED).bind(n, Number(url.searchParams.get('day') ?? 0)).run();
      return Response.json({ seeded: r.meta.changes });
    }
    if (url.pathname === '/prune' && request.method === 'POST') {
      const t0 = Date.now();
      const r = await env.DB.prepare(SQL_PRUNE).bind(Number(url.searchParams.get('before') ?? 0)).run();
      return Response.json({ deleted: r.meta.changes, rows_read: r.meta.rows_read, ms: Date.now() - t0 });
    }
    return new Response('not found', { status: 404 });
  },
};
