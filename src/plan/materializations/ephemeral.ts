import type { ModelNode } from '../../types.js';

/** Ephemeral models are inlined as CTEs into the models that ref them; nothing is created. */
export function ephemeral(_node: ModelNode): string[] {
  return [];
}
