import { relationKey, type WarehouseState } from '../../adapter/adapter.js';
import { quoteIdent, quoteRelation, relation, type ModelNode, type Relation } from '../../types.js';
import { contractCheck } from './contract.js';

/**
 * Builds `select` into `target` in one transaction, so readers find the old relation or the whole new one,
 * never none, and a failed build leaves the old one: `create or replace table` on its own when the name is free
 * or a table (one statement, one commit, as a person would write it); a view of that name is dropped first in
 * the same transaction.
 */
export function swapIn(target: Relation, select: string, state: WarehouseState): string[] {
  const create = `create or replace table ${quoteRelation(target)} as\n${select}`;
  if (state.relations.get(relationKey(target)) !== 'view') return [create];
  return ['begin transaction', `drop view if exists ${quoteRelation(target)}`, create, 'commit'];
}

/**
 * The temporary table a step fills outside SQL (a JavaScript model) before `renameIn` moves it into place,
 * and the statements that do so in one transaction.
 */
export function tempFor(target: Relation): Relation {
  return relation(target.schema, `${target.name}__eider_tmp`);
}

export function renameIn(target: Relation, state: WarehouseState): string[] {
  const existing = state.relations.get(relationKey(target));
  return [
    'begin transaction',
    ...(existing ? [`drop ${existing} if exists ${quoteRelation(target)}`] : []),
    `alter table ${quoteRelation(tempFor(target))} rename to ${quoteIdent(target.name)}`,
    'commit',
  ];
}

export function table(node: ModelNode, state: WarehouseState): string[] {
  return [...contractCheck(node), ...swapIn(node.relation, node.sql, state)];
}
