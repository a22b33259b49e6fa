import { join } from 'node:path';
import { serializeSql } from '../adapter/duckdb.js';
import { compileContext } from '../commands/context.js';
import { projectColumnLineage, type LineageModel, type LineageRelation } from '../docs/lineage.js';
import type { Reporter } from '../report/reporter.js';
import { generateProject } from './generate.js';
import type { Timing } from './incremental-bench.js';

export interface LineageResult {
  models: number;
  /** DuckDB's `json_serialize_sql` of every model alone: the floor. */
  serialize: Timing;
  /** projectColumnLineage with every model's columns known (from a catalog), and with none (traced through upstream SELECT lists). */
  catalog: Timing;
  selects: Timing;
  /** Output columns that came out unknown (the generated sources read `range()`, a table function). */
  unknown: number;
  columns: number;
}

function timing(xs: readonly number[]): Timing {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1] };
}

async function time(f: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
}

/** Column lineage of an `n`-model generated project against DuckDB serializing the same SQL, interleaved. */
export async function benchLineage(work: string, n: number, repeat: number, reporter: Reporter): Promise<LineageResult> {
  const dir = join(work, `lineage-${n}`);
  generateProject(dir, n, 'mixed');
  const ctx = await compileContext({ projectDir: dir }, reporter);
  const models: LineageModel[] = [];
  const catalog = new Map<string, LineageRelation>();
  const selects = new Map<string, LineageRelation>();
  for (const node of Object.values(ctx.manifest.nodes)) {
    if (node.kind !== 'model') continue;
    models.push({ unique_id: node.id, compiled_code: node.sql });
    const key = `${node.relation.schema}.${node.relation.name}`.toLowerCase();
    catalog.set(key, { unique_id: node.id, columns: ['id', 'k', 'amount', 'category', 'ts'] });
    selects.set(key, { unique_id: node.id, columns: [] });
  }
  const sql = models.map((m) => m.compiled_code);
  const serialize: number[] = [];
  const withCatalog: number[] = [];
  const withSelects: number[] = [];
  let unknown = 0;
  let columns = 0;
  const variants: Array<[number[], () => Promise<unknown>]> = [
    [serialize, () => serializeSql(sql)],
    [withCatalog, () => projectColumnLineage(models, catalog)],
    [
      withSelects,
      async () => {
        const all = Object.values(await projectColumnLineage(models, selects)).flat();
        columns = all.length;
        unknown = all.filter((e) => e.unknown !== undefined).length;
      },
    ],
  ];
  // Interleaved, each round starting with the next variant: the machine is shared and its load drifts.
  for (let i = 0; i < repeat; i++) {
    for (let v = 0; v < variants.length; v++) {
      const [times, run] = variants[(i + v) % variants.length];
      times.push(await time(run));
    }
  }
  return { models: models.length, serialize: timing(serialize), catalog: timing(withCatalog), selects: timing(withSelects), unknown, columns };
}
