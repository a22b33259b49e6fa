import { relationKey, type WarehouseState } from '../../adapter/adapter.js';
import { quoteRelation, type ModelNode } from '../../types.js';
import { contractCheck } from './contract.js';

/** `create or replace view`; a table of the same name (an earlier materialization) is dropped in the same transaction. */
export function view(node: ModelNode, state: WarehouseState): string[] {
  const create = `create or replace view ${quoteRelation(node.relation)} as\n${node.sql}`;
  if (state.relations.get(relationKey(node.relation)) !== 'table') return [...contractCheck(node), create];
  return [...contractCheck(node), 'begin transaction', `drop table if exists ${quoteRelation(node.relation)}`, create, 'commit'];
}
