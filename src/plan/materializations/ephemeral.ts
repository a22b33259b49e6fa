import { relationKey, type WarehouseState } from '../../adapter/adapter.js';
import { quoteRelation, type ModelNode } from '../../types.js';

/**
 * Ephemeral models are inlined as CTEs into the models that ref them; nothing is created. A relation left
 * by an earlier materialization of the model is dropped, so switching leaves nothing behind.
 */
export function ephemeral(node: ModelNode, state: WarehouseState): string[] {
  const existing = state.relations.get(relationKey(node.relation));
  return existing ? [`drop ${existing} if exists ${quoteRelation(node.relation)}`] : [];
}
