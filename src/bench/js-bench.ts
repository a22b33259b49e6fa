import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDbAdapter } from '../adapter/duckdb.js';
import { runJsModel } from '../execute/js-model.js';
import { relation } from '../types.js';

/**
 * Load rate of a JavaScript model that returns its input unchanged (integers, doubles, decimals, strings,
 * dates, timestamps, booleans, nulls): eider reads the columns, builds the Arquero table, and appends the
 * result in data chunks. A second model makes every value a JS value (Dates, numbers, strings) and returns
 * plain arrays. The baseline is DuckDB's own CREATE TABLE AS of the same rows.
 */

/** The bench's models read no vars and no target. */
const NO_CONTEXT = { vars: {}, target: {}, this: { schema: 'main', name: 'out' } };
export async function benchJsLoad(rows: number, repeat: number): Promise<{ rows: number; jsMs: number; touchedMs: number; ctasMs: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'eider-js-bench-'));
  const model = join(dir, 'identity.mjs');
  writeFileSync(model, "export const refs = ['src'];\nexport default ({ ref }) => ref('src');\n");
  // The same rows, every value made into a JS value and written back from plain arrays (a filter that keeps all rows).
  const touching = join(dir, 'touching.mjs');
  writeFileSync(touching, "export const refs = ['src'];\nexport default ({ ref }) => ref('src').filter(() => true);\n");
  const adapter = await DuckDbAdapter.open({ path: join(dir, 'db.duckdb'), threads: 1 });
  const s = adapter.sessions[0];
  await s.exec(
    `create table src as select range::integer as id, range * 1.5 as score, (range % 100000 / 100)::decimal(18,2) as amount, 'name ' || (range % 1000) as name, date '2024-01-01' + (range % 365)::integer as day, timestamp '2024-01-01' + range * interval 1 second as at, range % 2 = 0 as flag, case when range % 10 = 0 then null else range end as maybe from range(${rows})`,
  );
  const js: number[] = [];
  const touched: number[] = [];
  const ctas: number[] = [];
  try {
    // Five runs at least: these are short, and a collection left over from the previous run moves them by 20%.
    for (let i = 0; i < Math.max(repeat, 5); i++) {
      await s.exec('drop table if exists out_js');
      await s.exec('checkpoint'); // the automatic checkpoint would otherwise land on whichever statement comes next
      globalThis.gc?.();
      let t0 = performance.now();
      await runJsModel(s, { kind: 'js', path: model, model: 'identity', target: relation('main', 'out_js'), inputs: [{ kind: 'ref', name: 'src', sql: 'main.src' }], context: NO_CONTEXT });
      js.push(performance.now() - t0);
      await s.exec('drop table if exists out_touched');
      await s.exec('checkpoint');
      globalThis.gc?.();
      t0 = performance.now();
      await runJsModel(s, { kind: 'js', path: touching, model: 'touching', target: relation('main', 'out_touched'), inputs: [{ kind: 'ref', name: 'src', sql: 'main.src' }], context: NO_CONTEXT });
      touched.push(performance.now() - t0);
      await s.exec('drop table if exists out_ctas');
      await s.exec('checkpoint');
      globalThis.gc?.();
      t0 = performance.now();
      await s.exec('create table out_ctas as select * from main.src');
      ctas.push(performance.now() - t0);
    }
    for (const out of ['out_js', 'out_touched']) {
      const [check] = await s.query(`select (select count(*) from (from ${out} except all from out_ctas)) + (select count(*) from (from out_ctas except all from ${out})) as diff`);
      if (Number(check.diff) !== 0) throw new Error(`the JS model changed rows (${out})`);
    }
  } finally {
    await adapter.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return { rows, jsMs: median(js), touchedMs: median(touched), ctasMs: median(ctas) };
}
