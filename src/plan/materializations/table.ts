import { relationKey, type WarehouseState } from '../../adapter/adapter.js';
import { quoteIdent, quoteRelation, relation, type ModelNode, type Relation } from '../../types.js';
import { contractCheck } from './contract.js';

/** Builds `select` under a temporary name, then swaps it in within one transaction: readers never find it missing. */
export function swapIn(target: Relation, select: string, state: WarehouseState): string[] {
  const tmp = relation(target.schema, `${target.name}__eider_tmp`);
  const existing = state.relations.get(relationKey(target));
  return [
    `drop table if exists ${quoteRelation(tmp)}`,
    `create table ${quoteRelation(tmp)} as\n${select}`,
    'begin transaction',
    ...(existing ? [`drop ${existing} if exists ${quoteRelation(target)}`] : []),
    `alter table ${quoteRelation(tmp)} rename to ${quoteIdent(target.name)}`,
    'commit',
  ];
}

export function table(node: ModelNode, state: WarehouseState): string[] {
  return [...contractCheck(node), ...swapIn(node.relation, node.sql, state)];
}
