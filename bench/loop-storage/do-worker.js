// Durable Object variant: one SQLite-backed object per site; the front
// worker parses the batch and calls the object by RPC; the object applies it
// inside ctx.storage.transactionSync. POST /apply {batch, messages, site?};
// GET /totals?site=. Two modes (?mode=):
//   json (default): the same two json_each statements as D1;
//   rows: one INSERT per event id + one upsert per key, aggregated in JS
//         (no per-invocation statement limit applies inside an object).
import { DurableObject } from 'cloudflare:workers';
import { SCHEMA, SQL_IDS, SQL_COUNTS, SQL_TOTALS, SQL_ROWS, SQL_SEED, SQL_PRUNE, compactBatch } from './common.js';

const SQL_ID_ONE = `INSERT INTO event_ids (id, day, batch) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING`;
const SQL_COUNT_ONE = `INSERT INTO counts (catalog_version, block, variant, reason, experiment, segment, day,
    exposures, conversions, last_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (catalog_version, block, variant, reason, experiment, segment, day) DO UPDATE SET
    exposures = exposures + excluded.exposures, conversions = conversions + excluded.conversions,
    last_ms = MAX(last_ms, excluded.last_ms)`;

export class SiteCounts extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    for (const s of SCHEMA) ctx.storage.sql.exec(s);
  }

  apply(batch, rows, mode, fail = false) {
    const sql = this.ctx.storage.sql;
    return this.ctx.storage.transactionSync(() => {
      if (mode === 'rows') {
        const groups = new Map();
        let newIds = 0;
        let read = 0;
        let written = 0;
        for (const r of rows) {
          const c = sql.exec(SQL_ID_ONE, r.i, r.d, batch);
          c.toArray();
          read += c.rowsRead;
          written += c.rowsWritten;
          if (c.rowsWritten === 0) continue;
          newIds++;
          const key = JSON.stringify([r.v, r.b, r.n, r.r, r.x, r.s, r.d]);
          const g = groups.get(key) ?? { k: [r.v, r.b, r.n, r.r, r.x, r.s, r.d], e: 0, c: 0, t: 0 };
          if (r.k === 'exposure') g.e++; else g.c++;
          g.t = Math.max(g.t, r.t);
          groups.set(key, g);
        }
        for (const g of groups.values()) {
          const c = sql.exec(SQL_COUNT_ONE, ...g.k, g.e, g.c, g.t);
          c.toArray();
          read += c.rowsRead;
          written += c.rowsWritten;
        }
        if (fail) throw new Error('injected failure after both steps ran');
        return { new_ids: newIds, count_rows: groups.size, statements: rows.length + groups.size,
          rows_read: read, rows_written: written };
      }
      const json = JSON.stringify(rows);
      const ids = sql.exec(SQL_IDS, json, batch);
      ids.toArray();
      const counts = sql.exec(SQL_COUNTS, json, batch);
      counts.toArray();
      // fail (the atomicity check): throw after both statements ran.
      if (fail) throw new Error('injected failure after both statements');
      return { new_ids: ids.rowsWritten, count_rows: counts.rowsWritten, statements: 2, json_bytes: json.length,
        rows_read: ids.rowsRead + counts.rowsRead, rows_written: ids.rowsWritten + counts.rowsWritten };
    });
  }

  rows() {
    return this.ctx.storage.sql.exec(SQL_ROWS).toArray();
  }

  seed(n, day) {
    const c = this.ctx.storage.sql.exec(SQL_SEED, n, day);
    c.toArray();
    return { seeded: c.rowsWritten };
  }

  prune(before) {
    const t0 = Date.now();
    const c = this.ctx.storage.sql.exec(SQL_PRUNE, before);
    c.toArray();
    return { deleted: c.rowsWritten, rows_read: c.rowsRead, ms: Date.now() - t0 };
  }

  totals() {
    return this.ctx.storage.sql.exec(SQL_TOTALS).one();
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const site = url.searchParams.get('site') ?? 'demo';
    const stub = env.COUNTS.get(env.COUNTS.idFromName(site));
    if (url.pathname === '/apply' && request.method === 'POST') {
      const { batch, messages } = await request.json();
      const { rows, duplicates } = compactBatch(messages);
      const t0 = Date.now();
      let r;
      try {
        r = await stub.apply(batch, rows, url.searchParams.get('mode') ?? 'json', !!url.searchParams.get('fail'));
      } catch (e) {
        return Response.json({ failed: true, error: String(e) });
      }
      return Response.json({ events: rows.length, duplicates, ...r, ms: Date.now() - t0 });
    }
    if (url.pathname === '/totals') return Response.json(await stub.totals());
    if (url.pathname === '/rows') return Response.json(await stub.rows());
    if (url.pathname === '/seed' && request.method === 'POST') {
      return Response.json(await stub.seed(Number(url.searchParams.get('n') ?? 0), Number(url.searchParams.get('day') ?? 0)));
    }
    if (url.pathname === '/prune' && request.method === 'POST') {
      return Response.json(await stub.prune(Number(url.searchParams.get('before') ?? 0)));
    }
    return new Response('not found', { status: 404 });
  },
};
