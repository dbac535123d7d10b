// The loop on Cloudflare's own engines, shortened (`make loop-demo` runs the
// long version): the page and control workers under `wrangler dev` with the
// events Queue, its consumer counting into local D1, and the cron trigger
// fired as Cloudflare would fire it. Simulated visitors, half of them
// anonymous, load the page and click; each round the tick publishes the
// bandit's posteriors into the live catalog, with nobody pushing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runLoop } from '../../scripts/loop-demo.mjs';

test('events reach D1 through the Queue counted exactly once, each cron tick publishes a new catalog version, and the preview reports the lift', { timeout: 300_000 }, async (t) => {
  const { table, ticks, report, reportHtml, arms } = await runLoop({ rounds: 2, visitors: 60, mode: 'queue', log: (line) => t.diagnostic(line) });
  assert.equal(table.length, 2);
  assert.equal(ticks.length, 2);
  for (const tick of ticks) {
    assert.equal(tick.http, 200, JSON.stringify(tick));
    assert.equal(tick.status, 'published', JSON.stringify(tick));
    assert.ok(tick.events <= tick.sent, `round ${tick.round}: the bandit trains on its own and exploration's events only`);
    assert.deepEqual(tick.blocks, ['offer']);
    assert.match(tick.version, /^v-[0-9a-f]{16}$/);
  }
  assert.notEqual(ticks[0].version, ticks[1].version, 'new evidence, new posteriors, new version');

  // The report the preview UI serves, from the control worker's D1 counts.
  assert.equal(report.exposures + report.conversions, ticks.at(-1).sent, 'every exposure and credited click reached D1, counted once');
  const offer = report.blocks.find((b) => b.block === 'offer');
  const shown = (arm) => Object.values(arms[arm]).reduce((a, b) => a + b, 0);
  assert.equal(offer.overall.holdout.exposures, shown('holdout'), 'the holdout as the visitors saw it');
  assert.equal(offer.overall.personalized.exposures, shown('personalized'));
  assert.ok(offer.overall.lift_vs_holdout.small_sample || offer.overall.lift_vs_holdout.interval, 'an interval, or a small-sample flag instead');
  assert.ok(report.loop_latency && report.loop_latency.runs >= 2, JSON.stringify(report.loop_latency));
  assert.match(reportHtml, /<svg[\s\S]*offer/);
});
