import { relationKey, type WarehouseState } from '../../adapter/adapter.js';
import { quoteRelation, type ModelNode } from '../../types.js';

/** `create or replace view`; a table of the same name (an earlier materialization) is dropped in the same transaction. */
export function view(node: ModelNode, state: WarehouseState): string[] {
  const create = `create or replace view ${quoteRelation(node.relation)} as\n${node.sql}`;
  if (state.relations.get(relationKey(node.relation)) !== 'table') return [create];
  return ['begin transaction', `drop table if exists ${quoteRelation(node.relation)}`, create, 'commit'];
}
