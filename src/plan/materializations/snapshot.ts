import { relationKey, type WarehouseState } from '../../adapter/adapter.js';
import { quoteIdent, quoteLiteral, quoteRelation, type ModelNode } from '../../types.js';
import type { PlanOptions, Statement } from './index.js';
import { requireColumns } from './contract.js';
import { swapIn } from './table.js';

/**
 * SCD type 2. The first run keeps every row as current. Later runs close the current version of each row
 * that changed (timestamp: its updated_at moved on; check: a checked column differs), optionally close
 * rows whose key vanished, and insert the new versions — in one transaction. valid_from / valid_to /
 * is_current are added to the model's columns. Re-running on unchanged input changes nothing.
 */
export function snapshot(node: ModelNode, state: WarehouseState, opts: PlanOptions): Statement[] {
  const snap = node.snapshot!;
  const target = quoteRelation(node.relation);
  const runAt = `${quoteLiteral(snap.runStartedAt)}::timestamptz::timestamp`;
  const validFrom = (alias: string) => (snap.strategy === 'timestamp' ? `cast(${alias}.${quoteIdent(snap.updatedAt!)} as timestamp)` : runAt);
  const existing = state.relations.get(relationKey(node.relation));
  const checkAll = snap.strategy === 'check' && snap.checkCols.length === 1 && snap.checkCols[0].toLowerCase() === 'all';
  const needs = [
    ...snap.uniqueKey.map((k) => ['unique_key', k] as const),
    ...(snap.strategy === 'timestamp' && snap.updatedAt ? [['updated_at', snap.updatedAt] as const] : []),
    ...(snap.strategy === 'check' && !checkAll ? snap.checkCols.map((c) => ['check_cols', c] as const) : []),
  ];
  const check = requireColumns(node, `select * from (\n${node.sql}\n) as eider_columns`, needs);
  if (existing !== 'table') {
    return [...check, ...swapIn(node.relation, `select s.*, ${validFrom('s')} as valid_from, cast(null as timestamp) as valid_to, true as is_current\nfrom (\n${node.sql}\n) as s`, state)];
  }
  const incoming = quoteIdent(`${node.relation.schema}__${node.relation.name}__eider_snapshot`);
  // --empty checks the SQL and the key columns; zero incoming rows must not close every current row.
  if (opts.empty) return [`create or replace temp table ${incoming} as\n${node.sql}`, ...requireColumns(node, incoming, needs), `drop table if exists ${incoming}`];
  const keys = snap.uniqueKey.map(quoteIdent);
  const match = keys.map((k) => `t.${k} = i.${k}`).join(' and ');
  // check_cols: all — a row changed when its columns, all of them, differ from the current version's.
  const changedKeys = quoteIdent(`${node.relation.schema}__${node.relation.name}__eider_changed`);
  const changed =
    snap.strategy === 'timestamp'
      ? `${validFrom('i')} > t.valid_from`
      : checkAll
        ? `(${keys.map((k) => `t.${k}`).join(', ')}) in (select ${keys.join(', ')} from ${changedKeys})`
        : `(${snap.checkCols.map((c) => `t.${quoteIdent(c)} is distinct from i.${quoteIdent(c)}`).join(' or ')})`;
  // A table of that name built otherwise (the model was a table or incremental before): not this snapshot's history.
  const columns = `select count(*) as n from duckdb_columns() where database_name = current_database() and schema_name = ${quoteLiteral(node.relation.schema)} and table_name = ${quoteLiteral(node.relation.name)} and column_name in ('valid_from', 'valid_to', 'is_current')`;
  return [
    `select error(${quoteLiteral(`snapshot ${node.name}: ${target} exists but is not a snapshot's table (it has no valid_from, valid_to and is_current; the model was materialized otherwise before): drop it to start the snapshot's history`)}) from (${columns}) where n < 3`,
    `create or replace temp table ${incoming} as\n${node.sql}`,
    ...requireColumns(node, incoming, needs),
    // Columns new in the source are added to the history (null in the versions before them), as dbt does.
    { kind: 'schema_sync' as const, target: node.relation, incoming, mode: 'append_new_columns' as const, model: node.name },
    `select error(${quoteLiteral(`snapshot ${node.name}: `)} || n || ${quoteLiteral(` rows have a null unique_key (${snap.uniqueKey.join(', ')}); nothing was applied`)}) from (select count(*) as n from ${incoming} where ${keys.map((k) => `${k} is null`).join(' or ')}) where n > 0`,
    ...(checkAll ? [{ kind: 'changed_rows' as const, target: node.relation, incoming, keys: snap.uniqueKey, into: changedKeys }] : []),
    'begin transaction',
    `update ${target} as t set valid_to = ${snap.strategy === 'timestamp' ? validFrom('i') : runAt}, is_current = false from ${incoming} as i where ${match} and t.is_current and ${changed}`,
    ...(snap.invalidateHardDeletes
      ? [`update ${target} as t set valid_to = ${runAt}, is_current = false where t.is_current and not exists (select 1 from ${incoming} as i where ${match})`]
      : []),
    `insert into ${target} by name select i.*, ${validFrom('i')} as valid_from, cast(null as timestamp) as valid_to, true as is_current from ${incoming} as i where not exists (select 1 from ${target} as t where ${match} and t.is_current)`,
    'commit',
    `drop table if exists ${incoming}`,
    ...(checkAll ? [`drop table if exists ${changedKeys}`] : []),
  ];
}
