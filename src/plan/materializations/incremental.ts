import { relationKey, type WarehouseState } from '../../adapter/adapter.js';
import { quoteIdent, quoteLiteral, quoteRelation, type ModelNode, type Relation } from '../../types.js';
import { contractCheck, requireColumns } from './contract.js';
import type { PlanOptions, Statement } from './index.js';
import { swapIn } from './table.js';

/**
 * The first build (or --full-refresh) creates the table like `table` does. Later builds run the model with
 * is_incremental true into a temporary table, check its unique key for nulls, and in one transaction reconcile
 * columns by on_schema_change and apply it: append, delete+insert, or MERGE INTO. An enforced contract is
 * checked on the new rows before anything runs and on the table before the commit. The usual filter on the
 * table's newest value reads it as a constant worked out first (`newestFirst`). (A swap build works in a
 * copy of the current release's file, so the table is there as in place.)
 */
export function incremental(node: ModelNode, state: WarehouseState, opts: PlanOptions): Statement[] {
  const inc = node.incremental!;
  const existing = state.relations.get(relationKey(node.relation));
  const first = opts.fullRefresh || existing !== 'table';
  const target = quoteRelation(node.relation);
  const needs = [...inc.uniqueKey.map((k) => ['unique_key', k] as const), ...(inc.eventTime ? [['event_time', inc.eventTime] as const] : [])];
  const check = requireColumns(node, `select * from (\n${node.sql}\n) as eider_columns`, needs);
  // A run's new rows, and the table once they are applied, must meet the contract too.
  const newRows = (sql: string) => contractCheck(node, `select * from (\n${sql}\n) as eider_contract`);
  const mode = inc.strategy === 'microbatch' ? '' : ` after on_schema_change=${inc.onSchemaChange}`;
  const onTable = contractCheck(node, target, ` (the table ${node.relation.schema}.${node.relation.name}${mode}; --full-refresh rebuilds it)`);
  if (inc.strategy === 'microbatch') {
    const begin = inc.begin ? `select * from (\n${node.sql}\n) as b where ${quoteIdent(inc.eventTime!)} >= ${quoteLiteral(inc.begin)}::timestamp` : node.sql;
    if (first && !opts.eventTimeStart) return [...contractCheck(node), ...check, ...swapIn(node.relation, begin, state)];
    const batches: Statement = { kind: 'microbatch', target: node.relation, sql: inc.sql, eventTime: inc.eventTime!, batchSize: inc.batchSize, lookback: inc.lookback, begin: inc.begin, start: opts.eventTimeStart, end: opts.eventTimeEnd, now: inc.runStartedAt };
    if (first) return [...contractCheck(node), ...check, ...newRows(inc.sql), ...swapIn(node.relation, `select * from (\n${node.sql}\n) as e where false`, state), batches];
    // --empty: zero new rows would replace every re-processed batch's rows with none; the batches are checked, not run.
    if (opts.empty) return [...newRows(inc.sql), ...onTable];
    return [...newRows(inc.sql), ...onTable, batches];
  }
  if (first) return [...contractCheck(node), ...check, ...swapIn(node.relation, node.sql, state)];

  const incoming = quoteIdent(`${node.relation.schema}__${node.relation.name}__eider_incoming`);
  const newest = newestFirst(inc.sql, node.relation);
  const keys = inc.uniqueKey.map(quoteIdent);
  const on = keys.map((k) => `t.${k} = i.${k}`).join(' and ');
  const apply: Record<Exclude<typeof inc.strategy, 'microbatch'>, string[]> = {
    append: [`insert into ${target} by name select * from ${incoming}`],
    'delete+insert': [`delete from ${target} as t using ${incoming} as i where ${on}`, `insert into ${target} by name select * from ${incoming}`],
    merge: [],
  };
  return [
    ...newest.set,
    ...newRows(newest.sql),
    `create or replace temp table ${incoming} as\n${newest.sql}`,
    ...requireColumns(node, incoming, needs),
    ...(keys.length > 0
      ? [
          `select error(${quoteLiteral(`model ${node.name}: `)} || n || ${quoteLiteral(` incoming rows have a null unique_key (${inc.uniqueKey.join(', ')}); nothing was applied`)}) from (select count(*) as n from ${incoming} where ${keys.map((k) => `${k} is null`).join(' or ')}) where n > 0`,
        ]
      : []),
    'begin transaction',
    { kind: 'schema_sync', target: node.relation, incoming, mode: inc.onSchemaChange, model: node.name },
    ...(inc.strategy === 'merge' ? [{ kind: 'upsert' as const, target: node.relation, incoming, keys: inc.uniqueKey }] : []),
    ...apply[inc.strategy as Exclude<typeof inc.strategy, 'microbatch'>],
    ...onTable,
    'commit',
    `drop table if exists ${incoming}`,
    ...newest.reset,
  ];
}

/** The usual incremental filter's subquery, `(select max(col) from {{this}})`, spaced and cased as anyone writes it. */
function maxOfThis(target: Relation): RegExp {
  const column = String.raw`("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)`;
  const self = quoteRelation(target).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(String.raw`\(\s*select\s+max\s*\(\s*${column}\s*\)\s+from\s+${self}\s*\)`, 'gi');
}

/**
 * `col > (select max(col) from {{this}})` is a join to DuckDB: it reads every row group of the source. The
 * max is worked out first instead (`set variable`, on the step's connection), and the filter reads
 * `getvariable(…)`, a constant DuckDB folds into the scan, so zone maps skip the row groups holding nothing
 * newer. The max itself is read as the top row (`order by col desc nulls last limit 1`, the same value): a
 * top-N skips the table's row groups whose zone maps hold nothing newer than the best row so far, where
 * `max()` reads every row group that has deleted rows. Only for a query that runs once, right after (a
 * microbatch deletes before it inserts, so the max would move). A match inside a string literal (an odd
 * count of quotes before it) is left as it is.
 */
function newestFirst(sql: string, target: Relation): { sql: string; set: string[]; reset: string[] } {
  const set: string[] = [];
  const reset: string[] = [];
  const out = sql.replace(maxOfThis(target), (match: string, column: string, at: number) => {
    if ((sql.slice(0, at).split("'").length - 1) % 2 === 1) return match;
    const name = `eider_max_${target.schema}__${target.name}_${set.length}`;
    set.push(`set variable ${quoteIdent(name)} = (select ${column} from ${quoteRelation(target)} order by ${column} desc nulls last limit 1)`);
    reset.push(`reset variable ${quoteIdent(name)}`);
    return `getvariable(${quoteLiteral(name)})`;
  });
  return { sql: out, set, reset };
}
