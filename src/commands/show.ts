import { usageError } from '../errors.js';
import { locateSqlError } from '../execute/sql-errors.js';
import { openToRead } from '../publish/read.js';
import { formatCsv, formatJson, formatTable } from '../report/table.js';
import { queryContext, wrap, type QueryOptions } from './query.js';

export interface ShowOptions extends QueryOptions {
  readonly limit?: number;
  readonly output?: 'table' | 'json' | 'csv';
}

/**
 * `show`: runs one model's compiled SQL (or `--inline`'s) against the target, opened read-only, and prints its
 * first `--limit` rows. The limit is part of the query, so DuckDB stops there.
 */
export async function showCommand(opts: ShowOptions): Promise<number> {
  const limit = opts.limit ?? 10;
  const { ctx, queries, target } = await queryContext(opts, 'show', 'sql');
  if (queries.length > 1) {
    const names = queries.map((q) => q.name);
    throw usageError(`eider show shows one node, and the selection matched ${names.length}: ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''}`);
  }
  const [q] = queries;
  const adapter = await openToRead(target, (line) => ctx.reporter.errorLine(line));
  let result;
  let sql: string | undefined;
  try {
    // One row past the limit says whether there are more.
    sql = wrap(q, `limit ${limit + 1}`);
    result = await adapter.sessions[0].queryJson(sql);
  } catch (e) {
    // A model's SQL failing is a failed node (1); --inline's is a command-line mistake (2). DuckDB's line is the
    // wrapped query's.
    const at = locateSqlError(ctx.def.root, q.node, sql ?? q.sql, String((e as Error).message));
    ctx.reporter.diagnostics([{ severity: 'error', ...at }]);
    return opts.inline === undefined ? 1 : 2;
  } finally {
    await adapter.close();
  }
  const more = result.rows.length > limit;
  const rows = { ...result, rows: result.rows.slice(0, limit) };
  const format = opts.output ?? 'table';
  const lines = format === 'json' ? formatJson(rows) : format === 'csv' ? formatCsv(rows) : formatTable(rows);
  for (const l of lines) ctx.reporter.line(l);
  if (format === 'table') ctx.reporter.line(more ? `(the first ${limit} row${limit === 1 ? '' : 's'}; --limit N shows more)` : rows.rows.length === 0 ? '(no rows)' : `(${rows.rows.length} row${rows.rows.length === 1 ? '' : 's'})`);
  return 0;
}
